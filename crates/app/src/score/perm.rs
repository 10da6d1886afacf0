//! Who may do what with scores.
//!
//! | action | who |
//! |---|---|
//! | read the model | everyone but service providers |
//! | edit the model, run the scoring | admin |
//! | list every score | admin, department officers |
//! | list scores, see an explanation, record a loan | a finance user, for enterprises that consented to its institution |
//! | see its own score, grant or revoke consent | an enterprise user, for its own enterprise |
//! | list loans | admin and department (all), finance (its institution), enterprise (its own) |

use crate::perm::{allow, own_enterprise};
use crate::{Actor, AppError, AppResult};
use lianshi_domain::Role;

pub fn view_model(a: &Actor) -> AppResult<()> {
    allow(a.role != Role::Provider)
}

pub fn edit_model(a: &Actor) -> AppResult<()> {
    allow(a.role == Role::Admin)
}

pub fn run(a: &Actor) -> AppResult<()> {
    allow(a.role == Role::Admin)
}

pub fn list_all(a: &Actor) -> AppResult<()> {
    allow(matches!(a.role, Role::Admin | Role::Department))
}

/// The institution a finance user acts for.
pub fn institution(a: &Actor) -> AppResult<i64> {
    if a.role != Role::Finance {
        return Err(AppError::Forbidden);
    }
    a.department_id.ok_or_else(|| {
        AppError::bad(
            "score_no_institution",
            "该金融机构用户未绑定金融机构，请管理员在用户中设置所属机构",
            "this financial-institution user is not bound to an institution; ask an administrator",
        )
    })
}

/// May `a` see any enterprise's score at all ([`view_score`] then decides which)?
pub fn view_any_score(a: &Actor) -> AppResult<()> {
    allow(matches!(
        a.role,
        Role::Admin | Role::Department | Role::Enterprise | Role::Finance
    ))
}

/// May `a` see the score of `enterprise_id`, given whether it consented to `a`'s institution?
pub fn view_score(a: &Actor, enterprise_id: i64, consented: bool) -> AppResult<()> {
    match a.role {
        Role::Admin | Role::Department => Ok(()),
        Role::Enterprise => allow(own_enterprise(a, enterprise_id)),
        Role::Finance => allow(consented),
        _ => Err(AppError::Forbidden),
    }
}

/// Consent is the enterprise's own act.
pub fn consent(a: &Actor, enterprise_id: i64) -> AppResult<()> {
    allow(own_enterprise(a, enterprise_id))
}

pub fn view_consents(a: &Actor, enterprise_id: i64) -> AppResult<()> {
    match a.role {
        Role::Admin | Role::Department => Ok(()),
        Role::Enterprise => allow(own_enterprise(a, enterprise_id)),
        _ => Err(AppError::Forbidden),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perm::table::{DEPT, ENT, N, Y, check};
    use Role::*;

    /// [in scope, out of scope, unbound]: the scored enterprise (for a finance user: its
    /// institution is the one the enterprise consented to), another, none.
    #[test]
    fn every_role_may_do_with_scores_what_the_table_says() {
        check(
            "view the model",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [Y, Y, Y]),
                (PartySecretary, [Y, Y, Y]),
                (Enterprise, [Y, Y, Y]),
                (Finance, [Y, Y, Y]),
                (Provider, [N, N, N]),
            ],
            |a, _| view_model(a).is_ok(),
        );
        let admin_only = [
            (Admin, [Y, Y, Y]),
            (Department, [N, N, N]),
            (Team, [N, N, N]),
            (PartySecretary, [N, N, N]),
            (Enterprise, [N, N, N]),
            (Finance, [N, N, N]),
            (Provider, [N, N, N]),
        ];
        check("edit the model", &admin_only, |a, _| edit_model(a).is_ok());
        check("run", &admin_only, |a, _| run(a).is_ok());
        check(
            "list all",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [N, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| list_all(a).is_ok(),
        );
        check(
            "act for an institution",
            &[
                (Admin, [N, N, N]),
                (Department, [N, N, N]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [N, N, N]),
                (Finance, [Y, Y, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| institution(a).is_ok(),
        );
        check(
            "view a score",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [Y, N, N]),
                (Finance, [Y, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| view_score(a, ENT, a.department_id == Some(DEPT)).is_ok(),
        );
        check(
            "view any score",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [Y, Y, Y]),
                (Finance, [Y, Y, Y]),
                (Provider, [N, N, N]),
            ],
            |a, _| view_any_score(a).is_ok(),
        );
        check(
            "consent",
            &[
                (Admin, [N, N, N]),
                (Department, [N, N, N]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [Y, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| consent(a, ENT).is_ok(),
        );
        check(
            "view consents",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [Y, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| view_consents(a, ENT).is_ok(),
        );
    }

    #[test]
    fn a_finance_user_bound_to_no_institution_is_told_so_not_forbidden() {
        let (a, _) = crate::perm::table::actor(Finance, 2);
        assert_eq!(
            institution(&a).err().map(|e| e.code()),
            Some("score_no_institution")
        );
    }
}
