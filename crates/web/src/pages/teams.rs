//! 服务团队 pages: the teams a person may see (an enterprise user sees its own team and contact
//! person instead), a team's page with members and the enterprises it serves, and the
//! administrator's forms to create and edit teams and assign enterprises (one by one or in bulk
//! by chain, street, park and tag).

use super::{Ctx, Layout, Opt, OptGroup, PageLink, pager, query_map, see_other, with_status};
use crate::AppState;
use crate::auth::{PageAuth, Posted};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use lianshi_app::access_service;
use lianshi_app::enterprise::EnterpriseQuery;
use lianshi_app::team::{
    AssignInput, EnterpriseTeamView, MemberInput, TeamEnterpriseView, TeamInput, TeamView,
};
use lianshi_app::{AppError, RegistryIndex};
use lianshi_domain::Role;
use lianshi_domain::enterprise::KNOWN_TAGS;
use lianshi_domain::zone::RegistryKind;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/teams", get(list).post(create))
        .route("/teams/{id}", get(detail).post(update))
        .route("/teams/{id}/assign", post(assign))
        .route("/teams/{id}/enterprise", post(assign_one))
        .merge(super::visits::routes())
}

#[derive(Template)]
#[template(path = "teams.html")]
pub struct TeamsPage {
    pub l: Layout,
    pub teams: Vec<TeamView>,
    /// For an enterprise user: its own enterprise's team and contact.
    pub own: Option<EnterpriseTeamView>,
    pub can_manage: bool,
    pub error: Option<String>,
    pub name: String,
    pub leader: String,
    pub members: String,
}

#[derive(Template)]
#[template(path = "team.html")]
pub struct TeamPage {
    pub l: Layout,
    pub team: TeamView,
    pub rows: Vec<TeamEnterpriseView>,
    pub total: i64,
    pub pages: Vec<PageLink>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub can_manage: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
    /// Members as edited in the textarea: `username 部门代码` per line.
    pub members_text: String,
    pub chains: Vec<OptGroup>,
    pub streets: Vec<Opt>,
    pub parks: Vec<OptGroup>,
    pub tags: Vec<Opt>,
    pub contacts: Vec<Opt>,
}

/// `username [department]` per line (or separated by commas/semicolons) into member inputs.
fn parse_members(text: &str) -> Vec<MemberInput> {
    text.split(['\n', ',', '，', ';', '；'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut parts = l.split_whitespace();
            MemberInput {
                user: parts.next().unwrap_or_default().to_string(),
                department: parts.next().map(str::to_string),
            }
        })
        .collect()
}

fn members_text(t: &TeamView, idx: &RegistryIndex) -> String {
    t.members
        .iter()
        .map(|m| {
            let dept = m
                .department_id
                .and_then(|d| idx.get(d))
                .and_then(|d| d.code.clone())
                .unwrap_or_default();
            format!("{} {dept}", m.username).trim().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn render_list(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    error: Option<String>,
    form: (String, String, String),
) -> Response {
    let a = &auth.actor;
    let (teams, own) = if a.role == Role::Enterprise {
        match s.app.own_enterprise_team(a).await {
            Ok(v) => (Vec::new(), Some(v)),
            Err(e) => return c.error(&e),
        }
    } else {
        match s.app.team_list(a).await {
            Ok(t) => (t, None),
            Err(e) => return c.error(&e),
        }
    };
    let status = if error.is_some() {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::OK
    };
    let r = c.page(&TeamsPage {
        l: c.layout(auth, c.t.get("nav-teams"), "teams"),
        teams,
        own,
        can_manage: access_service::manage_teams(a).is_ok(),
        error,
        name: form.0,
        leader: form.1,
        members: form.2,
    });
    with_status(r, status)
}

async fn list(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    render_list(&s, &c, &auth, None, Default::default()).await
}

async fn create(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let g = |k: &str| posted.get(k).unwrap_or_default();
    let inp = TeamInput {
        name: Some(g("name")),
        leader: Some(g("leader")),
        members: Some(parse_members(&g("members"))),
        note: Some(g("note")),
        ..Default::default()
    };
    match s.app.team_create(&posted.auth.actor, &inp).await {
        Ok(t) => see_other(&format!("/teams/{}?done=created", t.id)),
        Err(e @ (AppError::BadRequest { .. } | AppError::Conflict(_) | AppError::Invalid(_))) => {
            let msg = super::messages(&c, &e);
            render_list(
                &s,
                &c,
                &posted.auth,
                Some(msg),
                (g("name"), g("leader"), g("members")),
            )
            .await
        }
        Err(e) => c.error(&e),
    }
}

async fn render_team(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    id: i64,
    page: i64,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let a = &auth.actor;
    let team = match s.app.team_get(a, id).await {
        Ok(t) => t,
        Err(e) => return c.error(&e),
    };
    let p = match s.app.team_enterprises(a, id, Some(page), Some(50)).await {
        Ok(p) => p,
        Err(e) => return c.error(&e),
    };
    let idx = match s.app.registry().await {
        Ok(i) => i,
        Err(e) => return c.error(&e),
    };
    let (pages, prev, next) = pager("", p.page, p.per_page, p.total);
    let mut rows = p.items;
    for r in &mut rows {
        r.assigned_at = super::cst(&r.assigned_at);
    }
    let chains = idx
        .of_kind(RegistryKind::Ecosystem)
        .map(|e| OptGroup {
            label: e.name.clone(),
            opts: idx
                .children(e.id, RegistryKind::Chain)
                .iter()
                .map(|r| Opt::new(r.code.clone().unwrap_or_default(), &r.name, ""))
                .collect(),
        })
        .collect();
    let streets = idx
        .of_kind(RegistryKind::Street)
        .map(|r| Opt::new(r.code.clone().unwrap_or_default(), &r.name, ""))
        .collect();
    let parks = idx
        .of_kind(RegistryKind::Street)
        .map(|st| OptGroup {
            label: st.name.clone(),
            opts: idx
                .children(st.id, RegistryKind::Park)
                .iter()
                .map(|p| Opt::new(p.id.to_string(), &p.name, ""))
                .collect(),
        })
        .collect();
    let tags = KNOWN_TAGS.iter().map(|k| Opt::new(*k, *k, "")).collect();
    let contacts = team
        .members
        .iter()
        .map(|m| Opt::new(&m.username, &m.display_name, ""))
        .collect();
    let status = if error.is_some() {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::OK
    };
    let r = c.page(&TeamPage {
        l: c.layout(auth, team.name.clone(), "teams"),
        members_text: members_text(&team, &idx),
        rows,
        total: p.total,
        pages,
        prev,
        next,
        can_manage: access_service::manage_teams(a).is_ok(),
        notice,
        error,
        chains,
        streets,
        parks,
        tags,
        contacts,
        team,
    });
    with_status(r, status)
}

fn notice(c: &Ctx, q: &std::collections::HashMap<String, String>) -> Option<String> {
    match q.get("done").map(String::as_str) {
        Some("created") => Some(c.t.get("team-created").to_string()),
        Some("saved") => Some(c.t.get("saved").to_string()),
        Some("assigned") => Some(format!(
            "{} {}：{} {}，{} {}，{} {}",
            c.t.get("team-assign-done"),
            q.get("matched").cloned().unwrap_or_default(),
            c.t.get("team-assign-new"),
            q.get("assigned").cloned().unwrap_or_default(),
            c.t.get("team-assign-moved"),
            q.get("moved").cloned().unwrap_or_default(),
            c.t.get("team-assign-skipped"),
            q.get("skipped").cloned().unwrap_or_default(),
        )),
        _ => None,
    }
}

async fn detail(
    State(s): State<AppState>,
    auth: PageAuth,
    parts: Parts,
    Path(id): Path<i64>,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let q = query_map(&parts);
    let page = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    render_team(&s, &c, &auth, id, page, notice(&c, &q), None).await
}

async fn refused(s: &AppState, c: &Ctx, auth: &PageAuth, id: i64, e: AppError) -> Response {
    match e {
        AppError::BadRequest { .. } | AppError::Conflict(_) | AppError::Invalid(_) => {
            let msg = super::messages(c, &e);
            let status = crate::error::status(&e);
            with_status(
                render_team(s, c, auth, id, 1, None, Some(msg)).await,
                status,
            )
        }
        other => c.error(&other),
    }
}

async fn update(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<i64>,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let g = |k: &str| posted.get(k).unwrap_or_default();
    let inp = TeamInput {
        name: Some(g("name")),
        leader: Some(g("leader")),
        members: Some(parse_members(&g("members"))),
        note: Some(g("note")),
        active: Some(posted.get("active").as_deref() == Some("1")),
        version: g("version").parse().ok(),
    };
    match s.app.team_update(&posted.auth.actor, id, &inp).await {
        Ok(_) => see_other(&format!("/teams/{id}?done=saved")),
        Err(e) => refused(&s, &c, &posted.auth, id, e).await,
    }
}

async fn assign(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<i64>,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let g = |k: &str| {
        posted
            .get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let filter = EnterpriseQuery {
        chain: g("chain"),
        street: g("street"),
        park: g("park"),
        tag: g("tag"),
        ..Default::default()
    };
    let any_filter = filter.chain.is_some()
        || filter.street.is_some()
        || filter.park.is_some()
        || filter.tag.is_some();
    let inp = AssignInput {
        enterprises: g("enterprises")
            .unwrap_or_default()
            .split([',', '，', '\n', ' ', ';', '；'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect(),
        filter: any_filter.then_some(filter),
        contact: g("contact"),
        reassign: posted.get("reassign").as_deref() == Some("1"),
        reason: g("reason"),
    };
    match s.app.team_assign(&posted.auth.actor, id, &inp).await {
        Ok(r) => see_other(&format!(
            "/teams/{id}?done=assigned&matched={}&assigned={}&moved={}&skipped={}",
            r.matched, r.assigned, r.moved, r.skipped
        )),
        Err(e) => refused(&s, &c, &posted.auth, id, e).await,
    }
}

/// Change one enterprise's contact, or remove it from the team (`remove=1`).
async fn assign_one(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<i64>,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let uscc = posted.get("uscc").unwrap_or_default();
    let remove = posted.get("remove").as_deref() == Some("1");
    let contact = posted.get("contact").filter(|x| !x.trim().is_empty());
    let reason = posted.get("reason");
    match s
        .app
        .enterprise_assign(
            &posted.auth.actor,
            &uscc,
            (!remove).then_some(id),
            contact.as_deref(),
            reason.as_deref(),
        )
        .await
    {
        Ok(_) => see_other(&format!("/teams/{id}?done=saved")),
        Err(e) => refused(&s, &c, &posted.auth, id, e).await,
    }
}
