//! `lianshi report`: figures computed from the records — subsidies paid and service figures.

use crate::{Ctx, app_err, open, parse_day};
use clap::Subcommand;

#[derive(Subcommand)]
pub(crate) enum ReportCmd {
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

pub(crate) async fn run(ctx: &Ctx, what: ReportCmd) -> anyhow::Result<()> {
    match what {
        ReportCmd::Subsidies { year, json } => {
            let app = open(&ctx.url).await?;
            let r = app
                .subsidy_report(&ctx.actor, year)
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
        ReportCmd::Service { from, to, json } => {
            let (from, to) = (parse_day(&from)?, parse_day(&to)?);
            let app = open(&ctx.url).await?;
            let r = app
                .service_figures(&ctx.actor, from, to, chrono::Utc::now())
                .await
                .map_err(app_err)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                let rate = lianshi_domain::service_figures::format_rate;
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
    }
    Ok(())
}
