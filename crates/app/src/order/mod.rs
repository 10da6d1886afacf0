//! Work orders (诉求/堵点): create (portal, hotline/12345 hand-over, visit, council, Open311),
//! list, one order with its history and due-time explanation, and actions on the 12345 loop.
//!
//! Invariants: every change of state goes through [`lianshi_domain::order::apply`] inside
//! [`App::order_step`], which writes the order row (optimistic lock on `version`), one
//! `order_events` row, the SLA pause/stop bookkeeping and — for people, not the demo loader —
//! one audit entry, all in the caller's transaction. Orders are never deleted.
//!
//! Permissions are the [`perm`] section below: pure functions of the actor and the facts the use
//! case loaded (the order's departments, the enterprise's team, the actor's teams).

pub mod open311;
pub mod sla;

use crate::order::sla::{compute_due, local, text_of};
use crate::zone::{RegistryIndex, entry};
use crate::{Actor, App, AppError, AppResult, Source};
use chrono::{DateTime, Utc};
use lianshi_domain::Role;
use lianshi_domain::calendar::Calendar;
use lianshi_domain::order::{
    ActionKind, ClockEffect, EventKind, ExtensionStatus, OrderAction, OrderSnapshot, OrderState,
    Satisfaction, Transition, Urgency, allowed_actions, apply,
};
use lianshi_domain::sla::SlaClock;
use lianshi_domain::zone::RegistryKind;
use lianshi_store::Tx;
use lianshi_store::audit::{AuditEntry, audit_append};
use lianshi_store::order::{
    CallbackRow, EventRow, NewOrder, OrderFilter, OrderRow, OrderStateWrite, PauseRow,
    council_propose, order_callback_insert, order_cohandlers_set, order_event_insert, order_insert,
    order_pause_close, order_pause_open, order_update,
};

/// Channels an order can arrive through. Stored as the string form.
pub const CHANNELS: [(&str, &str, &str); 7] = [
    ("portal", "企业门户", "Enterprise portal"),
    ("hotline", "服务热线", "Service hotline"),
    ("12345", "12345转办", "12345 hand-over"),
    ("visit", "走访发现", "Found on a visit"),
    ("council", "链上议事会", "Chain council"),
    ("open311", "Open311接口", "Open311 API"),
    ("staff", "工作人员代录", "Entered by staff"),
];

/// The channel names the API accepts: the keys of [`CHANNELS`].
#[cfg(feature = "openapi")]
fn channel_schema() -> utoipa::openapi::schema::Schema {
    use lianshi_domain::schema::{Absent, one_of};
    one_of(CHANNELS.iter().map(|(k, _, _)| *k), Absent::NullOrEmpty)
}

#[cfg(feature = "openapi")]
fn channel_of_view() -> utoipa::openapi::schema::Schema {
    use lianshi_domain::schema::{Absent, one_of};
    one_of(CHANNELS.iter().map(|(k, _, _)| *k), Absent::No)
}

/// Human reference of an order: `GD000123`.
pub fn order_ref(id: i64) -> String {
    format!("GD{id:06}")
}

/// Parse `GD000123` or `123`.
pub fn parse_ref(s: &str) -> Option<i64> {
    let t = s.trim();
    let t = t
        .strip_prefix("GD")
        .or_else(|| t.strip_prefix("gd"))
        .unwrap_or(t);
    t.parse().ok().filter(|n: &i64| *n > 0)
}

fn channel_label(c: &str) -> String {
    CHANNELS
        .iter()
        .find(|(k, _, _)| *k == c)
        .map(|(_, zh, _)| zh.to_string())
        .unwrap_or_else(|| c.to_string())
}

/// A new order as the form, the API and Open311 send it (codes or names).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct OrderInput {
    /// Credit code of the enterprise (an enterprise user may omit it: its own).
    pub enterprise: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    /// Category code or Chinese name.
    pub category: Option<String>,
    pub tags: Vec<String>,
    /// `normal` / `urgent` (一般/紧急); `normal` when absent or empty.
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = lianshi_domain::schema::urgency_or_default)
    )]
    pub urgency: Option<String>,
    /// One of [`CHANNELS`] (`order_channel_unknown` otherwise); forced to `portal` for
    /// enterprise users; `staff` (or `visit` with `visit_id`) when absent or empty.
    #[cfg_attr(feature = "openapi", schema(schema_with = channel_schema))]
    pub channel: Option<String>,
    /// Chain node code or `链名/环节名`; default: the enterprise's first node.
    pub node: Option<String>,
    /// Lead department code or name; default: the category's routing.
    pub department: Option<String>,
    /// Co-handling department codes or names.
    pub cohandlers: Vec<String>,
    /// Follow-on child order of this order (to another department).
    pub parent_id: Option<i64>,
    pub visit_id: Option<i64>,
}

/// An order checked by [`App::order_prepare`], ready for [`App::order_create_in`].
#[derive(Debug, Clone)]
pub(crate) struct PreparedOrder {
    pub(crate) new: NewOrder,
    pub(crate) cohandlers: Vec<i64>,
    pub(crate) urgent: bool,
}

/// List query as pages and the API send it.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[serde(default)]
pub struct OrderQuery {
    /// A state (`in_progress`, 办理中…) or `open` (`order_state_unknown` otherwise); empty is
    /// no filter.
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = lianshi_domain::schema::order_state_filter),
        param(schema_with = lianshi_domain::schema::order_state_filter)
    )]
    pub state: Option<String>,
    pub category: Option<String>,
    /// Lead department code or name.
    pub department: Option<String>,
    /// Enterprise credit code.
    pub enterprise: Option<String>,
    /// Chain code or name.
    pub chain: Option<String>,
    /// Only open orders past their due time.
    pub overdue: Option<bool>,
    pub q: Option<String>,
    pub parent_id: Option<i64>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The due time of an order and how it came about.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DueView {
    /// Local (China) time, `YYYY-MM-DD HH:MM`; `None` while suspended before the due time.
    pub at: Option<String>,
    pub limit: String,
    pub limit_label: String,
    pub extension_days: u32,
    pub paused_working_minutes: i64,
    pub fallback_years: Vec<i32>,
    /// Bilingual lines: limit, extension, pauses, fallback years, result (and overdue).
    pub explanation: Vec<String>,
    pub overdue: bool,
    pub overdue_working_minutes: i64,
}

/// An order as lists, pages and the API show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderView {
    pub id: i64,
    pub ref_no: String,
    pub enterprise_id: i64,
    pub enterprise_uscc: String,
    pub enterprise_name: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub category_name: String,
    pub tags: Vec<String>,
    pub urgency: Urgency,
    pub urgency_label: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = channel_of_view))]
    pub channel: String,
    pub channel_label: String,
    pub chain: Option<String>,
    pub node: Option<String>,
    pub department_code: Option<String>,
    pub department: Option<String>,
    pub cohandlers: Vec<String>,
    pub parent_id: Option<i64>,
    pub visit_id: Option<i64>,
    pub state: OrderState,
    pub state_label: String,
    pub resume_to: Option<OrderState>,
    pub extension: ExtensionStatus,
    pub supervision_level: i64,
    pub reopen_count: i64,
    pub return_count: i64,
    pub rating: Option<Satisfaction>,
    pub due: Option<DueView>,
    pub overdue: bool,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
    pub version: i64,
}

/// One entry of an order's history.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventView {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub event: String,
    pub event_label: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub to_state_label: String,
    pub payload: serde_json::Value,
}

/// An action the current user may take now.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = OrderActionView))]
pub struct ActionView {
    pub kind: ActionKind,
    pub action: String,
    pub label: String,
}

/// One order with everything its page shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderDetail {
    #[serde(flatten)]
    pub order: OrderView,
    pub history: Vec<EventView>,
    pub callbacks: Vec<CallbackRow>,
    pub children: Vec<i64>,
    pub actions: Vec<ActionView>,
    pub council_proposed: bool,
}

/// One page of the list.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderPage {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub items: Vec<OrderView>,
}

/// Who may do what with orders (the table is in the module).
pub mod perm;

use perm::OrderFacts;

fn bad(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::bad(code, zh, en)
}

fn trimmed(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The snapshot the state machine works on, read from a stored row.
pub(crate) fn snapshot(row: &OrderRow, idx: &RegistryIndex) -> OrderSnapshot {
    OrderSnapshot {
        state: OrderState::parse(&row.state).unwrap_or(OrderState::Registered),
        resume_to: row
            .resume_to
            .as_deref()
            .and_then(|s| OrderState::parse(s).ok()),
        department: row
            .department_id
            .and_then(|d| idx.get(d))
            .map(|d| d.code.clone().unwrap_or_else(|| d.name.clone())),
        extension: serde_json::from_str(&row.extension_json).unwrap_or_default(),
        extension_days: u32::try_from(row.extension_days).unwrap_or(0),
        supervision_level: u8::try_from(row.supervision_level).unwrap_or(0),
        reopen_count: u32::try_from(row.reopen_count).unwrap_or(0),
        return_count: u32::try_from(row.return_count).unwrap_or(0),
        rating: row
            .rating
            .as_deref()
            .and_then(|r| Satisfaction::parse(r).ok()),
    }
}

/// Payload of an action worth keeping in the history (texts, reasons, departments, levels).
/// The history entry and the audit entry of step `t` (`action`) taken by `actor` on order
/// `row`, which already holds the new state; `version_before` is its version before the step
/// (the step makes it one more). The SLA scan's supervisions and every other step share them.
pub(crate) fn step_records(
    actor: &Actor,
    row: &OrderRow,
    before: &OrderSnapshot,
    action: &OrderAction,
    t: &Transition,
    at_text: &str,
    version_before: i64,
) -> (EventRow, AuditEntry) {
    let p = payload(action);
    let event = EventRow {
        order_id: row.id,
        actor_id: actor.user_id,
        actor_name: actor.display_name.clone(),
        from_state: Some(before.state.as_str().into()),
        to_state: row.state.clone(),
        event: t.event.as_str().into(),
        payload_json: p.to_string(),
        at: at_text.to_string(),
        ..Default::default()
    };
    let audit = entry(
        actor,
        &format!("order.{}", action.kind().as_str()),
        "order",
        Some(order_ref(row.id)),
        Some(serde_json::json!({"state": before.state, "version": version_before})),
        Some(
            serde_json::json!({"state": row.state, "event": t.event, "payload": p, "version": version_before + 1}),
        ),
    );
    (event, audit)
}

pub(crate) fn payload(action: &OrderAction) -> serde_json::Value {
    let mut v = serde_json::to_value(action).unwrap_or_default();
    if let Some(m) = v.as_object_mut() {
        m.remove("action");
    }
    v
}

impl App {
    /// Facts of an order for permission checks.
    pub(crate) async fn order_facts(&self, row: &OrderRow) -> AppResult<OrderFacts> {
        Ok(OrderFacts {
            enterprise_id: row.enterprise_id,
            department_id: row.department_id,
            cohandlers: self.db.order_cohandlers(row.id).await?,
            team_id: self
                .db
                .assignment_of(row.enterprise_id)
                .await?
                .map(|a| a.team_id),
        })
    }

    /// Teams the actor serves in (leader or member).
    pub(crate) async fn order_teams(&self, actor: &Actor) -> AppResult<Vec<i64>> {
        match (actor.role, actor.user_id) {
            (Role::Enterprise | Role::Provider | Role::Finance, _) | (_, None) => Ok(Vec::new()),
            (_, Some(u)) => Ok(self.db.team_ids_of_user(u).await?),
        }
    }

    async fn load_order(
        &self,
        actor: &Actor,
        id: i64,
    ) -> AppResult<(OrderRow, OrderFacts, Vec<i64>)> {
        let row = self
            .db
            .order_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("order {}", order_ref(id))))?;
        let facts = self.order_facts(&row).await?;
        let mine = self.order_teams(actor).await?;
        perm::view_order(actor, &mine, &facts)?;
        Ok((row, facts, mine))
    }

    /// Which of the orders `ids` `actor` may open (pages link only those): none, without a
    /// query, for a role that may open no order at all.
    pub async fn orders_openable(&self, actor: &Actor, ids: &[i64]) -> AppResult<Vec<i64>> {
        if perm::list_scope(actor, &[]).is_err() {
            return Ok(Vec::new());
        }
        let mine = self.order_teams(actor).await?;
        let mut out = Vec::new();
        for &id in ids {
            if out.contains(&id) {
                continue;
            }
            if let Some(row) = self.db.order_get(id).await? {
                let facts = self.order_facts(&row).await?;
                if perm::view_order(actor, &mine, &facts).is_ok() {
                    out.push(id);
                }
            }
        }
        Ok(out)
    }

    /// An order as shown, with its due time evaluated at `now`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn order_view(
        &self,
        idx: &RegistryIndex,
        cal: &Calendar,
        categories: &[lianshi_store::order::CategoryRow],
        row: &OrderRow,
        cohandlers: &[i64],
        pauses: &[PauseRow],
        now: DateTime<Utc>,
        en: bool,
    ) -> OrderView {
        let snap = snapshot(row, idx);
        let urgency = Urgency::parse(&row.urgency).unwrap_or(Urgency::Normal);
        let due = compute_due(cal, row, pauses).map(|d| {
            let clock = SlaClock::new(cal);
            let until = match &row.stopped_at {
                Some(s) => local(s),
                None if snap.state.is_open() => Some(local_now(now)),
                None => None,
            };
            let breach = until.and_then(|t| clock.breach(&d, t));
            let limit = d.limit;
            DueView {
                at: d.at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
                limit: row.sla_limit.clone(),
                limit_label: if en {
                    limit.label_en()
                } else {
                    limit.label_zh()
                },
                extension_days: d.extension_days,
                paused_working_minutes: d.paused_working_minutes,
                fallback_years: d.fallback_years.clone(),
                overdue: breach.is_some(),
                overdue_working_minutes: breach.as_ref().map_or(0, |b| b.overdue_working_minutes),
                explanation: match breach {
                    Some(b) => b.explanation,
                    None => d.explanation,
                },
            }
        });
        let overdue = snap.state.is_open() && due.as_ref().is_some_and(|d| d.overdue);
        let cat = categories.iter().find(|c| c.code == row.category);
        let node = row.node_id.and_then(|n| idx.get(n));
        let chain = row.chain_id.and_then(|c| idx.get(c));
        let dept = row.department_id.and_then(|d| idx.get(d));
        OrderView {
            id: row.id,
            ref_no: order_ref(row.id),
            enterprise_id: row.enterprise_id,
            enterprise_uscc: row.uscc.clone(),
            enterprise_name: row.enterprise_name.clone(),
            title: row.title.clone(),
            description: row.description.clone(),
            category: row.category.clone(),
            category_name: cat
                .map(|c| {
                    if en {
                        c.name_en.clone()
                    } else {
                        c.name_zh.clone()
                    }
                })
                .unwrap_or_else(|| row.category.clone()),
            tags: row.tags.clone(),
            urgency,
            urgency_label: if en {
                urgency.as_str().to_string()
            } else {
                urgency.label_zh().to_string()
            },
            channel: row.channel.clone(),
            channel_label: if en {
                row.channel.clone()
            } else {
                channel_label(&row.channel)
            },
            chain: chain.map(|c| c.name.clone()),
            node: node.map(|n| n.name.clone()),
            department_code: dept.and_then(|d| d.code.clone()),
            department: dept.map(|d| d.name.clone()),
            cohandlers: cohandlers
                .iter()
                .filter_map(|d| idx.get(*d).map(|d| d.name.clone()))
                .collect(),
            parent_id: row.parent_id,
            visit_id: row.visit_id,
            state: snap.state,
            state_label: if en {
                snap.state.label_en().to_string()
            } else {
                snap.state.label_zh().to_string()
            },
            resume_to: snap.resume_to,
            extension: snap.extension.clone(),
            supervision_level: row.supervision_level,
            reopen_count: row.reopen_count,
            return_count: row.return_count,
            rating: snap.rating,
            due,
            overdue,
            created_by: row.created_by_name.clone(),
            created_at: row.created_at.clone(),
            updated_at: row.updated_at.clone(),
            closed_at: row.closed_at.clone(),
            version: row.version,
        }
    }

    /// Resolve a department reference (code, name or id); an unknown one is a 400
    /// `department_unknown` naming it. Every feature's department filter and input uses it.
    pub(crate) fn department_of(idx: &RegistryIndex, key: &str) -> AppResult<i64> {
        idx.find(RegistryKind::Department, key)
            .map(|d| d.id)
            .ok_or_else(|| {
                bad(
                    "department_unknown",
                    format!("未找到部门“{key}”"),
                    format!("no department '{key}'"),
                )
            })
    }

    /// Create an order. Urgent orders also raise the urgent-visit hook (三必访).
    pub async fn order_create(&self, actor: &Actor, inp: &OrderInput) -> AppResult<OrderDetail> {
        self.order_create_at(actor, inp, Utc::now()).await
    }

    /// [`Self::order_create`] registered at `now` (a 12345 hand-over carries the time the
    /// request was received; tests use it to place orders on the calendar).
    pub async fn order_create_at(
        &self,
        actor: &Actor,
        inp: &OrderInput,
        now: DateTime<Utc>,
    ) -> AppResult<OrderDetail> {
        let prepared = self.order_prepare(actor, inp, now).await?;
        let mut tx = self.db.begin().await?;
        let id = self.order_create_in(&mut tx, actor, &prepared).await?;
        tx.commit().await?;
        if prepared.urgent {
            // 三必访: an urgent pain point triggers a visit by the enterprise's team. The order
            // stands even if the hook fails; the failure is logged for the visit scan to catch.
            if let Err(e) = self
                .visit_trigger_urgent(prepared.new.enterprise_id, &order_ref(id))
                .await
            {
                tracing::error!("urgent-visit hook for {}: {e}", order_ref(id));
            }
        }
        self.order_get(actor, id).await
    }

    /// Check an order to create (permission, fields, routing, due time) without writing it.
    /// Reads only (apart from seeding the default configuration once), so callers that create
    /// orders inside a transaction of their own prepare them before opening it.
    pub(crate) async fn order_prepare(
        &self,
        actor: &Actor,
        inp: &OrderInput,
        now: DateTime<Utc>,
    ) -> AppResult<PreparedOrder> {
        self.order_config_ensure().await?;
        let idx = self.registry().await?;
        let mine = self.order_teams(actor).await?;
        // Parent (follow-on child order): same enterprise, created by admin or its lead department.
        let parent = match inp.parent_id {
            Some(p) => {
                let (row, facts, _) = self.load_order(actor, p).await?;
                perm::create_child(actor, &facts)?;
                Some(row)
            }
            None => None,
        };
        // Named by credit code, an enterprise out of the actor's scope answers exactly like an
        // unknown code (404), so order creation cannot probe which codes are registered.
        let named = match (&parent, trimmed(&inp.enterprise)) {
            (None, Some(u)) => Some(u.to_ascii_uppercase()),
            _ => None,
        };
        let enterprise = match (&parent, &named, actor.enterprise_id) {
            (Some(p), _, _) => self.db.enterprise_by_id(p.enterprise_id).await?,
            (None, Some(code), _) => self.db.enterprise_by_uscc(code).await?,
            (None, None, Some(own)) if actor.role == Role::Enterprise => {
                self.db.enterprise_by_id(own).await?
            }
            _ => {
                return Err(bad(
                    "order_enterprise_required",
                    "请填写企业统一社会信用代码",
                    "the enterprise's credit code is required",
                ));
            }
        }
        .ok_or_else(|| match &named {
            Some(code) => AppError::NotFound(format!("enterprise {code}")),
            None => bad(
                "enterprise_unknown",
                "未找到该企业",
                "no enterprise with that credit code",
            ),
        })?;
        let team_id = self
            .db
            .assignment_of(enterprise.id)
            .await?
            .map(|a| a.team_id);
        perm::create_order(actor, &mine, enterprise.id, team_id).map_err(|e| match &named {
            Some(code) => crate::enterprise::hide_forbidden(e, code),
            None => e,
        })?;

        let title = trimmed(&inp.title).ok_or_else(|| {
            bad(
                "order_title_required",
                "请填写诉求标题",
                "a title is required",
            )
        })?;
        let title = crate::text::name("title", &title)?;
        if title.chars().count() > 200 {
            return Err(bad(
                "order_title_too_long",
                "标题最长200字",
                "the title is at most 200 characters",
            ));
        }
        let description = trimmed(&inp.description).unwrap_or_default();
        let description = crate::text::multiline("description", &description)?.to_string();
        if description.chars().count() > 5000 {
            return Err(bad(
                "order_description_too_long",
                "描述最长5000字",
                "the description is at most 5000 characters",
            ));
        }
        let categories = self.db.order_categories().await?;
        let cat_key = trimmed(&inp.category).unwrap_or_else(|| "other".into());
        let cat = categories
            .iter()
            .find(|c| c.active && (c.code == cat_key || c.name_zh == cat_key))
            .ok_or_else(|| {
                let codes: Vec<&str> = categories
                    .iter()
                    .filter(|c| c.active)
                    .map(|c| c.code.as_str())
                    .collect();
                bad(
                    "category_unknown",
                    format!("未知诉求分类“{cat_key}”，可选：{}", codes.join(", ")),
                    format!(
                        "unknown category '{cat_key}'; expected one of {}",
                        codes.join(", ")
                    ),
                )
            })?
            .clone();
        let urgency = match trimmed(&inp.urgency) {
            Some(u) => Urgency::parse(&u).map_err(AppError::from_invalid)?,
            None => Urgency::Normal,
        };
        let channel = if actor.role == Role::Enterprise {
            "portal".to_string()
        } else {
            let c = trimmed(&inp.channel).unwrap_or_else(|| {
                if inp.visit_id.is_some() {
                    "visit".into()
                } else {
                    "staff".into()
                }
            });
            if !CHANNELS.iter().any(|(k, _, _)| *k == c) {
                let keys: Vec<&str> = CHANNELS.iter().map(|(k, _, _)| *k).collect();
                return Err(bad(
                    "order_channel_unknown",
                    format!("未知来源渠道“{c}”，可选：{}", keys.join(", ")),
                    format!("unknown channel '{c}'; expected one of {}", keys.join(", ")),
                ));
            }
            c
        };
        let mut tags: Vec<String> = Vec::new();
        for t in &inp.tags {
            let t = t.trim();
            if !t.is_empty() && !tags.iter().any(|x| x == t) && t.chars().count() <= 20 {
                tags.push(t.to_string());
            }
        }
        tags.truncate(10);
        let link = match trimmed(&inp.node) {
            Some(n) => Some(idx.find_node(&n).ok_or_else(|| {
                bad(
                    "node_unknown",
                    format!("未找到产业链环节“{n}”"),
                    format!("no chain node '{n}'"),
                )
            })?),
            None => enterprise.node_ids.first().and_then(|n| idx.link(*n)),
        };
        // Choosing the lead department by hand is the centre's (or a lead department's) call.
        let department_id = match trimmed(&inp.department) {
            Some(d) if matches!(actor.role, Role::Admin | Role::Department) => {
                Some(Self::department_of(&idx, &d)?)
            }
            _ => cat.department_id,
        };
        let mut cohandlers = Vec::new();
        if matches!(actor.role, Role::Admin | Role::Department) {
            for c in &inp.cohandlers {
                if c.trim().is_empty() {
                    continue;
                }
                let d = Self::department_of(&idx, c)?;
                if Some(d) != department_id && !cohandlers.contains(&d) {
                    cohandlers.push(d);
                }
            }
        }
        let table = self.sla_table().await?;
        let limit = table.limit_for(&cat.code, urgency);
        let cal = self.calendar().await?;
        let mut row = OrderRow {
            enterprise_id: enterprise.id,
            category: cat.code.clone(),
            urgency: urgency.as_str().into(),
            sla_limit: crate::order::sla::limit_text(limit),
            sla_start: text_of(now),
            extension_json: serde_json::to_string(&ExtensionStatus::None).unwrap_or_default(),
            state: OrderState::Registered.as_str().into(),
            ..Default::default()
        };
        row.due_at = compute_due(&cal, &row, &[])
            .and_then(|d| d.at)
            .map(crate::order::sla::utc_text);
        let new = NewOrder {
            enterprise_id: enterprise.id,
            title,
            description,
            category: cat.code.clone(),
            tags,
            urgency: urgency.as_str().into(),
            channel,
            node_id: link.map(|l| l.node_id),
            chain_id: link.map(|l| l.chain_id),
            visit_id: inp.visit_id,
            parent_id: parent.as_ref().map(|p| p.id),
            state: row.state.clone(),
            department_id,
            extension_json: row.extension_json.clone(),
            sla_limit: row.sla_limit.clone(),
            sla_start: row.sla_start.clone(),
            due_at: row.due_at.clone(),
            created_by: actor.user_id,
            created_by_name: actor.display_name.clone(),
            created_at: text_of(now),
        };
        Ok(PreparedOrder {
            new,
            cohandlers,
            urgent: urgency == Urgency::Urgent,
        })
    }

    /// Write a prepared order (with its first history entry and audit entry) in the caller's
    /// transaction. The urgent-visit hook is the caller's business, after its commit.
    pub(crate) async fn order_create_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        prepared: &PreparedOrder,
    ) -> AppResult<i64> {
        self.order_insert_in(tx, actor, &prepared.new, &prepared.cohandlers, true)
            .await
    }

    /// Insert an order with its co-handlers, its first history entry and (for people) an audit
    /// entry, in the caller's transaction.
    pub(crate) async fn order_insert_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        new: &NewOrder,
        cohandlers: &[i64],
        audit: bool,
    ) -> AppResult<i64> {
        let id = order_insert(tx.conn(), new).await?;
        if !cohandlers.is_empty() {
            order_cohandlers_set(tx.conn(), id, cohandlers).await?;
        }
        order_event_insert(
            tx.conn(),
            &EventRow {
                order_id: id,
                actor_id: actor.user_id,
                actor_name: actor.display_name.clone(),
                from_state: None,
                to_state: new.state.clone(),
                event: "registered".into(),
                payload_json: serde_json::json!({
                    "channel": new.channel, "category": new.category, "urgency": new.urgency,
                    "department_id": new.department_id, "parent_id": new.parent_id, "visit_id": new.visit_id,
                })
                .to_string(),
                at: new.created_at.clone(),
                ..Default::default()
            },
        )
        .await?;
        if audit {
            audit_append(
                tx.conn(),
                &entry(
                    actor,
                    "order.create",
                    "order",
                    Some(order_ref(id)),
                    None,
                    crate::zone::json(new),
                ),
            )
            .await?;
        }
        Ok(id)
    }

    /// One order with its history, callbacks, children and the actions the actor may take.
    pub async fn order_get(&self, actor: &Actor, id: i64) -> AppResult<OrderDetail> {
        self.order_get_lang(actor, id, false).await
    }

    /// [`Self::order_get`] with labels in English when `en`.
    pub async fn order_get_lang(&self, actor: &Actor, id: i64, en: bool) -> AppResult<OrderDetail> {
        let (row, facts, mine) = self.load_order(actor, id).await?;
        let idx = self.registry().await?;
        let cal = self.calendar().await?;
        let categories = self.db.order_categories().await?;
        let pauses = self.db.order_pauses(id).await?;
        let view = self.order_view(
            &idx,
            &cal,
            &categories,
            &row,
            &facts.cohandlers,
            &pauses,
            Utc::now(),
            en,
        );
        let snap = snapshot(&row, &idx);
        let actions = allowed_actions(&snap)
            .into_iter()
            .filter(|k| perm::act(actor, &mine, &facts, *k).is_ok())
            .map(|k| ActionView {
                kind: k,
                action: k.as_str().into(),
                label: if en {
                    k.label_en().into()
                } else {
                    k.label_zh().into()
                },
            })
            .collect();
        let history = self
            .db
            .order_events(id)
            .await?
            .into_iter()
            .map(|e| {
                let to = OrderState::parse(&e.to_state).ok();
                EventView {
                    id: e.id,
                    at: e.at,
                    actor: e.actor_name,
                    event_label: event_label(&e.event, en),
                    event: e.event,
                    from_state: e.from_state,
                    to_state_label: to
                        .map(|s| if en { s.label_en() } else { s.label_zh() })
                        .unwrap_or("")
                        .to_string(),
                    to_state: e.to_state,
                    payload: serde_json::from_str(&e.payload_json).unwrap_or_default(),
                }
            })
            .collect();
        let council_proposed = self.db.council_proposed(id).await?;
        Ok(OrderDetail {
            order: view,
            history,
            callbacks: self.db.order_callbacks(id).await?,
            children: self.db.order_children(id).await?,
            actions,
            council_proposed,
        })
    }

    /// The filtered, paged list of orders the actor may see, newest first.
    pub async fn order_list(&self, actor: &Actor, q: &OrderQuery) -> AppResult<OrderPage> {
        self.order_list_lang(actor, q, false).await
    }

    pub async fn order_list_lang(
        &self,
        actor: &Actor,
        q: &OrderQuery,
        en: bool,
    ) -> AppResult<OrderPage> {
        self.order_list_at(actor, q, en, Utc::now()).await
    }

    /// [`Self::order_list_lang`] as seen at `now` (due times and the overdue filter).
    pub async fn order_list_at(
        &self,
        actor: &Actor,
        q: &OrderQuery,
        en: bool,
        now: DateTime<Utc>,
    ) -> AppResult<OrderPage> {
        let mine = self.order_teams(actor).await?;
        let scope = perm::list_scope(actor, &mine)?;
        self.order_config_ensure().await?;
        let idx = self.registry().await?;
        let mut f = OrderFilter {
            scope,
            q: trimmed(&q.q),
            parent_id: q.parent_id,
            ..Default::default()
        };
        match trimmed(&q.state).as_deref() {
            None => {}
            Some("open") => f.open_only = true,
            Some(s) => {
                f.state = Some(
                    OrderState::parse(s)
                        .map_err(AppError::from_invalid)?
                        .as_str()
                        .to_string(),
                )
            }
        }
        let categories = self.db.order_categories().await?;
        if let Some(c) = trimmed(&q.category) {
            let cat = categories
                .iter()
                .find(|x| x.code == c || x.name_zh == c)
                .ok_or_else(|| {
                    bad(
                        "category_unknown",
                        format!("未知诉求分类“{c}”"),
                        format!("unknown category '{c}'"),
                    )
                })?;
            f.category = Some(cat.code.clone());
        }
        if let Some(d) = trimmed(&q.department) {
            f.department_id = Some(Self::department_of(&idx, &d)?);
        }
        if let Some(c) = trimmed(&q.chain) {
            f.chain_id = Some(
                idx.find(RegistryKind::Chain, &c)
                    .ok_or_else(|| {
                        bad(
                            "chain_unknown",
                            format!("未找到产业链“{c}”"),
                            format!("no chain '{c}'"),
                        )
                    })?
                    .id,
            );
        }
        if let Some(u) = trimmed(&q.enterprise) {
            f.enterprise_id = Some(self.enterprise_id_or_unknown(&u).await?);
        }
        let cal = self.calendar().await?;
        if q.overdue == Some(true) {
            // The badge counts working time past the due time (SlaClock::breach); the store
            // compares stored due times. Comparing with the SLA clock's reading instead of the
            // wall clock (evenings, weekends and holidays read as the end of the last working
            // period) makes "past due" mean "overdue by working time", so filter and badge agree.
            f.overdue_at = Some(crate::order::sla::utc_text(
                crate::order::sla::clock_reading(&cal, local_now(now)),
            ));
        }
        let per_page = q.per_page.unwrap_or(20).clamp(1, 200);
        let page = q.page.unwrap_or(1).max(1);
        let (rows, total) = self
            .db
            .order_list(&f, per_page, crate::bounds::page_offset(page, per_page))
            .await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            let pauses = if r.state == "suspended" || r.stopped_at.is_none() {
                self.db.order_pauses(r.id).await?
            } else {
                Vec::new()
            };
            let co = self.db.order_cohandlers(r.id).await?;
            let mut v = self.order_view(&idx, &cal, &categories, r, &co, &pauses, now, en);
            // Lists show the short form; the explanation is on the order's page.
            if let Some(d) = v.due.as_mut() {
                d.explanation.clear();
            }
            v.description.clear();
            items.push(v);
        }
        Ok(OrderPage {
            total,
            page,
            per_page,
            items,
        })
    }

    /// Perform an action on an order. `expected_version` (when given) must be the order's
    /// current version, otherwise someone acted first → 409 (the caller shows the new state).
    pub async fn order_act(
        &self,
        actor: &Actor,
        id: i64,
        action: &OrderAction,
        expected_version: Option<i64>,
    ) -> AppResult<OrderDetail> {
        self.order_act_at(actor, id, action, expected_version, Utc::now())
            .await
    }

    /// [`Self::order_act`] at `at` (a hand-over reporting when a step happened). `at` must not
    /// be before the order's last step.
    pub async fn order_act_at(
        &self,
        actor: &Actor,
        id: i64,
        action: &OrderAction,
        expected_version: Option<i64>,
        at: DateTime<Utc>,
    ) -> AppResult<OrderDetail> {
        let (mut row, facts, mine) = self.load_order(actor, id).await?;
        perm::act(actor, &mine, &facts, action.kind())?;
        check_action_text(action)?;
        if let Some(v) = expected_version
            && v != row.version
        {
            return Err(conflict(&row));
        }
        let last = DateTime::parse_from_rfc3339(&row.updated_at).map(|d| d.with_timezone(&Utc));
        if last.is_ok_and(|l| at < l) {
            return Err(bad(
                "order_time_before_last_step",
                "办理时间不能早于上一步",
                "a step cannot be dated before the previous one",
            ));
        }
        let idx = self.registry().await?;
        let cal = self.calendar().await?;
        let mut pauses = self.db.order_pauses(id).await?;
        let mut tx = self.db.begin().await?;
        self.order_step(
            &mut tx,
            &idx,
            &cal,
            &mut row,
            &mut pauses,
            actor,
            action,
            at,
            true,
        )
        .await?;
        tx.commit().await?;
        self.order_get(actor, id).await
    }

    /// A satisfaction callback (回访) on a replied, resolved or closed order. 不满意 reopens it.
    pub async fn order_callback(
        &self,
        actor: &Actor,
        id: i64,
        rating: &str,
        comment: &str,
        expected_version: Option<i64>,
    ) -> AppResult<OrderDetail> {
        let rating = Satisfaction::parse(rating).map_err(AppError::from_invalid)?;
        let action = OrderAction::Callback {
            rating,
            comment: comment.trim().to_string(),
        };
        self.order_act(actor, id, &action, expected_version).await
    }

    /// Apply one action to an order held in memory and write everything it implies in `conn`:
    /// the row (version-checked), pauses, the history entry, the callback and the audit entry.
    /// No permission check here: callers check (people) or are the system (scan, demo).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn order_step(
        &self,
        tx: &mut Tx,
        idx: &RegistryIndex,
        cal: &Calendar,
        row: &mut OrderRow,
        pauses: &mut Vec<PauseRow>,
        actor: &Actor,
        action: &OrderAction,
        at: DateTime<Utc>,
        audit: bool,
    ) -> AppResult<EventKind> {
        let before = snapshot(row, idx);
        // Dispatch names a department by code or name; store its id, keep its code in the state.
        let mut action = action.clone();
        let mut dispatched_to = None;
        if let OrderAction::Dispatch { department } = &mut action
            && !department.trim().is_empty()
        {
            let d = Self::department_of(idx, department)?;
            dispatched_to = Some(d);
            if let Some(code) = idx.get(d).and_then(|r| r.code.clone()) {
                *department = code;
            }
        }
        let t = apply(&before, &action).map_err(AppError::from_invalid)?;
        let at_text = text_of(at);
        match t.clock {
            ClockEffect::Pause => {
                let reason = match &action {
                    OrderAction::Suspend { reason } => reason.trim().to_string(),
                    _ => String::new(),
                };
                let pid = order_pause_open(tx.conn(), row.id, &at_text, &reason).await?;
                pauses.push(PauseRow {
                    id: pid,
                    order_id: row.id,
                    from_at: at_text.clone(),
                    to_at: None,
                    reason,
                });
            }
            ClockEffect::Resume | ClockEffect::Stop => {
                order_pause_close(tx.conn(), row.id, &at_text).await?;
                for p in pauses.iter_mut().filter(|p| p.to_at.is_none()) {
                    p.to_at = Some(at_text.clone());
                }
                if t.clock == ClockEffect::Stop {
                    row.stopped_at = Some(at_text.clone());
                }
            }
            ClockEffect::Restart => {
                row.sla_start = at_text.clone();
                row.stopped_at = None;
            }
            ClockEffect::Extend { .. } | ClockEffect::None => {}
        }
        let s = &t.snapshot;
        row.state = s.state.as_str().into();
        row.resume_to = s.resume_to.map(|r| r.as_str().to_string());
        if let Some(d) = dispatched_to {
            row.department_id = Some(d);
        }
        row.extension_json = serde_json::to_string(&s.extension).unwrap_or_default();
        row.extension_days = i64::from(s.extension_days);
        row.supervision_level = i64::from(s.supervision_level);
        row.reopen_count = i64::from(s.reopen_count);
        row.return_count = i64::from(s.return_count);
        row.rating = s.rating.map(|r| r.as_str().to_string());
        row.closed_at = match s.state {
            OrderState::Closed | OrderState::Withdrawn => {
                row.closed_at.clone().or_else(|| Some(at_text.clone()))
            }
            _ => None,
        };
        row.due_at = compute_due(cal, row, pauses)
            .and_then(|d| d.at)
            .map(crate::order::sla::utc_text);
        row.updated_at = at_text.clone();
        let w = OrderStateWrite {
            state: row.state.clone(),
            resume_to: row.resume_to.clone(),
            department_id: row.department_id,
            extension_json: row.extension_json.clone(),
            extension_days: row.extension_days,
            supervision_level: row.supervision_level,
            reopen_count: row.reopen_count,
            return_count: row.return_count,
            rating: row.rating.clone(),
            sla_start: row.sla_start.clone(),
            due_at: row.due_at.clone(),
            stopped_at: row.stopped_at.clone(),
            closed_at: row.closed_at.clone(),
            updated_at: row.updated_at.clone(),
        };
        row.version = match order_update(tx.conn(), row.id, row.version, &w).await {
            Ok(v) => v,
            Err(lianshi_store::StoreError::Conflict(_)) => return Err(conflict(row)),
            Err(e) => return Err(e.into()),
        };
        let (event, audit_entry) =
            step_records(actor, row, &before, &action, &t, &at_text, row.version - 1);
        order_event_insert(tx.conn(), &event).await?;
        if matches!(action, OrderAction::Supervise { .. })
            && s.state.is_open()
            && let Some(p) = crate::order::sla::council_proposal(row, &at_text)
        {
            // Supervised by hand to a council level: proposed to the chain's council now, as
            // the SLA scan proposes the orders it raises (once per order).
            council_propose(tx.conn(), &p).await?;
        }
        if let OrderAction::Callback { rating, comment } = &action {
            order_callback_insert(
                tx.conn(),
                &CallbackRow {
                    order_id: row.id,
                    rating: rating.as_str().into(),
                    comment: comment.trim().into(),
                    department_id: row.department_id,
                    by_id: actor.user_id,
                    by_name: actor.display_name.clone(),
                    by_role: actor.role.as_str().into(),
                    at: at_text.clone(),
                    ..Default::default()
                },
            )
            .await?;
        }
        if audit {
            audit_append(tx.conn(), &audit_entry).await?;
        }
        Ok(t.event)
    }
}

fn local_now(now: DateTime<Utc>) -> chrono::NaiveDateTime {
    now.naive_utc() + chrono::Duration::hours(8)
}

fn conflict(row: &OrderRow) -> AppError {
    AppError::Conflict(format!(
        "工单{}已被他人处理（当前状态：{}，版本{}），请刷新后重试 / order {} was changed by someone else (now {}, version {}); reload and retry",
        order_ref(row.id),
        OrderState::parse(&row.state).map_or("?", |s| s.label_zh()),
        row.version,
        order_ref(row.id),
        row.state,
        row.version
    ))
}

/// Label of a stored event kind.
pub fn event_label(event: &str, en: bool) -> String {
    if event == "registered" {
        return if en {
            "Registered".into()
        } else {
            "登记".into()
        };
    }
    const ALL: [EventKind; 18] = [
        EventKind::Accepted,
        EventKind::Dispatched,
        EventKind::Redispatched,
        EventKind::Started,
        EventKind::Replied,
        EventKind::Resolved,
        EventKind::Returned,
        EventKind::Suspended,
        EventKind::Resumed,
        EventKind::ExtensionRequested,
        EventKind::ExtensionApproved,
        EventKind::ExtensionRefused,
        EventKind::Supervised,
        EventKind::CalledBack,
        EventKind::CallbackReopened,
        EventKind::Closed,
        EventKind::Withdrawn,
        EventKind::Reopened,
    ];
    ALL.iter()
        .find(|k| k.as_str() == event)
        .map(|k| {
            if en {
                event.replace('_', " ")
            } else {
                k.label_zh().to_string()
            }
        })
        .unwrap_or_else(|| event.to_string())
}

/// An actor for jobs (SLA scan) that act on orders.
pub fn job_actor(name: &str) -> Actor {
    Actor {
        user_id: None,
        username: format!("system:{name}"),
        display_name: "系统督办".into(),
        role: Role::Admin,
        enterprise_id: None,
        department_id: None,
        source: Source::Cli,
    }
}

/// The free text of a step (answers, reasons, a callback comment) may span lines but holds no
/// control or bidi characters.
fn check_action_text(action: &OrderAction) -> AppResult<()> {
    let (field, text) = match action {
        OrderAction::Reply { text } | OrderAction::Resolve { text } => ("text", text),
        OrderAction::Return { reason }
        | OrderAction::Suspend { reason }
        | OrderAction::RequestExtension { reason, .. }
        | OrderAction::RefuseExtension { reason }
        | OrderAction::Withdraw { reason }
        | OrderAction::Reopen { reason } => ("reason", reason),
        OrderAction::Callback { comment, .. } => ("comment", comment),
        _ => return Ok(()),
    };
    crate::text::multiline(field, text).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_references_round_trip() {
        assert_eq!(order_ref(42), "GD000042");
        assert_eq!(parse_ref("GD000042"), Some(42));
        assert_eq!(parse_ref("42"), Some(42));
        assert_eq!(parse_ref("x"), None);
    }
}
