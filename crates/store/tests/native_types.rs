//! PostgreSQL keeps its native types (issue 11): no timestamp, day or document is text and no
//! flag is an integer. Read from `information_schema` after the migrations.

use lianshi_store::testkit;

/// Column names that mean a timestamp, a day or a document (`_at`, `at`, `_until`, `_on`,
/// `window_from`/`window_to`, `sla_start`, `_json`) or a flag.
fn kind(column: &str) -> Option<&'static str> {
    if column == "valid_until" {
        // The last day a voucher can be used.
        Some("day")
    } else if column == "at"
        || column.ends_with("_at")
        || column.ends_with("_until")
        || column == "sla_start"
    {
        Some("timestamp")
    } else if column.ends_with("_on") || column == "window_from" || column == "window_to" {
        Some("day")
    } else if column.ends_with("_json") {
        Some("document")
    } else if column == "active" || column == "granted" || column.starts_with("is_") {
        Some("flag")
    } else {
        None
    }
}

#[tokio::test]
async fn postgres_columns_are_timestamptz_date_boolean_and_jsonb() {
    let t = testkit::postgres().await;
    let cols: Vec<(String, String, String)> = lianshi_store::sql::query_as(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> 'schema_migrations' ORDER BY 1, 2",
    )
    .fetch_all(t.db.reader())
    .await
    .unwrap();
    assert!(cols.len() > 100, "{} columns", cols.len());
    let mut wrong = Vec::new();
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    for (table, column, ty) in &cols {
        let Some(k) = kind(column) else {
            assert!(
                !matches!(
                    ty.as_str(),
                    "timestamp with time zone" | "date" | "jsonb" | "boolean"
                ),
                "{table}.{column} is {ty} but its name does not say so"
            );
            continue;
        };
        *seen.entry(k).or_default() += 1;
        let ok = match k {
            "timestamp" => ty == "timestamp with time zone",
            "day" => ty == "date",
            "document" => ty == "jsonb",
            _ => ty == "boolean",
        };
        if !ok {
            wrong.push(format!("{table}.{column} ({k}) is {ty}"));
        }
    }
    assert!(wrong.is_empty(), "not native: {wrong:#?}");
    // Each kind is there (a renamed column would otherwise pass unseen).
    for k in ["timestamp", "day", "document", "flag"] {
        assert!(
            seen.get(k).copied().unwrap_or(0) > 0,
            "no {k} column: {seen:?}"
        );
    }
    // Money is bigint fen.
    let money: Vec<&(String, String, String)> = cols
        .iter()
        .filter(|(_, c, ty)| c.ends_with("_fen") && ty != "bigint")
        .collect();
    assert!(money.is_empty(), "money not bigint: {money:?}");
}
