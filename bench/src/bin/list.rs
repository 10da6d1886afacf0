//! `list`: the enterprise list API (`/api/v1/enterprises?…`) and page (`/enterprises?…`) at N
//! enterprises, filtered and paged, through the real router in-process (`tower::oneshot`).
//! Peers: the goal (p50 < 20 ms, p99 < 100 ms) and, as the floor, a bare `SELECT … LIMIT 20`
//! with the same filter through the same driver and pool, timed interleaved with the requests.
//!
//! The database is built once through the import path and cached at `bench/out/list-1m.db`
//! (`list-N.db` for other N); delete it to rebuild.
//!
//! `cargo run --release -p lianshi-bench --bin list -- [--n 1000000] [--iter 25]`

use anyhow::{Context, anyhow, bail};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use lianshi_app::import::ImportOptions;
use lianshi_app::{Actor, App, Source};
use lianshi_bench::server::form_escape as esc;
use lianshi_bench::{Scratch, Table, arg, fresh_zone, ms, open_app, percentile, sqlite_url};
use lianshi_domain::zone::RegistryKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// One kind of list request and its floor query.
struct Kind {
    label: &'static str,
    /// Query string of the API and page (already percent-encoded).
    query: String,
    /// WHERE clause of the floor query (`$n` placeholders), empty for none.
    floor_where: String,
    floor_args: Vec<FloorArg>,
    floor_offset: i64,
}

#[derive(Clone)]
enum FloorArg {
    I(i64),
    S(String),
}

fn cache_path(n: usize) -> PathBuf {
    let name = if n == 1_000_000 {
        "list-1m.db".to_string()
    } else {
        format!("list-{n}.db")
    };
    Path::new(env!("CARGO_MANIFEST_DIR")).join("out").join(name)
}

/// Build the cached database through the import path (once).
async fn build_cache(path: &Path, n: usize) -> anyhow::Result<()> {
    let dir = Scratch::new("list-build")?;
    let csv = dir.path("enterprises.csv");
    println!(
        "building {} ({n} enterprises, import path; once)…",
        path.display()
    );
    let t = Instant::now();
    let rows = lianshi_bench::write_demo_csv(&csv, n)?;
    let part = path.with_extension("db.part");
    std::fs::create_dir_all(path.parent().context("cache folder")?)?;
    let app = fresh_zone(&part).await?;
    let bytes = std::fs::read(&csv)?;
    let r = app
        .enterprise_import(
            &Actor::system(Source::Import),
            &bytes,
            ImportOptions::default(),
        )
        .await
        .map_err(|e| anyhow!("import: {}", e.message()))?;
    if !r.written || r.created != rows {
        bail!("cache import wrote {} of {rows} rows", r.created);
    }
    lianshi_store::sql::query("ANALYZE")
        .execute(app.db.writer())
        .await?;
    app.db.close().await;
    std::fs::rename(&part, path)?;
    println!("built in {:.0} s", t.elapsed().as_secs_f64());
    Ok(())
}

async fn kinds(app: &App) -> anyhow::Result<Vec<Kind>> {
    let idx = app.registry().await.map_err(|e| anyhow!(e.message()))?;
    let id = |kind: RegistryKind, key: &str| -> anyhow::Result<i64> {
        idx.find(kind, key)
            .map(|r| r.id)
            .ok_or_else(|| anyhow!("demo zone has no {} {key}", kind.as_str()))
    };
    let zone = lianshi_domain::demo::zone();
    let street = &zone.streets[0];
    let park = street.parks.first().context("demo street without park")?;
    let eco = &zone.ecosystems[0];
    let chain = &eco.chains[0];
    let node = &chain.nodes[1];
    let tag = lianshi_domain::enterprise::KNOWN_TAGS[0];
    let eco_id = id(RegistryKind::Ecosystem, &eco.code)?;
    let chain_id = id(RegistryKind::Chain, &chain.code)?;
    let node_id = id(RegistryKind::ChainNode, &node.code)?;
    let street_id = id(RegistryKind::Street, &street.code)?;
    let park_id = id(RegistryKind::Park, &park.name)?;
    // A common name word and a rare one (the name of an enterprise late in the stream).
    let common = "智能".to_string();
    let rare = {
        let r = lianshi_store::sql::query("SELECT name FROM enterprises ORDER BY id DESC LIMIT 1")
            .fetch_one(app.db.reader())
            .await?;
        let name: String = r.try_get("name")?;
        name.chars().take(6).collect::<String>()
    };
    let in_nodes = |col: &str, n: usize| {
        format!("e.id IN (SELECT enterprise_id FROM enterprise_nodes WHERE {col} = ${n})")
    };
    let in_tags =
        |n: usize| format!("e.id IN (SELECT enterprise_id FROM enterprise_tags WHERE tag = ${n})");
    let k = |label, query: String, w: String, a: Vec<FloorArg>, off| Kind {
        label,
        query,
        floor_where: w,
        floor_args: a,
        floor_offset: off,
    };
    use FloorArg::{I, S};
    let like = |n: usize| format!("(e.name LIKE ${n} OR e.uscc LIKE ${n})");
    Ok(vec![
        k("no filter, page 1", String::new(), String::new(), vec![], 0),
        k(
            "no filter, page=500",
            "page=500".into(),
            String::new(),
            vec![],
            9980,
        ),
        k(
            "ecosystem",
            format!("ecosystem={}", esc(&eco.code)),
            in_nodes("ecosystem_id", 1),
            vec![I(eco_id)],
            0,
        ),
        k(
            "chain",
            format!("chain={}", esc(&chain.code)),
            in_nodes("chain_id", 1),
            vec![I(chain_id)],
            0,
        ),
        k(
            "node",
            format!("node={}", esc(&node.code)),
            in_nodes("node_id", 1),
            vec![I(node_id)],
            0,
        ),
        k(
            "street",
            format!("street={}", esc(&street.code)),
            "e.street_id = $1".into(),
            vec![I(street_id)],
            0,
        ),
        k(
            "park",
            format!("park={}", esc(&park.name)),
            "e.park_id = $1".into(),
            vec![I(park_id)],
            0,
        ),
        k(
            "tag",
            format!("tag={}", esc(tag)),
            in_tags(1),
            vec![S(tag.into())],
            0,
        ),
        k(
            "size",
            "size=small".into(),
            "e.size_band = $1".into(),
            vec![S("small".into())],
            0,
        ),
        k(
            "chain + tag",
            format!("chain={}&tag={}", esc(&chain.code), esc(tag)),
            format!("{} AND {}", in_nodes("chain_id", 1), in_tags(2)),
            vec![I(chain_id), S(tag.into())],
            0,
        ),
        k(
            "street + size",
            format!("street={}&size=micro", esc(&street.code)),
            "e.street_id = $1 AND e.size_band = $2".into(),
            vec![I(street_id), S("micro".into())],
            0,
        ),
        k(
            "chain, page=500",
            format!("chain={}&page=500", esc(&chain.code)),
            in_nodes("chain_id", 1),
            vec![I(chain_id)],
            9980,
        ),
        k(
            "q= common word",
            format!("q={}", esc(&common)),
            like(1),
            vec![S(format!("%{common}%"))],
            0,
        ),
        k(
            "q= rare name",
            format!("q={}", esc(&rare)),
            like(1),
            vec![S(format!("%{rare}%"))],
            0,
        ),
        k(
            "after= keyset",
            "after=500000".into(),
            "e.id > $1".into(),
            vec![I(500_000)],
            0,
        ),
        k(
            "chain + after=",
            format!("chain={}&after=500000", esc(&chain.code)),
            format!("{} AND e.id > $2", in_nodes("chain_id", 1)),
            vec![I(chain_id), I(500_000)],
            0,
        ),
    ])
}

const FLOOR_COLS: &str = "e.id, e.uscc, e.name, e.industry_code, e.registered_on, e.ownership, e.street_id, e.park_id, e.building_id, e.address, e.headcount, e.tech_staff, e.revenue_fen, e.rd_fen, e.tax_fen, e.size_band, e.contact_name, e.contact_phone, e.created_at, e.updated_at, e.version";

/// The floor: a bare SELECT … LIMIT 20 with the same filter; returns the ids.
async fn floor(app: &App, k: &Kind) -> anyhow::Result<Vec<i64>> {
    let w = if k.floor_where.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", k.floor_where)
    };
    let sql = format!(
        "SELECT {FLOOR_COLS} FROM enterprises e{w} ORDER BY e.id LIMIT 20 OFFSET {}",
        k.floor_offset
    );
    let mut q = lianshi_store::sql::query(&sql);
    for a in &k.floor_args {
        q = match a {
            FloorArg::I(i) => q.bind(*i),
            FloorArg::S(s) => q.bind(s.clone()),
        };
    }
    let rows = q.fetch_all(app.db.reader()).await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<i64, _>("id")?))
        .collect()
}

async fn get(
    router: &axum::Router,
    uri: &str,
    auth: (&str, String),
) -> anyhow::Result<(StatusCode, Vec<u8>)> {
    let req = Request::builder()
        .uri(uri)
        .header(auth.0, auth.1)
        .body(Body::empty())?;
    let resp = router.clone().oneshot(req).await?;
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await?;
    Ok((status, body.to_vec()))
}

#[derive(Default)]
struct Samples {
    floor: Vec<Duration>,
    api: Vec<Duration>,
    page: Vec<Duration>,
    total: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = arg("n", 1_000_000);
    let iters: usize = arg("iter", 25);
    let budget = Duration::from_secs(arg("secs-per-kind", 20));
    let path = cache_path(n);
    if !path.exists() {
        build_cache(&path, n).await?;
    }
    let app = open_app(&sqlite_url(&path)).await?;
    let count: i64 = lianshi_store::sql::query("SELECT COUNT(*) AS n FROM enterprises")
        .fetch_one(app.db.reader())
        .await?
        .try_get("n")?;
    println!(
        "list bench: {count} enterprises in {}, release build, in-process router",
        path.display()
    );
    let (bearer_h, cookie_h) = lianshi_bench::admin_headers(&app).await?;
    let bearer = || bearer_h.clone();
    let cookie = || cookie_h.clone();
    let router = lianshi_web::router(app.clone());
    let kinds = kinds(&app).await?;

    // Cold: the first list request builds the in-memory list index from the store.
    let rss = || -> f64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            })
            .unwrap_or(0.0)
            / 1024.0
    };
    let rss_before = rss();
    let t = Instant::now();
    let (st, _) = get(
        &router,
        "/api/v1/enterprises?q=%E6%99%BA%E8%83%BD",
        bearer(),
    )
    .await?;
    let cold = t.elapsed();
    if st != StatusCode::OK {
        bail!("cold request answered {st}");
    }
    println!(
        "cold: first list request (builds the list index) {} ms; VmRSS {:.0} → {:.0} MB",
        ms(cold),
        rss_before,
        rss()
    );

    // Does the page exist?
    let (st, _) = get(&router, "/enterprises", cookie()).await?;
    let page_ok = st == StatusCode::OK;
    if !page_ok {
        println!("page /enterprises answered {st}: measuring the API only");
    }

    // Warm-up pass (not recorded) and correctness check: the API's ids equal the floor's and
    // its total equals a COUNT(*) of the floor's filter.
    let mut samples: Vec<Samples> = kinds.iter().map(|_| Samples::default()).collect();
    for (k, s) in kinds.iter().zip(samples.iter_mut()) {
        let ids = floor(&app, k).await?;
        let (st, body) = get(
            &router,
            &format!("/api/v1/enterprises?{}", k.query),
            bearer(),
        )
        .await?;
        if st != StatusCode::OK {
            bail!(
                "{}: API answered {st}: {}",
                k.label,
                String::from_utf8_lossy(&body)
            );
        }
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        let api_ids: Vec<i64> = v["items"]
            .as_array()
            .map(|a| a.iter().filter_map(|i| i["id"].as_i64()).collect())
            .unwrap_or_default();
        if api_ids != ids {
            bail!(
                "{}: API ids {api_ids:?} differ from the floor's {ids:?}",
                k.label
            );
        }
        let w = if k.floor_where.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", k.floor_where)
        };
        let count_sql = format!("SELECT COUNT(*) AS n FROM enterprises e{w}");
        let mut cq = lianshi_store::sql::query(&count_sql);
        for a in &k.floor_args {
            cq = match a {
                FloorArg::I(i) => cq.bind(*i),
                FloorArg::S(s) => cq.bind(s.clone()),
            };
        }
        let exact: i64 = cq.fetch_one(app.db.reader()).await?.try_get("n")?;
        // `total` counts the filter without the `after=` cursor, the floor's filter includes it.
        if !k.query.contains("after=") && v["total"].as_i64() != Some(exact) {
            bail!(
                "{}: API total {} differs from COUNT(*) {exact}",
                k.label,
                v["total"]
            );
        }
        s.total = match &v["total"] {
            serde_json::Value::Null => "-".into(),
            t => t.to_string(),
        };
        if page_ok {
            let (st, _) = get(&router, &format!("/enterprises?{}", k.query), cookie()).await?;
            if st != StatusCode::OK {
                bail!("{}: page answered {st}", k.label);
            }
        }
    }

    // Timed passes, interleaved floor / API / page per iteration.
    for (k, s) in kinds.iter().zip(samples.iter_mut()) {
        let started = Instant::now();
        for i in 0..iters {
            if i >= 5 && started.elapsed() > budget {
                break;
            }
            let t = Instant::now();
            floor(&app, k).await?;
            s.floor.push(t.elapsed());
            let t = Instant::now();
            let (st, _) = get(
                &router,
                &format!("/api/v1/enterprises?{}", k.query),
                bearer(),
            )
            .await?;
            s.api.push(t.elapsed());
            if st != StatusCode::OK {
                bail!("{}: API answered {st}", k.label);
            }
            if page_ok {
                let t = Instant::now();
                let (st, _) = get(&router, &format!("/enterprises?{}", k.query), cookie()).await?;
                s.page.push(t.elapsed());
                if st != StatusCode::OK {
                    bail!("{}: page answered {st}", k.label);
                }
            }
        }
    }

    let goal = |p50: Duration, p99: Duration| {
        if p50 < Duration::from_millis(20) && p99 < Duration::from_millis(100) {
            "ok"
        } else {
            "MISS"
        }
    };
    let mut t = Table::new(&[
        "query",
        "total",
        "n",
        "floor p50",
        "API p50",
        "API p99",
        "API/floor",
        "API goal",
        "page p50",
        "page p99",
        "page goal",
    ]);
    let mut all_api = Vec::new();
    let mut all_page = Vec::new();
    let mut all_floor = Vec::new();
    let mut misses = 0;
    for (k, s) in kinds.iter().zip(samples.iter_mut()) {
        s.floor.sort();
        s.api.sort();
        s.page.sort();
        all_api.extend(&s.api);
        all_page.extend(&s.page);
        all_floor.extend(&s.floor);
        let (f50, a50, a99) = (
            percentile(&s.floor, 50.0),
            percentile(&s.api, 50.0),
            percentile(&s.api, 99.0),
        );
        let (p50, p99) = (percentile(&s.page, 50.0), percentile(&s.page, 99.0));
        let ag = goal(a50, a99);
        let pg = if page_ok { goal(p50, p99) } else { "-" };
        misses += usize::from(ag == "MISS") + usize::from(pg == "MISS");
        t.row(vec![
            k.label.into(),
            s.total.clone(),
            s.api.len().to_string(),
            ms(f50),
            ms(a50),
            ms(a99),
            format!("{:.1}", a50.as_secs_f64() / f50.as_secs_f64().max(1e-9)),
            ag.into(),
            if page_ok { ms(p50) } else { "-".into() },
            if page_ok { ms(p99) } else { "-".into() },
            pg.into(),
        ]);
    }
    all_api.sort();
    all_page.sort();
    all_floor.sort();
    let (f50, a50, a99) = (
        percentile(&all_floor, 50.0),
        percentile(&all_api, 50.0),
        percentile(&all_api, 99.0),
    );
    let (p50, p99) = (percentile(&all_page, 50.0), percentile(&all_page, 99.0));
    t.row(vec![
        "ALL".into(),
        "".into(),
        all_api.len().to_string(),
        ms(f50),
        ms(a50),
        ms(a99),
        format!("{:.1}", a50.as_secs_f64() / f50.as_secs_f64().max(1e-9)),
        goal(a50, a99).into(),
        if page_ok { ms(p50) } else { "-".into() },
        if page_ok { ms(p99) } else { "-".into() },
        if page_ok { goal(p50, p99) } else { "-" }.into(),
    ]);
    println!();
    println!(
        "times in ms; goal: p50 < 20 ms and p99 < 100 ms per query kind (peer: the goal; floor: bare SELECT … LIMIT 20, same filter, same driver)"
    );
    t.print();
    println!();
    println!(
        "{} of {} kind×surface measurements miss the goal{}",
        misses,
        kinds.len() * if page_ok { 2 } else { 1 },
        if page_ok {
            ""
        } else {
            " (page not measured: /enterprises not available)"
        }
    );
    app.db.close().await;
    Ok(())
}
