//! Issue 9, finding 2: an import holds the writer for as long as it writes (all or nothing, one
//! transaction). A write made meanwhile by another process must wait for the commit and then
//! succeed, not fail with `database is locked` after the old 10 s busy timeout.
//!
//! The import size is `LIANSHI_IMPORT_ROWS` (default 250,000 rows, whose write phase holds the
//! SQLite writer for well over 10 s in the test profile). The 1,000,000-row case, with a
//! real server and a `kill -9`, is the release-binary smoke test
//! `a_web_write_waits_for_a_million_row_import_and_a_killed_import_leaves_nothing`.

use lianshi_app::App;
use lianshi_app::import::ImportOptions;
use lianshi_app::order::OrderInput;
use lianshi_domain::demo::template_row;
use lianshi_domain::enterprise::COLUMNS;
use lianshi_store::Db;
use std::time::{Duration, Instant};

mod common;
use common::admin;

fn rows() -> usize {
    std::env::var("LIANSHI_IMPORT_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250_000)
}

/// The template CSV of `n` demo enterprises (seed 31) that an import accepts today.
fn demo_csv(n: usize) -> Vec<u8> {
    let today = App::today();
    let headers: Vec<&str> = COLUMNS.iter().map(|c| c.zh).collect();
    let rows: Vec<Vec<String>> = lianshi_domain::demo::enterprises(31, n)
        .filter(|d| d.registered_on.is_none_or(|r| r <= today))
        .map(|d| template_row(&d))
        .collect();
    lianshi_office::write_csv(&headers, &rows)
}

fn order(uscc: &str) -> OrderInput {
    OrderInput {
        enterprise: Some(uscc.into()),
        title: Some("导入期间提交的诉求".into()),
        description: Some("导入大文件期间，另一进程提交诉求".into()),
        category: Some("ip".into()),
        channel: Some("hotline".into()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_from_another_process_during_a_long_import_waits_for_its_commit_and_succeeds() {
    let dir = std::env::temp_dir().join(format!(
        "lianshi_import_wait_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
    ));
    let url = format!("sqlite://{}/w.db", dir.display());
    // The importing process.
    let importer = App::new(Db::connect(&url).await.unwrap());
    importer.db.migrate().await.unwrap();
    importer.demo_load(&admin(), 3, 5).await.unwrap();
    let uscc = importer
        .enterprise_list(&admin(), &Default::default())
        .await
        .unwrap()
        .items[0]
        .uscc
        .clone();
    let n = rows();
    let file = demo_csv(n);
    // The web server: its own connections to the same file, as another process has.
    let web = App::new(Db::connect(&url).await.unwrap());

    // The demo's writes are in the log already; from here only the import writes it.
    let spawned = std::time::SystemTime::now();
    let started = Instant::now();
    let import = {
        let app = importer.clone();
        tokio::spawn(async move {
            let r = app
                .enterprise_import(&admin(), &file, ImportOptions::default())
                .await;
            (r, started.elapsed())
        })
    };
    // Wait until the import's transaction is writing (nothing else writes the log now), then
    // write from the web.
    let wal = dir.join("w.db-wal");
    let written_since = |t: std::time::SystemTime| {
        std::fs::metadata(&wal)
            .and_then(|m| m.modified())
            .is_ok_and(|m| m > t)
    };
    let deadline = Instant::now() + Duration::from_secs(600);
    while !written_since(spawned) && !import.is_finished() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !import.is_finished(),
        "the import finished before the write; the test proved nothing (raise LIANSHI_IMPORT_ROWS)"
    );
    let writing_at = started.elapsed();
    let t = Instant::now();
    let made = web.order_create(&admin(), &order(&uscc)).await;
    let waited = t.elapsed();
    let (report, import_took) = import.await.unwrap();
    let report = report.unwrap();
    eprintln!(
        "import of {n} rows: {:.1} s (writing from {:.1} s); the web write waited {:.1} s (longest write wait {:.1} s)",
        import_took.as_secs_f64(),
        writing_at.as_secs_f64(),
        waited.as_secs_f64(),
        web.db.longest_write_wait().as_secs_f64(),
    );
    let made = made.unwrap();
    assert!(report.written);
    assert_eq!(
        web.order_get(&admin(), made.order.id)
            .await
            .unwrap()
            .order
            .id,
        made.order.id
    );
    // The write really waited for the import (it was not a write between two transactions).
    assert!(web.db.longest_write_wait() >= waited.saturating_sub(Duration::from_secs(1)));
    importer.db.close().await;
    web.db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_writes_made_throughout_an_import_are_not_held_up_by_its_row_locks() {
    let t = lianshi_store::testkit::postgres().await;
    let importer = App::new(t.db.clone());
    importer.demo_load(&admin(), 3, 5).await.unwrap();
    let uscc = importer
        .enterprise_list(&admin(), &Default::default())
        .await
        .unwrap()
        .items[0]
        .uscc
        .clone();
    // The import also updates the enterprise the orders are filed for (its row is locked).
    let file = demo_csv(rows() / 8);
    let web = App::new(t.db.clone());
    let started = Instant::now();
    let import = {
        let app = importer.clone();
        tokio::spawn(async move {
            app.enterprise_import(&admin(), &file, ImportOptions::default())
                .await
        })
    };
    let mut waits = Vec::new();
    while !import.is_finished() {
        let t = Instant::now();
        web.order_create(&admin(), &order(&uscc)).await.unwrap();
        waits.push(t.elapsed());
    }
    let report = import.await.unwrap().unwrap();
    assert!(report.written);
    let longest = waits.iter().max().copied().unwrap_or_default();
    eprintln!(
        "postgres: import {:.1} s, {} orders meanwhile, the longest took {:.2} s",
        started.elapsed().as_secs_f64(),
        waits.len(),
        longest.as_secs_f64()
    );
    assert!(
        waits.len() >= 2,
        "the import was too short to write during it"
    );
    assert!(
        longest < Duration::from_secs(5),
        "a write waited {longest:?}"
    );
}
