//! Open311 GeoReport v2 mapped onto work orders, so existing 311-style clients can file and follow
//! requests.
//!
//! Mapping: a *service* is an order category (`service_code` = category code); a *service
//! request* is an order (`service_request_id` = order id) created through the `open311` channel.
//! Status is `open` while the order is being handled (`OrderState::is_open`) and `closed` once it
//! was answered, resolved, called back, closed or withdrawn; `status_notes` carries the latest
//! step in words, and the non-standard `history` array carries every step. The enterprise is
//! named by the attribute `enterprise_uscc` (an enterprise user may omit it: its own); the
//! caller's bearer token is the `api_key`. Permissions are the same as for orders.

use crate::order::{OrderInput, OrderQuery, order_ref, perm};
use crate::{Actor, App, AppError, AppResult};
use lianshi_domain::order::OrderState;
use std::collections::HashMap;

/// One entry of `services.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Service {
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    pub metadata: bool,
    #[serde(rename = "type")]
    pub kind: String,
    pub keywords: String,
    pub group: String,
}

/// One attribute of a service definition.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Attribute {
    pub variable: bool,
    pub code: String,
    pub datatype: String,
    pub required: bool,
    pub datatype_description: String,
    pub order: u32,
    pub description: String,
    pub values: Vec<AttributeValue>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

/// `services/{code}.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ServiceDefinition {
    pub service_code: String,
    pub attributes: Vec<Attribute>,
}

/// The answer to a created request.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Created {
    pub service_request_id: String,
    pub service_notice: String,
    pub account_id: Option<String>,
}

/// One step of a request's history (extension to GeoReport v2).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HistoryEntry {
    pub status: String,
    pub state: String,
    pub notes: String,
    pub datetime: String,
}

/// A service request as GeoReport v2 shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ServiceRequest {
    pub service_request_id: String,
    pub status: String,
    pub status_notes: String,
    pub service_name: String,
    pub service_code: String,
    pub description: String,
    pub agency_responsible: Option<String>,
    pub service_notice: String,
    pub requested_datetime: String,
    pub updated_datetime: String,
    pub expected_datetime: Option<String>,
    pub address: Option<String>,
    pub address_id: Option<String>,
    pub zipcode: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub media_url: Option<String>,
    pub history: Vec<HistoryEntry>,
}

/// Query of `GET requests.json`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RequestQuery {
    /// Comma-separated ids.
    pub service_request_id: Option<String>,
    pub service_code: Option<String>,
    /// `open` or `closed`.
    pub status: Option<String>,
}

fn status_of(s: OrderState) -> &'static str {
    if s.is_open() { "open" } else { "closed" }
}

/// `2026-03-02 17:30` (China time) → `2026-03-02T17:30:00+08:00`.
fn w3c_local(s: &str) -> Option<String> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .ok()
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S+08:00").to_string())
}

fn w3c(ts: &str) -> String {
    crate::order::sla::local(ts)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S+08:00").to_string())
        .unwrap_or_else(|| ts.to_string())
}

impl App {
    /// `services.json`: the active categories.
    pub async fn open311_services(&self, actor: &Actor) -> AppResult<Vec<Service>> {
        Ok(self
            .order_categories(actor)
            .await?
            .into_iter()
            .filter(|c| c.active)
            .map(|c| Service {
                service_code: c.code,
                description: format!("{} / {}", c.name_zh, c.name_en),
                service_name: c.name_zh,
                metadata: true,
                kind: "realtime".into(),
                keywords: c.department.unwrap_or_default(),
                group: "企业诉求".into(),
            })
            .collect())
    }

    /// `services/{code}.json`: the attributes a request of this service takes.
    pub async fn open311_service(&self, actor: &Actor, code: &str) -> AppResult<ServiceDefinition> {
        let known = self
            .order_categories(actor)
            .await?
            .into_iter()
            .any(|c| c.active && c.code == code);
        if !known {
            return Err(AppError::NotFound(format!("service {code}")));
        }
        let text = |code: &str, required, order, desc: &str, dt_desc: &str| Attribute {
            variable: true,
            code: code.into(),
            datatype: "string".into(),
            required,
            datatype_description: dt_desc.into(),
            order,
            description: desc.into(),
            values: Vec::new(),
        };
        Ok(ServiceDefinition {
            service_code: code.into(),
            attributes: vec![
                text(
                    "enterprise_uscc",
                    actor.role != lianshi_domain::Role::Enterprise,
                    1,
                    "企业统一社会信用代码 / the enterprise's unified social credit code",
                    "18 characters",
                ),
                text(
                    "title",
                    false,
                    2,
                    "诉求标题 / title",
                    "at most 200 characters",
                ),
                Attribute {
                    datatype: "singlevaluelist".into(),
                    values: vec![
                        AttributeValue {
                            key: "normal".into(),
                            name: "一般".into(),
                        },
                        AttributeValue {
                            key: "urgent".into(),
                            name: "紧急".into(),
                        },
                    ],
                    ..text(
                        "urgency",
                        false,
                        3,
                        "紧急程度 / urgency",
                        "normal or urgent",
                    )
                },
            ],
        })
    }

    /// `POST requests.json`: create an order from a GeoReport request.
    pub async fn open311_create(
        &self,
        actor: &Actor,
        service_code: &str,
        description: &str,
        attributes: &HashMap<String, String>,
    ) -> AppResult<Vec<Created>> {
        let description = description.trim();
        if description.is_empty() {
            return Err(AppError::bad(
                "open311_description_required",
                "请填写诉求描述（description）",
                "description is required",
            ));
        }
        let title = attributes
            .get("title")
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| description.chars().take(40).collect());
        let inp = OrderInput {
            enterprise: attributes.get("enterprise_uscc").cloned(),
            title: Some(title),
            description: Some(description.into()),
            category: Some(service_code.trim().into()),
            urgency: attributes.get("urgency").cloned(),
            channel: Some("open311".into()),
            ..Default::default()
        };
        let d = self.order_create(actor, &inp).await?;
        Ok(vec![Created {
            service_request_id: d.order.id.to_string(),
            service_notice: format!(
                "已登记为工单{}，承办部门：{} / registered as {}",
                d.order.ref_no,
                d.order
                    .department
                    .clone()
                    .unwrap_or_else(|| "待交办".into()),
                d.order.ref_no
            ),
            account_id: None,
        }])
    }

    /// `GET requests.json` (several) and `requests/{id}.json` (one).
    pub async fn open311_requests(
        &self,
        actor: &Actor,
        q: &RequestQuery,
    ) -> AppResult<Vec<ServiceRequest>> {
        let mine = self.order_teams(actor).await?;
        perm::list_scope(actor, &mine)?;
        let ids: Vec<i64> = q
            .service_request_id
            .as_deref()
            .unwrap_or("")
            .split(',')
            .filter_map(crate::order::parse_ref)
            .collect();
        let mut out = Vec::new();
        if !ids.is_empty() {
            for id in ids.iter().take(100) {
                out.push(self.open311_request(actor, *id).await?);
            }
            return Ok(out);
        }
        let page = self
            .order_list(
                actor,
                &OrderQuery {
                    category: q.service_code.clone().filter(|s| !s.trim().is_empty()),
                    per_page: Some(200),
                    ..Default::default()
                },
            )
            .await?;
        for v in page.items {
            let want = q.status.as_deref().map(str::trim).unwrap_or("");
            if !want.is_empty() && status_of(v.state) != want {
                continue;
            }
            out.push(self.open311_request(actor, v.id).await?);
        }
        Ok(out)
    }

    /// One request with its full status history.
    pub async fn open311_request(&self, actor: &Actor, id: i64) -> AppResult<ServiceRequest> {
        let d = self.order_get(actor, id).await?;
        let o = &d.order;
        let history: Vec<HistoryEntry> = d
            .history
            .iter()
            .map(|e| {
                let st = OrderState::parse(&e.to_state).unwrap_or(OrderState::Registered);
                let detail = ["text", "reason", "department", "comment"]
                    .iter()
                    .find_map(|k| e.payload.get(*k).and_then(|v| v.as_str()))
                    .map(|s| format!("：{s}"))
                    .unwrap_or_default();
                HistoryEntry {
                    status: status_of(st).into(),
                    state: e.to_state.clone(),
                    notes: format!("{}{detail}", e.event_label),
                    datetime: w3c(&e.at),
                }
            })
            .collect();
        Ok(ServiceRequest {
            service_request_id: o.id.to_string(),
            status: status_of(o.state).into(),
            status_notes: history
                .last()
                .map(|h| format!("{}（{}）", h.notes, o.state_label))
                .unwrap_or_default(),
            service_name: o.category_name.clone(),
            service_code: o.category.clone(),
            description: o.description.clone(),
            agency_responsible: o.department.clone(),
            service_notice: order_ref(o.id),
            requested_datetime: w3c(&o.created_at),
            updated_datetime: w3c(&o.updated_at),
            expected_datetime: o
                .due
                .as_ref()
                .and_then(|d| d.at.as_deref())
                .and_then(w3c_local),
            address: None,
            address_id: None,
            zipcode: None,
            lat: None,
            long: None,
            media_url: None,
            history,
        })
    }
}
