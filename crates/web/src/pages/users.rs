//! 账号管理 (administrators): the accounts, a create form and per-account actions
//! (activate/deactivate, reset password, clear the sign-in back-off).

use super::{Ctx, Layout, Opt, see_other, with_status};
use crate::AppState;
use crate::auth::{PageAuth, Posted};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use lianshi_app::stats::UserView;
use lianshi_app::user::UserInput;
use lianshi_app::{AppError, access};
use lianshi_domain::Role;
use lianshi_domain::zone::RegistryKind;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users", get(page).post(create))
        .route("/users/{id}/active", post(set_active))
        .route("/users/{id}/password", post(reset_password))
        .route("/users/{id}/unlock", post(unlock))
}

pub struct UserRowView {
    pub u: UserView,
    pub role_label: String,
    pub created: String,
    /// Failed sign-ins counted now, and until when a wait applies ("" if none).
    pub failures: i64,
    pub locked: String,
    pub is_self: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub l: Layout,
    pub users: Vec<UserRowView>,
    pub roles: Vec<Opt>,
    pub departments: Vec<Opt>,
    pub error: Option<String>,
    pub notice: Option<&'static str>,
    /// Values of the create form after a refusal.
    pub username: String,
    pub display_name: String,
    pub enterprise: String,
}

struct Draft {
    username: String,
    display_name: String,
    role: String,
    enterprise: String,
    department: String,
}

async fn render_page(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    d: &Draft,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Response {
    let t = c.t;
    let users = match s.app.user_overview(&auth.actor).await {
        Ok(u) => u,
        Err(e) => return c.error(&e),
    };
    let idx = match s.app.registry().await {
        Ok(i) => i,
        Err(e) => return c.error(&e),
    };
    let backoffs: std::collections::HashMap<String, lianshi_app::auth::AccountBackoff> =
        match s.app.login_backoffs(&auth.actor).await {
            Ok(b) => b.into_iter().map(|b| (b.account.clone(), b)).collect(),
            Err(e) => return c.error(&e),
        };
    let users = users
        .into_iter()
        .map(|u| {
            let b = backoffs.get(&lianshi_app::auth::account_key(&u.username));
            UserRowView {
                role_label: c.pick(&u.role_zh, &u.role_en),
                created: super::cst(&u.created_at),
                failures: b.map_or(0, |b| b.failures),
                locked: b
                    .and_then(|b| b.blocked_until.as_deref())
                    .map(super::cst)
                    .unwrap_or_default(),
                is_self: Some(u.id) == auth.actor.user_id,
                u,
            }
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .map(|r| Opt::new(r.as_str(), c.pick(r.label_zh(), r.label_en()), &d.role))
        .collect();
    // Finance users pick their bank or fund here (积分贷 consent is per institution).
    let departments = idx
        .of_kind(RegistryKind::Department)
        .chain(
            idx.of_kind(RegistryKind::Institution)
                .filter(|r| matches!(r.attr.as_deref(), Some("bank" | "fund"))),
        )
        .map(|r| Opt::new(r.code.clone().unwrap_or_default(), &r.name, &d.department))
        .collect();
    c.page(&UsersPage {
        l: c.layout(auth, t.get("nav-users"), "users"),
        users,
        roles,
        departments,
        error,
        notice,
        username: d.username.clone(),
        display_name: d.display_name.clone(),
        enterprise: d.enterprise.clone(),
    })
}

fn empty() -> Draft {
    Draft {
        username: String::new(),
        display_name: String::new(),
        role: String::new(),
        enterprise: String::new(),
        department: String::new(),
    }
}

async fn page(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    if let Err(e) = access::manage_users(&auth.actor) {
        return c.error(&e);
    }
    let q = super::query_map(&parts);
    let notice = match q.get("done").map(String::as_str) {
        Some("created") => Some(c.t.get("user-created")),
        Some("updated") => Some(c.t.get("user-updated")),
        Some("password") => Some(c.t.get("user-password-reset")),
        Some("unlocked") => Some(c.t.get("user-unlocked")),
        _ => None,
    };
    render_page(&s, &c, &auth, &empty(), None, notice).await
}

async fn refused(s: &AppState, c: &Ctx, auth: &PageAuth, d: &Draft, e: AppError) -> Response {
    match e {
        AppError::BadRequest { .. } | AppError::Invalid(_) | AppError::Conflict(_) => {
            let status = crate::error::status(&e);
            let msg = super::messages(c, &e);
            with_status(render_page(s, c, auth, d, Some(msg), None).await, status)
        }
        other => c.error(&other),
    }
}

async fn create(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let g = |k: &str| posted.get(k).unwrap_or_default();
    let d = Draft {
        username: g("username"),
        display_name: g("display_name"),
        role: g("role"),
        enterprise: g("enterprise"),
        department: g("department"),
    };
    let inp = UserInput {
        username: d.username.clone(),
        display_name: Some(d.display_name.clone()).filter(|x| !x.trim().is_empty()),
        role: d.role.clone(),
        password: g("password"),
        enterprise: Some(d.enterprise.clone()).filter(|x| !x.trim().is_empty()),
        department: Some(d.department.clone()).filter(|x| !x.trim().is_empty()),
    };
    match s.app.user_create(&posted.auth.actor, &inp).await {
        Ok(_) => see_other("/users?done=created"),
        Err(e) => refused(&s, &c, &posted.auth, &d, e).await,
    }
}

async fn set_active(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<i64>,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let active = posted.get("active").as_deref() == Some("1");
    match s
        .app
        .user_edit(&posted.auth.actor, id, None, Some(active), None)
        .await
    {
        Ok(()) => see_other("/users?done=updated"),
        Err(e) => refused(&s, &c, &posted.auth, &empty(), e).await,
    }
}

async fn reset_password(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<i64>,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let pw = posted.get("password").unwrap_or_default();
    match s
        .app
        .user_edit(&posted.auth.actor, id, None, None, Some(&pw))
        .await
    {
        Ok(()) => see_other("/users?done=password"),
        Err(e) => refused(&s, &c, &posted.auth, &empty(), e).await,
    }
}

async fn unlock(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<i64>,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let actor = &posted.auth.actor;
    let user = match s.app.user_list(actor).await {
        Ok(users) => users.into_iter().find(|u| u.id == id),
        Err(e) => return c.error(&e),
    };
    let Some(user) = user else {
        return c.error(&AppError::NotFound(format!("user {id}")));
    };
    match s.app.user_unlock(actor, &user.username).await {
        Ok(_) => see_other("/users?done=unlocked"),
        Err(e) => refused(&s, &c, &posted.auth, &empty(), e).await,
    }
}
