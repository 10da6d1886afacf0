//! Who may read the service figures (办理效能) and the records behind them.
//!
//! | action | who |
//! |---|---|
//! | read figures (aggregates) | admin, department officers, team members, party secretaries |
//! | read the records behind a figure | admin all; a department officer its department's; a team member its team's |

use crate::perm::allow;
use crate::{Actor, AppResult};
use lianshi_domain::Role;
use lianshi_store::service_figures::FigureDim;

/// Figures are aggregates: everyone working in the loop may read them.
pub fn view(a: &Actor) -> AppResult<()> {
    allow(matches!(
        a.role,
        Role::Admin | Role::Department | Role::Team | Role::PartySecretary
    ))
}

/// Records are not: the centre sees all; a department officer its department's; a team
/// member their team's.
pub fn records(a: &Actor, my_teams: &[i64], dim: FigureDim, key: Option<i64>) -> AppResult<()> {
    let ok = match a.role {
        Role::Admin => true,
        Role::Department => dim == FigureDim::Department && key.is_some() && key == a.department_id,
        Role::Team => dim == FigureDim::Team && key.is_some_and(|k| my_teams.contains(&k)),
        _ => false,
    };
    allow(ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perm::table::{DEPT, N, TEAM, Y, check};
    use Role::*;

    /// [in scope, out of scope, unbound]: the figure's department or team, another, none.
    #[test]
    fn every_role_may_read_service_figures_as_the_table_says() {
        check(
            "figures",
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
            "a department's records",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, N, N]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [N, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, t| records(a, t, FigureDim::Department, Some(DEPT)).is_ok(),
        );
        check(
            "a team's records",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [N, N, N]),
                (Team, [Y, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [N, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, t| records(a, t, FigureDim::Team, Some(TEAM)).is_ok(),
        );
    }
}
