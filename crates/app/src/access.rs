//! Who may do what. Every use case calls one of these before touching the store.
//!
//! | action                         | roles |
//! |--------------------------------|-------|
//! | browse enterprises             | all but provider; an enterprise user only its own |
//! | create enterprises, import     | admin, department, team (import: admin, department) |
//! | edit an enterprise             | admin, department, team; an enterprise user its own |
//! | export enterprises             | admin, department, team |
//! | edit the zone registry         | admin |
//! | manage users, read audit log   | admin |
//! | see unmasked phone numbers     | admin, team (the people who call enterprises) |

use crate::{Actor, AppError, AppResult};
use lianshi_domain::Role;

fn allow(ok: bool) -> AppResult<()> {
    if ok { Ok(()) } else { Err(AppError::Forbidden) }
}

pub fn browse_enterprises(a: &Actor) -> AppResult<()> {
    allow(a.role != Role::Provider)
}

/// May `a` see the enterprise with this id?
pub fn view_enterprise(a: &Actor, enterprise_id: i64) -> AppResult<()> {
    browse_enterprises(a)?;
    match a.role {
        Role::Enterprise => allow(a.enterprise_id == Some(enterprise_id)),
        _ => Ok(()),
    }
}

pub fn create_enterprise(a: &Actor) -> AppResult<()> {
    allow(matches!(
        a.role,
        Role::Admin | Role::Department | Role::Team
    ))
}

pub fn edit_enterprise(a: &Actor, enterprise_id: i64) -> AppResult<()> {
    match a.role {
        Role::Admin | Role::Department | Role::Team => Ok(()),
        Role::Enterprise => allow(a.enterprise_id == Some(enterprise_id)),
        _ => Err(AppError::Forbidden),
    }
}

pub fn import_enterprises(a: &Actor) -> AppResult<()> {
    allow(matches!(a.role, Role::Admin | Role::Department))
}

pub fn export_enterprises(a: &Actor) -> AppResult<()> {
    allow(matches!(
        a.role,
        Role::Admin | Role::Department | Role::Team
    ))
}

pub fn edit_registry(a: &Actor) -> AppResult<()> {
    allow(a.role == Role::Admin)
}

pub fn view_registry(a: &Actor) -> AppResult<()> {
    let _ = a;
    Ok(())
}

pub fn manage_users(a: &Actor) -> AppResult<()> {
    allow(a.role == Role::Admin)
}

pub fn read_audit(a: &Actor) -> AppResult<()> {
    allow(a.role == Role::Admin)
}

/// Whether phone numbers are shown in full to this actor.
pub fn sees_full_phone(a: &Actor) -> bool {
    matches!(a.role, Role::Admin | Role::Team)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Source;

    fn actor(role: Role, ent: Option<i64>) -> Actor {
        Actor {
            user_id: Some(1),
            username: "u".into(),
            display_name: "u".into(),
            role,
            enterprise_id: ent,
            department_id: None,
            source: Source::Api,
        }
    }

    #[test]
    fn an_enterprise_user_sees_only_its_own_enterprise() {
        let a = actor(Role::Enterprise, Some(7));
        assert!(view_enterprise(&a, 7).is_ok());
        assert!(matches!(view_enterprise(&a, 8), Err(AppError::Forbidden)));
        assert!(edit_enterprise(&a, 7).is_ok());
        assert!(edit_enterprise(&a, 8).is_err());
    }

    #[test]
    fn only_administrators_manage_users_and_read_the_audit_log() {
        for r in Role::ALL {
            let a = actor(r, None);
            assert_eq!(manage_users(&a).is_ok(), r == Role::Admin);
            assert_eq!(read_audit(&a).is_ok(), r == Role::Admin);
        }
    }

    #[test]
    fn providers_cannot_browse_enterprises() {
        assert!(browse_enterprises(&actor(Role::Provider, None)).is_err());
        assert!(browse_enterprises(&actor(Role::Finance, None)).is_ok());
    }
}
