//! `lianshi score`: innovation points for loans (积分贷) — run the scoring, show or save the model.

use crate::{Ctx, app_err, day_or_today, open};
use anyhow::Context;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub(crate) enum ScoreCmd {
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

pub(crate) async fn run(ctx: &Ctx, what: ScoreCmd) -> anyhow::Result<()> {
    match what {
        ScoreCmd::Run { date, json } => {
            let day = day_or_today(date)?;
            let app = open(&ctx.url).await?;
            let r = app.score_run(&ctx.actor, day).await.map_err(app_err)?;
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
        ScoreCmd::Model { load, note } => {
            let app = open(&ctx.url).await?;
            if let Some(file) = load {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let inp = lianshi_app::score::ModelInput {
                    text: Some(text),
                    model: None,
                    note,
                };
                let v = app
                    .score_model_save(&ctx.actor, &inp)
                    .await
                    .map_err(app_err)?;
                println!("已保存模型 v{v} / saved model version {v}");
            } else {
                let m = app.score_model(&ctx.actor).await.map_err(app_err)?;
                println!("{}", m.current.text);
            }
        }
    }
    Ok(())
}
