//! Where SQLite and PostgreSQL really differ, said once.
//!
//! The migrations come in two folders with the same file names, listed once in
//! [`crate::migrations`]; the schema-parity test migrates both and compares tables and columns
//! through [`schema`] with types mapped to one vocabulary.

use crate::{Backend, Db, Result};

/// A column type as the storage the store binds and reads (see [`crate::sql`]): PostgreSQL's
/// `timestamptz`, `date` and `jsonb` are text on SQLite, its `boolean` a 0/1 integer.
fn neutral(t: &str) -> String {
    let t = t.to_ascii_lowercase();
    if t.contains("int") || t == "boolean" {
        "integer".into()
    } else if t.contains("char")
        || t == "text"
        || t.starts_with("timestamp")
        || t == "date"
        || t == "jsonb"
    {
        "text".into()
    } else {
        t
    }
}

/// (table, column, neutral type) sorted, excluding internal tables.
pub async fn schema(db: &Db) -> Result<Vec<(String, String, String)>> {
    let rows = match db.backend() {
        Backend::Sqlite => {
            crate::sql::query(
                "SELECT m.name AS t, p.name AS c, p.type AS ty FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1, 2",
            )
            .fetch_all(db.reader())
            .await?
        }
        Backend::Postgres => {
            crate::sql::query(
                "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1, 2",
            )
            .fetch_all(db.reader())
            .await?
        }
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let t: String = r.try_get("t")?;
        let c: String = r.try_get("c")?;
        let ty: String = r.try_get("ty")?;
        out.push((t, c, neutral(&ty)));
    }
    out.sort();
    Ok(out)
}

/// Case-insensitive LIKE operator of the backend.
pub fn ilike(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "LIKE",
        Backend::Postgres => "ILIKE",
    }
}
