//! `lianshi backup`, `restore` and `migrate-db` through the binary, on both backends: the demo
//! zone round-trips with identical checksums; a non-empty target, a truncated backup and one from
//! a newer schema are refused before anything is written; `kill -9` during a restore or a
//! migrate-db leaves the target empty or complete.

use lianshi_store::Db;
use lianshi_store::transfer::{self, TableSum};
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

mod common;
use common::{Tmp, bin};

fn lianshi(db: &str, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

fn refused(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// A fresh, empty PostgreSQL schema on the test server; its URL.
async fn pg_schema() -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let base = std::env::var("LIANSHI_TEST_PG").expect(
        "LIANSHI_TEST_PG is not set: run the suite with scripts/test.sh, which starts a private PostgreSQL",
    );
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!(
        "bk_{}_{nanos}_{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let admin = Db::connect(&base).await.unwrap();
    lianshi_store::sql::query(&format!("CREATE SCHEMA {schema}"))
        .execute(admin.writer())
        .await
        .unwrap();
    admin.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-c%20search_path%3D{schema}")
}

async fn sums(url: &str) -> Vec<TableSum> {
    let db = Db::connect(url).await.unwrap();
    let s = transfer::checksums(&db).await.unwrap();
    db.close().await;
    s
}

/// The demo zone in a SQLite file of `t`.
fn demo(t: &Tmp) -> String {
    let a = t.sqlite("a.db");
    ok(&lianshi(&a, &["demo", "--enterprises", "200"]));
    a
}

#[tokio::test]
async fn backup_restore_and_migrate_db_round_trip_on_both_backends() {
    let t = Tmp::new("round");
    let a = demo(&t);
    let start = sums(&a).await;
    assert!(start.iter().filter(|s| s.rows > 0).count() > 40);

    let f = t.path("zone.lsb");
    let out = ok(&lianshi(&a, &["backup", f.to_str().unwrap()]));
    assert!(out.contains("verified"), "{out}");
    assert!(out.contains("enterprises"), "{out}");
    // The file is not overwritten.
    let e = refused(&lianshi(&a, &["backup", f.to_str().unwrap()]));
    assert!(e.contains("exists"), "{e}");

    // SQLite backup -> PostgreSQL.
    let p = pg_schema().await;
    let out = ok(&lianshi(&p, &["restore", f.to_str().unwrap()]));
    assert!(out.contains("verified"), "{out}");
    assert_eq!(sums(&p).await, start);
    let e = refused(&lianshi(&p, &["restore", f.to_str().unwrap()]));
    assert!(e.contains("not empty"), "{e}");
    let e = refused(&lianshi(&a, &["migrate-db", "--to", &p]));
    assert!(e.contains("not empty"), "{e}");

    // PostgreSQL -> SQLite with migrate-db, and a PostgreSQL backup restored into SQLite.
    let c = t.sqlite("c.db");
    let out = ok(&lianshi(&p, &["migrate-db", "--to", &c]));
    assert!(out.contains("verified"), "{out}");
    assert_eq!(sums(&c).await, start);
    let g = t.path("pg.lsb");
    ok(&lianshi(&p, &["backup", g.to_str().unwrap()]));
    let d = t.sqlite("d.db");
    ok(&lianshi(&d, &["restore", g.to_str().unwrap()]));
    assert_eq!(sums(&d).await, start);
    // SQLite -> PostgreSQL with migrate-db.
    let q = pg_schema().await;
    ok(&lianshi(&c, &["migrate-db", "--to", &q]));
    assert_eq!(sums(&q).await, start);
    // The check alone.
    let out = ok(&lianshi(&d, &["restore", "--check", g.to_str().unwrap()]));
    assert!(out.contains("checked"), "{out}");
}

#[tokio::test]
async fn truncated_or_newer_backups_are_refused_before_anything_is_written() {
    let t = Tmp::new("bad");
    let a = demo(&t);
    let f = t.path("zone.lsb");
    ok(&lianshi(&a, &["backup", f.to_str().unwrap()]));
    let bytes = std::fs::read(&f).unwrap();

    let cut = t.path("cut.lsb");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let newer = t.path("newer.lsb");
    std::fs::write(&newer, &bytes).unwrap();
    {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", newer.display()))
            .await
            .unwrap();
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_next', 'x')")
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    }
    for (file, why) in [(&cut, "truncated"), (&newer, "newer")] {
        // A SQLite target is not even created.
        let e_db = t.path("e.db");
        let e = refused(&lianshi(
            &t.sqlite("e.db"),
            &["restore", file.to_str().unwrap()],
        ));
        assert!(e.contains(why), "{e}");
        assert!(!e_db.exists());
        // A PostgreSQL target gets no table.
        let p = pg_schema().await;
        let e = refused(&lianshi(&p, &["restore", file.to_str().unwrap()]));
        assert!(e.contains(why), "{e}");
        let db = Db::connect(&p).await.unwrap();
        assert_eq!(db.schema().await.unwrap(), vec![]);
        db.close().await;
    }
}

/// Run `args` against `db`, killing it with SIGKILL after its `k`-th "copied" line; whether it
/// finished before the kill.
fn kill_after(db: &str, args: &[&str], k: usize) -> bool {
    let mut child = Command::new(bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let mut seen = 0;
    for line in BufReader::new(out).lines() {
        let Ok(line) = line else { break };
        if line.contains("copied") {
            seen += 1;
            if seen == k {
                child.kill().unwrap();
                break;
            }
        }
    }
    let status = child.wait().unwrap();
    status.success()
}

#[tokio::test]
async fn kill_9_during_restore_or_migrate_db_leaves_the_target_empty_or_complete() {
    let t = Tmp::new("kill");
    let a = demo(&t);
    let start = sums(&a).await;
    let f = t.path("zone.lsb");
    ok(&lianshi(&a, &["backup", f.to_str().unwrap()]));
    let mut n = 0;
    for pg in [false, true] {
        for restore in [true, false] {
            let mut empty = 0;
            for k in [1, 15, 30, 45] {
                n += 1;
                let target = if pg {
                    pg_schema().await
                } else {
                    t.sqlite(&format!("t{n}.db"))
                };
                let finished = if restore {
                    kill_after(&target, &["restore", f.to_str().unwrap()], k)
                } else {
                    kill_after(&a, &["migrate-db", "--to", &target], k)
                };
                let db = Db::connect(&target).await.unwrap();
                db.migrate().await.unwrap();
                let left = transfer::is_empty(&db).await.unwrap();
                if left.is_empty() {
                    empty += 1;
                } else {
                    assert_eq!(
                        transfer::checksums(&db).await.unwrap(),
                        start,
                        "pg={pg} restore={restore} k={k} finished={finished}"
                    );
                }
                db.close().await;
                // What was refused or killed can be done again, completely.
                if left.is_empty() {
                    if restore {
                        ok(&lianshi(&target, &["restore", f.to_str().unwrap()]));
                    } else {
                        ok(&lianshi(&a, &["migrate-db", "--to", &target]));
                    }
                    assert_eq!(sums(&target).await, start);
                }
            }
            assert!(
                empty > 0,
                "pg={pg} restore={restore}: no kill landed mid-copy"
            );
        }
    }
}
