//! 服务成效 pages: the zone's figures over a period (default: the last twelve months) as cards,
//! our own SVG bar charts, ranking tables of teams and departments and a table of chains; every
//! number links to the records behind it (`/service/records`, the app's drill-down), and group
//! names link to the filtered visit and order lists.

use super::charts::{self, Datum};
use super::{Ctx, Layout, PageResult, Query, url_escape};
use crate::AppState;
use crate::auth::PageAuth;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{Duration, NaiveDate, Utc};
use lianshi_app::service_figures::{
    FigureDim, FigureRow, Figures, Metric, ServiceReport, parse_day, parse_dim,
};
use lianshi_app::{App, AppError, AppResult};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/service", get(figures))
        .route("/service/records", get(records))
}

/// One number with the records behind it (no link when the figure is not counted).
pub struct Cell {
    pub text: String,
    pub href: String,
    /// Which figure (`visits`, `response_rate`…), for tests and styling.
    pub key: &'static str,
}

/// A zone card.
pub struct Card {
    pub label: String,
    pub cell: Cell,
    pub sub: String,
}

/// A group's row of a table.
pub struct Row {
    pub rank: String,
    pub name: String,
    pub name_href: String,
    pub cells: Vec<Cell>,
}

/// A table of groups.
pub struct Table {
    pub id: &'static str,
    pub title: String,
    pub hint: String,
    pub rows: Vec<Row>,
}

pub struct Chart {
    pub title: String,
    pub svg: String,
}

#[derive(Template)]
#[template(path = "service_figures.html")]
pub struct FiguresPage {
    pub l: Layout,
    pub from: String,
    pub to: String,
    pub cards: Vec<Card>,
    pub charts: Vec<Chart>,
    pub heads: Vec<String>,
    pub tables: Vec<Table>,
    pub definitions: Vec<(String, String)>,
    pub generated_at: String,
}

/// One record as listed.
pub struct RecordLine {
    pub kind: String,
    pub kind_label: String,
    pub href: String,
    pub label: String,
    pub enterprise: String,
    pub at: String,
    pub state: String,
}

#[derive(Template)]
#[template(path = "service_figures_records.html")]
pub struct RecordsPage {
    pub l: Layout,
    pub metric_label: String,
    pub group: String,
    pub from: String,
    pub to: String,
    pub total: i64,
    pub shown: usize,
    pub rows: Vec<RecordLine>,
    pub back: String,
}

/// The figures' query: the period (days as the app reads them, each refusal naming its field)
/// and, for the records behind a figure, the metric, the grouping and its key, and how many.
#[derive(Deserialize, Default)]
#[serde(default)]
struct FiguresQuery {
    from: String,
    to: String,
    metric: String,
    dim: String,
    key: String,
    limit: Option<i64>,
}

/// The period of a request: `to` defaults to today (China), `from` to a year before `to`.
fn period_of(q: &FiguresQuery) -> AppResult<(NaiveDate, NaiveDate)> {
    let get = |v: &'_ str| Some(v.trim()).filter(|v| !v.is_empty()).map(str::to_string);
    let to = match get(&q.to) {
        Some(v) => parse_day("to", &v)?,
        None => App::today(),
    };
    let from = match get(&q.from) {
        Some(v) => parse_day("from", &v)?,
        None => to - Duration::days(364),
    };
    Ok((from, to))
}

/// A rate as a percentage, "—" when there is nothing to count.
pub fn pct(r: Option<f64>) -> String {
    r.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn days(d: Option<f64>) -> String {
    d.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into())
}

fn records_href(metric: Metric, filter: &str) -> String {
    format!("/service/records?metric={}&{filter}", metric.as_str())
}

/// The figure keys in table order.
const KEYS: [&str; 10] = [
    "visits",
    "visits_overdue",
    "orders_received",
    "orders_solved",
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "median_handling_days",
    "breaches",
    "council_actions_closed",
];

/// The cells of a group's figures; `dim` decides which figures are not counted.
fn cells(f: &Figures, filter: &str, dim: FigureDim) -> Vec<Cell> {
    let g = charts::group;
    let n = |key, v: i64, m: Metric| Cell {
        text: g(v),
        href: records_href(m, filter),
        key,
    };
    let none = |key| Cell {
        text: "—".into(),
        href: String::new(),
        key,
    };
    let visits_counted = dim != FigureDim::Department;
    let actions_counted = dim != FigureDim::Team;
    vec![
        if visits_counted {
            n("visits", f.visits, Metric::Visits)
        } else {
            none("visits")
        },
        if visits_counted {
            n("visits_overdue", f.visits_overdue, Metric::VisitsOverdue)
        } else {
            none("visits_overdue")
        },
        n("orders_received", f.orders_received, Metric::OrdersReceived),
        n("orders_solved", f.orders_solved, Metric::OrdersSolved),
        Cell {
            text: pct(f.response_rate),
            href: records_href(Metric::OrdersReceived, filter),
            key: "response_rate",
        },
        Cell {
            text: pct(f.resolution_rate),
            href: records_href(Metric::OrdersSolved, filter),
            key: "resolution_rate",
        },
        Cell {
            text: pct(f.satisfaction_rate),
            href: records_href(Metric::Callbacks, filter),
            key: "satisfaction_rate",
        },
        Cell {
            text: days(f.median_handling_days),
            href: records_href(Metric::OrdersSolved, filter),
            key: "median_handling_days",
        },
        n("breaches", f.breaches, Metric::Breaches),
        if actions_counted {
            n(
                "council_actions_closed",
                f.council_actions_closed,
                Metric::ActionsClosed,
            )
        } else {
            none("council_actions_closed")
        },
    ]
}

fn rows(c: &Ctx, list: &[FigureRow], dim: FigureDim) -> Vec<Row> {
    list.iter()
        .map(|r| {
            let name_href = match (dim, r.id, r.code.as_deref()) {
                (FigureDim::Team, Some(id), _) => format!("/visits?team={id}"),
                (FigureDim::Department, _, Some(code)) => {
                    format!("/orders?department={}", url_escape(code))
                }
                (FigureDim::Chain, _, Some(code)) => format!("/orders?chain={}", url_escape(code)),
                _ => String::new(),
            };
            Row {
                rank: r.rank.map(|n| n.to_string()).unwrap_or_default(),
                name: if r.id.is_none() {
                    c.t.get("figures-unassigned").to_string()
                } else {
                    r.name.clone()
                },
                name_href,
                cells: cells(&r.figures, &r.filter, dim),
            }
        })
        .collect()
}

fn bar(c: &Ctx, title: &str, list: &[FigureRow], m: Metric, v: fn(&Figures) -> i64) -> Chart {
    let data: Vec<Datum> = list
        .iter()
        .filter(|r| r.id.is_some())
        .map(|r| Datum {
            label: r.name.clone(),
            value: v(&r.figures),
            href: Some(records_href(m, &r.filter)),
        })
        .collect();
    Chart {
        title: title.to_string(),
        svg: charts::bar_chart(title, &data, c.t.get("chart-empty")),
    }
}

fn heads(c: &Ctx) -> Vec<String> {
    KEYS.iter()
        .map(|k| {
            c.t.get(match *k {
                "visits" => "figures-visits",
                "visits_overdue" => "figures-visits-overdue",
                "orders_received" => "figures-orders-received",
                "orders_solved" => "figures-orders-solved",
                "response_rate" => "figures-response-rate",
                "resolution_rate" => "figures-resolution-rate",
                "satisfaction_rate" => "figures-satisfaction-rate",
                "median_handling_days" => "figures-median-days",
                "breaches" => "figures-breaches",
                _ => "figures-actions-closed",
            })
            .to_string()
        })
        .collect()
}

fn page(c: &Ctx, auth: &PageAuth, r: ServiceReport) -> FiguresPage {
    let t = c.t;
    let heads = heads(c);
    let zone_cells = cells(&r.zone, &r.filter, FigureDim::Zone);
    let rc = &r.zone.rate_counts;
    let subs = [
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        format!("{} / {}", rc.accepted_in_time, rc.received),
        format!(
            "{} / {}",
            rc.solved,
            rc.received.saturating_sub(rc.withdrawn)
        ),
        format!(
            "{} / {}",
            rc.satisfied + rc.basically_satisfied,
            rc.satisfied + rc.basically_satisfied + rc.unsatisfied
        ),
        t.get("figures-working-days").to_string(),
        String::new(),
        String::new(),
    ];
    let cards = zone_cells
        .into_iter()
        .zip(heads.iter())
        .zip(subs)
        .map(|((cell, label), sub)| Card {
            label: label.clone(),
            cell,
            sub,
        })
        .collect();
    let charts = vec![
        bar(
            c,
            t.get("figures-chart-team-visits"),
            &r.by_team,
            Metric::Visits,
            |f| f.visits,
        ),
        bar(
            c,
            t.get("figures-chart-department-solved"),
            &r.by_department,
            Metric::OrdersSolved,
            |f| f.orders_solved,
        ),
        bar(
            c,
            t.get("figures-chart-chain-received"),
            &r.by_chain,
            Metric::OrdersReceived,
            |f| f.orders_received,
        ),
        bar(
            c,
            t.get("figures-chart-department-breaches"),
            &r.by_department,
            Metric::Breaches,
            |f| f.breaches,
        ),
    ];
    FiguresPage {
        l: c.layout(auth, t.get("nav-service"), "service"),
        tables: vec![
            Table {
                id: "team",
                title: t.get("figures-rank-teams").into(),
                hint: t.get("figures-rank-teams-hint").into(),
                rows: rows(c, &r.by_team, FigureDim::Team),
            },
            Table {
                id: "department",
                title: t.get("figures-rank-departments").into(),
                hint: t.get("figures-rank-departments-hint").into(),
                rows: rows(c, &r.by_department, FigureDim::Department),
            },
            Table {
                id: "chain",
                title: t.get("figures-by-chain").into(),
                hint: String::new(),
                rows: rows(c, &r.by_chain, FigureDim::Chain),
            },
        ],
        definitions: r
            .definitions
            .iter()
            .map(|d| (d.key.to_string(), c.pick(d.zh, d.en)))
            .collect(),
        generated_at: super::cst(&r.generated_at),
        from: r.from,
        to: r.to,
        cards,
        charts,
        heads,
    }
}

async fn figures(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(q): Query<FiguresQuery>,
) -> PageResult {
    let (from, to) = period_of(&q)?;
    let r = s
        .app
        .service_figures(&auth.actor, from, to, Utc::now())
        .await?;
    Ok(c.page(&page(&c, &auth, r)))
}

fn metric_key(m: Metric) -> &'static str {
    match m {
        Metric::Visits => "figures-visits",
        Metric::VisitsOverdue => "figures-visits-overdue",
        Metric::OrdersReceived => "figures-orders-received",
        Metric::OrdersSolved => "figures-orders-solved",
        Metric::Breaches => "figures-breaches",
        Metric::Callbacks => "figures-callbacks",
        Metric::ActionsClosed => "figures-actions-closed",
    }
}

async fn records(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(q): Query<FiguresQuery>,
) -> PageResult {
    let t = c.t;
    let (from, to) = period_of(&q)?;
    let metric_text = q.metric.trim();
    let metric = Metric::parse(metric_text).ok_or_else(|| {
        AppError::bad(
            "metric_unknown",
            format!("未知指标“{metric_text}”"),
            format!("unknown metric '{metric_text}'"),
        )
    })?;
    let dim = parse_dim(q.dim.trim())?;
    let key = match q.key.trim() {
        "" | "none" => None,
        k => Some(k.parse::<i64>().map_err(|_| {
            AppError::bad("key_invalid", "分组编号须为整数", "key must be an integer")
        })?),
    };
    let limit = q.limit.unwrap_or(1000).clamp(1, 1000);
    let p = s
        .app
        .service_records(&auth.actor, metric, dim, key, from, to, Utc::now(), limit)
        .await?;
    let group = match (dim, key) {
        (FigureDim::Zone, _) => t.get("figures-zone").to_string(),
        (_, None) => t.get("figures-unassigned").to_string(),
        (FigureDim::Team, Some(k)) => match s.app.team_get(&auth.actor, k).await {
            Ok(team) => team.name,
            Err(_) => format!("#{k}"),
        },
        (_, Some(k)) => match s.app.registry().await {
            Ok(idx) => idx.name(Some(k)).unwrap_or_default().to_string(),
            Err(_) => format!("#{k}"),
        },
    };
    let rows: Vec<RecordLine> = p
        .items
        .into_iter()
        .map(|r| {
            let (kind_label, href) = match r.kind.as_str() {
                "order" => (t.get("figures-kind-order"), format!("/orders/{}", r.id)),
                "visit" => (t.get("figures-kind-visit"), String::new()),
                "visit_task" => (t.get("figures-kind-visit-task"), String::new()),
                "council_action" => (
                    t.get("figures-kind-action"),
                    format!("/council-actions/{}", r.id),
                ),
                _ => (t.get("figures-kind-other"), String::new()),
            };
            RecordLine {
                kind_label: kind_label.to_string(),
                href,
                label: r.label,
                enterprise: r.enterprise,
                at: super::cst(&r.at),
                state: r.state,
                kind: r.kind,
            }
        })
        .collect();
    let back = format!("/service?from={}&to={}", p.from, p.to);
    Ok(c.page(&RecordsPage {
        l: c.layout(&auth, t.get("figures-records"), "service"),
        metric_label: t.get(metric_key(metric)).to_string(),
        group,
        shown: rows.len(),
        total: p.total,
        from: p.from,
        to: p.to,
        rows,
        back,
    }))
}
