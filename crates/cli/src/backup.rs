//! `lianshi backup FILE`, `lianshi restore FILE`, `lianshi migrate-db --to URL`: snapshots of a
//! running database, restores into an empty one, and moving a zone between SQLite and
//! PostgreSQL (the copy engine is `lianshi_store::transfer`). Each prints one line per table as
//! it is copied, then a per-table report of row counts and checksums of source and target; any
//! difference exits 1 (and the target was rolled back).

use crate::{Ctx, app_err, open};
use anyhow::anyhow;
use clap::Args;
use lianshi_app::backup::open_backup;
use lianshi_store::transfer::{Report, TableSum};
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct BackupArgs {
    /// The backup file to write (a SQLite database; must not exist yet).
    file: PathBuf,
}

#[derive(Args)]
pub(crate) struct RestoreArgs {
    /// The backup file made by `lianshi backup`.
    file: PathBuf,
    /// Only check the file (integrity, schema version, manifest); write nothing.
    #[arg(long)]
    check: bool,
}

#[derive(Args)]
pub(crate) struct MigrateDbArgs {
    /// The target database URL (sqlite://PATH or postgres://…); it must be empty.
    #[arg(long)]
    to: String,
}

fn progress(t: &TableSum) {
    println!("  copied {:<28} {:>9} rows", t.table, t.rows);
    let _ = std::io::stdout().flush();
}

fn print_report(r: &Report) {
    println!(
        "{:<28} {:>9} {:>9}  {:<16} {:<16}  result",
        "table", "source", "target", "source checksum", "target checksum"
    );
    for t in &r.tables {
        println!(
            "{:<28} {:>9} {:>9}  {:<16} {:<16}  {}",
            t.source.table,
            t.source.rows,
            t.target.rows,
            &t.source.checksum[..16],
            &t.target.checksum[..16],
            if t.same() { "ok" } else { "DIFFERENT" }
        );
    }
    println!(
        "{} tables, {} rows, schema version {}, {:.2} s",
        r.tables.len(),
        r.rows(),
        r.schema_version,
        r.elapsed.as_secs_f64()
    );
}

fn verified(r: &Report) -> anyhow::Result<()> {
    if r.same() {
        println!("verified: every table has the same rows and checksum");
        Ok(())
    } else {
        Err(anyhow!("verification failed: tables differ"))
    }
}

pub(crate) async fn backup(ctx: &Ctx, args: BackupArgs) -> anyhow::Result<()> {
    let app = open(&ctx.url).await?;
    let r = app
        .backup(&ctx.actor, &args.file, &mut |t| progress(t))
        .await
        .map_err(app_err)?;
    print_report(&r);
    verified(&r)?;
    println!("backup written to {}", args.file.display());
    Ok(())
}

pub(crate) async fn restore(ctx: &Ctx, args: RestoreArgs) -> anyhow::Result<()> {
    // The file is checked before the target is even opened: a bad file writes nothing.
    let b = open_backup(&ctx.actor, &args.file).await.map_err(app_err)?;
    let info = b.info.clone();
    println!(
        "{}: backup of {} made {}, schema version {}, {} tables, {} rows; checked",
        args.file.display(),
        info.source_backend,
        info.created_at,
        info.schema_version,
        info.tables.len(),
        info.tables.iter().map(|t| t.rows).sum::<u64>()
    );
    if args.check {
        b.close().await;
        return Ok(());
    }
    let r = async {
        let app = open(&ctx.url).await?;
        let r = app
            .restore(&ctx.actor, &b, &mut |t| progress(t))
            .await
            .map_err(app_err);
        app.db.close().await;
        r
    }
    .await;
    b.close().await;
    let r = r?;
    print_report(&r);
    verified(&r)?;
    println!("restored");
    Ok(())
}

pub(crate) async fn migrate_db(ctx: &Ctx, args: MigrateDbArgs) -> anyhow::Result<()> {
    let app = open(&ctx.url).await?;
    let r = app
        .migrate_db(&ctx.actor, &args.to, &mut |t| progress(t))
        .await
        .map_err(app_err)?;
    print_report(&r);
    verified(&r)
}
