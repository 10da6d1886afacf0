//! Who may do what in the service loop (teams, 包联, visits). Same style as [`crate::access`]:
//! pure functions of the actor and the facts the use case loaded (the actor's team ids, the
//! enterprise's team), called before touching the store.
//!
//! | action                                             | who |
//! |----------------------------------------------------|-----|
//! | create/edit teams, assign enterprises, edit rules, run the visit scan | admin |
//! | read every team, task and visit                    | admin, department |
//! | read and act for a team's enterprises, tasks, visits | members and the leader of that team |
//! | see an enterprise's team and contact person        | the above; an enterprise user for its own enterprise |
//! | record yearly indicators                           | admin, department |
//!
//! Membership, not the role, gives a person their team: a department officer seconded to a
//! team acts for it like a `team` user does.

use crate::{Actor, AppError, AppResult};
use lianshi_domain::Role;

fn allow(ok: bool) -> AppResult<()> {
    if ok { Ok(()) } else { Err(AppError::Forbidden) }
}

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
        return allow(a.enterprise_id == Some(enterprise_id));
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
    fn a_team_member_reads_and_acts_only_for_their_own_team() {
        let a = actor(Role::Team, None);
        assert!(view_team(&a, &[3], 3).is_ok());
        assert!(view_team(&a, &[3], 4).is_err());
        assert!(act_for_team(&a, &[3], Some(3)).is_ok());
        assert!(act_for_team(&a, &[3], Some(4)).is_err());
        assert!(act_for_team(&a, &[3], None).is_err());
        assert!(manage_teams(&a).is_err());
    }

    #[test]
    fn a_team_user_in_no_team_is_refused() {
        assert!(team_scope(&actor(Role::Team, None), &[]).is_err());
    }

    #[test]
    fn department_officers_read_everything_but_act_only_as_members() {
        let d = actor(Role::Department, None);
        assert_eq!(team_scope(&d, &[]).unwrap(), None);
        assert!(view_team(&d, &[], 9).is_ok());
        assert!(act_for_team(&d, &[], Some(9)).is_err());
        assert!(act_for_team(&d, &[9], Some(9)).is_ok());
    }

    #[test]
    fn an_enterprise_user_sees_only_its_own_enterprise_team_and_nothing_else() {
        let e = actor(Role::Enterprise, Some(7));
        assert!(view_enterprise_team(&e, &[], 7, Some(1)).is_ok());
        assert!(view_enterprise_team(&e, &[], 8, Some(1)).is_err());
        assert!(team_scope(&e, &[]).is_err());
        assert!(act_for_team(&e, &[1], Some(1)).is_err());
        assert!(view_indicators(&e, &[], Some(1)).is_err());
    }

    #[test]
    fn finance_and_providers_get_nothing_of_the_service_loop() {
        for r in [Role::Finance, Role::Provider] {
            let a = actor(r, None);
            assert!(team_scope(&a, &[]).is_err());
            assert!(view_enterprise_team(&a, &[], 1, Some(1)).is_err());
        }
    }
}
