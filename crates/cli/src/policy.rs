//! `lianshi policy`: benefit policies (惠企政策) — load rule files, list, explain, 免申即享 push
//! and what-if (政策沙盘).

use crate::{Ctx, app_err, open, parse_day};
use anyhow::{Context, anyhow};
use clap::Subcommand;
use lianshi_app::AppError;
use lianshi_app::policy::{PolicyQuery, SimulateInput};
use std::path::PathBuf;

#[derive(Subcommand)]
pub(crate) enum PolicyCmd {
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

/// An optional `--on` date.
fn policy_day(d: Option<String>) -> anyhow::Result<Option<chrono::NaiveDate>> {
    d.as_deref().map(parse_day).transpose()
}

pub(crate) async fn run(ctx: &Ctx, what: PolicyCmd) -> anyhow::Result<()> {
    let actor = &ctx.actor;
    let app = open(&ctx.url).await?;
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
