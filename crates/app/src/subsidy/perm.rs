//! Who may do what with subsidies.
//!
//! | action | roles |
//! |---|---|
//! | apply | an enterprise user for its own enterprise; admin; a department officer for its department's policies |
//! | browse (list, policy picker) | admin, department officers, enterprise users (the list is filtered to their scope) |
//! | see one application | admin; a department officer for its department's policies; an enterprise user its own |
//! | review, approve, reject, disburse, set budgets | admin; a department officer for its own department's policies |
//! | reverse a ledger entry | admin |
//! | ledger and totals | admin, department officers |
//! | withdraw | the applicant enterprise's user, admin |
//!
//! Team members, party secretaries, banks and providers have no access. A department officer
//! bound to no department is in no department's scope: its list is empty, and seeing or deciding
//! an application is 403 (before, it saw every application while being refused every decision).

use crate::perm::{allow, of_department, own_enterprise};
use crate::{Actor, AppError, AppResult};
use lianshi_domain::Role;
use lianshi_store::subsidy::{ApplicationRow, SubsidyPolicy};

/// Acts for the department that owns the policy (or is an administrator).
pub fn decide(a: &Actor, p: &SubsidyPolicy) -> AppResult<()> {
    match a.role {
        Role::Admin => Ok(()),
        Role::Department => allow(of_department(a, p.department_id)),
        _ => Err(AppError::Forbidden),
    }
}

pub fn apply(a: &Actor, enterprise_id: i64, p: &SubsidyPolicy) -> AppResult<()> {
    match a.role {
        Role::Enterprise => allow(own_enterprise(a, enterprise_id)),
        _ => decide(a, p),
    }
}

pub fn browse(a: &Actor) -> AppResult<()> {
    allow(matches!(
        a.role,
        Role::Admin | Role::Department | Role::Enterprise
    ))
}

pub fn view(a: &Actor, row: &ApplicationRow) -> AppResult<()> {
    match a.role {
        Role::Admin => Ok(()),
        Role::Department => allow(of_department(a, row.department_id)),
        Role::Enterprise => allow(own_enterprise(a, row.enterprise_id)),
        _ => Err(AppError::Forbidden),
    }
}

pub fn withdraw(a: &Actor, row: &ApplicationRow) -> AppResult<()> {
    match a.role {
        Role::Admin => Ok(()),
        Role::Enterprise => allow(own_enterprise(a, row.enterprise_id)),
        _ => Err(AppError::Forbidden),
    }
}

pub fn ledger(a: &Actor) -> AppResult<()> {
    allow(matches!(a.role, Role::Admin | Role::Department))
}

/// Set budgets: the pages show the budget form to whoever may set one for some policy.
pub fn budget_any(a: &Actor) -> AppResult<()> {
    ledger(a)
}

pub fn reverse(a: &Actor) -> AppResult<()> {
    allow(a.role == Role::Admin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perm::table::{DEPT, ENT, N, Y, check};
    use Role::*;

    fn policy_of(department_id: Option<i64>) -> SubsidyPolicy {
        SubsidyPolicy {
            id: 1,
            code: "p".into(),
            title: "p".into(),
            department_id,
            department_code: "d".into(),
            group_code: None,
            status: "active".into(),
            track: "quick".into(),
        }
    }

    fn policy() -> SubsidyPolicy {
        policy_of(Some(DEPT))
    }

    fn application() -> ApplicationRow {
        ApplicationRow {
            enterprise_id: ENT,
            department_id: Some(DEPT),
            ..ApplicationRow::default()
        }
    }

    /// [in scope, out of scope, unbound]: the policy's department (the application's enterprise
    /// for enterprise users), another one, none.
    #[test]
    fn every_role_may_do_with_subsidies_what_the_table_says() {
        check(
            "decide",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, N, N]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [N, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| decide(a, &policy()).is_ok(),
        );
        check(
            "apply",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, N, N]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [Y, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| apply(a, ENT, &policy()).is_ok(),
        );
        check(
            "view one",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, N, N]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [Y, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| view(a, &application()).is_ok(),
        );
        check(
            "withdraw",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [N, N, N]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [Y, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| withdraw(a, &application()).is_ok(),
        );
        check(
            "browse",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [Y, Y, Y]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| browse(a).is_ok(),
        );
        let ledger_rows = [
            (Admin, [Y, Y, Y]),
            (Department, [Y, Y, Y]),
            (Team, [N, N, N]),
            (PartySecretary, [N, N, N]),
            (Enterprise, [N, N, N]),
            (Finance, [N, N, N]),
            (Provider, [N, N, N]),
        ];
        check("ledger", &ledger_rows, |a, _| ledger(a).is_ok());
        check("budget form", &ledger_rows, |a, _| budget_any(a).is_ok());
        check(
            "reverse",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [N, N, N]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [N, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| reverse(a).is_ok(),
        );
    }

    #[test]
    fn a_policy_without_a_department_is_decided_only_by_administrators() {
        let p = policy_of(None);
        for role in Role::ALL {
            for standing in 0..3 {
                let (a, _) = crate::perm::table::actor(role, standing);
                assert_eq!(decide(&a, &p).is_ok(), role == Admin, "{role:?} {standing}");
            }
        }
    }
}
