//! Chain councils (链上议事会): quarterly meetings per chain with a rotating host among the
//! coalition's institutions, attendees, an agenda drafted from the chain's escalated orders and
//! recurring pain points (then edited by people), minutes, and decisions (决议) that become
//! action items with an owner department, due date and progress, linked to the orders they answer.
//! A decision may also file a follow-on order through [`App::order_create_at`] (channel
//! `council`).
//!
//! Invariants: every write is one transaction with its audit entry; meetings and actions change
//! under an optimistic lock (`version`); progress reports are appended, never edited; 100 %
//! closes an action (status `done`, closing date), anything less reopens it.

use crate::order::{OrderInput, order_ref, parse_ref};
use crate::zone::{RegistryIndex, entry, json};
use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use lianshi_domain::calendar::Calendar;
use lianshi_domain::zone::RegistryKind;
use lianshi_store::audit::audit_append;
use lianshi_store::council::{
    ActionFilter, ActionRow, ActionUpdateRow, AgendaItemRow, CouncilRow, CouncilWrite,
    action_insert, action_link_order, action_progress, agenda_item_insert, agenda_items_delete,
    agenda_reorder, council_attendees_set, council_insert, council_last_number, council_update,
};

/// Who may do what with councils.
pub mod perm;

/// How the agenda draft finds recurring pain points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct AgendaRules {
    /// At least this many orders on the same chain node and category…
    pub min_orders: i64,
    /// …registered within this many days before the meeting (or still open).
    pub window_days: i64,
}

impl Default for AgendaRules {
    fn default() -> Self {
        AgendaRules {
            min_orders: 3,
            window_days: 180,
        }
    }
}

/// The host of a chain's `number`-th meeting: institutions take turns in registry order, each
/// chain starting at its own position so the coalition's members host different chains at once.
pub fn rotating_host(institutions: &[i64], chain_pos: usize, number: i64) -> Option<i64> {
    if institutions.is_empty() || number < 1 {
        return None;
    }
    let n = institutions.len();
    let i = (chain_pos + usize::try_from(number - 1).unwrap_or(0)) % n;
    institutions.get(i).copied()
}

/// Minutes written for a held meeting: who met when, the agenda items heard and the decisions
/// taken. A meeting without agenda items or decisions says so plainly (never "0项议题" or a
/// "决议如下" with nothing after it).
pub fn minutes_text(
    title: &str,
    held_on: NaiveDate,
    host: Option<&str>,
    items: &[String],
    decisions: &[String],
) -> String {
    let mut out = match host.map(str::trim).filter(|h| !h.is_empty()) {
        Some(h) => format!("{title}于{held_on}召开，轮值主办单位{h}主持。"),
        None => format!("{title}于{held_on}召开。"),
    };
    if items.is_empty() {
        out.push_str("本次会议未列入议题。");
    } else {
        out.push_str(&format!("会议听取了{}项议题：", items.len()));
        for (i, t) in items.iter().enumerate() {
            out.push_str(&format!("\n{}. {t}", i + 1));
        }
    }
    if decisions.is_empty() {
        out.push_str(if items.is_empty() {
            ""
        } else {
            "\n本次会议未形成决议。"
        });
    } else {
        out.push_str("\n会议形成决议如下，由责任部门按期推进：");
        for (i, d) in decisions.iter().enumerate() {
            out.push_str(&format!("\n{}. {d}", i + 1));
        }
    }
    out
}

/// The default date of the `seq`-th quarterly meeting: the first working day on or after the
/// 15th of the quarter's last month.
pub fn quarter_date(cal: &Calendar, year: i32, seq: u32) -> Option<NaiveDate> {
    let month = (seq.clamp(1, 4)) * 3;
    let d = NaiveDate::from_ymd_opt(year, month, 15)?;
    if cal.is_workday(d) {
        Some(d)
    } else {
        cal.next_workday(d)
    }
}

fn status_label(s: &str, en: bool) -> String {
    let (zh, e) = match s {
        "scheduled" => ("待召开", "Scheduled"),
        "held" => ("已召开", "Held"),
        "cancelled" => ("已取消", "Cancelled"),
        "open" => ("推进中", "In progress"),
        "done" => ("已办结", "Done"),
        _ => (s, s),
    };
    if en { e.into() } else { zh.into() }
}

/// An order link as shown.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderLink {
    pub id: i64,
    pub ref_no: String,
    /// `answers` or `follow_on` for actions; `agenda` for agenda items.
    pub relation: String,
}

/// One attendee.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttendeeView {
    /// `department`, `institution` or `enterprise`.
    pub kind: String,
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// One agenda item as shown.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgendaItemView {
    pub id: i64,
    pub sort: i64,
    pub source: String,
    pub title: String,
    pub node: Option<String>,
    pub category: Option<String>,
    pub enterprises: i64,
    pub orders: Vec<OrderLink>,
}

/// A decision and its action as shown.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionView {
    pub id: i64,
    pub council_id: i64,
    pub chain_id: i64,
    pub chain: String,
    pub item_id: Option<i64>,
    pub decision: String,
    pub department_id: Option<i64>,
    pub department: Option<String>,
    pub due_on: String,
    pub progress: i64,
    pub status: String,
    pub status_label: String,
    pub overdue: bool,
    pub closed_on: Option<String>,
    pub version: i64,
    pub orders: Vec<OrderLink>,
    pub updates: Vec<ActionUpdateRow>,
}

/// A meeting as lists show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CouncilSummary {
    pub id: i64,
    pub chain_id: i64,
    pub chain: String,
    pub year: i64,
    pub seq: i64,
    pub number: i64,
    pub title: String,
    pub scheduled_on: String,
    pub host_id: Option<i64>,
    pub host: Option<String>,
    pub location: String,
    pub status: String,
    pub status_label: String,
    pub held_on: Option<String>,
    pub version: i64,
}

/// A meeting with everything its page shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CouncilView {
    #[serde(flatten)]
    pub council: CouncilSummary,
    pub minutes: String,
    pub attendees: Vec<AttendeeView>,
    pub agenda: Vec<AgendaItemView>,
    pub actions: Vec<ActionView>,
}

/// The states of a council meeting.
pub const COUNCIL_STATUSES: [&str; 3] = ["scheduled", "held", "cancelled"];

#[cfg(feature = "openapi")]
fn council_status_schema() -> utoipa::openapi::schema::Schema {
    use lianshi_domain::schema::{Absent, one_of};
    one_of(COUNCIL_STATUSES, Absent::NullOrEmpty)
}

/// Edit a meeting (absent fields keep their value). `attendees` are `kind:code` entries
/// (`department:jxj`, `institution:…`, `enterprise:<credit code>`).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct CouncilInput {
    pub title: Option<String>,
    pub scheduled_on: Option<String>,
    /// Institution code or name; empty clears.
    pub host: Option<String>,
    pub location: Option<String>,
    /// `scheduled`, `held`, `cancelled` (`council_status_unknown` otherwise); absent or empty
    /// keeps it.
    #[cfg_attr(feature = "openapi", schema(schema_with = council_status_schema))]
    pub status: Option<String>,
    pub minutes: Option<String>,
    pub held_on: Option<String>,
    pub attendees: Option<Vec<String>>,
    pub version: Option<i64>,
}

/// A person's own agenda item.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct AgendaItemInput {
    pub title: String,
    /// Order references (`GD000123` or ids).
    pub orders: Vec<String>,
}

/// A follow-on order filed by the council.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct FollowOnInput {
    pub title: String,
    pub description: String,
    /// Credit code; default: the enterprise of the first order the decision answers.
    pub enterprise: Option<String>,
    pub category: Option<String>,
    /// Lead department; default: the action's owner department.
    pub department: Option<String>,
}

/// A decision (决议) recorded in the minutes.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct DecisionInput {
    pub decision: String,
    /// Owner department code or name.
    pub department: String,
    pub due_on: String,
    /// The agenda item it answers; its orders are linked unless `orders` is given.
    pub item_id: Option<i64>,
    pub orders: Vec<String>,
    pub progress: Option<i64>,
    pub follow_on: Option<FollowOnInput>,
}

/// A progress report.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ProgressInput {
    pub progress: i64,
    pub note: String,
    pub version: Option<i64>,
}

/// Which actions to list.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[serde(default)]
pub struct ActionQuery {
    pub chain: Option<String>,
    pub department: Option<String>,
    /// `open`, `done`, `overdue`.
    pub status: Option<String>,
}

fn bad(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::bad(code, zh, en)
}

fn date(field: &'static str, s: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        bad(
            "date_format",
            format!("{field}须为YYYY-MM-DD格式的日期"),
            format!("{field} must be a date YYYY-MM-DD"),
        )
    })
}

fn trimmed(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn order_ids(refs: &[String]) -> AppResult<Vec<i64>> {
    let mut out = Vec::new();
    for r in refs.iter().filter(|r| !r.trim().is_empty()) {
        let id = parse_ref(r).ok_or_else(|| {
            bad(
                "order_ref_invalid",
                format!("工单编号“{r}”无效"),
                format!("'{r}' is not an order reference"),
            )
        })?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

fn now_text() -> String {
    crate::order::sla::text_of(Utc::now())
}

impl App {
    fn chain_of(idx: &RegistryIndex, key: &str) -> AppResult<i64> {
        idx.find(RegistryKind::Chain, key)
            .map(|c| c.id)
            .ok_or_else(|| {
                bad(
                    "chain_unknown",
                    format!("未找到产业链“{key}”"),
                    format!("no chain '{key}'"),
                )
            })
    }

    fn summary(idx: &RegistryIndex, c: &CouncilRow, en: bool) -> CouncilSummary {
        CouncilSummary {
            id: c.id,
            chain_id: c.chain_id,
            chain: idx.name(Some(c.chain_id)).unwrap_or_default().to_string(),
            year: c.year,
            seq: c.seq,
            number: c.number,
            title: c.title.clone(),
            scheduled_on: c.scheduled_on.clone(),
            host_id: c.host_id,
            host: idx.name(c.host_id).map(str::to_string),
            location: c.location.clone(),
            status: c.status.clone(),
            status_label: status_label(&c.status, en),
            held_on: c.held_on.clone(),
            version: c.version,
        }
    }

    pub(crate) fn action_view(
        idx: &RegistryIndex,
        a: ActionRow,
        updates: Vec<ActionUpdateRow>,
        today: &str,
        en: bool,
    ) -> ActionView {
        ActionView {
            id: a.id,
            council_id: a.council_id,
            chain_id: a.chain_id,
            chain: idx.name(Some(a.chain_id)).unwrap_or_default().to_string(),
            item_id: a.item_id,
            decision: a.decision,
            department_id: a.department_id,
            department: idx.name(a.department_id).map(str::to_string),
            overdue: a.status == "open" && a.due_on.as_str() < today,
            due_on: a.due_on,
            progress: a.progress,
            status_label: status_label(&a.status, en),
            status: a.status,
            closed_on: a.closed_on,
            version: a.version,
            orders: a
                .orders
                .into_iter()
                .map(|(id, relation)| OrderLink {
                    id,
                    ref_no: order_ref(id),
                    relation,
                })
                .collect(),
            updates,
        }
    }

    /// Create the year's four quarterly meetings of a chain (those missing), each with the next
    /// host in rotation and the coalition's departments and institutions invited.
    pub async fn council_schedule(
        &self,
        actor: &Actor,
        chain: &str,
        year: i32,
    ) -> AppResult<Vec<CouncilSummary>> {
        perm::manage(actor)?;
        if !(2000..=2100).contains(&year) {
            return Err(bad(
                "year_out_of_range",
                "年份须在2000至2100之间",
                "the year must be between 2000 and 2100",
            ));
        }
        let idx = self.registry().await?;
        let chain_id = Self::chain_of(&idx, chain)?;
        let chain_pos = idx
            .of_kind(RegistryKind::Chain)
            .position(|c| c.id == chain_id)
            .unwrap_or(0);
        let institutions: Vec<i64> = idx
            .of_kind(RegistryKind::Institution)
            .map(|i| i.id)
            .collect();
        let mut invited: Vec<(String, i64)> = idx
            .of_kind(RegistryKind::Department)
            .map(|d| ("department".to_string(), d.id))
            .collect();
        invited.extend(institutions.iter().map(|i| ("institution".to_string(), *i)));
        let cal = self.calendar().await?;
        let existing = self
            .db
            .council_list(Some(chain_id), Some(i64::from(year)))
            .await?;
        let chain_name = idx.name(Some(chain_id)).unwrap_or_default().to_string();
        let mut tx = self.db.begin().await?;
        let mut number = council_last_number(tx.conn(), chain_id).await?;
        let mut created = Vec::new();
        for seq in 1..=4u32 {
            if existing.iter().any(|c| c.seq == i64::from(seq)) {
                continue;
            }
            number += 1;
            let on = quarter_date(&cal, year, seq).ok_or_else(|| {
                AppError::Internal(format!("no working day in quarter {seq} of {year}"))
            })?;
            let host_id = rotating_host(&institutions, chain_pos, number);
            let row = CouncilRow {
                chain_id,
                year: i64::from(year),
                seq: i64::from(seq),
                number,
                title: format!("{chain_name}链上议事会 {year}年第{seq}季度"),
                scheduled_on: on.to_string(),
                host_id,
                location: idx
                    .name(host_id)
                    .map(|h| format!("{h}会议室"))
                    .unwrap_or_default(),
                status: "scheduled".into(),
                created_at: now_text(),
                ..Default::default()
            };
            let id = council_insert(tx.conn(), &row).await?;
            council_attendees_set(tx.conn(), id, &invited).await?;
            audit_append(
                tx.conn(),
                &entry(
                    actor,
                    "council.schedule",
                    "council",
                    Some(id.to_string()),
                    None,
                    json(&row),
                ),
            )
            .await?;
            created.push(CouncilRow {
                id,
                version: 1,
                ..row
            });
        }
        tx.commit().await?;
        Ok(created
            .iter()
            .map(|c| Self::summary(&idx, c, false))
            .collect())
    }

    /// Meetings, optionally of one chain and year.
    pub async fn council_list(
        &self,
        actor: &Actor,
        chain: Option<&str>,
        year: Option<i64>,
        en: bool,
    ) -> AppResult<Vec<CouncilSummary>> {
        perm::view(actor)?;
        let idx = self.registry().await?;
        let chain_id = match chain.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(Self::chain_of(&idx, c)?),
            None => None,
        };
        Ok(self
            .db
            .council_list(chain_id, year)
            .await?
            .iter()
            .map(|c| Self::summary(&idx, c, en))
            .collect())
    }

    async fn council_row(&self, id: i64) -> AppResult<CouncilRow> {
        self.db
            .council_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("council {id}")))
    }

    /// One meeting with attendees, agenda, minutes and actions.
    pub async fn council_get(&self, actor: &Actor, id: i64, en: bool) -> AppResult<CouncilView> {
        perm::view(actor)?;
        let idx = self.registry().await?;
        let c = self.council_row(id).await?;
        let categories = self.db.order_categories().await?;
        let mut attendees = Vec::new();
        let mut ent_ids = Vec::new();
        for (kind, ref_id) in self.db.council_attendees(id).await? {
            if kind == "enterprise" {
                ent_ids.push(ref_id);
                continue;
            }
            if let Some(r) = idx.get(ref_id) {
                attendees.push(AttendeeView {
                    kind,
                    id: ref_id,
                    code: r.code.clone().unwrap_or_default(),
                    name: r.name.clone(),
                });
            }
        }
        for (id, uscc, name) in self.db.enterprise_names(&ent_ids).await? {
            attendees.push(AttendeeView {
                kind: "enterprise".into(),
                id,
                code: uscc,
                name,
            });
        }
        let agenda = self
            .db
            .council_agenda(id)
            .await?
            .into_iter()
            .map(|i| AgendaItemView {
                id: i.id,
                sort: i.sort,
                source: i.source,
                title: i.title,
                node: i
                    .node_id
                    .and_then(|n| idx.name(Some(n)))
                    .map(str::to_string),
                category: i.category.as_ref().map(|code| {
                    categories
                        .iter()
                        .find(|c| &c.code == code)
                        .map(|c| {
                            if en {
                                c.name_en.clone()
                            } else {
                                c.name_zh.clone()
                            }
                        })
                        .unwrap_or_else(|| code.clone())
                }),
                enterprises: i.enterprises,
                orders: i
                    .order_ids
                    .into_iter()
                    .map(|o| OrderLink {
                        id: o,
                        ref_no: order_ref(o),
                        relation: "agenda".into(),
                    })
                    .collect(),
            })
            .collect();
        let today = Self::today().to_string();
        let mut actions = Vec::new();
        for a in self
            .db
            .council_actions(&ActionFilter {
                council_id: Some(id),
                ..Default::default()
            })
            .await?
        {
            let ups = self.db.council_action_updates(a.id).await?;
            actions.push(Self::action_view(&idx, a, ups, &today, en));
        }
        Ok(CouncilView {
            council: Self::summary(&idx, &c, en),
            minutes: c.minutes,
            attendees,
            agenda,
            actions,
        })
    }

    /// Edit a meeting: date, host, place, status, minutes, attendees.
    pub async fn council_update(
        &self,
        actor: &Actor,
        id: i64,
        inp: &CouncilInput,
    ) -> AppResult<CouncilView> {
        perm::manage(actor)?;
        let idx = self.registry().await?;
        let c = self.council_row(id).await?;
        let title = match trimmed(&inp.title) {
            Some(t) => crate::text::name("title", &t)?,
            None => c.title.clone(),
        };
        let location = match inp.location.as_deref() {
            Some(l) => crate::text::line("location", l)?.to_string(),
            None => c.location.clone(),
        };
        let minutes = match inp.minutes.as_deref() {
            Some(m) => crate::text::multiline("minutes", m)?.to_string(),
            None => c.minutes.clone(),
        };
        let mut w = CouncilWrite {
            title,
            scheduled_on: c.scheduled_on.clone(),
            host_id: c.host_id,
            location,
            status: c.status.clone(),
            minutes,
            held_on: c.held_on.clone(),
            updated_at: now_text(),
        };
        if let Some(d) = trimmed(&inp.scheduled_on) {
            w.scheduled_on = date("召开日期", &d)?.to_string();
        }
        if let Some(h) = &inp.host {
            w.host_id = if h.trim().is_empty() {
                None
            } else {
                Some(
                    idx.find(RegistryKind::Institution, h)
                        .map(|i| i.id)
                        .ok_or_else(|| {
                            bad(
                                "institution_unknown",
                                format!("未找到联盟成员单位“{h}”"),
                                format!("no institution '{h}'"),
                            )
                        })?,
                )
            };
        }
        if let Some(s) = trimmed(&inp.status) {
            if !COUNCIL_STATUSES.contains(&s.as_str()) {
                return Err(bad(
                    "council_status_unknown",
                    format!("未知会议状态“{s}”，可选：scheduled, held, cancelled"),
                    format!("unknown status '{s}'; expected scheduled, held or cancelled"),
                ));
            }
            w.status = s;
        }
        if let Some(d) = trimmed(&inp.held_on) {
            w.held_on = Some(date("召开日期", &d)?.to_string());
            if inp.status.is_none() {
                w.status = "held".into();
            }
        }
        if w.status == "held" && w.held_on.is_none() {
            w.held_on = Some(w.scheduled_on.clone());
        }
        let attendees = match &inp.attendees {
            Some(list) => {
                let mut out = Vec::new();
                for a in list.iter().filter(|a| !a.trim().is_empty()) {
                    let (kind, key) = a.split_once(':').unwrap_or(("department", a));
                    let id = match kind.trim() {
                        "department" => idx.find(RegistryKind::Department, key).map(|d| d.id),
                        "institution" => idx.find(RegistryKind::Institution, key).map(|d| d.id),
                        "enterprise" => self
                            .db
                            .enterprise_by_uscc(&key.trim().to_ascii_uppercase())
                            .await?
                            .map(|e| e.id),
                        _ => None,
                    }
                    .ok_or_else(|| {
                        bad(
                            "attendee_unknown",
                            format!("未找到参会单位“{a}”（格式：department:代码、institution:代码、enterprise:信用代码）"),
                            format!("unknown attendee '{a}' (department:code, institution:code or enterprise:credit code)"),
                        )
                    })?;
                    out.push((kind.trim().to_string(), id));
                }
                Some(out)
            }
            None => None,
        };
        let mut tx = self.db.begin().await?;
        council_update(tx.conn(), id, inp.version.unwrap_or(c.version), &w).await?;
        if let Some(a) = &attendees {
            council_attendees_set(tx.conn(), id, a).await?;
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "council.update",
                "council",
                Some(id.to_string()),
                json(&c),
                Some(serde_json::json!({"meeting": w, "attendees": attendees})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.council_get(actor, id, false).await
    }

    /// Draft the agenda: drafted items are replaced (people's own items and items an action
    /// refers to stay) by one item per escalated order still open and on no agenda, then one per
    /// recurring pain point (≥ `rules.min_orders` orders on the same chain node and category
    /// within `rules.window_days` before the meeting, or still open).
    pub async fn council_agenda_draft(
        &self,
        actor: &Actor,
        id: i64,
        rules: AgendaRules,
        now: DateTime<Utc>,
    ) -> AppResult<CouncilView> {
        perm::manage(actor)?;
        if rules.min_orders < 1 || !(1..=3660).contains(&rules.window_days) {
            return Err(bad(
                "agenda_rules_invalid",
                "门槛须至少为1件，时间窗须在1至3660天之间",
                "the threshold must be at least 1 and the window 1–3660 days",
            ));
        }
        let idx = self.registry().await?;
        let c = self.council_row(id).await?;
        let meeting = date("召开日期", &c.scheduled_on)?;
        // Until the meeting day ends (China time), but never beyond now.
        let day_end = crate::order::sla::utc_text(
            (meeting + Duration::days(1))
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default(),
        );
        let until = std::cmp::min(day_end, crate::order::sla::text_of(now));
        let since = crate::order::sla::utc_text(
            (meeting - Duration::days(rules.window_days))
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default(),
        );
        let categories = self.db.order_categories().await?;
        let cat_name = |code: &str| {
            categories
                .iter()
                .find(|c| c.code == code)
                .map(|c| c.name_zh.clone())
                .unwrap_or_else(|| code.to_string())
        };
        let mut tx = self.db.begin().await?;
        agenda_items_delete(tx.conn(), id, None).await?;
        tx.commit().await?;
        let escalated = self.db.council_escalated(c.chain_id, &until).await?;
        let recurring = self
            .db
            .council_recurring(c.chain_id, &since, &until, rules.min_orders)
            .await?;
        let kept = self.db.council_agenda(id).await?;
        let mut sort = kept.iter().map(|i| i.sort).max().unwrap_or(0);
        let created_at = now_text();
        let mut items = Vec::new();
        for e in &escalated {
            sort += 1;
            items.push(AgendaItemRow {
                council_id: id,
                sort,
                source: "escalated".into(),
                title: format!(
                    "督办升级（{}级）：{} {}（{}）",
                    e.level,
                    order_ref(e.order_id),
                    e.title,
                    e.enterprise_name
                ),
                node_id: e.node_id,
                category: Some(e.category.clone()),
                enterprises: 1,
                created_at: created_at.clone(),
                order_ids: vec![e.order_id],
                ..Default::default()
            });
        }
        for r in &recurring {
            sort += 1;
            let node = idx.name(Some(r.node_id)).unwrap_or_default();
            items.push(AgendaItemRow {
                council_id: id,
                sort,
                source: "recurring".into(),
                title: format!(
                    "{}家企业在“{node}”环节反映“{}”问题（{}件诉求）",
                    r.enterprises,
                    cat_name(&r.category),
                    r.orders
                ),
                node_id: Some(r.node_id),
                category: Some(r.category.clone()),
                enterprises: r.enterprises,
                created_at: created_at.clone(),
                order_ids: r.order_ids.clone(),
                ..Default::default()
            });
        }
        let mut tx = self.db.begin().await?;
        for i in &items {
            agenda_item_insert(tx.conn(), i).await?;
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "council.agenda_draft",
                "council",
                Some(id.to_string()),
                None,
                Some(serde_json::json!({"rules": rules, "escalated": escalated.len(), "recurring": recurring.len()})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.council_get(actor, id, false).await
    }

    /// Add a person's own agenda item at the end.
    pub async fn council_agenda_add(
        &self,
        actor: &Actor,
        id: i64,
        inp: &AgendaItemInput,
    ) -> AppResult<CouncilView> {
        perm::manage(actor)?;
        let c = self.council_row(id).await?;
        let title = if inp.title.trim().is_empty() {
            String::new()
        } else {
            crate::text::name("title", &inp.title)?
        };
        let title = title.as_str();
        if title.is_empty() || title.chars().count() > 300 {
            return Err(bad(
                "agenda_title_invalid",
                "议题不能为空，最长300字",
                "an agenda item needs a title of at most 300 characters",
            ));
        }
        let orders = order_ids(&inp.orders)?;
        for o in &orders {
            if self.db.order_get(*o).await?.is_none() {
                return Err(AppError::NotFound(order_ref(*o)));
            }
        }
        let sort = self
            .db
            .council_agenda(id)
            .await?
            .iter()
            .map(|i| i.sort)
            .max()
            .unwrap_or(0)
            + 1;
        let item = AgendaItemRow {
            council_id: c.id,
            sort,
            source: "manual".into(),
            title: title.to_string(),
            enterprises: 0,
            created_at: now_text(),
            order_ids: orders,
            ..Default::default()
        };
        let mut tx = self.db.begin().await?;
        let item_id = agenda_item_insert(tx.conn(), &item).await?;
        audit_append(
            tx.conn(),
            &entry(actor, "council.agenda_add", "council", Some(id.to_string()), None,
                Some(serde_json::json!({"item_id": item_id, "title": item.title, "orders": item.order_ids}))),
        )
        .await?;
        tx.commit().await?;
        self.council_get(actor, id, false).await
    }

    /// Remove an agenda item (one an action refers to stays: 409).
    pub async fn council_agenda_remove(
        &self,
        actor: &Actor,
        id: i64,
        item_id: i64,
    ) -> AppResult<CouncilView> {
        perm::manage(actor)?;
        self.council_row(id).await?;
        let before = self.db.council_agenda(id).await?;
        let item = before
            .iter()
            .find(|i| i.id == item_id)
            .ok_or_else(|| AppError::NotFound(format!("agenda item {item_id}")))?;
        let mut tx = self.db.begin().await?;
        let n = agenda_items_delete(tx.conn(), id, Some(item_id)).await?;
        if n == 0 {
            return Err(AppError::Conflict(
                "议题已有决议，不能删除 / the item has a decision and cannot be removed".into(),
            ));
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "council.agenda_remove",
                "council",
                Some(id.to_string()),
                json(item),
                None,
            ),
        )
        .await?;
        tx.commit().await?;
        self.council_get(actor, id, false).await
    }

    /// Put the agenda in the order of `ids` (items not named follow).
    pub async fn council_agenda_reorder(
        &self,
        actor: &Actor,
        id: i64,
        ids: &[i64],
    ) -> AppResult<CouncilView> {
        perm::manage(actor)?;
        self.council_row(id).await?;
        let mut tx = self.db.begin().await?;
        agenda_reorder(tx.conn(), id, ids).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "council.agenda_reorder",
                "council",
                Some(id.to_string()),
                None,
                Some(serde_json::json!({"order": ids})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.council_get(actor, id, false).await
    }

    /// Record a decision as an action item, linked to the orders it answers; with `follow_on`,
    /// first file a follow-on order (channel `council`) through the orders use case.
    pub async fn council_decide(
        &self,
        actor: &Actor,
        id: i64,
        inp: &DecisionInput,
        now: DateTime<Utc>,
    ) -> AppResult<ActionView> {
        perm::manage(actor)?;
        let idx = self.registry().await?;
        let c = self.council_row(id).await?;
        let decision = crate::text::multiline("decision", &inp.decision)?;
        if decision.is_empty() || decision.chars().count() > 1000 {
            return Err(bad(
                "decision_invalid",
                "决议内容不能为空，最长1000字",
                "a decision needs a text of at most 1000 characters",
            ));
        }
        let department_id = idx
            .find(RegistryKind::Department, &inp.department)
            .map(|d| d.id)
            .ok_or_else(|| {
                bad(
                    "department_unknown",
                    format!("未找到责任部门“{}”", inp.department),
                    format!("no department '{}'", inp.department),
                )
            })?;
        let due = date("完成时限", &inp.due_on)?;
        let progress = inp.progress.unwrap_or(0);
        if !(0..=100).contains(&progress) {
            return Err(bad(
                "progress_range",
                "进度须在0至100之间",
                "progress must be 0–100",
            ));
        }
        let agenda = self.db.council_agenda(id).await?;
        let item = match inp.item_id {
            Some(i) => Some(
                agenda
                    .iter()
                    .find(|x| x.id == i)
                    .ok_or_else(|| AppError::NotFound(format!("agenda item {i}")))?,
            ),
            None => None,
        };
        let mut answers = order_ids(&inp.orders)?;
        if answers.is_empty()
            && let Some(i) = item
        {
            answers = i.order_ids.clone();
        }
        for o in &answers {
            if self.db.order_get(*o).await?.is_none() {
                return Err(AppError::NotFound(order_ref(*o)));
            }
        }
        let mut links: Vec<(i64, String)> = answers
            .iter()
            .map(|o| (*o, "answers".to_string()))
            .collect();
        if let Some(f) = &inp.follow_on {
            let enterprise = match trimmed(&f.enterprise) {
                Some(e) => Some(e),
                None => match answers.first() {
                    Some(o) => self.db.order_get(*o).await?.map(|r| r.uscc),
                    None => None,
                },
            };
            let dept_code = idx
                .get(department_id)
                .and_then(|d| d.code.clone())
                .unwrap_or_default();
            let order = self
                .order_create_at(
                    actor,
                    &OrderInput {
                        enterprise,
                        title: Some(f.title.clone()),
                        description: Some(format!(
                            "{}\n——{}决议：{decision}",
                            f.description.trim(),
                            c.title
                        )),
                        category: f.category.clone(),
                        channel: Some("council".into()),
                        department: trimmed(&f.department).or(Some(dept_code)),
                        ..Default::default()
                    },
                    now,
                )
                .await?;
            links.push((order.order.id, "follow_on".into()));
        }
        let done = progress == 100;
        let row = ActionRow {
            council_id: id,
            chain_id: c.chain_id,
            item_id: item.map(|i| i.id),
            decision: decision.to_string(),
            department_id: Some(department_id),
            due_on: due.to_string(),
            progress,
            status: if done { "done" } else { "open" }.into(),
            closed_on: done.then(|| (now + Duration::hours(8)).date_naive().to_string()),
            created_at: crate::order::sla::text_of(now),
            orders: links,
            ..Default::default()
        };
        let mut tx = self.db.begin().await?;
        let aid = action_insert(tx.conn(), &row).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "council.decide",
                "council_action",
                Some(aid.to_string()),
                None,
                json(&row),
            ),
        )
        .await?;
        tx.commit().await?;
        self.council_action(actor, aid, false).await
    }

    /// One action with its progress reports.
    pub async fn council_action(&self, actor: &Actor, id: i64, en: bool) -> AppResult<ActionView> {
        perm::view(actor)?;
        let idx = self.registry().await?;
        let a = self
            .db
            .council_action_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("council action {id}")))?;
        let ups = self.db.council_action_updates(id).await?;
        Ok(Self::action_view(
            &idx,
            a,
            ups,
            &Self::today().to_string(),
            en,
        ))
    }

    /// Report progress on an action (owner department or admin); 100 % closes it on `today`.
    pub async fn council_action_progress(
        &self,
        actor: &Actor,
        id: i64,
        inp: &ProgressInput,
        today: NaiveDate,
    ) -> AppResult<ActionView> {
        let a = self
            .db
            .council_action_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("council action {id}")))?;
        perm::report_progress(actor, a.department_id)?;
        if !(0..=100).contains(&inp.progress) {
            return Err(bad(
                "progress_range",
                "进度须在0至100之间",
                "progress must be 0–100",
            ));
        }
        let note = crate::text::line("note", &inp.note)?;
        if note.chars().count() > 1000 {
            return Err(bad(
                "note_too_long",
                "说明最长1000字",
                "the note is at most 1000 characters",
            ));
        }
        let (status, closed) = if inp.progress == 100 {
            ("done", Some(today.to_string()))
        } else {
            ("open", None)
        };
        let mut tx = self.db.begin().await?;
        action_progress(
            tx.conn(),
            id,
            inp.version.unwrap_or(a.version),
            inp.progress,
            status,
            closed.as_deref(),
            note,
            &actor.display_name,
            &now_text(),
        )
        .await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "council.progress",
                "council_action",
                Some(id.to_string()),
                Some(serde_json::json!({"progress": a.progress, "status": a.status})),
                Some(serde_json::json!({"progress": inp.progress, "status": status, "note": note})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.council_action(actor, id, false).await
    }

    /// Link an existing order to an action as answered by it.
    pub async fn council_action_link(
        &self,
        actor: &Actor,
        id: i64,
        order: &str,
    ) -> AppResult<ActionView> {
        perm::manage(actor)?;
        let oid = order_ids(&[order.to_string()])?
            .first()
            .copied()
            .ok_or_else(|| {
                bad(
                    "order_ref_invalid",
                    "请填写工单编号",
                    "an order reference is required",
                )
            })?;
        if self.db.order_get(oid).await?.is_none() {
            return Err(AppError::NotFound(order_ref(oid)));
        }
        self.db
            .council_action_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("council action {id}")))?;
        let mut tx = self.db.begin().await?;
        action_link_order(tx.conn(), id, oid, "answers").await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "council.link",
                "council_action",
                Some(id.to_string()),
                None,
                Some(serde_json::json!({"order": order_ref(oid)})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.council_action(actor, id, false).await
    }

    /// Actions across meetings (a department officer's own by default filter).
    pub async fn council_actions(
        &self,
        actor: &Actor,
        q: &ActionQuery,
        en: bool,
    ) -> AppResult<Vec<ActionView>> {
        perm::view(actor)?;
        let idx = self.registry().await?;
        let chain_id = match trimmed(&q.chain) {
            Some(c) => Some(Self::chain_of(&idx, &c)?),
            None => None,
        };
        let department_id = match trimmed(&q.department) {
            Some(d) => Some(Self::department_of(&idx, &d)?),
            None => None,
        };
        let today = Self::today().to_string();
        let rows = self
            .db
            .council_actions(&ActionFilter {
                chain_id,
                department_id,
                status: trimmed(&q.status),
                today: today.clone(),
                ..Default::default()
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|a| Self::action_view(&idx, a, Vec::new(), &today, en))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    #[test]
    fn hosts_rotate_round_robin_by_meeting_number_from_the_chain_position() {
        let inst = [10, 11, 12];
        assert_eq!(rotating_host(&inst, 0, 1), Some(10));
        assert_eq!(rotating_host(&inst, 0, 2), Some(11));
        assert_eq!(rotating_host(&inst, 0, 4), Some(10));
        assert_eq!(rotating_host(&inst, 1, 1), Some(11));
        assert_eq!(rotating_host(&inst, 2, 2), Some(10));
        assert_eq!(rotating_host(&[], 0, 1), None);
        assert_eq!(rotating_host(&inst, 0, 0), None);
    }

    #[test]
    fn quarterly_meetings_fall_on_a_working_day_around_the_quarter_end() {
        let cal = Calendar::official();
        for seq in 1..=4 {
            let d = quarter_date(&cal, 2025, seq).unwrap();
            assert!(cal.is_workday(d));
            assert_eq!(d.month(), seq * 3);
            assert!(d.day() >= 15);
        }
        // 2025-06-15 is a Sunday: the meeting moves to Monday the 16th.
        assert_eq!(
            quarter_date(&cal, 2025, 2).unwrap(),
            NaiveDate::from_ymd_opt(2025, 6, 16).unwrap()
        );
    }

    #[test]
    fn minutes_of_a_meeting_without_agenda_say_so_and_list_no_empty_decisions() {
        let on = NaiveDate::from_ymd_opt(2025, 6, 16).unwrap();
        let m = minutes_text("链上议事会", on, Some("某协会"), &[], &[]);
        assert!(m.contains("本次会议未列入议题。"), "{m}");
        assert!(!m.contains("0项议题"), "{m}");
        assert!(!m.contains("决议如下"), "{m}");
        let items = vec!["融资难".to_string(), "用地".to_string()];
        let m = minutes_text("链上议事会", on, None, &items, &[]);
        assert!(m.contains("会议听取了2项议题：\n1. 融资难\n2. 用地"), "{m}");
        assert!(m.contains("本次会议未形成决议。"), "{m}");
        assert!(!m.contains("决议如下"), "{m}");
        let m = minutes_text("链上议事会", on, None, &items, &["由A牵头".to_string()]);
        assert!(
            m.ends_with("会议形成决议如下，由责任部门按期推进：\n1. 由A牵头"),
            "{m}"
        );
    }

    #[test]
    fn progress_may_be_reported_only_by_the_owner_department_or_the_centre() {
        use lianshi_domain::Role;
        let mut a = Actor::system(crate::Source::Api);
        assert!(perm::report_progress(&a, Some(3)).is_ok());
        a.role = Role::Department;
        a.department_id = Some(3);
        assert!(perm::report_progress(&a, Some(3)).is_ok());
        assert!(perm::report_progress(&a, Some(4)).is_err());
        assert!(perm::manage(&a).is_err());
        a.role = Role::Enterprise;
        assert!(perm::view(&a).is_err());
    }
}
