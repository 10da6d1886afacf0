//! `lianshi`: the one binary. Thin commands over the same app functions the web layer uses.
//! A failing command exits non-zero with a one-line reason on stderr.

use anyhow::{Context, anyhow};
use clap::{Args, Parser, Subcommand};
use lianshi_app::enterprise::EnterpriseQuery;
use lianshi_app::import::ImportOptions;
use lianshi_app::user::UserInput;
use lianshi_app::{Actor, App, AppError, Source};
use lianshi_store::{DEFAULT_URL, Db};
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

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
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Load the demo zone if the database is empty.
        #[arg(long)]
        demo: bool,
        /// A reverse proxy (address or CIDR block) trusted to name the client in
        /// X-Forwarded-For; repeat the flag or give a comma list.
        #[arg(long = "trusted-proxy", env = "LIANSHI_TRUSTED_PROXIES", value_delimiter = ',', value_parser = lianshi_web::auth::ProxyNet::parse)]
        trusted_proxy: Vec<lianshi_web::auth::ProxyNet>,
        /// Mark the session and login cookies `Secure` (serve behind TLS).
        #[arg(long, env = "LIANSHI_SECURE_COOKIES")]
        secure_cookies: bool,
    },
    /// Load the demo zone (滨江样板).
    Demo {
        #[arg(long, default_value_t = 2000)]
        enterprises: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Only the zone, the enterprises and the demo accounts, without the features' records
        /// (orders, policies, payouts, vouchers, scores): quick for large test zones.
        #[arg(long)]
        enterprises_only: bool,
    },
    /// Import records.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Export records.
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        what: UserCmd,
    },
    /// Apply database migrations.
    Migrate,
    /// Rule-triggered visits (三必访).
    Visit {
        #[command(subcommand)]
        what: VisitCmd,
    },
    /// The official working-day calendar (法定节假日与调休).
    Calendar {
        #[command(subcommand)]
        what: CalendarCmd,
    },
    /// Work-order time limits (SLA).
    Sla {
        #[command(subcommand)]
        what: SlaCmd,
    },
    /// Reports computed from the records.
    Report {
        #[command(subcommand)]
        what: ReportCmd,
    },
    /// Benefit policies (惠企政策): load rule files, explain, 免申即享 push, what-if.
    Policy {
        #[command(subcommand)]
        what: PolicyCmd,
    },
    /// Innovation points for loans (积分贷).
    Score {
        #[command(subcommand)]
        what: ScoreCmd,
    },
    /// Subsidies (快申快享): batch payout of approved applications.
    Subsidy {
        #[command(subcommand)]
        what: SubsidyCmd,
    },
    /// Vouchers (创新券 / 算力券 / 模型券): ledger check and expiry.
    Voucher {
        #[command(subcommand)]
        what: VoucherCmd,
    },
    /// Integrity checks of stored data.
    Check {
        #[command(subcommand)]
        what: CheckCmd,
    },
}

#[derive(Subcommand)]
enum CheckCmd {
    /// List stored amounts above the input bound (10^12 元): table, row, field, value in fen.
    /// Exits 1 when there is any.
    Bounds {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum VoucherCmd {
    /// Check every scheme: issued = redeemed + outstanding + expired (fen), the pool covers
    /// issued − expired, counters agree with records. Exits 1 and names the scheme when broken.
    Check {
        #[arg(long)]
        json: bool,
    },
    /// Expire vouchers whose validity ended before DATE (default today, China time); unused
    /// amounts return to their round's pool. Idempotent.
    Expire {
        #[arg(long)]
        date: Option<String>,
    },
}

#[derive(Subcommand)]
enum ScoreCmd {
    /// Score every enterprise with the current model; prints the enterprises per stage.
    Run {
        /// The scoring date (default: today, China time).
        #[arg(long)]
        date: Option<String>,
        /// Print the run as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the current model (JSON), or save FILE as its next version.
    Model {
        #[arg(long)]
        load: Option<PathBuf>,
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Subcommand)]
enum SubsidyCmd {
    /// Pay every approved application (of a year), one transaction per payout, each under the
    /// request key `payout:<application id>`: killed halfway, a rerun pays the rest and nothing
    /// twice.
    Payout {
        #[arg(long)]
        year: Option<i64>,
        /// Print the payout report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ReportCmd {
    /// Subsidies paid in YEAR, from the ledger: total and by policy code and department code
    /// (fen; reversing entries included).
    Subsidies {
        #[arg(long)]
        year: i64,
        /// Print one JSON object instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Service figures (服务成效) of the zone over [FROM, TO], with breakdowns by team,
    /// department and chain. Rates are fractions 0–1, null when there is nothing to count.
    Service {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// Print one JSON object instead of a summary.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SlaCmd {
    /// Supervise (督办) overdue open orders and propose the longest-late to their chain's council.
    Scan {
        /// The moment to evaluate, `YYYY-MM-DD HH:MM` China time (default: now).
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Subcommand)]
enum CalendarCmd {
    /// Print the date N working days after DATE (YYYY-MM-DD).
    AddWorkdays {
        date: String,
        #[arg(allow_negative_numbers = true)]
        n: i64,
    },
    /// Load (or replace) one year's schedule from a text file (see `YearSchedule::parse`).
    Load { file: PathBuf },
    /// List the years the calendar knows (shipped and loaded).
    Years,
}

#[derive(Subcommand)]
enum VisitCmd {
    /// Evaluate the 三必访 rules and create visit tasks (idempotent per day).
    Scan {
        /// The day to evaluate (default: today, China time).
        #[arg(long)]
        date: Option<String>,
    },
}

#[derive(Subcommand)]
enum ImportWhat {
    /// Import enterprises from CSV (UTF-8/GBK) or XLSX.
    Enterprises {
        file: PathBuf,
        /// Validate and report without writing.
        #[arg(long)]
        dry_run: bool,
        /// Write the valid rows; refused rows go to FILE.rejects.csv.
        #[arg(long)]
        skip_invalid: bool,
    },
}

#[derive(Args, Default)]
struct Filters {
    #[arg(long)]
    q: Option<String>,
    #[arg(long)]
    ecosystem: Option<String>,
    #[arg(long)]
    chain: Option<String>,
    #[arg(long)]
    node: Option<String>,
    #[arg(long)]
    street: Option<String>,
    #[arg(long)]
    park: Option<String>,
    #[arg(long)]
    tag: Option<String>,
    #[arg(long)]
    size: Option<String>,
}

#[derive(Subcommand)]
enum ExportWhat {
    /// Export enterprises (CSV, or XLSX when FILE ends in .xlsx).
    Enterprises {
        file: PathBuf,
        /// Write the empty import template instead.
        #[arg(long)]
        template: bool,
        #[command(flatten)]
        filters: Filters,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create a user; the password is read from standard input.
    Add {
        #[arg(long)]
        username: String,
        /// admin, department, team, party_secretary, enterprise, finance or provider
        #[arg(long)]
        role: String,
        /// Credit code of the enterprise (enterprise users).
        #[arg(long)]
        enterprise: Option<String>,
        /// Department code (department users), or the bank or fund code of a finance user.
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Clear the sign-in back-off of an account (after failed logins).
    Unlock { username: String },
}

fn app_err(e: AppError) -> anyhow::Error {
    anyhow!("{}", e.message())
}

async fn open(url: &str) -> anyhow::Result<App> {
    let db = Db::connect(url)
        .await
        .with_context(|| format!("cannot open database {url}"))?;
    db.migrate().await.context("migration failed")?;
    Ok(App::new(db))
}

fn print_accounts(s: &lianshi_app::demo::DemoSummary) {
    println!("演示账号 / demo accounts:");
    for (u, p, r) in &s.accounts {
        println!("  {u:<10} {p:<14} {r}");
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let url = cli.db.clone().unwrap_or_else(|| DEFAULT_URL.to_string());
    let cli_actor = Actor::system(Source::Cli);
    match cli.cmd {
        Cmd::Calendar {
            what: CalendarCmd::AddWorkdays { date, n },
        } => {
            let d = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                .map_err(|_| anyhow!("日期应为 YYYY-MM-DD / date must be YYYY-MM-DD: {date}"))?;
            // The app's calendar includes years an administrator loaded; without a database file
            // yet, only the shipped years exist, so do not create one just to answer.
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap_or(path);
            let shift = if url.starts_with("sqlite:") && !std::path::Path::new(path).exists() {
                lianshi_domain::calendar::Calendar::official()
                    .add_workdays(d, n)
                    .map_err(|e| anyhow!("{}", e.bilingual()))?
            } else {
                open(&url)
                    .await?
                    .calendar_add_workdays(d, n)
                    .await
                    .map_err(app_err)?
            };
            if let Some(note) = shift.fallback_note() {
                eprintln!("{note}");
            }
            println!("{}", shift.date);
        }
        Cmd::Calendar {
            what: CalendarCmd::Load { file },
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let app = open(&url).await?;
            let r = app
                .calendar_load(&cli_actor, &text)
                .await
                .map_err(app_err)?;
            println!(
                "已载入{}年节假日安排：{}个假期，{}个调休上班日{}，{}件在办工单的办理时限随之调整 / loaded {}: {} holidays, {} make-up days{}, due time of {} open orders moved",
                r.year,
                r.holidays,
                r.makeup_workdays,
                if r.replaced {
                    "（已替换原安排）"
                } else {
                    ""
                },
                r.orders_due_moved,
                r.year,
                r.holidays,
                r.makeup_workdays,
                if r.replaced { " (replaced)" } else { "" },
                r.orders_due_moved
            );
        }
        Cmd::Calendar {
            what: CalendarCmd::Years,
        } => {
            let app = open(&url).await?;
            for y in app.calendar_years().await.map_err(app_err)? {
                println!("{}\t{}\t{}", y.year, y.origin, y.source);
            }
        }
        Cmd::Score {
            what: ScoreCmd::Run { date, json },
        } => {
            let day = match date {
                Some(d) => chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                    .map_err(|_| anyhow!("日期应为 YYYY-MM-DD / date must be YYYY-MM-DD: {d}"))?,
                None => App::today(),
            };
            let app = open(&url).await?;
            let r = app.score_run(&cli_actor, day).await.map_err(app_err)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "积分计算 #{}：模型 v{}，{}，共 {} 家企业 / run #{}: model v{}, {}, {} enterprises",
                    r.run_id,
                    r.model_version,
                    r.scored_on,
                    r.enterprises,
                    r.run_id,
                    r.model_version,
                    r.scored_on,
                    r.enterprises
                );
                for s in &r.by_stage {
                    println!(
                        "{}\t{}\t{}\t{:.2}",
                        s.code, s.name, s.enterprises, s.average
                    );
                }
            }
        }
        Cmd::Score {
            what: ScoreCmd::Model { load, note },
        } => {
            let app = open(&url).await?;
            if let Some(file) = load {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let inp = lianshi_app::score::ModelInput {
                    text: Some(text),
                    model: None,
                    note,
                };
                let v = app
                    .score_model_save(&cli_actor, &inp)
                    .await
                    .map_err(app_err)?;
                println!("已保存模型 v{v} / saved model version {v}");
            } else {
                let m = app.score_model(&cli_actor).await.map_err(app_err)?;
                println!("{}", m.current.text);
            }
        }
        Cmd::Sla {
            what: SlaCmd::Scan { at },
        } => {
            let now = match at {
                Some(t) => {
                    let local = chrono::NaiveDateTime::parse_from_str(t.trim(), "%Y-%m-%d %H:%M")
                        .map_err(|_| {
                        anyhow!(
                            "时间应为 \"YYYY-MM-DD HH:MM\" / time must be \"YYYY-MM-DD HH:MM\": {t}"
                        )
                    })?;
                    (local - chrono::Duration::hours(8)).and_utc()
                }
                None => chrono::Utc::now(),
            };
            let app = open(&url).await?;
            let r = app.sla_scan(&cli_actor, now).await.map_err(app_err)?;
            println!("{}", serde_json::to_string_pretty(&r)?);
        }
        Cmd::Visit {
            what: VisitCmd::Scan { date },
        } => {
            let day = match date {
                Some(d) => chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                    .map_err(|_| anyhow!("日期应为 YYYY-MM-DD / date must be YYYY-MM-DD: {d}"))?,
                None => App::today(),
            };
            let app = open(&url).await?;
            let r = app.visit_scan(&cli_actor, day).await.map_err(app_err)?;
            println!("{}", serde_json::to_string_pretty(&r)?);
        }
        Cmd::Report {
            what: ReportCmd::Subsidies { year, json },
        } => {
            let app = open(&url).await?;
            let r = app
                .subsidy_report(&cli_actor, year)
                .await
                .map_err(app_err)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                let yuan = |f: i64| lianshi_domain::Money(f).format_yuan();
                println!(
                    "{year} 年兑付合计 total: {}（{} 笔 entries）",
                    yuan(r.total_fen),
                    r.entries
                );
                for p in &r.policies {
                    println!("  {} {}: {}", p.code, p.name, yuan(p.fen));
                }
                println!("按政策文件 by document:");
                for (doc, fen) in &r.by_document {
                    println!("  {doc}: {}", yuan(*fen));
                }
            }
        }
        Cmd::Voucher {
            what: VoucherCmd::Check { json },
        } => {
            let app = open(&url).await?;
            let rows = app.voucher_check(&cli_actor).await.map_err(app_err)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in &rows {
                    let f = r.figures;
                    println!(
                        "{}\t{}\tissued {} = redeemed {} + outstanding {} + expired {}\tpool {}\t{}",
                        r.code,
                        r.name,
                        f.issued_fen,
                        f.redeemed_fen,
                        f.outstanding_fen,
                        f.expired_fen,
                        f.pool_fen,
                        if r.ok { "ok" } else { "BROKEN" }
                    );
                    for p in &r.problems {
                        println!("  {p}");
                    }
                }
            }
            let broken: Vec<&str> = rows
                .iter()
                .filter(|r| !r.ok)
                .map(|r| r.code.as_str())
                .collect();
            if !broken.is_empty() {
                return Err(anyhow!(
                    "券账不平 / voucher ledger out of balance: {}",
                    broken.join(", ")
                ));
            }
        }
        Cmd::Check {
            what: CheckCmd::Bounds { json },
        } => {
            let app = open(&url).await?;
            let rows = app.check_bounds(&cli_actor).await.map_err(app_err)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in &rows {
                    println!("{}\t{}\t{}\t{}", r.table, r.id, r.field, r.value);
                }
            }
            if !rows.is_empty() {
                return Err(anyhow!(
                    "{} 个金额超出上限（一万亿元）/ {} amounts above the bound of 10^12 yuan",
                    rows.len(),
                    rows.len()
                ));
            }
        }
        Cmd::Voucher {
            what: VoucherCmd::Expire { date },
        } => {
            let day = match date {
                Some(d) => chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                    .map_err(|_| anyhow!("日期应为 YYYY-MM-DD / date must be YYYY-MM-DD: {d}"))?,
                None => App::today(),
            };
            let app = open(&url).await?;
            let r = app.voucher_expire(&cli_actor, day).await.map_err(app_err)?;
            println!("{}", serde_json::to_string_pretty(&r)?);
        }
        Cmd::Subsidy {
            what: SubsidyCmd::Payout { year, json },
        } => {
            let app = open(&url).await?;
            let r = app
                .subsidy_payout(&cli_actor, year)
                .await
                .map_err(app_err)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "兑付 paid {}（{}），未兑付 refused {}",
                    r.paid.len(),
                    lianshi_domain::Money(r.total_fen).format_yuan(),
                    r.refused.len()
                );
                for x in &r.refused {
                    println!("  #{} {}: {}", x.application_id, x.code, x.message);
                }
            }
        }
        Cmd::Report {
            what: ReportCmd::Service { from, to, json },
        } => {
            let day = |d: &str| {
                chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                    .map_err(|_| anyhow!("日期应为 YYYY-MM-DD / date must be YYYY-MM-DD: {d}"))
            };
            let (from, to) = (day(&from)?, day(&to)?);
            let app = open(&url).await?;
            let r = app
                .service_report(&cli_actor, from, to, chrono::Utc::now())
                .await
                .map_err(app_err)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                let rate = lianshi_domain::service::format_rate;
                println!(
                    "{} — {}\n走访 visits {}（逾期 overdue {}）\n诉求 orders {} / 解决 solved {}\n响应率 {} 解决率 {} 满意率 {}\n超时 breaches {}，议事会事项办结 council actions closed {}",
                    r.from,
                    r.to,
                    r.zone.visits,
                    r.zone.visits_overdue,
                    r.zone.orders_received,
                    r.zone.orders_solved,
                    rate(r.zone.response_rate),
                    rate(r.zone.resolution_rate),
                    rate(r.zone.satisfaction_rate),
                    r.zone.breaches,
                    r.zone.council_actions_closed
                );
            }
        }
        Cmd::Policy { what } => policy_cmd(&url, &cli_actor, what).await?,
        Cmd::Migrate => {
            let db = Db::connect(&url)
                .await
                .with_context(|| format!("cannot open database {url}"))?;
            let applied = db.migrate().await.context("migration failed")?;
            println!(
                "migrations applied: {}",
                if applied.is_empty() {
                    "none (up to date)".into()
                } else {
                    applied.join(", ")
                }
            );
        }
        Cmd::Demo {
            enterprises,
            seed,
            enterprises_only,
        } => {
            let app = open(&url).await?;
            let actor = Actor::system(Source::Demo);
            let s = if enterprises_only {
                app.demo_load_enterprises(&actor, enterprises, seed).await
            } else {
                app.demo_load(&actor, enterprises, seed).await
            }
            .map_err(app_err)?;
            println!(
                "演示园区已载入 / demo zone loaded: {} enterprises",
                s.enterprises
            );
            print_accounts(&s);
        }
        Cmd::Serve {
            addr,
            demo,
            trusted_proxy,
            secure_cookies,
        } => {
            let app = open(&url).await?;
            if demo && app.is_empty().await.map_err(app_err)? {
                if url.contains(":memory:") {
                    let s = app
                        .demo_load(&Actor::system(Source::Demo), 2000, 2026)
                        .await
                        .map_err(app_err)?;
                    println!(
                        "演示园区已载入 / demo zone loaded: {} enterprises",
                        s.enterprises
                    );
                } else {
                    // Load in a child process: generating the demo (and hashing its accounts'
                    // passwords) needs memory the long-running server should not keep.
                    let exe = std::env::current_exe().context("cannot find this program")?;
                    let status = std::process::Command::new(exe)
                        .args([
                            "--db",
                            &url,
                            "demo",
                            "--enterprises",
                            "2000",
                            "--seed",
                            "2026",
                        ])
                        .stdout(std::process::Stdio::null())
                        .status()
                        .context("cannot run the demo loader")?;
                    if !status.success() {
                        return Err(anyhow!("demo loading failed ({status})"));
                    }
                    println!("演示园区已载入 / demo zone loaded: 2000 enterprises");
                    app.registry_changed();
                }
            }
            if demo {
                print_accounts(&lianshi_app::demo::DemoSummary {
                    structure_created: false,
                    enterprises: 0,
                    accounts: lianshi_domain::demo::accounts()
                        .iter()
                        .map(|a| (a.username.into(), a.password.into(), a.role.as_str().into()))
                        .collect(),
                });
            }
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            // The bound address, so `--addr 127.0.0.1:0` prints the port the system chose.
            let bound = listener.local_addr().unwrap_or(addr);
            println!("链事荟 Lianshi serving at http://{bound}/ (database {url})");
            // Build the enterprise list index in the background so the first visitor does not
            // wait for it (seconds at a million enterprises).
            let warm = app.clone();
            tokio::spawn(async move {
                if let Err(e) = warm.list_index().await {
                    tracing::warn!("list index warm-up failed: {}", e.message());
                }
                // The service figures' order facts (seconds at a million orders).
                if let Err(e) = warm.service_figures_warm().await {
                    tracing::warn!("service figures warm-up failed: {}", e.message());
                }
            });
            let router = lianshi_web::router_with(
                app,
                lianshi_web::auth::WebConfig {
                    trusted_proxies: trusted_proxy,
                    secure_cookies,
                },
            );
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("server failed")?;
        }
        Cmd::Import {
            what:
                ImportWhat::Enterprises {
                    file,
                    dry_run,
                    skip_invalid,
                },
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let app = open(&url).await?;
            let actor = Actor {
                source: Source::Import,
                ..cli_actor
            };
            let r = app
                .enterprise_import(
                    &actor,
                    &bytes,
                    ImportOptions {
                        dry_run,
                        skip_invalid,
                    },
                )
                .await
                .map_err(app_err)?;
            for e in r.errors.iter().take(200) {
                eprintln!("{}", e.line());
            }
            if r.errors.len() > 200 {
                eprintln!("… {} more errors", r.errors.len() - 200);
            }
            if let Some(rej) = &r.rejects_csv
                && skip_invalid
                && !dry_run
            {
                let p = PathBuf::from(format!("{}.rejects.csv", file.display()));
                std::fs::write(&p, rej).with_context(|| format!("cannot write {}", p.display()))?;
                eprintln!("refused rows written to {}", p.display());
            }
            println!(
                "{}: {} rows, {} valid, {} invalid; {} new, {} updated; {} ({}, {})",
                file.display(),
                r.rows,
                r.valid,
                r.invalid,
                r.created,
                r.updated,
                if r.written {
                    "written"
                } else if dry_run {
                    "dry run, nothing written"
                } else {
                    "nothing written"
                },
                r.format,
                r.encoding
            );
            if r.invalid > 0 && !skip_invalid {
                return Err(anyhow!(
                    "{} 行有错误，未写入任何数据 / {} rows invalid; nothing written (use --skip-invalid to write the valid rows)",
                    r.invalid,
                    r.invalid
                ));
            }
        }
        Cmd::Export {
            what:
                ExportWhat::Enterprises {
                    file,
                    template,
                    filters,
                },
        } => {
            let xlsx = file
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
            let bytes = if template {
                App::enterprise_template(xlsx).map_err(app_err)?
            } else {
                let app = open(&url).await?;
                let q = EnterpriseQuery {
                    q: filters.q,
                    ecosystem: filters.ecosystem,
                    chain: filters.chain,
                    node: filters.node,
                    street: filters.street,
                    park: filters.park,
                    tag: filters.tag,
                    size: filters.size,
                    ..Default::default()
                };
                app.enterprise_export(&cli_actor, &q, xlsx)
                    .await
                    .map_err(app_err)?
            };
            std::fs::write(&file, &bytes)
                .with_context(|| format!("cannot write {}", file.display()))?;
            println!("wrote {} ({} bytes)", file.display(), bytes.len());
        }
        Cmd::User {
            what:
                UserCmd::Add {
                    username,
                    role,
                    enterprise,
                    department,
                    display_name,
                    password_stdin: _,
                },
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("cannot read the password from stdin")?;
            let password = password.trim_end_matches(['\n', '\r']).to_string();
            let app = open(&url).await?;
            let id = app
                .user_create(
                    &cli_actor,
                    &UserInput {
                        username: username.clone(),
                        display_name,
                        role,
                        password,
                        enterprise,
                        department,
                    },
                )
                .await
                .map_err(app_err)?;
            println!("user {username} created (id {id})");
        }
        Cmd::User {
            what: UserCmd::Unlock { username },
        } => {
            let app = open(&url).await?;
            let cleared = app
                .user_unlock(&cli_actor, &username)
                .await
                .map_err(app_err)?;
            if cleared {
                println!("已解除 {username} 的登录限制 / sign-in back-off of {username} cleared");
            } else {
                println!("{username} 没有登录限制 / {username} had no sign-in back-off");
            }
        }
    }
    Ok(())
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
#[derive(Subcommand)]
enum PolicyCmd {
    /// Load a TOML rule file (one or more [[policy]] entries). Any bad entry refuses the whole
    /// file with FILE:line:col: message; entries are upserted by code (new version when changed).
    Load { file: PathBuf },
    /// List the catalogue.
    List {
        #[arg(long)]
        q: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Explain one enterprise (id or credit code): every active policy, or one.
    Explain {
        enterprise: String,
        policy: Option<String>,
        /// Evaluation date YYYY-MM-DD (default today, China time).
        #[arg(long)]
        on: Option<String>,
    },
    /// 免申即享 push: notices for newly eligible enterprises (idempotent).
    Push {
        #[arg(long)]
        on: Option<String>,
    },
    /// What-if (政策沙盘): compare parameter values or a replaced rule with the live policy.
    Simulate {
        policy: String,
        /// NAME=VALUE, repeatable.
        #[arg(long = "set")]
        set: Vec<String>,
        /// CLAUSE=EXPR (or benefit=EXPR), repeatable.
        #[arg(long = "rule")]
        rule: Vec<String>,
        #[arg(long)]
        on: Option<String>,
        /// Print the JSON report (otherwise a summary).
        #[arg(long)]
        json: bool,
    },
}

fn policy_day(d: Option<String>) -> anyhow::Result<Option<chrono::NaiveDate>> {
    d.map(|d| {
        chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
            .map_err(|_| anyhow!("日期应为 YYYY-MM-DD / date must be YYYY-MM-DD: {d}"))
    })
    .transpose()
}

async fn policy_cmd(url: &str, actor: &Actor, what: PolicyCmd) -> anyhow::Result<()> {
    use lianshi_app::policy::{PolicyQuery, SimulateInput};
    let app = open(url).await?;
    match what {
        PolicyCmd::Load { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let name = file.display().to_string();
            let r = app
                .policy_load_named(actor, &name, &text)
                .await
                .map_err(|e| match e {
                    AppError::BadRequest { en, .. } => anyhow!("{en}"),
                    other => app_err(other),
                })?;
            println!("{}", serde_json::to_string_pretty(&r)?);
        }
        PolicyCmd::List { q, json } => {
            let page = app
                .policy_list(
                    actor,
                    &PolicyQuery {
                        q,
                        per_page: Some(500),
                        ..Default::default()
                    },
                )
                .await
                .map_err(app_err)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&page)?);
            } else {
                for p in &page.items {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        p.code, p.track, p.status, p.department_code, p.title
                    );
                }
            }
        }
        PolicyCmd::Explain {
            enterprise,
            policy,
            on,
        } => {
            let on = policy_day(on)?;
            let id = app
                .policy_enterprise_ref(&enterprise)
                .await
                .map_err(app_err)?;
            let v = match policy {
                Some(code) => serde_json::to_value(
                    app.policy_explain(actor, &code, id, on)
                        .await
                        .map_err(app_err)?,
                )?,
                None => serde_json::to_value(
                    app.policy_for_enterprise(actor, id, on)
                        .await
                        .map_err(app_err)?,
                )?,
            };
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        PolicyCmd::Push { on } => {
            let r = app
                .policy_push(actor, policy_day(on)?)
                .await
                .map_err(app_err)?;
            println!("{}", serde_json::to_string_pretty(&r)?);
        }
        PolicyCmd::Simulate {
            policy,
            set,
            rule,
            on,
            json,
        } => {
            let mut input = SimulateInput {
                on: policy_day(on)?,
                ..Default::default()
            };
            for s in &set {
                let (k, v) = s.split_once('=').ok_or_else(|| {
                    anyhow!("--set 应为 NAME=VALUE / --set must be NAME=VALUE: {s}")
                })?;
                let v: f64 = v.trim().parse().map_err(|_| {
                    anyhow!("--set 的值须为数字 / --set value must be a number: {s}")
                })?;
                input.set.insert(k.trim().to_string(), v);
            }
            for r in &rule {
                let (k, v) = r.split_once('=').ok_or_else(|| {
                    anyhow!("--rule 应为 CLAUSE=EXPR / --rule must be CLAUSE=EXPR: {r}")
                })?;
                input
                    .rules
                    .insert(k.trim().to_string(), v.trim().to_string());
            }
            let r = app
                .policy_simulate(actor, &policy, &input)
                .await
                .map_err(app_err)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "{}: eligible {} → {} (+{} / −{}), budget {} → {} fen (change {}), {:.1} ms",
                    r.policy,
                    r.eligible_before,
                    r.eligible_after,
                    r.newly_eligible,
                    r.dropped,
                    r.budget_before_fen,
                    r.budget_after_fen,
                    r.budget_change_fen,
                    r.elapsed_ms
                );
            }
        }
    }
    Ok(())
}
