//! `import`: CSV import of N enterprises through `App::enterprise_import` (parse, validate,
//! resolve, upsert with chain-node and tag rows, audit, one transaction) against two peers that
//! insert the same enterprise rows into the same schema and indexes:
//! - **raw SQLite** (issue 11's peer): rusqlite on SQLite's C API, one prepared
//!   `INSERT INTO enterprises (...) VALUES (...)` per row, one transaction, the store's pragmas
//!   (WAL, `synchronous=NORMAL`);
//! - **bare insert through the store's driver** (sqlx's SQLite driver, same statement, one
//!   transaction), as a second line.
//!
//! Each side gets a fresh SQLite file with the demo zone structure, made through `Db::connect`.
//!
//! `cargo run --release -p lianshi-bench --bin import -- [--n 1000000]`

use anyhow::{Context, anyhow, bail};
use lianshi_app::import::ImportOptions;
use lianshi_app::{Actor, App, Source};
use lianshi_bench::{Scratch, Table, arg, demo_drafts, fresh_zone, write_demo_csv};
use lianshi_store::enterprise::EnterpriseWrite;
use std::path::Path;
use std::time::{Duration, Instant};

const BARE_INSERT: &str = "INSERT INTO enterprises (uscc, name, industry_code, registered_on, ownership, street_id, park_id, building_id, address, headcount, tech_staff, revenue_fen, rd_fen, tax_fen, size_band, contact_name, contact_phone, created_at, updated_at, version) \
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, 1)";

async fn count(app: &App, table: &str) -> anyhow::Result<i64> {
    let r = lianshi_store::sql::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
        .fetch_one(app.db.reader())
        .await?;
    Ok(r.try_get("n")?)
}

/// The same enterprise rows the import will store, resolved outside any timing.
async fn resolved_rows(app: &App, n: usize) -> anyhow::Result<Vec<EnterpriseWrite>> {
    let idx = app.registry().await.map_err(|e| anyhow!(e.message()))?;
    demo_drafts(n)
        .map(|d| app.resolve_draft(&idx, &d).map_err(|e| anyhow!("{e:?}")))
        .collect()
}

/// The peer: a fresh database, then one prepared bare INSERT per row in one transaction.
async fn bare(path: &Path, rows: &[EnterpriseWrite]) -> anyhow::Result<Duration> {
    let app = fresh_zone(path).await?;
    let now = lianshi_store::now_text();
    let t = Instant::now();
    let mut tx = app.db.begin().await?;
    for w in rows {
        lianshi_store::sql::query(BARE_INSERT)
            .bind(w.uscc.as_str())
            .bind(w.name.as_str())
            .bind(w.industry_code.as_deref())
            .bind(w.registered_on.as_deref())
            .bind(w.ownership.as_deref())
            .bind(w.street_id)
            .bind(w.park_id)
            .bind(w.building_id)
            .bind(w.address.as_deref())
            .bind(w.headcount)
            .bind(w.tech_staff)
            .bind(w.revenue_fen)
            .bind(w.rd_fen)
            .bind(w.tax_fen)
            .bind(w.size_band.as_deref())
            .bind(w.contact_name.as_deref())
            .bind(w.contact_phone.as_deref())
            .bind(now.as_str())
            .execute(tx.conn())
            .await?;
    }
    tx.commit().await?;
    let elapsed = t.elapsed();
    let stored = count(&app, "enterprises").await?;
    app.db.close().await;
    let _ = std::fs::remove_file(path);
    if stored != rows.len() as i64 {
        bail!("bare insert stored {stored} rows, expected {}", rows.len());
    }
    Ok(elapsed)
}

/// The raw peer: a fresh database, then rusqlite with one prepared INSERT per row in one
/// transaction.
async fn raw(path: &Path, rows: &[EnterpriseWrite]) -> anyhow::Result<Duration> {
    let app = fresh_zone(path).await?;
    app.db.close().await;
    let now = lianshi_store::now_text();
    let mut c = rusqlite::Connection::open(path)?;
    c.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON")?;
    let t = Instant::now();
    let tx = c.transaction()?;
    {
        let mut st = tx.prepare(&BARE_INSERT.replace('$', "?"))?;
        for w in rows {
            st.execute(rusqlite::params![
                w.uscc,
                w.name,
                w.industry_code,
                w.registered_on,
                w.ownership,
                w.street_id,
                w.park_id,
                w.building_id,
                w.address,
                w.headcount,
                w.tech_staff,
                w.revenue_fen,
                w.rd_fen,
                w.tax_fen,
                w.size_band,
                w.contact_name,
                w.contact_phone,
                now,
            ])?;
        }
    }
    tx.commit()?;
    let elapsed = t.elapsed();
    let stored: i64 = c.query_row("SELECT COUNT(*) FROM enterprises", [], |r| r.get(0))?;
    drop(c);
    let _ = std::fs::remove_file(path);
    if stored != rows.len() as i64 {
        bail!("raw insert stored {stored} rows, expected {}", rows.len());
    }
    Ok(elapsed)
}

fn rate(rows: usize, d: Duration) -> String {
    format!("{:.0}", rows as f64 / d.as_secs_f64())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = arg("n", 1_000_000);
    let dir = Scratch::new("import")?;
    println!(
        "import bench: {n} demo enterprises (seed {}), SQLite, release build",
        lianshi_bench::SEED
    );

    let csv = dir.path("enterprises.csv");
    let t = Instant::now();
    let rows = write_demo_csv(&csv, n)?;
    let size = std::fs::metadata(&csv)?.len();
    println!(
        "CSV written once: {rows} rows, {:.1} MB in {:.1} s ({})",
        size as f64 / 1e6,
        t.elapsed().as_secs_f64(),
        csv.display()
    );

    // The peer runs before and after the real path (fresh database each time) so that drift in
    // machine load shows; the ratio uses their mean.
    let rows_w = {
        let scratch_app = fresh_zone(&dir.path("resolve.db")).await?;
        let r = resolved_rows(&scratch_app, n).await?;
        scratch_app.db.close().await;
        r
    };
    let bare_rows = rows_w.len();
    let raw1 = raw(&dir.path("raw1.db"), &rows_w).await?;
    println!("raw insert #1 done in {:.1} s", raw1.as_secs_f64());
    let bare1 = bare(&dir.path("bare1.db"), &rows_w).await?;
    println!("bare insert #1 done in {:.1} s", bare1.as_secs_f64());

    // The real path into another fresh database.
    let app = fresh_zone(&dir.path("import.db")).await?;
    let bytes = std::fs::read(&csv).with_context(|| format!("cannot read {}", csv.display()))?;
    let actor = Actor::system(Source::Import);
    let t = Instant::now();
    let report = app
        .enterprise_import(&actor, &bytes, ImportOptions::default())
        .await
        .map_err(|e| anyhow!("import failed: {}", e.message()))?;
    let import_time = t.elapsed();
    drop(bytes);
    if !report.written || report.created != rows || report.invalid != 0 {
        bail!(
            "import did not write every row: written={} created={} invalid={} first error={:?}",
            report.written,
            report.created,
            report.invalid,
            report.errors.first().map(|e| e.line())
        );
    }
    let stored = count(&app, "enterprises").await?;
    let nodes = count(&app, "enterprise_nodes").await?;
    let tags = count(&app, "enterprise_tags").await?;
    app.db.close().await;
    if stored != rows as i64 {
        bail!("import stored {stored} rows, expected {rows}");
    }
    println!("import done in {:.1} s", import_time.as_secs_f64());
    let bare2 = bare(&dir.path("bare2.db"), &rows_w).await?;
    println!("bare insert #2 done in {:.1} s", bare2.as_secs_f64());
    let raw2 = raw(&dir.path("raw2.db"), &rows_w).await?;
    println!("raw insert #2 done in {:.1} s", raw2.as_secs_f64());
    drop(rows_w);
    let bare_time = (bare1 + bare2) / 2;
    let raw_time = (raw1 + raw2) / 2;

    println!();
    let mut t = Table::new(&[
        "side",
        "enterprises",
        "link rows",
        "seconds",
        "rows/s",
        "× peer",
    ]);
    for (label, d, peer) in [
        ("raw SQLite (rusqlite) #1", raw1, raw_time),
        ("raw SQLite (rusqlite) #2", raw2, raw_time),
        ("bare INSERT, store driver #1", bare1, bare_time),
        ("bare INSERT, store driver #2", bare2, bare_time),
    ] {
        t.row(vec![
            label.into(),
            bare_rows.to_string(),
            "0".into(),
            format!("{:.2}", d.as_secs_f64()),
            rate(bare_rows, d),
            format!("{:.2}", d.as_secs_f64() / peer.as_secs_f64()),
        ]);
    }
    let ratio = import_time.as_secs_f64() / raw_time.as_secs_f64();
    let ratio_bare = import_time.as_secs_f64() / bare_time.as_secs_f64();
    t.row(vec![
        "App::enterprise_import vs raw SQLite (mean)".into(),
        rows.to_string(),
        (nodes + tags).to_string(),
        format!("{:.2}", import_time.as_secs_f64()),
        rate(rows, import_time),
        format!("{ratio:.2}"),
    ]);
    t.row(vec![
        "App::enterprise_import vs store-driver insert (mean)".into(),
        rows.to_string(),
        (nodes + tags).to_string(),
        format!("{:.2}", import_time.as_secs_f64()),
        rate(rows, import_time),
        format!("{ratio_bare:.2}"),
    ]);
    t.print();
    println!();
    println!(
        "goal (issue 11): import ≤ 5× raw SQLite → {} (ratio {ratio:.2}); store driver: {ratio_bare:.2}×",
        if ratio <= 5.0 { "MET" } else { "MISSED" }
    );
    Ok(())
}
