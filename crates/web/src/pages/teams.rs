//! 服务团队 pages: the teams a person may see (an enterprise user sees its own team and contact
//! person instead), a team's page with members and the enterprises it serves, and the
//! administrator's forms to create and edit teams and assign enterprises (one by one or in bulk
//! by chain, street, park and tag).

use super::form::trimmed;
use super::{
    Ctx, FormError, Layout, Opt, OptGroup, OrShow, PageLink, PageResult, Query, pager, see_other,
    with_status,
};
use crate::AppState;
use crate::auth::{PageAuth, Posted};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use lianshi_app::RegistryIndex;
use lianshi_app::enterprise::EnterpriseQuery;
use lianshi_app::team::perm as team_perm;
use lianshi_app::team::{
    AssignInput, EnterpriseTeamView, MemberInput, TeamEnterpriseView, TeamInput, TeamView,
};
use lianshi_domain::Role;
use lianshi_domain::enterprise::KNOWN_TAGS;
use lianshi_domain::zone::RegistryKind;
use serde::Deserialize;

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
    error: Option<FormError>,
    form: TeamForm,
) -> PageResult {
    let a = &auth.actor;
    let (teams, own) = if a.role == Role::Enterprise {
        (Vec::new(), Some(s.app.own_enterprise_team(a).await?))
    } else {
        (s.app.team_list(a).await?, None)
    };
    let status = error
        .as_ref()
        .map(|e| e.status)
        .unwrap_or(axum::http::StatusCode::OK);
    let r = c.page(&TeamsPage {
        l: c.layout(auth, c.t.get("nav-teams"), "teams"),
        teams,
        own,
        can_manage: team_perm::manage_teams(a).is_ok(),
        error: error.map(|e| e.message),
        name: form.name,
        leader: form.leader,
        members: form.members,
    });
    Ok(with_status(r, status))
}

async fn list(State(s): State<AppState>, c: Ctx, auth: PageAuth) -> PageResult {
    render_list(&s, &c, &auth, None, TeamForm::default()).await
}

/// A team: name, leader, members (one a line) and note; on edit also active and version.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct TeamForm {
    name: String,
    leader: String,
    members: String,
    note: String,
    active: bool,
    version: Option<i64>,
}

async fn create(
    State(s): State<AppState>,
    c: Ctx,
    Posted { auth, form, .. }: Posted<TeamForm>,
) -> PageResult {
    let f = form?;
    let inp = TeamInput {
        name: Some(f.name.clone()),
        leader: Some(f.leader.clone()),
        members: Some(parse_members(&f.members)),
        note: Some(f.note.clone()),
        ..Default::default()
    };
    let done: PageResult = s
        .app
        .team_create(&auth.actor, &inp)
        .await
        .map(|t| see_other(&format!("/teams/{}?done=created", t.id)))
        .map_err(Into::into);
    done.or_show(&c, |err| render_list(&s, &c, &auth, Some(err), f))
        .await
}

async fn render_team(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    id: i64,
    page: i64,
    notice: Option<String>,
    error: Option<FormError>,
) -> PageResult {
    let a = &auth.actor;
    let team = s.app.team_get(a, id).await?;
    let p = s.app.team_enterprises(a, id, Some(page), Some(50)).await?;
    let idx = s.app.registry().await?;
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
    let status = error
        .as_ref()
        .map(|e| e.status)
        .unwrap_or(axum::http::StatusCode::OK);
    let error = error.map(|e| e.message);
    let r = c.page(&TeamPage {
        l: c.layout(auth, team.name.clone(), "teams"),
        members_text: members_text(&team, &idx),
        rows,
        total: p.total,
        pages,
        prev,
        next,
        can_manage: team_perm::manage_teams(a).is_ok(),
        notice,
        error,
        chains,
        streets,
        parks,
        tags,
        contacts,
        team,
    });
    Ok(with_status(r, status))
}

/// A team page's page of enterprises and what was just done (`created`, `saved`, `assigned`
/// with the counts of the assignment).
#[derive(Deserialize, Default)]
#[serde(default)]
struct TeamQuery {
    page: Option<i64>,
    done: Option<String>,
    matched: Option<u64>,
    assigned: Option<u64>,
    moved: Option<u64>,
    skipped: Option<u64>,
}

fn notice(c: &Ctx, q: &TeamQuery) -> Option<String> {
    let n = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    match q.done.as_deref() {
        Some("created") => Some(c.t.get("team-created").to_string()),
        Some("saved") => Some(c.t.get("saved").to_string()),
        Some("assigned") => Some(format!(
            "{} {}：{} {}，{} {}，{} {}",
            c.t.get("team-assign-done"),
            n(q.matched),
            c.t.get("team-assign-new"),
            n(q.assigned),
            c.t.get("team-assign-moved"),
            n(q.moved),
            c.t.get("team-assign-skipped"),
            n(q.skipped),
        )),
        _ => None,
    }
}

async fn detail(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Path(id): Path<i64>,
    Query(q): Query<TeamQuery>,
) -> PageResult {
    let page = q.page.unwrap_or(1);
    render_team(&s, &c, &auth, id, page, notice(&c, &q), None).await
}

/// After a form on team `id`: where `done` leads, or the team's page with the refusal.
async fn team_or_show(
    (s, c, auth): (&AppState, &Ctx, &PageAuth),
    id: i64,
    done: PageResult,
) -> PageResult {
    done.or_show(c, |err| render_team(s, c, auth, id, 1, None, Some(err)))
        .await
}

async fn update(
    State(s): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    Posted { auth, form, .. }: Posted<TeamForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        let inp = TeamInput {
            name: Some(f.name),
            leader: Some(f.leader),
            members: Some(parse_members(&f.members)),
            note: Some(f.note),
            active: Some(f.active),
            version: f.version,
        };
        s.app.team_update(&auth.actor, id, &inp).await?;
        Ok(see_other(&format!("/teams/{id}?done=saved")))
    }
    .await;
    team_or_show((&s, &c, &auth), id, done).await
}

/// Assign enterprises to a team: listed credit codes and/or a filter (chain, street, park, tag).
#[derive(Deserialize)]
struct AssignForm {
    chain: Option<String>,
    street: Option<String>,
    park: Option<String>,
    tag: Option<String>,
    #[serde(default)]
    enterprises: String,
    contact: Option<String>,
    #[serde(default)]
    reassign: bool,
    reason: Option<String>,
}

async fn assign(
    State(s): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    Posted { auth, form, .. }: Posted<AssignForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        let filter = EnterpriseQuery {
            chain: trimmed(f.chain),
            street: trimmed(f.street),
            park: trimmed(f.park),
            tag: trimmed(f.tag),
            ..Default::default()
        };
        let any_filter = filter.chain.is_some()
            || filter.street.is_some()
            || filter.park.is_some()
            || filter.tag.is_some();
        let inp = AssignInput {
            enterprises: f
                .enterprises
                .split([',', '，', '\n', ' ', ';', '；'])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect(),
            filter: any_filter.then_some(filter),
            contact: trimmed(f.contact),
            reassign: f.reassign,
            reason: trimmed(f.reason),
        };
        let r = s.app.team_assign(&auth.actor, id, &inp).await?;
        Ok(see_other(&format!(
            "/teams/{id}?done=assigned&matched={}&assigned={}&moved={}&skipped={}",
            r.matched, r.assigned, r.moved, r.skipped
        )))
    }
    .await;
    team_or_show((&s, &c, &auth), id, done).await
}

/// One enterprise's contact, or its removal from the team (`remove=1`).
#[derive(Deserialize)]
struct AssignOneForm {
    #[serde(default)]
    uscc: String,
    #[serde(default)]
    remove: bool,
    contact: Option<String>,
    reason: Option<String>,
}

async fn assign_one(
    State(s): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    Posted { auth, form, .. }: Posted<AssignOneForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        s.app
            .enterprise_assign(
                &auth.actor,
                &f.uscc,
                (!f.remove).then_some(id),
                trimmed(f.contact).as_deref(),
                f.reason.as_deref(),
            )
            .await?;
        Ok(see_other(&format!("/teams/{id}?done=saved")))
    }
    .await;
    team_or_show((&s, &c, &auth), id, done).await
}
