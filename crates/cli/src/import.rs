//! `lianshi import` and `lianshi export`: enterprises from and to CSV or XLSX.

use crate::{Ctx, app_err, open};
use anyhow::{Context, anyhow};
use clap::{Args, Subcommand};
use lianshi_app::enterprise::EnterpriseQuery;
use lianshi_app::import::ImportOptions;
use lianshi_app::{Actor, App, Source};
use std::path::PathBuf;

#[derive(Subcommand)]
pub(crate) enum ImportWhat {
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
pub(crate) struct Filters {
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
pub(crate) enum ExportWhat {
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

pub(crate) async fn import(ctx: &Ctx, what: ImportWhat) -> anyhow::Result<()> {
    let ImportWhat::Enterprises {
        file,
        dry_run,
        skip_invalid,
    } = what;
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let app = open(&ctx.url).await?;
    let actor = Actor {
        source: Source::Import,
        ..ctx.actor.clone()
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
    Ok(())
}

pub(crate) async fn export(ctx: &Ctx, what: ExportWhat) -> anyhow::Result<()> {
    let ExportWhat::Enterprises {
        file,
        template,
        filters,
    } = what;
    let xlsx = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let bytes = if template {
        App::enterprise_template(xlsx).map_err(app_err)?
    } else {
        let app = open(&ctx.url).await?;
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
        app.enterprise_export(&ctx.actor, &q, xlsx)
            .await
            .map_err(app_err)?
    };
    std::fs::write(&file, &bytes).with_context(|| format!("cannot write {}", file.display()))?;
    println!("wrote {} ({} bytes)", file.display(), bytes.len());
    Ok(())
}
