//! The copy engine behind backup, restore and migrate-db (`store/src/transfer.rs`), on every pair
//! of backends: edge values arrive exactly, a self-referencing row whose parent comes later waits
//! for it, a change between copy and commit is caught and rolled back, a non-empty target is
//! refused, and backup files that are truncated, tampered with or from a newer schema are refused
//! before anything is written.

use lianshi_store::testkit::{self, TestDb};
use lianshi_store::transfer::{self, TransferError};
use lianshi_store::{Backend, Db, both_backends};
use std::path::PathBuf;

async fn fresh(b: Backend) -> TestDb {
    match b {
        Backend::Sqlite => testkit::sqlite().await,
        Backend::Postgres => testkit::postgres().await,
    }
}

const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// The largest stored amount the inputs allow (10^12 元 in fen).
const BOUND_FEN: i64 = 100_000_000_000_000;

const NAME: &str = "杭州滨江「测试」有限公司 — 'quoted' \"double\" \\ back\nnew line 🚀";

/// Rows with edge values: Chinese and odd text, NULLs, empty strings, amounts at the bound and
/// at the ends of i64, and a registry child whose id is smaller than its parent's.
async fn seed(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    let c = tx.conn();
    let now = "2026-01-02T03:04:05.678Z";
    lianshi_store::sql::query(
        "INSERT INTO zone (id, name, division_code, updated_at) VALUES (1, $1, '', $2)",
    )
    .bind("滨江区（示例）")
    .bind(now)
    .execute(&mut *c)
    .await
    .unwrap();
    for (id, parent, name, code) in [
        (9_i64, None, "街道九", Some("s9")),
        (5, Some(9_i64), "园区五（子在父前）", None),
        (12, Some(5), "", Some("")),
    ] {
        lianshi_store::sql::query(
            "INSERT INTO registry_items (id, kind, code, name, parent_id, attr, sort, updated_at) VALUES ($1, 'street', $2, $3, $4, NULL, -7, $5)",
        )
        .bind(id)
        .bind(code)
        .bind(name)
        .bind(parent)
        .bind(now)
        .execute(&mut *c)
        .await
        .unwrap();
    }
    type Ent<'a> = (i64, &'a str, Option<i64>, Option<i64>, Option<&'a str>);
    let ents: [Ent; 3] = [
        (1, NAME, Some(BOUND_FEN), Some(i64::MAX), Some("")),
        (2, "", None, Some(i64::MIN), None),
        (
            3_000_000_000,
            "大号编号企业",
            Some(-BOUND_FEN),
            Some(0),
            Some("地址"),
        ),
    ];
    for (id, name, revenue, tax, address) in ents {
        lianshi_store::sql::query(
            "INSERT INTO enterprises (id, uscc, name, street_id, revenue_fen, tax_fen, address, created_at, updated_at) VALUES ($1, $2, $3, 5, $4, $5, $6, $7, $7)",
        )
        .bind(id)
        .bind(format!("9133010{id:011}"))
        .bind(name)
        .bind(revenue)
        .bind(tax)
        .bind(address)
        .bind(now)
        .execute(&mut *c)
        .await
        .unwrap();
    }
    for tag in ["高新技术企业", "", "专精特新 "] {
        lianshi_store::sql::query(
            "INSERT INTO enterprise_tags (enterprise_id, tag) VALUES (1, $1)",
        )
        .bind(tag)
        .execute(&mut *c)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn one<T>(db: &Db, sql: &str) -> T
where
    T: lianshi_store::sql::FromCol,
{
    let (v,): (T,) = lianshi_store::sql::query_as(sql)
        .fetch_one(db.reader())
        .await
        .unwrap();
    v
}

#[tokio::test]
async fn edge_values_copy_exactly_between_every_pair_of_backends() {
    for from in BACKENDS {
        for to in BACKENDS {
            let src = fresh(from).await;
            let dst = fresh(to).await;
            seed(&src.db).await;
            let mut seen = Vec::new();
            let report = transfer::copy(&src.db, &dst.db, &mut |t| seen.push(t.table.clone()))
                .await
                .unwrap_or_else(|e| panic!("{from:?} -> {to:?}: {e}"));
            assert!(report.same(), "{from:?} -> {to:?}");
            assert_eq!(seen.len(), report.tables.len());
            // Parents before children: registry_items before enterprises before enterprise_tags.
            let pos = |t: &str| seen.iter().position(|s| s == t).unwrap();
            assert!(pos("registry_items") < pos("enterprises"));
            assert!(pos("enterprises") < pos("enterprise_tags"));
            assert_eq!(
                transfer::checksums(&src.db).await.unwrap(),
                transfer::checksums(&dst.db).await.unwrap()
            );
            let d = &dst.db;
            assert_eq!(
                one::<String>(d, "SELECT name FROM enterprises WHERE id = 1").await,
                NAME
            );
            assert_eq!(
                one::<i64>(d, "SELECT revenue_fen FROM enterprises WHERE id = 1").await,
                BOUND_FEN
            );
            assert_eq!(
                one::<i64>(d, "SELECT tax_fen FROM enterprises WHERE id = 1").await,
                i64::MAX
            );
            assert_eq!(
                one::<i64>(d, "SELECT tax_fen FROM enterprises WHERE id = 2").await,
                i64::MIN
            );
            assert_eq!(
                one::<String>(d, "SELECT address FROM enterprises WHERE id = 1").await,
                ""
            );
            assert_eq!(
                one::<Option<String>>(d, "SELECT address FROM enterprises WHERE id = 2").await,
                None
            );
            assert_eq!(
                one::<Option<i64>>(d, "SELECT revenue_fen FROM enterprises WHERE id = 2").await,
                None
            );
            assert_eq!(
                one::<i64>(d, "SELECT parent_id FROM registry_items WHERE id = 5").await,
                9
            );
            assert_eq!(
                one::<i64>(d, "SELECT COUNT(*) FROM enterprise_tags WHERE tag = ''").await,
                1
            );
            // New rows get ids past the copied ones (PostgreSQL identities were moved on).
            let (id,): (i64,) = lianshi_store::sql::query_as(
                "INSERT INTO registry_items (kind, name, sort, updated_at) VALUES ('park', 'new', 0, '2026-01-01T00:00:00.000Z') RETURNING id",
            )
            .fetch_one(d.writer())
            .await
            .unwrap();
            assert!(id > 12, "{from:?} -> {to:?}: new id {id}");
            let (id,): (i64,) = lianshi_store::sql::query_as(
                "INSERT INTO enterprises (uscc, name, created_at, updated_at) VALUES ('x', 'y', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z') RETURNING id",
            )
            .fetch_one(d.writer())
            .await
            .unwrap();
            assert!(id > 3_000_000_000, "{from:?} -> {to:?}: new id {id}");
        }
    }
}

#[tokio::test]
async fn a_change_after_copying_is_caught_by_the_verification_and_nothing_is_committed() {
    for from in BACKENDS {
        for to in BACKENDS {
            let src = fresh(from).await;
            seed(&src.db).await;
            // One changed value.
            let dst = fresh(to).await;
            let e = transfer::copy_tampered(&src.db, &dst.db, |tx| {
                Box::pin(async move {
                    lianshi_store::sql::query(
                        "UPDATE enterprises SET tax_fen = tax_fen - 1 WHERE id = 1",
                    )
                    .execute(tx.conn())
                    .await?;
                    Ok(())
                })
            })
            .await
            .unwrap_err();
            assert!(
                matches!(&e, TransferError::Mismatch(m) if m.contains("enterprises")),
                "{e}"
            );
            assert_eq!(transfer::is_empty(&dst.db).await.unwrap(), vec![]);
            // One dropped row.
            let e = transfer::copy_tampered(&src.db, &dst.db, |tx| {
                Box::pin(async move {
                    lianshi_store::sql::query("DELETE FROM enterprise_tags WHERE tag = ''")
                        .execute(tx.conn())
                        .await?;
                    Ok(())
                })
            })
            .await
            .unwrap_err();
            assert!(
                matches!(&e, TransferError::Mismatch(m) if m.contains("enterprise_tags")),
                "{e}"
            );
            assert_eq!(transfer::is_empty(&dst.db).await.unwrap(), vec![]);
            // Untampered, the same pair copies.
            transfer::copy(&src.db, &dst.db, &mut |_| {}).await.unwrap();
        }
    }
}

both_backends!(
    checksums_depend_on_content_not_on_insertion_order,
    |db: Db| async move {
        let other = testkit::sqlite().await;
        for (d, order) in [(&db, [1_i64, 2, 3]), (&other.db, [3, 1, 2])] {
            for id in order {
                lianshi_store::sql::query(
                    "INSERT INTO registry_items (id, kind, code, name, attr, sort, updated_at) VALUES ($3, 'park', $1, $2, '', 0, '2026-01-01T00:00:00.000Z')",
                )
                .bind(format!("c{id}"))
                .bind(format!("类别{id}"))
                .bind(id)
                .execute(d.writer())
                .await
                .unwrap();
            }
        }
        let sum = |sums: Vec<transfer::TableSum>| {
            sums.into_iter()
                .find(|t| t.table == "registry_items")
                .unwrap()
        };
        let a = sum(transfer::checksums(&db).await.unwrap());
        let b = sum(transfer::checksums(&other.db).await.unwrap());
        assert_eq!(a, b);
        assert_eq!(a.rows, 3);
        // '' and NULL differ.
        lianshi_store::sql::query("UPDATE registry_items SET attr = NULL WHERE code = 'c2'")
            .execute(other.db.writer())
            .await
            .unwrap();
        let c = sum(transfer::checksums(&other.db).await.unwrap());
        assert_eq!(c.rows, 3);
        assert_ne!(a.checksum, c.checksum);
    }
);

both_backends!(
    a_target_with_zone_data_is_refused_before_anything_is_written,
    |db: Db| async move {
        seed(&db).await;
        for to in BACKENDS {
            let dst = fresh(to).await;
            lianshi_store::sql::query("INSERT INTO zone (id, name, division_code, updated_at) VALUES (7, '别的园区', '1', '2026-01-01T00:00:00.000Z')")
                .execute(dst.db.writer())
                .await
                .unwrap();
            let before = transfer::checksums(&dst.db).await.unwrap();
            let e = transfer::copy(&db, &dst.db, &mut |_| {}).await.unwrap_err();
            assert!(
                matches!(&e, TransferError::NotEmpty(m) if m.contains("zone")),
                "{e}"
            );
            assert_eq!(transfer::checksums(&dst.db).await.unwrap(), before);
            // The migrations' seeded counters alone do not make a database non-empty.
            let empty = fresh(to).await;
            assert_eq!(transfer::is_empty(&empty.db).await.unwrap(), vec![]);
        }
    }
);

struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let p =
            std::env::temp_dir().join(format!("lianshi_transfer_{}_{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Change a backup file through a plain connection (as someone editing it would).
async fn edit(path: &std::path::Path, sql: &str) {
    use sqlx::Connection;
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    c.close().await.unwrap();
}

both_backends!(
    a_backup_file_restores_into_either_backend_and_a_bad_one_is_refused_before_writing,
    |db: Db| async move {
        seed(&db).await;
        let dir = Dir::new();
        let file = dir.0.join("zone.lsb");
        let made = transfer::backup_to_file(&db, &file, &mut |_| {})
            .await
            .unwrap();
        assert!(made.same());
        // Only the file: no temporary file or journal left beside it.
        let names: Vec<String> = std::fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec!["zone.lsb".to_string()]);
        // An existing file is not overwritten.
        let e = transfer::backup_to_file(&db, &file, &mut |_| {})
            .await
            .unwrap_err();
        assert!(matches!(e, TransferError::Io(_)), "{e}");
        let src = transfer::checksums(&db).await.unwrap();
        for to in BACKENDS {
            let b = transfer::open_backup(&file).await.unwrap();
            assert_eq!(b.info.tables, src);
            assert_eq!(b.info.format, transfer::BACKUP_FORMAT);
            let dst = fresh(to).await;
            let r = transfer::restore(&b, &dst.db, &mut |_| {}).await.unwrap();
            assert!(r.same());
            assert_eq!(transfer::checksums(&dst.db).await.unwrap(), src);
            // A second restore into the same database is refused.
            let e = transfer::restore(&b, &dst.db, &mut |_| {})
                .await
                .unwrap_err();
            assert!(matches!(e, TransferError::NotEmpty(_)), "{e}");
            b.close().await;
        }

        let copy_to = |name: &str| {
            let p = dir.0.join(name);
            std::fs::copy(&file, &p).unwrap();
            p
        };
        // Truncated: refused from the header, before SQLite reads it.
        let cut = copy_to("cut.lsb");
        let len = std::fs::metadata(&cut).unwrap().len();
        for keep in [len - 4096, len / 2, 50, 0] {
            let f = std::fs::OpenOptions::new().write(true).open(&cut).unwrap();
            f.set_len(keep).unwrap();
            drop(f);
            let e = transfer::open_backup(&cut).await.err().unwrap();
            assert!(
                matches!(&e, TransferError::BadBackup(m) if m.contains("truncated")),
                "{keep}: {e}"
            );
        }
        // A newer schema (a migration this build lacks).
        let newer = copy_to("newer.lsb");
        edit(&newer, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_from_the_future', 'x')").await;
        let e = transfer::open_backup(&newer).await.err().unwrap();
        assert!(
            matches!(&e, TransferError::NewerSchema(m) if m.contains("9999_from_the_future")),
            "{e}"
        );
        // An older one (a migration missing).
        let older = copy_to("older.lsb");
        edit(&older, "DELETE FROM schema_migrations WHERE version = 16").await;
        let e = transfer::open_backup(&older).await.err().unwrap();
        assert!(matches!(e, TransferError::OlderSchema(_)), "{e}");
        // A changed row, a changed manifest, a lost manifest.
        let changed = copy_to("changed.lsb");
        edit(
            &changed,
            "UPDATE enterprises SET revenue_fen = revenue_fen + 1 WHERE id = 1",
        )
        .await;
        let e = transfer::open_backup(&changed).await.err().unwrap();
        assert!(
            matches!(&e, TransferError::BadBackup(m) if m.contains("enterprises")),
            "{e}"
        );
        let manifest = copy_to("manifest.lsb");
        edit(
            &manifest,
            "UPDATE lianshi_backup_manifest SET rows = rows + 1 WHERE tbl = 'zone'",
        )
        .await;
        let e = transfer::open_backup(&manifest).await.err().unwrap();
        assert!(
            matches!(&e, TransferError::BadBackup(m) if m.contains("zone")),
            "{e}"
        );
        let bare = copy_to("bare.lsb");
        edit(&bare, "DROP TABLE lianshi_backup_manifest").await;
        let e = transfer::open_backup(&bare).await.err().unwrap();
        assert!(
            matches!(&e, TransferError::BadBackup(m) if m.contains("manifest")),
            "{e}"
        );
        // Garbage with a plausible size.
        let junk = dir.0.join("junk.lsb");
        std::fs::write(&junk, vec![7u8; 8192]).unwrap();
        let e = transfer::open_backup(&junk).await.err().unwrap();
        assert!(matches!(e, TransferError::BadBackup(_)), "{e}");
        // The original is still good after all this (opened read-only, never changed).
        transfer::open_backup(&file).await.unwrap().close().await;
    }
);
