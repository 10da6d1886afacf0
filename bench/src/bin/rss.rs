//! `rss`: memory of the release binary serving the demo zone. Starts
//! `target/release/lianshi --db sqlite://TMP/l.db serve --demo --addr 127.0.0.1:PORT` as a child,
//! waits for `/healthz`, reads its RSS (the idle baseline), logs in (API token and browser
//! session), drives a few hundred requests over the pages and the API (lists, filters, details,
//! exports), then reads `VmRSS` and `VmHWM` from `/proc/PID/status`. Peer: the 200 MB goal and
//! the same binary right after start.
//!
//! `cargo run --release -p lianshi-bench --bin rss -- [--requests 400]`

use anyhow::{Context, anyhow, bail};
use lianshi_bench::server::{Server, binary, form_escape, http};
use lianshi_bench::{Scratch, Table, arg};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const GOAL_MB: f64 = 200.0;

/// (VmRSS, VmHWM) in kB.
fn memory(pid: u32) -> anyhow::Result<(u64, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        s.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| anyhow!("no {name} in /proc/{pid}/status"))
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

fn main() -> anyhow::Result<()> {
    let requests: usize = arg("requests", 400);
    let bin = binary()?;
    let dir = Scratch::new("rss")?;
    let db = format!("sqlite://{}", dir.path("l.db").display());
    let server = Server::start(&bin, &db, &dir.path("server.log"))?;
    let (addr, pid, startup) = (server.addr, server.pid(), server.startup);
    std::thread::sleep(Duration::from_millis(300));
    let (idle_rss, idle_hwm) = memory(pid)?;
    println!(
        "rss bench: {} serving the demo zone (2000 enterprises) on {addr}; healthy after {:.1} s",
        bin.display(),
        startup.as_secs_f64()
    );

    // Log in: API token and browser session.
    let token = server.token("admin")?;
    let bearer = ("Authorization", format!("Bearer {token}"));
    let login = http(addr, "GET", "/login", &[], b"")?;
    let login_csrf = login
        .cookie(lianshi_web::auth::LOGIN_CSRF_COOKIE)
        .ok_or_else(|| {
            anyhow!(
                "GET /login set no {} cookie",
                lianshi_web::auth::LOGIN_CSRF_COOKIE
            )
        })?;
    let form = format!(
        "username=admin&password={}&_csrf={}",
        form_escape(lianshi_domain::demo::DEMO_PASSWORD),
        form_escape(&login_csrf)
    );
    let r = http(
        addr,
        "POST",
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded".into()),
            (
                "Cookie",
                format!("{}={login_csrf}", lianshi_web::auth::LOGIN_CSRF_COOKIE),
            ),
        ],
        form.as_bytes(),
    )?;
    let session = r
        .cookie(lianshi_web::auth::SESSION_COOKIE)
        .ok_or_else(|| anyhow!("POST /login answered {} without a session cookie", r.status))?;
    let cookie = (
        "Cookie",
        format!("{}={session}", lianshi_web::auth::SESSION_COOKIE),
    );

    // Credit codes to open, from the API list.
    let r = http(
        addr,
        "GET",
        "/api/v1/enterprises?per_page=50",
        std::slice::from_ref(&bearer),
        b"",
    )?;
    let v: serde_json::Value = serde_json::from_slice(&r.body).context("list response")?;
    let usccs: Vec<String> = v["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["uscc"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if usccs.is_empty() {
        bail!("the demo list is empty: {v}");
    }

    let filters = [
        "",
        "page=5",
        "page=50",
        "ecosystem=iot",
        "chain=vision",
        "chain=ic&page=3",
        "node=vision.chip",
        "tag=%E9%AB%98%E6%96%B0%E6%8A%80%E6%9C%AF%E4%BC%81%E4%B8%9A",
        "size=small",
        "q=%E6%99%BA%E8%83%BD",
        "per_page=200",
        "after=1000",
    ];
    let pages = [
        "/",
        "/enterprises",
        "/enterprises/new",
        "/enterprises/import",
        "/registry",
        "/users",
        "/audit",
    ];
    let mut plan: Vec<(bool, String)> = Vec::new(); // (api?, path)
    let mut i = 0;
    while plan.len() < requests {
        let f = filters[i % filters.len()];
        let u = &usccs[i % usccs.len()];
        plan.push((true, format!("/api/v1/enterprises?{f}")));
        plan.push((false, format!("/enterprises?{f}")));
        plan.push((true, format!("/api/v1/enterprises/{u}")));
        plan.push((false, format!("/enterprises/{u}")));
        plan.push((false, pages[i % pages.len()].to_string()));
        if i % 10 == 0 {
            plan.push((false, format!("/enterprises/{u}/edit")));
            plan.push((true, "/api/v1/registry".into()));
            plan.push((true, "/api/v1/audit".into()));
            plan.push((true, "/api/v1/users".into()));
        }
        if i % 20 == 0 {
            plan.push((true, "/api/v1/enterprises/export?format=csv".into()));
            plan.push((true, "/api/v1/enterprises/export?format=xlsx".into()));
            plan.push((false, "/enterprises/export.xlsx?chain=vision".into()));
            plan.push((false, "/enterprises/export.csv".into()));
        }
        i += 1;
    }
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut failed: BTreeMap<String, u16> = BTreeMap::new();
    let mut bytes = 0usize;
    let t = Instant::now();
    for (api, path) in &plan {
        let auth = if *api { bearer.clone() } else { cookie.clone() };
        let r = http(addr, "GET", path, &[auth], b"")?;
        *statuses.entry(r.status).or_default() += 1;
        if r.status != 200 {
            failed.insert(path.split('?').next().unwrap_or(path).to_string(), r.status);
        }
        bytes += r.body.len();
    }
    let drive = t.elapsed();
    let (rss, hwm) = memory(pid)?;
    drop(server);

    let mb = |kb: u64| kb as f64 / 1024.0;
    println!(
        "drove {} requests ({:.1} MB of responses) in {:.1} s; statuses {:?}",
        plan.len(),
        bytes as f64 / 1e6,
        drive.as_secs_f64(),
        statuses
    );
    if !failed.is_empty() {
        println!("non-200 answers (path: status): {failed:?}");
    }
    println!();
    let mut t = Table::new(&["measure", "MB", "goal MB", "÷ goal", "× idle RSS"]);
    let row = |label: &str, kb: u64| {
        vec![
            label.to_string(),
            format!("{:.1}", mb(kb)),
            format!("{GOAL_MB:.0}"),
            format!("{:.2}", mb(kb) / GOAL_MB),
            format!("{:.2}", kb as f64 / idle_rss as f64),
        ]
    };
    t.row(row("VmRSS right after start (idle baseline)", idle_rss));
    t.row(row("VmHWM right after start (incl. demo load)", idle_hwm));
    t.row(row("VmRSS after the request mix", rss));
    t.row(row("VmHWM (peak) after the request mix", hwm));
    t.print();
    println!();
    println!(
        "goal: serving the demo zone under {GOAL_MB:.0} MB RSS → {} (peak {:.1} MB)",
        if mb(hwm) < GOAL_MB { "MET" } else { "MISSED" },
        mb(hwm)
    );
    Ok(())
}
