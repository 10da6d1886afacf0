//! Work-order operations: `lianshi calendar` (the official working-day calendar), `lianshi sla`
//! (the escalation scan) and `lianshi visit` (rule-triggered visits, 三必访).

use crate::{Ctx, app_err, day_or_today, open, parse_day};
use anyhow::{Context, anyhow};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub(crate) enum CalendarCmd {
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
pub(crate) enum SlaCmd {
    /// Supervise (督办) overdue open orders and propose the longest-late to their chain's council.
    Scan {
        /// The moment to evaluate, `YYYY-MM-DD HH:MM` China time (default: now).
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum VisitCmd {
    /// Evaluate the 三必访 rules and create visit tasks (idempotent per day).
    Scan {
        /// The day to evaluate (default: today, China time).
        #[arg(long)]
        date: Option<String>,
    },
}

pub(crate) async fn calendar(ctx: &Ctx, what: CalendarCmd) -> anyhow::Result<()> {
    let url = &ctx.url;
    match what {
        CalendarCmd::AddWorkdays { date, n } => {
            let d = parse_day(&date)?;
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
                open(url)
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
        CalendarCmd::Load { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let app = open(url).await?;
            let r = app
                .calendar_load(&ctx.actor, &text)
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
        CalendarCmd::Years => {
            let app = open(url).await?;
            for y in app.calendar_years().await.map_err(app_err)? {
                println!("{}\t{}\t{}", y.year, y.origin, y.source);
            }
        }
    }
    Ok(())
}

pub(crate) async fn sla(ctx: &Ctx, what: SlaCmd) -> anyhow::Result<()> {
    let SlaCmd::Scan { at } = what;
    let now = match at {
        Some(t) => {
            let local = chrono::NaiveDateTime::parse_from_str(t.trim(), "%Y-%m-%d %H:%M").map_err(
                |_| {
                    anyhow!(
                        "时间应为 \"YYYY-MM-DD HH:MM\" / time must be \"YYYY-MM-DD HH:MM\": {t}"
                    )
                },
            )?;
            (local - chrono::Duration::hours(8)).and_utc()
        }
        None => chrono::Utc::now(),
    };
    let app = open(&ctx.url).await?;
    let r = app.sla_scan(&ctx.actor, now).await.map_err(app_err)?;
    println!("{}", serde_json::to_string_pretty(&r)?);
    Ok(())
}

pub(crate) async fn visit(ctx: &Ctx, what: VisitCmd) -> anyhow::Result<()> {
    let VisitCmd::Scan { date } = what;
    let day = day_or_today(date)?;
    let app = open(&ctx.url).await?;
    let r = app.visit_scan(&ctx.actor, day).await.map_err(app_err)?;
    println!("{}", serde_json::to_string_pretty(&r)?);
    Ok(())
}
