//! `lianshi check`: integrity checks of stored data.

use crate::{Ctx, app_err, open};
use anyhow::anyhow;
use clap::Subcommand;

#[derive(Subcommand)]
pub(crate) enum CheckCmd {
    /// List stored amounts above the input bound (10^12 元): table, row, field, value in fen.
    /// Exits 1 when there is any.
    Bounds {
        #[arg(long)]
        json: bool,
    },
}

pub(crate) async fn run(ctx: &Ctx, what: CheckCmd) -> anyhow::Result<()> {
    let CheckCmd::Bounds { json } = what;
    let app = open(&ctx.url).await?;
    let rows = app.check_bounds(&ctx.actor).await.map_err(app_err)?;
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
    Ok(())
}
