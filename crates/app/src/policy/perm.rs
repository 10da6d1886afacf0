//! Who may do what with benefit policies (惠企政策).
//!
//! | action | who |
//! |---|---|
//! | read the catalogue | everyone signed in but voucher providers |
//! | load, edit, push, simulate (at all) | admin, department officers |
//! | manage one policy | admin; a department officer for its own department's policies |
//! | explanations for one enterprise | everyone reading the catalogue; an enterprise user only its own (and within the actor's enterprise scope, `enterprise::perm`) |
//! | decide a notice (意愿确认) | the enterprise's own users; admin on its behalf |
//! | whole-zone lists (runs, all notices, eligible lists) | admin, department officers, team members |
//!
//! A department officer bound to no department manages no policy (before, it managed every
//! department's), the same rule as for subsidies and council actions.

use crate::perm::{allow, of_department, own_enterprise};
use crate::{Actor, AppError, AppResult};
use lianshi_domain::Role;

/// Read the catalogue: everyone signed in but voucher providers.
pub fn read(a: &Actor) -> AppResult<()> {
    allow(a.role != Role::Provider)
}

/// Load, edit, push and simulate at all.
pub fn manage_any(a: &Actor) -> AppResult<()> {
    allow(matches!(a.role, Role::Admin | Role::Department))
}

/// Manage a policy of this department: administrators any; officers their own department's.
pub fn manage(a: &Actor, department_id: Option<i64>) -> AppResult<()> {
    match a.role {
        Role::Admin => Ok(()),
        Role::Department => allow(of_department(a, department_id)),
        _ => Err(AppError::Forbidden),
    }
}

/// Explanations for one enterprise: an enterprise user only its own; providers never. The
/// use cases also require the enterprise in the actor's scope (`enterprise::perm::EnterpriseScope`):
/// none for party secretaries yet, and finance users never (`enterprise::perm::explain_in_scope`).
pub fn explain(a: &Actor, enterprise_id: i64) -> AppResult<()> {
    read(a)?;
    match a.role {
        Role::Enterprise => allow(own_enterprise(a, enterprise_id)),
        _ => Ok(()),
    }
}

/// Decide a notice (意愿确认): the enterprise itself, or an administrator on its behalf.
pub fn decide(a: &Actor, enterprise_id: i64) -> AppResult<()> {
    match a.role {
        Role::Admin => Ok(()),
        Role::Enterprise => allow(own_enterprise(a, enterprise_id)),
        _ => Err(AppError::Forbidden),
    }
}

/// Whole-zone lists (runs, all notices, eligible lists): staff, not enterprises.
pub fn staff(a: &Actor) -> AppResult<()> {
    allow(matches!(
        a.role,
        Role::Admin | Role::Department | Role::Team
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perm::table::{DEPT, ENT, N, Y, check};
    use Role::*;

    /// [in scope, out of scope, unbound]: the policy's department (the enterprise, for
    /// enterprise users), another, none.
    #[test]
    fn every_role_may_do_with_policies_what_the_table_says() {
        check(
            "read",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [Y, Y, Y]),
                (PartySecretary, [Y, Y, Y]),
                (Enterprise, [Y, Y, Y]),
                (Finance, [Y, Y, Y]),
                (Provider, [N, N, N]),
            ],
            |a, _| read(a).is_ok(),
        );
        check(
            "manage any",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [N, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| manage_any(a).is_ok(),
        );
        check(
            "manage one",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, N, N]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [N, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| manage(a, Some(DEPT)).is_ok(),
        );
        check(
            "explain",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [Y, Y, Y]),
                (PartySecretary, [Y, Y, Y]),
                (Enterprise, [Y, N, N]),
                (Finance, [Y, Y, Y]),
                (Provider, [N, N, N]),
            ],
            |a, _| explain(a, ENT).is_ok(),
        );
        check(
            "decide a notice",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [N, N, N]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [Y, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| decide(a, ENT).is_ok(),
        );
        check(
            "staff lists",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [Y, Y, Y]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [N, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| staff(a).is_ok(),
        );
    }
}
