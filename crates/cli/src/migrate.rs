//! `lianshi migrate`: apply the pending database migrations (`lianshi_store::migrations`).

use crate::Ctx;
use anyhow::Context;
use lianshi_store::Db;

pub(crate) async fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let url = &ctx.url;
    let db = Db::connect(url)
        .await
        .with_context(|| format!("cannot open database {}", crate::without_password(url)))?;
    let applied = db
        .migrate()
        .await
        .context("cannot bring the database schema up to date")?;
    println!(
        "migrations applied: {}",
        if applied.is_empty() {
            "none (up to date)".into()
        } else {
            applied.join(", ")
        }
    );
    Ok(())
}
