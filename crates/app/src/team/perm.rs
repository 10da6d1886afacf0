//! Who may do what in the service loop (teams, 包联, visits; formerly `access_service.rs`):
//! pure functions of the actor and the facts the use case loaded (the actor's team ids, the
//! enterprise's team), called before touching the store.
//!
//! | action                                             | who |
//! |----------------------------------------------------|-----|
//! | create/edit teams, assign enterprises, edit rules, run the visit scan | admin |
//! | read every team, task and visit                    | admin, department |
//! | read and act for a team's enterprises, tasks, visits | members and the leader of that team |
//! | see an enterprise's team and contact person        | the above; an enterprise user for its own enterprise |
//! | open the teams page                                | whoever reads some team; an enterprise user (its own team) |
//! | record yearly indicators                           | admin, department |
//!
//! Membership, not the role, gives a person their team: a department officer seconded to a
//! team acts for it like a `team` user does.

use crate::perm::{allow, own_enterprise};
use crate::{Actor, AppError, AppResult};
use lianshi_domain::Role;

/// Admin and department officers read every team, task and visit.
fn reads_all(a: &Actor) -> bool {
    matches!(a.role, Role::Admin | Role::Department)
}

/// Roles that can be members of a service team (people, not enterprises or vendors).
pub fn may_be_team_member(role: Role) -> bool {
    matches!(
        role,
        Role::Admin | Role::Department | Role::Team | Role::PartySecretary
    )
}

pub fn manage_teams(a: &Actor) -> AppResult<()> {
    allow(a.role == Role::Admin)
}

/// Which teams' records `a` may read: `None` for all, `Some(ids)` for those teams only.
pub fn team_scope(a: &Actor, my_teams: &[i64]) -> AppResult<Option<Vec<i64>>> {
    if reads_all(a) {
        return Ok(None);
    }
    if a.role == Role::Enterprise || a.role == Role::Provider || my_teams.is_empty() {
        return Err(AppError::Forbidden);
    }
    Ok(Some(my_teams.to_vec()))
}

/// May `a` open the teams page: the teams it reads ([`team_scope`]), or, as an enterprise user,
/// its own enterprise's team and contact person?
pub fn open_teams(a: &Actor, my_teams: &[i64]) -> AppResult<()> {
    if a.role == Role::Enterprise {
        return allow(a.enterprise_id.is_some());
    }
    team_scope(a, my_teams).map(|_| ())
}

/// May `a` read the team `team_id` (its members, enterprises, tasks and visits)?
pub fn view_team(a: &Actor, my_teams: &[i64], team_id: i64) -> AppResult<()> {
    match team_scope(a, my_teams)? {
        None => Ok(()),
        Some(ids) => allow(ids.contains(&team_id)),
    }
}

/// May `a` see which team serves the enterprise and who its contact is?
pub fn view_enterprise_team(
    a: &Actor,
    my_teams: &[i64],
    enterprise_id: i64,
    team_id: Option<i64>,
) -> AppResult<()> {
    if a.role == Role::Enterprise {
        return allow(own_enterprise(a, enterprise_id));
    }
    match team_scope(a, my_teams)? {
        None => Ok(()),
        Some(ids) => allow(team_id.is_some_and(|t| ids.contains(&t))),
    }
}

/// May `a` record a visit to (or act on a task of) an enterprise served by `team_id`?
pub fn act_for_team(a: &Actor, my_teams: &[i64], team_id: Option<i64>) -> AppResult<()> {
    if a.role == Role::Admin {
        return Ok(());
    }
    if matches!(a.role, Role::Enterprise | Role::Provider | Role::Finance) {
        return Err(AppError::Forbidden);
    }
    allow(team_id.is_some_and(|t| my_teams.contains(&t)))
}

pub fn edit_visit_rules(a: &Actor) -> AppResult<()> {
    allow(a.role == Role::Admin)
}

/// Rules are configuration everyone working in the loop may read.
pub fn view_visit_rules(a: &Actor, my_teams: &[i64]) -> AppResult<()> {
    team_scope(a, my_teams).map(|_| ())
}

pub fn run_visit_scan(a: &Actor) -> AppResult<()> {
    allow(a.role == Role::Admin)
}

pub fn record_indicators(a: &Actor) -> AppResult<()> {
    allow(matches!(a.role, Role::Admin | Role::Department))
}

/// May `a` read an enterprise's yearly indicators?
pub fn view_indicators(a: &Actor, my_teams: &[i64], team_id: Option<i64>) -> AppResult<()> {
    if a.role == Role::Enterprise {
        return Err(AppError::Forbidden);
    }
    match team_scope(a, my_teams)? {
        None => Ok(()),
        Some(ids) => allow(team_id.is_some_and(|t| ids.contains(&t))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perm::table::{ENT, N, TEAM, Y, check};
    use Role::*;

    /// [in scope, out of scope, unbound]: a member of the enterprise's team (an enterprise user:
    /// of that enterprise), of another team, of none.
    #[test]
    fn every_role_may_do_in_the_service_loop_what_the_table_says() {
        let admin_only = [
            (Admin, [Y, Y, Y]),
            (Department, [N, N, N]),
            (Team, [N, N, N]),
            (PartySecretary, [N, N, N]),
            (Enterprise, [N, N, N]),
            (Finance, [N, N, N]),
            (Provider, [N, N, N]),
        ];
        check("manage teams", &admin_only, |a, _| manage_teams(a).is_ok());
        check("edit visit rules", &admin_only, |a, _| {
            edit_visit_rules(a).is_ok()
        });
        check("run the visit scan", &admin_only, |a, _| {
            run_visit_scan(a).is_ok()
        });
        check(
            "record indicators",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [N, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| record_indicators(a).is_ok(),
        );
        // Membership, not the role, gives a team: a finance user in a team still reads it
        // (`may_be_team_member` keeps finance users out of teams in the first place).
        let read_team = [
            (Admin, [Y, Y, Y]),
            (Department, [Y, Y, Y]),
            (Team, [Y, N, N]),
            (PartySecretary, [Y, N, N]),
            (Enterprise, [N, N, N]),
            (Finance, [Y, N, N]),
            (Provider, [N, N, N]),
        ];
        check("view team", &read_team, |a, t| {
            view_team(a, t, TEAM).is_ok()
        });
        check("view indicators", &read_team, |a, t| {
            view_indicators(a, t, Some(TEAM)).is_ok()
        });
        let in_the_loop = [
            (Admin, [Y, Y, Y]),
            (Department, [Y, Y, Y]),
            (Team, [Y, Y, N]),
            (PartySecretary, [Y, Y, N]),
            (Enterprise, [N, N, N]),
            (Finance, [Y, Y, N]),
            (Provider, [N, N, N]),
        ];
        check("list within team scope", &in_the_loop, |a, t| {
            team_scope(a, t).is_ok()
        });
        check("view visit rules", &in_the_loop, |a, t| {
            view_visit_rules(a, t).is_ok()
        });
        check(
            "open the teams page",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [Y, Y, N]),
                (PartySecretary, [Y, Y, N]),
                (Enterprise, [Y, Y, N]),
                (Finance, [Y, Y, N]),
                (Provider, [N, N, N]),
            ],
            |a, t| open_teams(a, t).is_ok(),
        );
        check(
            "see an enterprise's team",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [Y, N, N]),
                (PartySecretary, [Y, N, N]),
                (Enterprise, [Y, N, N]),
                (Finance, [Y, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, t| view_enterprise_team(a, t, ENT, Some(TEAM)).is_ok(),
        );
        check(
            "act for the team",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, N, N]),
                (Team, [Y, N, N]),
                (PartySecretary, [Y, N, N]),
                (Enterprise, [N, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, t| act_for_team(a, t, Some(TEAM)).is_ok(),
        );
    }

    #[test]
    fn an_enterprise_without_a_team_is_acted_for_only_by_administrators() {
        for role in Role::ALL {
            let (a, t) = crate::perm::table::actor(role, 0);
            assert_eq!(
                act_for_team(&a, &t, None).is_ok(),
                role == Admin,
                "{role:?}"
            );
        }
    }

    #[test]
    fn only_people_can_be_team_members() {
        for role in Role::ALL {
            let want = matches!(role, Admin | Department | Team | PartySecretary);
            assert_eq!(may_be_team_member(role), want, "{role:?}");
        }
    }
}
