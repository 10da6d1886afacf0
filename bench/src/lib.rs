//! Shared helpers of the Lianshi benchmarks (`import`, `list`, `rss`).
//!
//! Benchmarks are not tests: each binary measures the real path and a peer in the same run and
//! prints a table with the ratio. Absolute times on shared machines are noisy; ratios are what we
//! compare. See `docs/PERFORMANCE.md`.

use anyhow::Context;
use lianshi_app::{Actor, App, Source};
use lianshi_domain::enterprise::{COLUMNS, EnterpriseDraft};
use lianshi_store::Db;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Seed of the demo enterprise stream used by every benchmark.
pub const SEED: u64 = 2026;

/// Value of `--NAME V` on the command line, or `default`.
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let flag = format!("--{name}");
    let args: Vec<String> = std::env::args().collect();
    for (i, a) in args.iter().enumerate() {
        if let Some(v) = a.strip_prefix(&format!("{flag}=")) {
            return v.parse().unwrap_or(default);
        }
        if *a == flag
            && let Some(v) = args.get(i + 1)
        {
            return v.replace('_', "").parse().unwrap_or(default);
        }
    }
    default
}

/// Whether `--NAME` is on the command line.
pub fn flag(name: &str) -> bool {
    let flag = format!("--{name}");
    std::env::args().any(|a| a == flag)
}

/// A scratch directory removed on drop, under `$LIANSHI_BENCH_TMP` or `bench/out/tmp` (not the
/// shared /tmp, which other tools clean up by prefix).
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> anyhow::Result<Scratch> {
        let base = std::env::var_os("LIANSHI_BENCH_TMP")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("out")
                    .join("tmp")
            });
        let dir = base.join(format!("{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Scratch(dir))
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `sqlite://PATH` for a file.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// Connect through [`Db::connect`] (same pragmas as the product) and migrate.
pub async fn open_app(url: &str) -> anyhow::Result<App> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    Ok(App::new(db))
}

/// A fresh database with the demo zone structure and accounts but no enterprises.
pub async fn fresh_zone(path: &Path) -> anyhow::Result<App> {
    let _ = std::fs::remove_file(path);
    let app = open_app(&sqlite_url(path)).await?;
    app.demo_load(&Actor::system(Source::Demo), 0, SEED)
        .await
        .map_err(|e| anyhow::anyhow!("demo structure: {}", e.message()))?;
    Ok(app)
}

/// The demo enterprises that a load or an import accepts today (no future registration date).
pub fn demo_drafts(n: usize) -> impl Iterator<Item = EnterpriseDraft> {
    let today = App::today();
    lianshi_domain::demo::enterprises(SEED, n)
        .filter(move |d| d.registered_on.is_none_or(|r| r <= today))
}

pub use lianshi_domain::demo::template_row;

/// Write the template CSV of the first `n` demo enterprises to `path`; returns the row count.
pub fn write_demo_csv(path: &Path, n: usize) -> anyhow::Result<usize> {
    let f =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let headers: Vec<&str> = COLUMNS.iter().map(|c| c.zh).collect();
    let mut w =
        lianshi_office::CsvWriter::new(std::io::BufWriter::with_capacity(1 << 20, f), &headers)
            .map_err(|e| anyhow::anyhow!("{}", e.en()))?;
    let mut rows = 0;
    for d in demo_drafts(n) {
        w.write_row(&template_row(&d))
            .map_err(|e| anyhow::anyhow!("{}", e.en()))?;
        rows += 1;
    }
    let mut out = w.finish().map_err(|e| anyhow::anyhow!("{}", e.en()))?;
    std::io::Write::flush(&mut out)?;
    Ok(rows)
}

/// The `p`-th percentile (0–100, nearest rank) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// A plain-text table with right-aligned columns after the first.
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn print(&self) {
        let width = |s: &str| lianshi_office::display_width(s, 200);
        let mut w: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                if i < w.len() {
                    w[i] = w[i].max(width(c));
                }
            }
        }
        let line = |cells: &[String]| {
            let mut out = String::new();
            for (i, c) in cells.iter().enumerate() {
                let pad = w.get(i).copied().unwrap_or(0).saturating_sub(width(c));
                if i == 0 {
                    out.push_str(c);
                    out.push_str(&" ".repeat(pad));
                } else {
                    out.push_str("  ");
                    out.push_str(&" ".repeat(pad));
                    out.push_str(c);
                }
            }
            println!("{}", out.trim_end());
        };
        line(&self.headers);
        println!(
            "{}",
            w.iter()
                .map(|n| "-".repeat(*n))
                .collect::<Vec<_>>()
                .join("  ")
        );
        for r in &self.rows {
            line(r);
        }
    }
}

/// Policy benchmark: population files and the OpenFisca translation (`bin/policy.rs`).
pub mod policy_of;
pub mod policy_pop;
/// The rule expression parser of `lianshi-rules`, compiled from its source file: the crate keeps
/// its syntax tree private, and the OpenFisca translation must read exactly the trees the
/// product parses.
#[path = "../../crates/rules/src/expr.rs"]
#[allow(dead_code)]
pub mod rules_expr;
pub mod server;

/// The demo administrator signed in twice, as the in-process router benches send it: the
/// `authorization` header of an API token and the `cookie` header of a page session.
pub async fn admin_headers(
    app: &App,
) -> anyhow::Result<((&'static str, String), (&'static str, String))> {
    let api = app
        .login("admin", lianshi_domain::demo::DEMO_PASSWORD, "bench", "api")
        .await
        .map_err(|e| anyhow::anyhow!("login: {}", e.message()))?;
    let page = app
        .login(
            "admin",
            lianshi_domain::demo::DEMO_PASSWORD,
            "bench",
            "session",
        )
        .await
        .map_err(|e| anyhow::anyhow!("login: {}", e.message()))?;
    Ok((
        ("authorization", format!("Bearer {}", api.token)),
        (
            "cookie",
            format!("{}={}", lianshi_web::auth::SESSION_COOKIE, page.token),
        ),
    ))
}
