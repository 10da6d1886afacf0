//! Who may do what with councils. Pages decide which forms to show with these same functions
//! (`manage`, `report_progress`), so they never restate the rule.
//!
//! | action | who |
//! |---|---|
//! | read meetings, agendas, minutes and actions | admin, department officers, team members, party secretaries |
//! | schedule, edit meetings and agendas, record minutes and decisions | admin (the service centre as secretariat) |
//! | report progress on an action | admin; officers of the action's owner department |

use crate::perm::{allow, of_department};
use crate::{Actor, AppResult};
use lianshi_domain::Role;

pub fn view(a: &Actor) -> AppResult<()> {
    allow(matches!(
        a.role,
        Role::Admin | Role::Department | Role::Team | Role::PartySecretary
    ))
}

pub fn manage(a: &Actor) -> AppResult<()> {
    allow(a.role == Role::Admin)
}

/// Report progress on an action owned by department `owner`.
pub fn report_progress(a: &Actor, owner: Option<i64>) -> AppResult<()> {
    allow(a.role == Role::Admin || of_department(a, owner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perm::table::{DEPT, N, Y, check};
    use Role::*;

    /// [in scope, out of scope, unbound]: the action's owner department, another, none.
    #[test]
    fn every_role_may_do_with_councils_what_the_table_says() {
        check(
            "view",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [Y, Y, Y]),
                (PartySecretary, [Y, Y, Y]),
                (Enterprise, [N, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| view(a).is_ok(),
        );
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
        check(
            "report progress",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, N, N]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [N, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| report_progress(a, Some(DEPT)).is_ok(),
        );
    }

    #[test]
    fn progress_on_an_action_without_an_owner_is_reported_only_by_administrators() {
        for role in Role::ALL {
            let (a, _) = crate::perm::table::actor(role, 0);
            assert_eq!(report_progress(&a, None).is_ok(), role == Admin, "{role:?}");
        }
    }
}
