//! What every feature's `perm` module shares. Permissions live beside their feature
//! (`enterprise::perm`, `team::perm`, `order::perm`, `council::perm`, `policy::perm`,
//! `subsidy::perm`, `voucher::perm`, `score::perm`, `service_figures::perm`, `zone::perm`,
//! `user::perm`, `audit::perm`): pure functions of the [`Actor`] and the facts the use case
//! loaded, called by the use case before it touches the store, and by pages and the API when they
//! decide which links and buttons to show — one rule, one function.
//!
//! Each of those modules has a table test over every role × action × scope ([`table`]).

use crate::{Actor, AppError, AppResult};
use lianshi_domain::Role;

/// `Ok` when `ok`, otherwise 403.
pub fn allow(ok: bool) -> AppResult<()> {
    if ok { Ok(()) } else { Err(AppError::Forbidden) }
}

/// An enterprise user of exactly this enterprise.
pub fn own_enterprise(a: &Actor, enterprise_id: i64) -> bool {
    a.role == Role::Enterprise && a.enterprise_id == Some(enterprise_id)
}

/// A department officer bound to this department. An officer without a department is in no
/// department's scope: it sees and decides nothing that belongs to a department.
pub fn of_department(a: &Actor, department_id: Option<i64>) -> bool {
    a.role == Role::Department && a.department_id.is_some() && a.department_id == department_id
}

/// Table tests for the `perm` modules: every role, each in three standings towards one record
/// (enterprise [`table::ENT`], department [`table::DEPT`], team [`table::TEAM`]).
#[cfg(test)]
pub(crate) mod table {
    use crate::{Actor, Source};
    use lianshi_domain::Role;

    pub const ENT: i64 = 7;
    pub const DEPT: i64 = 3;
    pub const TEAM: i64 = 5;

    /// Allowed.
    pub const Y: bool = true;
    /// Refused.
    pub const N: bool = false;

    /// How an actor stands towards the record: `[in scope, out of scope, unbound]`, where in
    /// scope is the record's own enterprise, department (institution for finance) and team; out
    /// of scope is another one of each; unbound has no enterprise, department or team at all.
    pub type Row = (Role, [bool; 3]);

    /// The actor and its teams for one role and standing (0 in, 1 out, 2 unbound).
    pub fn actor(role: Role, standing: usize) -> (Actor, Vec<i64>) {
        let (ent, dept, teams) = match standing {
            0 => (Some(ENT), Some(DEPT), vec![TEAM]),
            1 => (Some(ENT + 1), Some(DEPT + 1), vec![TEAM + 1]),
            _ => (None, None, Vec::new()),
        };
        let a = Actor {
            user_id: Some(1),
            username: "u".into(),
            display_name: "u".into(),
            role,
            enterprise_id: ent,
            department_id: dept,
            source: Source::Api,
        };
        (a, teams)
    }

    /// Check one action against its table: every role exactly once, each in all three standings.
    pub fn check(action: &str, rows: &[Row], f: impl Fn(&Actor, &[i64]) -> bool) {
        assert_eq!(rows.len(), Role::ALL.len(), "{action}: one row per role");
        for role in Role::ALL {
            let Some((_, want)) = rows.iter().find(|(r, _)| *r == role) else {
                panic!("{action}: no row for {role:?}");
            };
            for (standing, want) in want.iter().enumerate() {
                let (a, teams) = actor(role, standing);
                let got = f(&a, &teams);
                let name = ["in scope", "out of scope", "unbound"][standing];
                assert_eq!(got, *want, "{action}: {role:?} {name}");
            }
        }
    }
}
