//! Working-day calendar years loaded by an administrator (`lianshi calendar load FILE`). The
//! years that ship with the product (2025, 2026) live in `lianshi_domain::calendar`; a stored
//! year replaces the shipped one of the same year. The schedule is kept in its text form
//! (`YearSchedule::to_text`), which the domain parses and validates.

use crate::sql::Conn;
use crate::{Db, Result};

/// One stored year.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CalendarYearRow {
    pub year: i64,
    /// The schedule in the text form read by `YearSchedule::parse`.
    pub schedule: String,
    pub source: String,
    pub loaded_at: String,
    pub loaded_by: String,
}

impl Db {
    /// Stored years in year order.
    pub async fn calendar_years(&self) -> Result<Vec<CalendarYearRow>> {
        let rows = crate::sql::query(
            "SELECT year, schedule, source, loaded_at, loaded_by FROM calendar_years ORDER BY year",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CalendarYearRow {
                    year: r.try_get("year")?,
                    schedule: r.try_get("schedule")?,
                    source: r.try_get("source")?,
                    loaded_at: r.try_get("loaded_at")?,
                    loaded_by: r.try_get("loaded_by")?,
                })
            })
            .collect()
    }
}

/// Store (or replace) one year; returns whether a year was replaced.
pub async fn calendar_year_put(conn: &mut Conn, y: &CalendarYearRow) -> Result<bool> {
    let existed = crate::sql::query("SELECT year FROM calendar_years WHERE year = $1")
        .bind(y.year)
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
    crate::sql::query(
        "INSERT INTO calendar_years (year, schedule, source, loaded_at, loaded_by) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (year) DO UPDATE SET schedule = excluded.schedule, source = excluded.source, loaded_at = excluded.loaded_at, loaded_by = excluded.loaded_by",
    )
    .bind(y.year)
    .bind(&y.schedule)
    .bind(&y.source)
    .bind(&y.loaded_at)
    .bind(&y.loaded_by)
    .execute(&mut *conn)
    .await?;
    Ok(existed)
}
