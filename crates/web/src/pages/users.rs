//! 账号管理 (administrators): the accounts, a create form and per-account actions
//! (activate/deactivate, reset password, clear the sign-in back-off).

use super::confirm::{Ask, ask};
use super::form::BadField;
use super::{Ctx, FormError, Layout, Opt, OrShow, PageResult, Query, see_other, with_status};
use crate::AppState;
use crate::auth::{PageAuth, Posted};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use lianshi_app::AppError;
use lianshi_app::user::UserInput;
use lianshi_app::user::UserView;
use lianshi_domain::Role;
use lianshi_domain::zone::RegistryKind;
use serde::Deserialize;

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
    pub notice: Option<String>,
    /// Values of the create form after a refusal.
    pub username: String,
    pub display_name: String,
    pub enterprise: String,
}

/// The create form (kept after a refusal, but for the password).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Draft {
    username: String,
    display_name: String,
    role: String,
    enterprise: String,
    department: String,
    password: String,
}

async fn render_page(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    d: Draft,
    error: Option<FormError>,
    notice: Option<String>,
) -> PageResult {
    let t = c.t;
    let users = s.app.user_overview(&auth.actor).await?;
    let idx = s.app.registry().await?;
    let backoffs: std::collections::HashMap<String, lianshi_app::auth::AccountBackoff> = s
        .app
        .login_backoffs(&auth.actor)
        .await?
        .into_iter()
        .map(|b| (b.account.clone(), b))
        .collect();
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
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let r = c.page(&UsersPage {
        l: c.layout(auth, t.get("nav-users"), "users"),
        users,
        roles,
        departments,
        error: error.map(|e| e.message),
        notice,
        username: d.username.clone(),
        display_name: d.display_name.clone(),
        enterprise: d.enterprise.clone(),
    });
    Ok(with_status(r, status))
}

/// What was just done (after a redirect), and to which account.
#[derive(Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    done: Option<String>,
    id: Option<i64>,
}

/// An account as named in a message: "张三（zhangsan）", or the username alone.
fn account_name(u: &lianshi_app::user::UserRow) -> String {
    if u.display_name.trim().is_empty() || u.display_name == u.username {
        u.username.clone()
    } else {
        format!("{}（{}）", u.display_name, u.username)
    }
}

/// Account `id`, if the actor may manage accounts.
async fn account(
    s: &AppState,
    auth: &PageAuth,
    id: i64,
) -> Result<lianshi_app::user::UserRow, AppError> {
    s.app
        .user_list(&auth.actor)
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or_else(|| AppError::NotFound(format!("user {id}")))
}

async fn page(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    lianshi_app::user::perm::manage(&auth.actor)?;
    let named = match q.id {
        Some(id) => account(&s, &auth, id).await.ok().map(|u| account_name(&u)),
        None => None,
    };
    let key = match q.done.as_deref() {
        Some("created") => Some("user-created"),
        Some("updated") => Some("user-updated"),
        Some("activated") => Some("user-activated"),
        Some("deactivated") => Some("user-deactivated"),
        Some("password") => Some("user-password-reset"),
        Some("unlocked") => Some("user-unlocked"),
        _ => None,
    };
    let notice = key.map(|k| {
        c.t.get(k)
            .replace("{account}", named.as_deref().unwrap_or(""))
    });
    render_page(&s, &c, &auth, Draft::default(), None, notice).await
}

async fn create(
    State(s): State<AppState>,
    c: Ctx,
    Posted { auth, form, .. }: Posted<Draft>,
) -> PageResult {
    let d = form?;
    if d.role.trim().is_empty() {
        // The role starts at 请选择: none is taken for granted.
        let err = FormError::bad_request(BadField::required("role").message(c.t));
        let kept = Draft {
            password: String::new(),
            ..d
        };
        return render_page(&s, &c, &auth, kept, Some(err), None).await;
    }
    let some = |x: &str| Some(x.to_string()).filter(|x| !x.trim().is_empty());
    let inp = UserInput {
        username: d.username.clone(),
        display_name: some(&d.display_name),
        role: d.role.clone(),
        password: d.password.clone(),
        enterprise: some(&d.enterprise),
        department: some(&d.department),
    };
    // The form comes back without the password.
    let kept = Draft {
        password: String::new(),
        ..d
    };
    let done: PageResult = s
        .app
        .user_create(&auth.actor, &inp)
        .await
        .map(|uid| see_other(&format!("/users?done=created&id={uid}")))
        .map_err(Into::into);
    done.or_show(&c, |err| render_page(&s, &c, &auth, kept, Some(err), None))
        .await
}

/// Activate (`active=1`) or deactivate (`active=0`) an account; deactivating asks first
/// (done only with `confirm=1`).
#[derive(Deserialize)]
struct ActiveForm {
    #[serde(default)]
    active: bool,
    #[serde(default)]
    confirm: bool,
}

async fn set_active(
    State(s): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    Posted { auth, form, .. }: Posted<ActiveForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        let u = account(&s, &auth, id).await?;
        if !f.active && !f.confirm {
            let t = c.t;
            return Ok(ask(
                &c,
                &auth,
                Ask {
                    title: t.get("nav-users"),
                    nav: "users",
                    statement: t
                        .get("user-deactivate-ask")
                        .replace("{account}", &account_name(&u)),
                    action: format!("/users/{id}/active"),
                    fields: vec![("active".into(), "0".into())],
                    button: t.get("user-deactivate"),
                    cancel: "/users",
                },
            ));
        }
        s.app
            .user_edit(&auth.actor, id, None, Some(f.active), None)
            .await?;
        let what = if f.active { "activated" } else { "deactivated" };
        Ok(see_other(&format!("/users?done={what}&id={id}")))
    }
    .await;
    done.or_show(&c, |err| {
        render_page(&s, &c, &auth, Draft::default(), Some(err), None)
    })
    .await
}

/// A new password for an account.
#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    password: String,
}

async fn reset_password(
    State(s): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    Posted { auth, form, .. }: Posted<PasswordForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        s.app
            .user_edit(&auth.actor, id, None, None, Some(&f.password))
            .await?;
        Ok(see_other(&format!("/users?done=password&id={id}")))
    }
    .await;
    done.or_show(&c, |err| {
        render_page(&s, &c, &auth, Draft::default(), Some(err), None)
    })
    .await
}

async fn unlock(
    State(s): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    Posted { auth, form, .. }: Posted,
) -> PageResult {
    form?;
    let actor = &auth.actor;
    let user = s
        .app
        .user_list(actor)
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or_else(|| AppError::NotFound(format!("user {id}")))?;
    let done: PageResult = s
        .app
        .user_unlock(actor, &user.username)
        .await
        .map(|_| see_other(&format!("/users?done=unlocked&id={id}")))
        .map_err(Into::into);
    done.or_show(&c, |err| {
        render_page(&s, &c, &auth, Draft::default(), Some(err), None)
    })
    .await
}
