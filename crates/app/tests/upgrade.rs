//! Upgrading a PostgreSQL database made by the release before native types (issue 11): a zone
//! filled by today's code on the schema up to migration 0016 (timestamps, days and documents as
//! text, flags as integers) is migrated to timestamptz, date, jsonb and boolean with every row
//! kept, and works afterwards.

mod common;

use common::admin;
use lianshi_app::zone::RegistryInput;
use lianshi_app::{Actor, App, Source};
use lianshi_domain::zone::RegistryKind;
use lianshi_store::transfer;
use lianshi_store::{Backend, Db, testkit};

/// The last migration of the release before native types.
const BEFORE_NATIVE: i64 = 16;

async fn column_type(db: &Db, table: &str, column: &str) -> String {
    lianshi_store::sql::query_scalar(
        "SELECT data_type::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2",
    )
    .bind(table)
    .bind(column)
    .fetch_one(db.reader())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_zone_on_text_columns_is_converted_to_native_types_with_every_row_kept() {
    let fresh = testkit::fresh_url(Backend::Postgres).await;
    let old = Db::connect(&fresh.url).await.unwrap();
    old.migrate_to(BEFORE_NATIVE).await.unwrap();
    assert_eq!(column_type(&old, "orders", "created_at").await, "text");
    assert_eq!(column_type(&old, "users", "active").await, "bigint");
    let app = App::new(old.clone());
    app.demo_load(&Actor::system(Source::Demo), 40, 11)
        .await
        .unwrap();
    let before = transfer::checksums(&old).await.unwrap();
    assert!(
        before.iter().filter(|t| t.rows > 0).count() > 20,
        "the demo fills most tables: {before:?}"
    );
    old.close().await;

    // The upgrade: the next start migrates the rest.
    let db = Db::connect(&fresh.url).await.unwrap();
    let applied = db.migrate().await.unwrap();
    assert_eq!(applied, vec!["0017_native_types".to_string()]);
    for (t, c, ty) in [
        ("orders", "created_at", "timestamp with time zone"),
        ("vouchers", "valid_until", "date"),
        ("audit_log", "after_json", "jsonb"),
        ("users", "active", "boolean"),
    ] {
        assert_eq!(column_type(&db, t, c).await, ty, "{t}.{c}");
    }
    // Every row kept, every value the same (checksums read timestamps back as the same RFC 3339
    // text, flags as 0/1 and documents in one normal form).
    let after = transfer::checksums(&db).await.unwrap();
    assert_eq!(before, after);

    // No text column holds a date or a timestamp any more; the calendar's schedule is a
    // document in its own text format (a year's holidays and make-up days), not one date.
    let text_cols: Vec<(String, String)> = lianshi_store::sql::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND data_type = 'text' AND table_name <> 'schema_migrations'",
    )
    .fetch_all(db.reader())
    .await
    .unwrap();
    let mut dated = Vec::new();
    for (t, c) in &text_cols {
        if (t.as_str(), c.as_str()) == ("calendar_years", "schedule") {
            continue;
        }
        let n: i64 = lianshi_store::sql::query_scalar(&format!(
            "SELECT COUNT(*) FROM \"{t}\" WHERE \"{c}\" ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}'"
        ))
        .fetch_one(db.reader())
        .await
        .unwrap();
        if n > 0 {
            dated.push(format!("{t}.{c}: {n} rows"));
        }
    }
    assert!(dated.is_empty(), "dates kept as text: {dated:?}");

    // And the zone works on the converted database.
    let app = App::new(db.clone());
    let park = app
        .registry_create(
            &admin(),
            RegistryKind::Street,
            &RegistryInput {
                code: Some("upgraded".into()),
                name: "升级后街道".into(),
                parent_id: None,
                attr: None,
                sort: None,
            },
        )
        .await
        .unwrap();
    assert!(park > 0);
    db.close().await;
}
