//! The working-day calendar the SLA clock runs on: the years shipped with the product
//! (`Calendar::official`, 2025 and 2026) overlaid with the years an administrator loaded into the
//! database (`lianshi calendar load FILE`). A loaded year replaces a shipped one; a year that is
//! in neither counts Monday–Friday, and every due time built on it says so.

use crate::zone::entry;
use crate::{Actor, App, AppError, AppResult};
use chrono::NaiveDate;
use lianshi_domain::calendar::{Calendar, WorkdayShift, YearSchedule};
use lianshi_store::audit::audit_append;
use lianshi_store::calendar::{CalendarYearRow, calendar_year_put};
use lianshi_store::now_text;
use lianshi_store::order::{PauseRow, order_generation_bump, order_set_due};
use std::collections::HashMap;

/// What loading a year did.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarLoadReport {
    pub year: i32,
    /// A year of that number was already stored (or shipped) and is now replaced.
    pub replaced: bool,
    pub holidays: usize,
    pub makeup_workdays: usize,
    pub source: String,
    /// Open work orders whose stored due time moved on the new calendar (and was rewritten).
    pub orders_due_moved: usize,
}

/// One year the calendar knows, for display.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarYearView {
    pub year: i32,
    pub source: String,
    /// `shipped` or `loaded`.
    pub origin: &'static str,
    pub loaded_at: Option<String>,
    pub loaded_by: Option<String>,
    pub text: String,
}

impl App {
    /// The calendar of the SLA clock: shipped years plus loaded years (loaded ones win). A stored
    /// year that no longer parses is skipped with an error in the log rather than failing every
    /// deadline.
    pub async fn calendar(&self) -> AppResult<Calendar> {
        let mut cal = Calendar::official();
        for y in self.db.calendar_years().await? {
            match YearSchedule::parse(&y.schedule).and_then(|s| cal.insert_year(s)) {
                Ok(()) => {}
                Err(e) => tracing::error!("stored calendar year {} is invalid: {e}", y.year),
            }
        }
        Ok(cal)
    }

    /// Load one year's schedule (administrator). The text is validated by the domain parser.
    pub async fn calendar_load(&self, actor: &Actor, text: &str) -> AppResult<CalendarLoadReport> {
        crate::zone::perm::edit(actor)?;
        let schedule = YearSchedule::parse(text).map_err(AppError::from_invalid)?;
        let shipped = Calendar::official().has_schedule(schedule.year);
        let row = CalendarYearRow {
            year: i64::from(schedule.year),
            schedule: schedule.to_text(),
            source: schedule.source.clone(),
            loaded_at: now_text(),
            loaded_by: actor.username.clone(),
        };
        let mut tx = self.db.begin().await?;
        let existed = calendar_year_put(tx.conn(), &row).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "calendar.load",
                "calendar",
                Some(schedule.year.to_string()),
                None,
                Some(serde_json::json!({"year": schedule.year, "source": schedule.source, "schedule": row.schedule})),
            ),
        )
        .await?;
        tx.commit().await?;
        let orders_due_moved = self.order_due_refresh(actor).await?;
        Ok(CalendarLoadReport {
            orders_due_moved,
            year: schedule.year,
            replaced: existed || shipped,
            holidays: schedule.holidays.len(),
            makeup_workdays: schedule.makeup_workdays.len(),
            source: schedule.source,
        })
    }

    /// Recompute the due time of every open work order on the current calendar and rewrite the
    /// ones that moved (a loaded year replaces the Mon–Fri fallback or an earlier schedule, so
    /// deadlines computed before it may be early or late). Returns how many moved. An order
    /// changed between the read and the write is left alone: its own step recomputed the due
    /// time on the calendar already committed. Called by [`Self::calendar_load`], which checks
    /// the permission.
    async fn order_due_refresh(&self, actor: &Actor) -> AppResult<usize> {
        let cal = self.calendar().await?;
        let open = self.db.order_open_all().await?;
        let mut pauses: HashMap<i64, Vec<PauseRow>> = HashMap::new();
        for p in self.db.order_pauses_of_open().await? {
            pauses.entry(p.order_id).or_default().push(p);
        }
        let moved: Vec<(i64, i64, Option<String>)> = open
            .iter()
            .filter_map(|row| {
                let due = crate::order::sla::compute_due(
                    &cal,
                    row,
                    pauses.get(&row.id).map(Vec::as_slice).unwrap_or(&[]),
                )
                .and_then(|d| d.at)
                .map(crate::order::sla::utc_text);
                (due != row.due_at).then_some((row.id, row.version, due))
            })
            .collect();
        if moved.is_empty() {
            return Ok(0);
        }
        let mut tx = self.db.begin().await?;
        let rev = order_generation_bump(tx.conn()).await?;
        let mut written = Vec::with_capacity(moved.len());
        for (id, version, due) in &moved {
            if order_set_due(tx.conn(), *id, *version, due.as_deref(), rev).await? {
                written.push((*id, due));
            }
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "order.due_refresh",
                "orders",
                None,
                None,
                Some(serde_json::json!({
                    "moved": written.len(),
                    "orders": written.iter().take(1000).map(|(id, due)| serde_json::json!({"id": id, "due_at": due})).collect::<Vec<_>>(),
                })),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(written.len())
    }

    /// The years the calendar knows, shipped and loaded, in year order.
    pub async fn calendar_years(&self) -> AppResult<Vec<CalendarYearView>> {
        let stored = self.db.calendar_years().await?;
        let cal = self.calendar().await?;
        Ok(cal
            .schedules()
            .map(|s| {
                let st = stored.iter().find(|r| r.year == i64::from(s.year));
                CalendarYearView {
                    year: s.year,
                    source: s.source.clone(),
                    origin: if st.is_some() { "loaded" } else { "shipped" },
                    loaded_at: st.map(|r| r.loaded_at.clone()),
                    loaded_by: st.map(|r| r.loaded_by.clone()),
                    text: s.to_text(),
                }
            })
            .collect())
    }

    /// The date `n` working days after `date` on the app's calendar (with fallback years named).
    pub async fn calendar_add_workdays(&self, date: NaiveDate, n: i64) -> AppResult<WorkdayShift> {
        let cal = self.calendar().await?;
        cal.add_workdays(date, n).map_err(AppError::from_invalid)
    }
}
