//! `service`: work orders at scale (issue 3, "Performance"). With 1,000,000 orders and
//! 10,000,000 history events on SQLite, measures through the real paths:
//! (1) the zone figures for the last year (`App::service_figures`, what `lianshi report service`
//! calls), goal < 200 ms; (2) an order page, API `GET /api/v1/orders/{id}` and HTML
//! `/orders/{id}` through `lianshi_web::router` in-process, goal p99 < 20 ms; (3) the SLA scan of
//! all open orders (`App::sla_scan`, first run escalates, then a second run), goal < 1 s.
//!
//! Data: the demo zone with 20,000 enterprises (`demo_load`, whose ~4,400 orders went through
//! the real state machine) is the template; its orders with history, pauses, callbacks,
//! co-handlers and council proposals are cloned in SQL (`INSERT … SELECT`) to 1,000,000 orders,
//! closed ones shifted back in steps over a further year, open ones by at most 19 days (so ~8.5%
//! stay open, some overdue). The demo paths have at most 9 events per order (6.8 on average), so
//! clones get duplicate non-acceptance events (adjacent ids, same time) to reach 10,000,000
//! events; the figures read only `accepted` events, so padding changes history length and index
//! size, not figures. Secondary indexes are dropped during the load and recreated from their
//! migration SQL. Cached at `bench/out/service-1m.db` (delete to rebuild); each run measures on a
//! scratch copy, since the scan writes.
//!
//! Scans: the first run escalates (90 % of the open clones are overdue, a heavy case), the second
//! again (levels climb one step per run), then reruns at the same moment until one changes
//! nothing (the steady state a daily job sees). `--check 1` also compares the fast report with
//! `App::service_figures_recomputed` (minutes at a million orders).
//!
//! `cargo run --release -p lianshi-bench --bin service -- [--orders 1000000] [--events 10000000] [--pages 300] [--runs 5] [--check 0] [--parts report,pages,scan] [--from DB] [--keep 0]`
//! (`--parts` picks measures; `--from` copies another database than the cache, e.g. a caught-up
//! state kept by `--keep 1`, which leaves the scratch folder with `caught-up.db`.)

use anyhow::{Context, anyhow};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use lianshi_app::{Actor, App, Source};
use lianshi_bench::{Scratch, Table, arg, ms, open_app, percentile, sqlite_url};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tower::ServiceExt;

const OPEN: &str = "'registered','accepted','dispatched','in_progress','returned','suspended'";
/// Minutes a closed clone of pass k is shifted back per pass (k × 1.6 days: a year over ~227 passes).
const STEP_MINUTES: i64 = 2304;
/// Order ids of pass k: k × ORDER_STRIDE + template id; event ids: (k × EVENT_STRIDE + template id) × 2 (+1 padding).
const ORDER_STRIDE: i64 = 10_000;
const EVENT_STRIDE: i64 = 100_000;

fn cache_path(orders: i64) -> PathBuf {
    let name = if orders == 1_000_000 {
        "service-1m.db".to_string()
    } else {
        format!("service-{orders}.db")
    };
    Path::new(env!("CARGO_MANIFEST_DIR")).join("out").join(name)
}

async fn exec(tx: &mut lianshi_store::Tx, sql: &str) -> anyhow::Result<u64> {
    Ok(lianshi_store::sql::query(sql)
        .execute(tx.conn())
        .await
        .with_context(|| sql.chars().take(120).collect::<String>())?
        .rows_affected())
}

async fn scalar(app: &App, sql: &str) -> anyhow::Result<i64> {
    Ok(lianshi_store::sql::query(sql)
        .fetch_one(app.db.reader())
        .await?
        .try_get::<i64, _>(0)?)
}

fn ts(col: &str) -> String {
    format!("strftime('%Y-%m-%dT%H:%M:%fZ', {col}, '-' || m.mins || ' minutes')")
}

/// Build the cached database (once).
async fn build(path: &Path, orders: i64, events: i64) -> anyhow::Result<()> {
    let part = path.with_extension("db.part");
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", part.display()));
    }
    std::fs::create_dir_all(path.parent().context("cache folder")?)?;
    println!(
        "building {} ({orders} orders, {events} events; once)…",
        path.display()
    );
    let t0 = Instant::now();
    let app = open_app(&sqlite_url(&part)).await?;
    app.demo_load(&Actor::system(Source::Demo), 20_000, 1)
        .await
        .map_err(|e| anyhow!("demo: {}", e.message()))?;
    println!(
        "  demo zone, 20,000 enterprises: {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let t1 = Instant::now();
    let tpl_n = scalar(&app, "SELECT COUNT(*) FROM orders").await?;
    let tpl_max = scalar(&app, "SELECT MAX(id) FROM orders").await?;
    let tpl_ev_max = scalar(&app, "SELECT MAX(id) FROM order_events").await?;
    anyhow::ensure!(
        tpl_max < ORDER_STRIDE && tpl_ev_max < EVENT_STRIDE,
        "template too large"
    );
    let passes = (orders - tpl_n + tpl_n - 1) / tpl_n;
    let last_take = orders - tpl_n - (passes - 1) * tpl_n;
    let mut tx = app.db.begin().await?;
    for sql in [
        "CREATE TABLE bench_ev AS SELECT * FROM order_events".to_string(),
        "CREATE TABLE bench_ps AS SELECT * FROM order_pauses".into(),
        "CREATE TABLE bench_cb AS SELECT * FROM order_callbacks".into(),
        "CREATE TABLE bench_co AS SELECT * FROM order_cohandlers".into(),
        "CREATE TABLE bench_cp AS SELECT * FROM council_proposals".into(),
        "CREATE TABLE bench_map (new_id INTEGER PRIMARY KEY, tpl_id INTEGER NOT NULL, k INTEGER NOT NULL, mins INTEGER NOT NULL)".into(),
        format!(
            "WITH RECURSIVE p(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM p WHERE k < {passes}) \
             INSERT INTO bench_map SELECT p.k * {ORDER_STRIDE} + o.id, o.id, p.k, \
             CASE WHEN o.state IN ({OPEN}) THEN (p.k % 20) * 1440 ELSE p.k * {STEP_MINUTES} END \
             FROM p CROSS JOIN (SELECT id, state, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM orders) o \
             WHERE p.k < {passes} OR o.rn <= {last_take}"
        ),
        "CREATE INDEX bench_map_k ON bench_map(k, tpl_id)".into(),
    ] {
        exec(&mut tx, &sql).await?;
    }
    // Drop the secondary indexes of the bulk tables; recreate them from their own SQL after.
    let idx: Vec<(String, String)> = lianshi_store::sql::query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
         AND tbl_name IN ('orders','order_events','order_pauses','order_callbacks','order_cohandlers','council_proposals')",
    )
    .fetch_all(tx.conn())
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect::<anyhow::Result<_>>()?;
    for (name, _) in &idx {
        exec(&mut tx, &format!("DROP INDEX {name}")).await?;
    }
    tx.commit().await?;
    // Padding: share (per 10,007) of eligible clone events that get a duplicate.
    let clone_ev = scalar(
        &app,
        "SELECT COALESCE(SUM(c), 0) FROM bench_map m JOIN (SELECT order_id, COUNT(*) AS c FROM bench_ev GROUP BY order_id) e ON e.order_id = m.tpl_id",
    )
    .await?;
    let eligible = scalar(
        &app,
        "SELECT COALESCE(SUM(c), 0) FROM bench_map m JOIN (SELECT order_id, COUNT(*) AS c FROM bench_ev WHERE event NOT IN ('registered','accepted') GROUP BY order_id) e ON e.order_id = m.tpl_id",
    )
    .await?;
    let base_ev = scalar(&app, "SELECT COUNT(*) FROM bench_ev").await?;
    let need = (events - base_ev - clone_ev).max(0);
    let thr = ((need as f64 / eligible.max(1) as f64) * 10_007.0).round() as i64;
    let order_cols = "enterprise_id, title, description, category, tags_json, urgency, channel, node_id, chain_id, visit_id, parent_id, state, resume_to, department_id, extension_json, extension_days, supervision_level, reopen_count, return_count, rating, sla_limit";
    let chunk = 20;
    let mut k0 = 1;
    while k0 <= passes {
        let k1 = (k0 + chunk - 1).min(passes);
        let w = format!("m.k BETWEEN {k0} AND {k1}");
        let mut tx = app.db.begin().await?;
        exec(&mut tx, &format!(
            "INSERT INTO orders (id, {order_cols}, sla_start, due_at, stopped_at, created_by, created_by_name, created_at, updated_at, closed_at, version) \
             SELECT m.new_id, {oc}, {}, {}, {}, o.created_by, o.created_by_name, {}, {}, {}, o.version \
             FROM bench_map m JOIN orders o ON o.id = m.tpl_id WHERE {w}",
            ts("o.sla_start"), ts("o.due_at"), ts("o.stopped_at"), ts("o.created_at"), ts("o.updated_at"), ts("o.closed_at"),
            oc = order_cols.split(", ").map(|c| format!("o.{c}")).collect::<Vec<_>>().join(", ")
        )).await?;
        let ev_sel = |id: &str, extra: &str| {
            format!(
                "INSERT INTO order_events (id, order_id, actor_id, actor_name, from_state, to_state, event, payload_json, at) \
                 SELECT {id}, m.new_id, e.actor_id, e.actor_name, e.from_state, e.to_state, e.event, e.payload_json, {} \
                 FROM bench_map m JOIN bench_ev e ON e.order_id = m.tpl_id WHERE {w}{extra}",
                ts("e.at")
            )
        };
        exec(
            &mut tx,
            &ev_sel(&format!("(m.k * {EVENT_STRIDE} + e.id) * 2"), ""),
        )
        .await?;
        exec(&mut tx, &ev_sel(
            &format!("(m.k * {EVENT_STRIDE} + e.id) * 2 + 1"),
            &format!(" AND e.event NOT IN ('registered','accepted') AND ((e.id * 7919 + m.k * 104729) % 10007) < {thr}"),
        )).await?;
        exec(&mut tx, &format!(
            "INSERT INTO order_pauses (id, order_id, from_at, to_at, reason) SELECT m.k * {EVENT_STRIDE} + p.id, m.new_id, {}, {}, p.reason \
             FROM bench_map m JOIN bench_ps p ON p.order_id = m.tpl_id WHERE {w}", ts("p.from_at"), ts("p.to_at"))).await?;
        exec(&mut tx, &format!(
            "INSERT INTO order_callbacks (id, order_id, rating, comment, department_id, by_id, by_name, by_role, at) \
             SELECT m.k * {EVENT_STRIDE} + c.id, m.new_id, c.rating, c.comment, c.department_id, c.by_id, c.by_name, c.by_role, {} \
             FROM bench_map m JOIN bench_cb c ON c.order_id = m.tpl_id WHERE {w}", ts("c.at"))).await?;
        exec(&mut tx, &format!(
            "INSERT INTO order_cohandlers (order_id, department_id) SELECT m.new_id, c.department_id \
             FROM bench_map m JOIN bench_co c ON c.order_id = m.tpl_id WHERE {w}")).await?;
        exec(&mut tx, &format!(
            "INSERT INTO council_proposals (order_id, chain_id, level, proposed_at) SELECT m.new_id, c.chain_id, c.level, {} \
             FROM bench_map m JOIN bench_cp c ON c.order_id = m.tpl_id WHERE {w}", ts("c.proposed_at"))).await?;
        tx.commit().await?;
        println!(
            "  passes {k0}–{k1} of {passes}: {:.1} s",
            t1.elapsed().as_secs_f64()
        );
        k0 = k1 + 1;
    }
    let t2 = Instant::now();
    let mut tx = app.db.begin().await?;
    for (_, sql) in &idx {
        exec(&mut tx, sql).await?;
    }
    for t in [
        "bench_ev",
        "bench_ps",
        "bench_cb",
        "bench_co",
        "bench_cp",
        "bench_map",
    ] {
        exec(&mut tx, &format!("DROP TABLE {t}")).await?;
    }
    tx.commit().await?;
    println!("  indexes recreated: {:.1} s", t2.elapsed().as_secs_f64());
    lianshi_store::sql::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(app.db.writer())
        .await?;
    app.db.close().await;
    std::fs::rename(&part, path)?;
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", part.display()));
    }
    println!("  built in {:.1} s", t0.elapsed().as_secs_f64());
    Ok(())
}

async fn get(
    router: &axum::Router,
    uri: &str,
    auth: (&str, String),
) -> anyhow::Result<(StatusCode, usize)> {
    let req = Request::builder()
        .uri(uri)
        .header(auth.0, auth.1)
        .body(Body::empty())?;
    let resp = router.clone().oneshot(req).await?;
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await?;
    Ok((status, body.len()))
}

/// `pages` random order pages (API and HTML) after 20 warm-up requests: the durations, sorted.
async fn order_pages(app: &App, pages: usize) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    let ids: Vec<i64> = lianshi_store::sql::query("SELECT id FROM orders ORDER BY id")
        .fetch_all(app.db.reader())
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>(0))
        .collect::<Result<_, _>>()?;
    let mut x: u64 = 2026;
    let mut pick = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ids[((x >> 33) as usize) % ids.len()]
    };
    let (bearer_h, cookie_h) = lianshi_bench::admin_headers(app).await?;
    let bearer = || bearer_h.clone();
    let cookie = || cookie_h.clone();
    let router = lianshi_web::router(app.clone());
    let (mut api, mut page) = (Vec::new(), Vec::new());
    let (mut api_bytes, mut page_bytes) = (0, 0);
    for i in 0..pages + 20 {
        let id = pick();
        let t = Instant::now();
        let (st, n) = get(&router, &format!("/api/v1/orders/{id}"), bearer()).await?;
        let d1 = t.elapsed();
        anyhow::ensure!(st == StatusCode::OK, "api {id}: {st}");
        let t = Instant::now();
        let (st, m) = get(&router, &format!("/orders/{id}"), cookie()).await?;
        let d2 = t.elapsed();
        anyhow::ensure!(st == StatusCode::OK, "page {id}: {st}");
        if i >= 20 {
            api.push(d1);
            page.push(d2);
            api_bytes += n;
            page_bytes += m;
        }
    }
    api.sort();
    page.sort();
    println!(
        "  order pages: {pages} random ids after 20 warm-up; mean body API {} B, page {} B",
        api_bytes / pages.max(1),
        page_bytes / pages.max(1)
    );
    Ok((api, page))
}

/// One SLA scan at `at`, timed and printed.
async fn scan(
    app: &App,
    actor: &Actor,
    at: chrono::DateTime<chrono::Utc>,
    label: &str,
) -> anyhow::Result<(Duration, Duration, lianshi_app::order::sla::ScanReport)> {
    // Start from a checkpointed log, as a daily job finds it (the background checkpointer runs
    // once a second), so a measure does not depend on when the last tick fell.
    app.db.checkpoint().await?;
    let t = Instant::now();
    let r = app
        .sla_scan(actor, at)
        .await
        .map_err(|e| anyhow!("scan: {}", e.message()))?;
    let d = t.elapsed();
    // What the background checkpointer then does with the scan's pages (not part of the scan:
    // its writes are committed before this starts), timed here so it is not hidden.
    let t = Instant::now();
    let c = app.db.checkpoint().await?.unwrap_or_default();
    let cd = t.elapsed();
    println!(
        "  {label}: {} ms — {} open, {} overdue, {} supervised, {} proposed, {} conflicts; then checkpoint {} ms ({} pages)",
        ms(d),
        r.open_orders,
        r.overdue,
        r.supervised.len(),
        r.proposed.len(),
        r.conflicts,
        ms(cd),
        c.log
    );
    Ok((d, cd, r))
}

/// Copy a database file and wait until the copy is on disk, so the kernel's writeback of 3 GB
/// does not run during the measures that follow (it moved single scans by ±40 %).
fn copy_synced(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::copy(from, to)?;
    std::fs::File::open(to)?.sync_all()?;
    Ok(())
}

/// UTC → China-local time (the SLA clock's zone, UTC+8).
fn local(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    t.naive_utc() + chrono::Duration::hours(8)
}

/// China-local time → UTC.
fn utc(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    (t - chrono::Duration::hours(8)).and_utc()
}

fn median(v: &[Duration]) -> Duration {
    let mut s = v.to_vec();
    s.sort();
    s[s.len() / 2]
}

fn verdict(got: Duration, goal: Duration) -> Vec<String> {
    let r = got.as_secs_f64() / goal.as_secs_f64();
    vec![
        ms(got),
        ms(goal),
        format!("{r:.2}"),
        if r < 1.0 { "met" } else { "MISSED" }.into(),
    ]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let orders: i64 = arg("orders", 1_000_000);
    let events: i64 = arg("events", 10_000_000);
    let pages: usize = arg("pages", 300);
    let runs: usize = arg("runs", 5);
    let check = arg::<usize>("check", 0) != 0;
    let parts: String = arg("parts", "report,pages,scan".to_string());
    // Development aids: measure on a copy of another database (e.g. a kept caught-up state)
    // and keep the scratch folder.
    let from: String = arg("from", String::new());
    let keep = arg::<usize>("keep", 0) != 0;
    let cache = cache_path(orders);
    if !cache.exists() {
        build(&cache, orders, events).await?;
    }
    {
        // Apply migrations added since the cache was built (e.g. 0007's backfill) once, to the
        // cache itself, so the runs below do not repeat them on each scratch copy.
        let t = Instant::now();
        let app = open_app(&sqlite_url(&cache)).await?;
        lianshi_store::sql::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(app.db.writer())
            .await?;
        app.db.close().await;
        println!("cache migrated: {:.1} s", t.elapsed().as_secs_f64());
    }
    let dir = Scratch::new("service")?;
    let work = dir.path("work.db");
    let t = Instant::now();
    copy_synced(
        if from.is_empty() {
            cache.as_path()
        } else {
            Path::new(&from)
        },
        &work,
    )?;
    println!("scratch copy: {:.1} s", t.elapsed().as_secs_f64());
    let app = open_app(&sqlite_url(&work)).await?;
    let actor = Actor::system(Source::Cli);
    let now = chrono::Utc::now();
    let to = App::today();
    let from = to - chrono::Duration::days(364);
    let n_orders = scalar(&app, "SELECT COUNT(*) FROM orders").await?;
    let n_events = scalar(&app, "SELECT COUNT(*) FROM order_events").await?;
    let n_open = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM orders WHERE state IN ({OPEN})"),
    )
    .await?;
    let n_year = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM orders WHERE created_at >= '{from}'"),
    )
    .await?;
    let n_pauses = scalar(&app, "SELECT COUNT(*) FROM order_pauses").await?;
    let n_cb = scalar(&app, "SELECT COUNT(*) FROM order_callbacks").await?;
    println!(
        "service bench: {n_orders} orders ({n_open} open, {n_year} created in {from}..{to}), {n_events} events, {n_pauses} pauses, {n_cb} callbacks; {} MB",
        std::fs::metadata(&cache)?.len() / 1_000_000
    );

    // (1) Zone figures for the last year.
    let mut rep = Vec::new();
    let mut received = 0;
    for i in 0..=runs {
        if !parts.contains("report") {
            break;
        }
        let t = Instant::now();
        let r = app
            .service_figures(&actor, from, to, now)
            .await
            .map_err(|e| anyhow!("report: {}", e.message()))?;
        let d = t.elapsed();
        received = r.zone.orders_received;
        println!(
            "  report run {i}: {} ms{}",
            ms(d),
            if i == 0 { " (first, cold)" } else { "" }
        );
        if i > 0 {
            rep.push(d);
        }
    }
    rep.sort();
    if check && parts.contains("report") {
        // The fast path against the straightforward recomputation (slow: minutes).
        let t = Instant::now();
        let fast = app
            .service_figures(&actor, from, to, now)
            .await
            .map_err(|e| anyhow!("report: {}", e.message()))?;
        let slow = app
            .service_figures_recomputed(&actor, from, to, now)
            .await
            .map_err(|e| anyhow!("report: {}", e.message()))?;
        anyhow::ensure!(fast == slow, "fast figures differ from the recomputation");
        println!(
            "  check: fast report equals the recomputation ({:.1} s)",
            t.elapsed().as_secs_f64()
        );
    }

    // (2) Order pages.
    let (api, page) = if parts.contains("pages") {
        order_pages(&app, pages).await?
    } else {
        (Vec::new(), Vec::new())
    };

    // (3) SLA scan.
    let mut scans = Vec::new();
    let mut steady = None;
    let mut later = Vec::new();
    if parts.contains("scan") {
        for i in 0..12 {
            let (d, _, r) = scan(&app, &actor, now, &format!("scan run {}", i + 1)).await?;
            if i < 2 {
                scans.push(d);
            } else if r.supervised.is_empty() && r.proposed.is_empty() {
                // Levels climb one step per run: rerun at the same moment until nothing changes.
                steady = Some((i + 1, d));
                break;
            }
        }
        // (4) What the daily job sees once caught up: the clock one working day on (the next
        // working day after the clock's reading, at the reading's time of day), and one week on
        // (7 calendar days) from the same caught-up state, on a copy of it.
        let cal = app
            .calendar()
            .await
            .map_err(|e| anyhow!("calendar: {}", e.message()))?;
        let reading = lianshi_app::order::sla::clock_reading(&cal, local(now));
        let next = cal
            .next_workday(reading.date())
            .context("no next working day")?;
        let day_at = utc(next.and_time(reading.time()));
        let week_at = now + chrono::Duration::days(7);
        lianshi_store::sql::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(app.db.writer())
            .await?;
        let week = dir.path("week.db");
        copy_synced(&work, &week)?;
        if keep {
            copy_synced(&work, &dir.path("caught-up.db"))?;
        }
        let (d, cd, r) = scan(
            &app,
            &actor,
            day_at,
            &format!("next working day ({day_at})"),
        )
        .await?;
        later.push((format!("next working day ({})", r.supervised.len()), d, cd));
        scan(&app, &actor, day_at, "  again at the same moment").await?;
        let app2 = open_app(&sqlite_url(&week)).await?;
        // Warm the copy's process state and page cache as the runs above were (nothing to do).
        scan(&app2, &actor, now, "week copy, at the caught-up moment").await?;
        let (d, cd, r) = scan(&app2, &actor, week_at, &format!("one week on ({week_at})")).await?;
        later.push((format!("one week on ({})", r.supervised.len()), d, cd));
        scan(&app2, &actor, week_at, "  again at the same moment").await?;
        app2.db.close().await;
    }

    println!();
    let mut t = Table::new(&["measure", "ms", "goal ms", "ratio", ""]);
    let row = |label: &str, got, goal| {
        let mut v = vec![label.to_string()];
        v.extend(verdict(got, goal));
        v
    };
    let g200 = Duration::from_millis(200);
    let g20 = Duration::from_millis(20);
    let g1s = Duration::from_secs(1);
    if !rep.is_empty() {
        t.row(row(
            &format!("zone figures, year ({received} orders), min of {runs}"),
            rep[0],
            g200,
        ));
        t.row(row("zone figures, year, median", median(&rep), g200));
    }
    if !api.is_empty() {
        t.row(row("order API p50", percentile(&api, 50.0), g20));
        t.row(row("order API p99", percentile(&api, 99.0), g20));
        t.row(row("order page p50", percentile(&page, 50.0), g20));
        t.row(row("order page p99", percentile(&page, 99.0), g20));
    }
    if scans.len() == 2 {
        t.row(row("SLA scan, first run (escalates)", scans[0], g1s));
        t.row(row("SLA scan, second run", scans[1], g1s));
    }
    if let Some((k, d)) = steady {
        t.row(row(
            &format!("SLA scan, run {k} (nothing left to escalate)"),
            d,
            g1s,
        ));
    }
    for (label, d, cd) in later {
        t.row(row(
            &format!("SLA scan, caught up, clock {label} escalated)"),
            d,
            g1s,
        ));
        t.row(vec![
            "  then the background checkpoint of its pages".into(),
            ms(cd),
            "—".into(),
            "—".into(),
            "(after)".into(),
        ]);
    }
    t.print();
    if keep {
        println!("kept {}", dir.0.display());
        std::mem::forget(dir);
    }
    Ok(())
}
