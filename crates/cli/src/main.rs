//! `lianshi`: the one binary. Thin commands over the same app functions the web layer uses.
//! A failing command exits non-zero with a one-line reason on stderr.
//!
//! This file parses the command line and dispatches; each area's subcommands live in their own
//! module (`serve`, `demo`, `import` (import and export), `user`, `order` (calendar, SLA,
//! visits), `policy`, `subsidy`, `voucher`, `score`, `report`, `check`, `migrate`), each a thin
//! layer over `lianshi_app`.

mod backup;
mod check;
mod demo;
mod import;
mod migrate;
mod order;
mod policy;
mod report;
mod score;
mod serve;
mod subsidy;
mod user;
mod voucher;

use anyhow::{Context, anyhow};
use clap::{Parser, Subcommand};
use lianshi_app::{Actor, App, AppError, Source};
use lianshi_store::{DEFAULT_URL, Db};

#[derive(Parser)]
#[command(
    name = "lianshi",
    version,
    about = "链事荟 Lianshi — industrial-chain party building and enterprise service"
)]
struct Cli {
    /// Database URL: sqlite://PATH (default ./data/lianshi.db) or postgres://…
    #[arg(long, env = "LIANSHI_DB", global = true)]
    db: Option<String>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the web UI and API.
    Serve(serve::ServeArgs),
    /// Load the demo zone (滨江样板).
    Demo(demo::DemoArgs),
    /// Import records.
    Import {
        #[command(subcommand)]
        what: import::ImportWhat,
    },
    /// Export records.
    Export {
        #[command(subcommand)]
        what: import::ExportWhat,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        what: user::UserCmd,
    },
    /// Apply database migrations.
    Migrate,
    /// Rule-triggered visits (三必访).
    Visit {
        #[command(subcommand)]
        what: order::VisitCmd,
    },
    /// The official working-day calendar (法定节假日与调休).
    Calendar {
        #[command(subcommand)]
        what: order::CalendarCmd,
    },
    /// Work-order time limits (SLA).
    Sla {
        #[command(subcommand)]
        what: order::SlaCmd,
    },
    /// Reports computed from the records.
    Report {
        #[command(subcommand)]
        what: report::ReportCmd,
    },
    /// Benefit policies (惠企政策): load rule files, explain, 免申即享 push, what-if.
    Policy {
        #[command(subcommand)]
        what: policy::PolicyCmd,
    },
    /// Innovation points for loans (积分贷).
    Score {
        #[command(subcommand)]
        what: score::ScoreCmd,
    },
    /// Subsidies (快申快享): batch payout of approved applications.
    Subsidy {
        #[command(subcommand)]
        what: subsidy::SubsidyCmd,
    },
    /// Vouchers (创新券 / 算力券 / 模型券): ledger check and expiry.
    Voucher {
        #[command(subcommand)]
        what: voucher::VoucherCmd,
    },
    /// Write a consistent backup of the database to a new file, while it is in use.
    Backup(backup::BackupArgs),
    /// Restore a backup file into an empty database (the file is checked first).
    Restore(backup::RestoreArgs),
    /// Copy the whole zone into another, empty database (SQLite ⇄ PostgreSQL) and verify it.
    MigrateDb(backup::MigrateDbArgs),
    /// Integrity checks of stored data.
    Check {
        #[command(subcommand)]
        what: check::CheckCmd,
    },
}

/// The one-line message of an app error.
pub(crate) fn app_err(e: AppError) -> anyhow::Error {
    anyhow!("{}", e.message())
}

/// Open and migrate the database at `url`.
pub(crate) async fn open(url: &str) -> anyhow::Result<App> {
    let db = Db::connect(url)
        .await
        .with_context(|| format!("cannot open database {}", without_password(url)))?;
    db.migrate()
        .await
        .context("cannot bring the database schema up to date")?;
    Ok(App::new(db))
}

/// `url` with the password of its user part replaced by `***`, for messages and logs.
pub(crate) fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    // The user part ends at the last '@' of the authority (before the first '/' or '?').
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some(at) = rest[..end].rfind('@') else {
        return url.to_string();
    };
    match rest[..at].split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => url.to_string(),
    }
}

/// A `YYYY-MM-DD` date argument.
pub(crate) fn parse_day(d: &str) -> anyhow::Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
        .map_err(|_| anyhow!("日期应为 YYYY-MM-DD / date must be YYYY-MM-DD: {d}"))
}

/// An optional `--date`, today (China time) when absent.
pub(crate) fn day_or_today(d: Option<String>) -> anyhow::Result<chrono::NaiveDate> {
    match d {
        Some(d) => parse_day(&d),
        None => Ok(App::today()),
    }
}

/// Where a command runs: the database URL and the actor it acts as.
pub(crate) struct Ctx {
    pub url: String,
    pub actor: Actor,
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let ctx = Ctx {
        url: cli.db.clone().unwrap_or_else(|| DEFAULT_URL.to_string()),
        actor: Actor::system(Source::Cli),
    };
    match cli.cmd {
        Cmd::Serve(args) => serve::run(&ctx, args).await,
        Cmd::Demo(args) => demo::run(&ctx, args).await,
        Cmd::Import { what } => import::import(&ctx, what).await,
        Cmd::Export { what } => import::export(&ctx, what).await,
        Cmd::User { what } => user::run(&ctx, what).await,
        Cmd::Migrate => migrate::run(&ctx).await,
        Cmd::Visit { what } => order::visit(&ctx, what).await,
        Cmd::Calendar { what } => order::calendar(&ctx, what).await,
        Cmd::Sla { what } => order::sla(&ctx, what).await,
        Cmd::Report { what } => report::run(&ctx, what).await,
        Cmd::Policy { what } => policy::run(&ctx, what).await,
        Cmd::Score { what } => score::run(&ctx, what).await,
        Cmd::Subsidy { what } => subsidy::run(&ctx, what).await,
        Cmd::Voucher { what } => voucher::run(&ctx, what).await,
        Cmd::Check { what } => check::run(&ctx, what).await,
        Cmd::Backup(args) => backup::backup(&ctx, args).await,
        Cmd::Restore(args) => backup::restore(&ctx, args).await,
        Cmd::MigrateDb(args) => backup::migrate_db(&ctx, args).await,
    }
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LIANSHI_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lianshi: cannot start runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(run(cli)) {
        let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
        eprintln!("lianshi: {}", chain.join(": ").replace('\n', " "));
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn a_database_url_in_a_message_hides_its_password() {
        assert_eq!(
            without_password("postgres://lianshi:s3cr%40t@db.example:5432/z?sslmode=require"),
            "postgres://lianshi:***@db.example:5432/z?sslmode=require"
        );
        assert_eq!(
            without_password("postgres://lianshi@db.example/z"),
            "postgres://lianshi@db.example/z"
        );
        assert_eq!(
            without_password("sqlite://./data/l.db"),
            "sqlite://./data/l.db"
        );
        assert_eq!(
            without_password("postgres://u:p@h/z?sslrootcert=/etc/a@b.crt"),
            "postgres://u:***@h/z?sslrootcert=/etc/a@b.crt"
        );
    }
}
