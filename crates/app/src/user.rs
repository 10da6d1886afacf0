//! User accounts: creation (CLI and the users page), activation, password reset, a new role or
//! scope, and clearing an account's login back-off (unlock; a password reset and reactivation
//! clear it too). Each change drops the user's cached sessions in this process at once
//! ([`crate::session`]).

use crate::auth::{account_key, check_password_strength, hash_password};
use crate::zone::{entry, json};
use crate::{Actor, App, AppError, AppResult};
use lianshi_domain::Role;
use lianshi_domain::zone::RegistryKind;
use lianshi_store::Tx;
use lianshi_store::audit::audit_append;
pub use lianshi_store::user::UserRow;
use lianshi_store::user::{
    NewUser, login_unlock, user_clear_lock, user_insert, user_set_role, user_update,
};
use std::collections::HashMap;

/// Input to create a user.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct UserInput {
    pub username: String,
    pub display_name: Option<String>,
    /// One of the role names (`role_unknown` otherwise).
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::schema::role))]
    pub role: String,
    pub password: String,
    /// Credit code of the enterprise (required for `enterprise` users).
    pub enterprise: Option<String>,
    /// Code of the department (for `department` users).
    pub department: Option<String>,
}

fn valid_username(u: &str) -> AppResult<String> {
    let u = u.trim();
    if u.len() < 2
        || u.len() > 40
        || !u
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
    {
        return Err(AppError::bad(
            "username_format",
            "用户名应为2–40位字母、数字或 . _ - @",
            "username must be 2-40 ASCII letters, digits or . _ - @",
        ));
    }
    Ok(u.to_string())
}

/// An account as the admin list shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub role_zh: String,
    pub role_en: String,
    pub enterprise_uscc: Option<String>,
    pub enterprise_name: Option<String>,
    pub department: Option<String>,
    pub active: bool,
    pub locked_until: Option<String>,
    pub created_at: String,
}

/// Who may manage accounts (create, activate, reset, unlock, see back-offs): administrators.
pub mod perm {
    use crate::perm::allow;
    use crate::{Actor, AppResult};
    use lianshi_domain::Role;

    pub fn manage(a: &Actor) -> AppResult<()> {
        allow(a.role == Role::Admin)
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::perm::table::{N, Y, check};
        use Role::*;

        #[test]
        fn only_administrators_manage_users() {
            check(
                "manage",
                &[
                    (Admin, [Y, Y, Y]),
                    (Department, [N, N, N]),
                    (Team, [N, N, N]),
                    (PartySecretary, [N, N, N]),
                    (Enterprise, [N, N, N]),
                    (Finance, [N, N, N]),
                    (Provider, [N, N, N]),
                ],
                |a, _| manage(a).is_ok(),
            );
        }
    }
}

impl App {
    /// A role and its scope as typed (role name, enterprise credit code, department or
    /// institution code), checked and resolved to ids.
    async fn user_scope(
        &self,
        role: &str,
        enterprise: Option<&str>,
        department: Option<&str>,
    ) -> AppResult<(Role, Option<i64>, Option<i64>)> {
        let role = Role::parse(role).map_err(AppError::from_invalid)?;
        let enterprise_id = match enterprise.map(str::trim).filter(|s| !s.is_empty()) {
            Some(code) => {
                let code = lianshi_domain::Uscc::parse(code).map_err(AppError::from_invalid)?;
                Some(
                    self.db
                        .enterprise_by_uscc(code.as_str())
                        .await?
                        .ok_or_else(|| {
                            AppError::bad(
                                "enterprise_unknown",
                                format!("未找到企业 {code}"),
                                format!("no enterprise with credit code {code}"),
                            )
                        })?
                        .id,
                )
            }
            None => None,
        };
        if role == Role::Enterprise && enterprise_id.is_none() {
            return Err(AppError::bad(
                "enterprise_required",
                "企业用户必须绑定一家企业（--enterprise 统一社会信用代码）",
                "an enterprise user must be bound to one enterprise (--enterprise USCC)",
            ));
        }
        if role != Role::Enterprise && enterprise_id.is_some() {
            return Err(AppError::bad(
                "enterprise_not_allowed",
                "只有企业用户可以绑定企业",
                "only enterprise users are bound to an enterprise",
            ));
        }
        let department_id = match department.map(str::trim).filter(|s| !s.is_empty()) {
            Some(code) => {
                let idx = self.registry().await?;
                // A financial-institution user's "department" is its institution (积分贷 consent).
                let kind = if role == Role::Finance {
                    RegistryKind::Institution
                } else {
                    RegistryKind::Department
                };
                Some(
                    idx.find(kind, code)
                        .ok_or_else(|| {
                            AppError::bad(
                                "department_unknown",
                                format!("未找到部门“{code}”"),
                                format!("no department '{code}'"),
                            )
                        })?
                        .id,
                )
            }
            None => None,
        };
        Ok((role, enterprise_id, department_id))
    }

    /// User `id` as it is before a change, or not found.
    async fn user_before_change(&self, id: i64) -> AppResult<UserRow> {
        self.db
            .user_by_id(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("user {id}")))
    }

    /// Finish a change to user `before` written in `tx`: its audit entry (`before`, `after`) in
    /// the same transaction, the commit, then the user's cached sessions dropped.
    async fn user_changed(
        &self,
        mut tx: Tx,
        actor: &Actor,
        action: &str,
        before: &UserRow,
        after: serde_json::Value,
    ) -> AppResult<()> {
        audit_append(
            tx.conn(),
            &entry(
                actor,
                action,
                "user",
                Some(before.id.to_string()),
                json(before),
                Some(after),
            ),
        )
        .await?;
        tx.commit().await?;
        self.sessions.forget_user(before.id);
        Ok(())
    }

    pub async fn user_create(&self, actor: &Actor, inp: &UserInput) -> AppResult<i64> {
        perm::manage(actor)?;
        let username = valid_username(&inp.username)?;
        Role::parse(&inp.role).map_err(AppError::from_invalid)?;
        check_password_strength(&username, &inp.password)?;
        let (role, enterprise_id, department_id) = self
            .user_scope(
                &inp.role,
                inp.enterprise.as_deref(),
                inp.department.as_deref(),
            )
            .await?;
        let display_name = match inp.display_name.as_deref().filter(|d| !d.trim().is_empty()) {
            Some(d) => crate::text::name("display_name", d)?,
            None => username.clone(),
        };
        let hash = hash_password(inp.password.clone()).await?;
        let u = NewUser {
            username: username.clone(),
            display_name,
            role: role.as_str().into(),
            enterprise_id,
            department_id,
            password_hash: hash,
        };
        let mut tx = self.db.begin().await?;
        let id = user_insert(tx.conn(), &u).await?;
        let after = serde_json::json!({
            "username": u.username, "display_name": u.display_name, "role": u.role,
            "enterprise_id": u.enterprise_id, "department_id": u.department_id,
        });
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "user.create",
                "user",
                Some(id.to_string()),
                None,
                Some(after),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn user_list(&self, actor: &Actor) -> AppResult<Vec<UserRow>> {
        perm::manage(actor)?;
        Ok(self.db.user_list().await?)
    }

    /// Change a user's name or active flag, or set a new password (ends their sessions).
    pub async fn user_edit(
        &self,
        actor: &Actor,
        id: i64,
        display_name: Option<&str>,
        active: Option<bool>,
        password: Option<&str>,
    ) -> AppResult<()> {
        perm::manage(actor)?;
        let before = self.user_before_change(id).await?;
        if Some(id) == actor.user_id && active == Some(false) {
            return Err(AppError::bad(
                "cannot_disable_self",
                "不能停用自己的账号",
                "you cannot deactivate yourself",
            ));
        }
        let hash = match password {
            Some(p) => {
                check_password_strength(&before.username, p)?;
                Some(hash_password(p.to_string()).await?)
            }
            None => None,
        };
        let name = match display_name.filter(|n| !n.trim().is_empty()) {
            Some(n) => crate::text::name("display_name", n)?,
            None => before.display_name.clone(),
        };
        let active = active.unwrap_or(before.active);
        let mut tx = self.db.begin().await?;
        user_update(tx.conn(), id, active, &name, hash.as_deref()).await?;
        // A new password or a reactivation is an administrator's fresh start for the account.
        let unlocked = if hash.is_some() || (active && !before.active) {
            user_clear_lock(tx.conn(), id).await?;
            login_unlock(tx.conn(), &account_key(&before.username)).await? > 0
        } else {
            false
        };
        let after = serde_json::json!({
            "display_name": name, "active": active, "password_changed": hash.is_some(),
            "unlocked": unlocked,
        });
        self.user_changed(tx, actor, "user.update", &before, after)
            .await
    }

    /// Give user `id` a new role and scope (`enterprise`: credit code, for enterprise users;
    /// `department`: department or, for finance users, institution code), checked like
    /// [`App::user_create`]. Their sessions stay and carry the new role from the next request in
    /// this process (within [`crate::session::SESSION_CACHE_BOUND`] in others). Administrators;
    /// not on themselves; audited.
    pub async fn user_set_role(
        &self,
        actor: &Actor,
        id: i64,
        role: &str,
        enterprise: Option<&str>,
        department: Option<&str>,
    ) -> AppResult<()> {
        perm::manage(actor)?;
        let before = self.user_before_change(id).await?;
        if Some(id) == actor.user_id {
            return Err(AppError::bad(
                "cannot_change_own_role",
                "不能修改自己的角色",
                "you cannot change your own role",
            ));
        }
        let (role, enterprise_id, department_id) =
            self.user_scope(role, enterprise, department).await?;
        let mut tx = self.db.begin().await?;
        user_set_role(tx.conn(), id, role.as_str(), enterprise_id, department_id).await?;
        let after = serde_json::json!({
            "role": role.as_str(), "enterprise_id": enterprise_id, "department_id": department_id,
        });
        self.user_changed(tx, actor, "user.role", &before, after)
            .await
    }

    /// Clear the login back-off of `username` (administrators; UI and `lianshi user unlock`).
    /// Works for a name without an account too, since unknown names are counted as well.
    /// Whether there was anything to clear.
    pub async fn user_unlock(&self, actor: &Actor, username: &str) -> AppResult<bool> {
        perm::manage(actor)?;
        let user = self.db.user_by_username(username.trim()).await?;
        let account = account_key(username);
        let mut tx = self.db.begin().await?;
        if let Some(u) = &user {
            user_clear_lock(tx.conn(), u.id).await?;
        }
        let cleared = login_unlock(tx.conn(), &account).await? > 0;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "user.unlock",
                "user",
                Some(user.as_ref().map_or(account.clone(), |u| u.id.to_string())),
                None,
                Some(serde_json::json!({"username": account, "cleared": cleared})),
            ),
        )
        .await?;
        tx.commit().await?;
        if let Some(u) = &user {
            self.sessions.forget_user(u.id);
        }
        Ok(cleared)
    }

    /// All accounts with their bound enterprise and department spelled out (administrators).
    pub async fn user_overview(&self, actor: &Actor) -> AppResult<Vec<UserView>> {
        let users = self.user_list(actor).await?;
        let idx = self.registry().await?;
        let ids: Vec<i64> = users.iter().filter_map(|u| u.enterprise_id).collect();
        let names: HashMap<i64, (String, String)> = self
            .db
            .enterprise_names(&ids)
            .await?
            .into_iter()
            .map(|(id, uscc, name)| (id, (uscc, name)))
            .collect();
        Ok(users
            .into_iter()
            .map(|u| {
                let role = Role::parse(&u.role).ok();
                let ent = u.enterprise_id.and_then(|id| names.get(&id));
                UserView {
                    id: u.id,
                    username: u.username,
                    display_name: u.display_name,
                    role_zh: role
                        .map(|r| r.label_zh().to_string())
                        .unwrap_or_else(|| u.role.clone()),
                    role_en: role
                        .map(|r| r.label_en().to_string())
                        .unwrap_or_else(|| u.role.clone()),
                    role: u.role,
                    enterprise_uscc: ent.map(|e| e.0.clone()),
                    enterprise_name: ent.map(|e| e.1.clone()),
                    department: idx.name(u.department_id).map(str::to_string),
                    active: u.active,
                    locked_until: u.locked_until,
                    created_at: u.created_at,
                }
            })
            .collect())
    }
}
