//! `http`: throughput of the release server under wrk (Debian's `wrk`), beside its own bare
//! `/healthz` on the same server in the same minute (issue 11). Starts
//! `target/release/lianshi --db DB serve --demo` on SQLite (and on PostgreSQL with `--pg URL`),
//! takes an API token, and runs wrk (`--threads`, `--conns`, `--secs`) over:
//! - `GET /healthz` (the peer: no authentication, no database),
//! - `GET /api/v1/me` with a bearer token (authentication alone),
//! - `GET /api/v1/enterprises/{uscc}` (one enterprise),
//! - `GET /api/v1/enterprises?per_page=20` (a list page),
//!
//! in `--rounds` interleaved rounds, each request's share computed against the `/healthz` of its
//! own round. Any non-2xx answer fails the run.
//!
//! `cargo run --release -p lianshi-bench --bin http -- [--secs 10] [--conns 32] [--threads 2]
//! [--rounds 3] [--pg postgres://…]`

use anyhow::{Context, anyhow, bail};
use lianshi_bench::server::{Server, binary, http};
use lianshi_bench::{Scratch, Table, arg};
use std::process::Command;

/// Goals of issue 11, as a share of bare `/healthz` (SQLite).
const GOALS: [(&str, f64); 2] = [("one enterprise", 0.30), ("list, 20 per page", 0.08)];

struct Load {
    secs: u32,
    conns: u32,
    threads: u32,
}

/// Requests per second that wrk measured for `path` (with `token` as a bearer token if any).
fn wrk(load: &Load, base: &str, path: &str, token: Option<&str>) -> anyhow::Result<f64> {
    let mut cmd = Command::new("wrk");
    cmd.args([
        format!("-t{}", load.threads),
        format!("-c{}", load.conns),
        format!("-d{}s", load.secs),
        "--latency".into(),
    ]);
    if let Some(t) = token {
        cmd.args(["-H", &format!("Authorization: Bearer {t}")]);
    }
    cmd.arg(format!("{base}{path}"));
    let out = cmd
        .output()
        .context("cannot run wrk (Debian: apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        bail!(
            "wrk failed on {path}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    if let Some(line) = text
        .lines()
        .find(|l| l.contains("Non-2xx or 3xx responses"))
    {
        bail!("{path}: {}", line.trim());
    }
    if let Some(line) = text
        .lines()
        .find(|l| l.trim_start().starts_with("Socket errors"))
    {
        bail!("{path}: {}", line.trim());
    }
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| anyhow!("no Requests/sec in wrk's output for {path}: {text}"))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Run the rounds against one server; print its table.
fn measure(label: &str, server: &Server, load: &Load, rounds: usize) -> anyhow::Result<()> {
    let token = server.token("admin")?;
    let bearer = ("Authorization", format!("Bearer {token}"));
    let r = http(
        server.addr,
        "GET",
        "/api/v1/enterprises?per_page=1",
        std::slice::from_ref(&bearer),
        b"",
    )?;
    let v = r.json()?;
    let uscc = v["items"][0]["uscc"]
        .as_str()
        .ok_or_else(|| anyhow!("the demo list is empty: {v}"))?
        .to_string();
    let one = format!("/api/v1/enterprises/{uscc}");
    let cases: [(&str, &str, bool); 4] = [
        ("bare /healthz (peer)", "/healthz", false),
        ("/api/v1/me (authentication alone)", "/api/v1/me", true),
        ("one enterprise", one.as_str(), true),
        ("list, 20 per page", "/api/v1/enterprises?per_page=20", true),
    ];
    // Every path answers 200 before it is loaded.
    for (name, path, auth) in &cases {
        let h = if *auth { vec![bearer.clone()] } else { vec![] };
        let r = http(server.addr, "GET", path, &h, b"")?;
        if r.status != 200 {
            bail!("{name}: {path} answered {}", r.status);
        }
    }
    let base = format!("http://{}", server.addr);
    let mut rps: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    let mut share: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for round in 0..rounds {
        let mut bare = 0.0;
        for (i, (_, path, auth)) in cases.iter().enumerate() {
            let r = wrk(load, &base, path, auth.then_some(token.as_str()))?;
            if i == 0 {
                bare = r;
            }
            rps[i].push(r);
            share[i].push(r / bare);
        }
        eprintln!("{label}: round {} of {rounds} done", round + 1);
    }
    println!(
        "\n{label}: wrk -t{} -c{} -d{}s, {rounds} rounds, medians",
        load.threads, load.conns, load.secs
    );
    let mut t = Table::new(&["request", "req/s", "share of bare /healthz", "goal"]);
    for (i, (name, _, _)) in cases.iter().enumerate() {
        let goal = GOALS
            .iter()
            .find(|(g, _)| g == name)
            .map(|(_, s)| {
                let met = median(&mut share[i].clone()) >= *s;
                format!(
                    "≥ {:.0} % {}",
                    s * 100.0,
                    if met { "MET" } else { "MISSED" }
                )
            })
            .unwrap_or_default();
        t.row(vec![
            name.to_string(),
            format!("{:.0}", median(&mut rps[i])),
            format!("{:.1} %", 100.0 * median(&mut share[i])),
            goal,
        ]);
    }
    t.print();
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let load = Load {
        secs: arg("secs", 10),
        conns: arg("conns", 32),
        threads: arg("threads", 2),
    };
    let rounds: usize = arg("rounds", 3);
    let pg: String = arg("pg", String::new());
    let bin = binary()?;
    let dir = Scratch::new("http")?;

    let db = format!("sqlite://{}", dir.path("l.db").display());
    let server = Server::start(&bin, &db, &dir.path("sqlite.log"))?;
    measure("SQLite", &server, &load, rounds)?;
    drop(server);

    if !pg.is_empty() {
        // A fresh schema, so the demo zone loads into an empty database.
        let schema = format!("bench_http_{}", std::process::id());
        let rt = tokio::runtime::Runtime::new()?;
        rt.block_on(async {
            let admin = lianshi_store::Db::connect(&pg).await?;
            lianshi_store::sql::query(&format!("CREATE SCHEMA {schema}"))
                .execute(admin.writer())
                .await?;
            admin.close().await;
            anyhow::Ok(())
        })?;
        let sep = if pg.contains('?') { '&' } else { '?' };
        let url = format!("{pg}{sep}options=-c%20search_path%3D{schema}");
        let server = Server::start(&bin, &url, &dir.path("pg.log"))?;
        let result = measure("PostgreSQL", &server, &load, rounds);
        drop(server);
        rt.block_on(async {
            let admin = lianshi_store::Db::connect(&pg).await?;
            lianshi_store::sql::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(admin.writer())
                .await?;
            admin.close().await;
            anyhow::Ok(())
        })?;
        result?;
    }
    Ok(())
}
