//! `lianshi subsidy`: batch payout of approved applications (快申快享).

use crate::{Ctx, app_err, open};
use clap::Subcommand;

#[derive(Subcommand)]
pub(crate) enum SubsidyCmd {
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

pub(crate) async fn run(ctx: &Ctx, what: SubsidyCmd) -> anyhow::Result<()> {
    let SubsidyCmd::Payout { year, json } = what;
    let app = open(&ctx.url).await?;
    let r = app
        .subsidy_payout(&ctx.actor, year)
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
    Ok(())
}
