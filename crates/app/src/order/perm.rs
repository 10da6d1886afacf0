//! Who may do what with work orders: pure functions of the actor and the facts the use case
//! loaded (the order's departments, the enterprise's team, the actor's teams).
//!
//! | action | who |
//! |---|---|
//! | list | admin all; a department officer the orders its department leads or co-handles (none without a department); an enterprise user its own; a team member its teams' enterprises' |
//! | view one | as list |
//! | create | admin, department officers; a team member for its teams' enterprises; an enterprise user for itself (the new-order form: those four roles) |
//! | start, reply, resolve, return, suspend, resume, request an extension | admin; the lead department's officers |
//! | call back (rate), withdraw | admin; the enterprise's users; its team's members |
//! | accept, dispatch, decide extensions, supervise, close, reopen | admin (the service centre) |
//! | file a child order | admin; the parent's lead department |
//! | edit categories and SLA limits, run the SLA scan | admin |
//! | read categories and SLA limits | admin, department officers, team members, enterprise users |

use crate::perm::{allow, of_department, own_enterprise};
use crate::{Actor, AppError, AppResult};
use lianshi_domain::Role;
use lianshi_domain::order::ActionKind;
use lianshi_store::order::OrderScope;

/// What a permission check needs to know about an order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFacts {
    pub enterprise_id: i64,
    pub department_id: Option<i64>,
    pub cohandlers: Vec<i64>,
    /// The team serving the enterprise.
    pub team_id: Option<i64>,
}

fn in_team(my_teams: &[i64], f: &OrderFacts) -> bool {
    f.team_id.is_some_and(|t| my_teams.contains(&t))
}

fn lead(a: &Actor, f: &OrderFacts) -> bool {
    of_department(a, f.department_id)
}

/// Which orders `a` may list.
pub fn list_scope(a: &Actor, my_teams: &[i64]) -> AppResult<OrderScope> {
    match a.role {
        Role::Admin => Ok(OrderScope::All),
        Role::Department => Ok(match a.department_id {
            Some(d) => OrderScope::Department(d),
            None => OrderScope::Nothing,
        }),
        Role::Enterprise => Ok(OrderScope::Enterprise(a.enterprise_id.unwrap_or(-1))),
        Role::Team => Ok(OrderScope::Teams(my_teams.to_vec())),
        _ => Err(AppError::Forbidden),
    }
}

pub fn view_order(a: &Actor, my_teams: &[i64], f: &OrderFacts) -> AppResult<()> {
    match a.role {
        Role::Admin => Ok(()),
        Role::Department => allow(
            a.department_id
                .is_some_and(|d| f.department_id == Some(d) || f.cohandlers.contains(&d)),
        ),
        Role::Team => allow(in_team(my_teams, f)),
        Role::Enterprise => allow(own_enterprise(a, f.enterprise_id)),
        _ => Err(AppError::Forbidden),
    }
}

pub fn create_order(
    a: &Actor,
    my_teams: &[i64],
    enterprise_id: i64,
    team_id: Option<i64>,
) -> AppResult<()> {
    match a.role {
        Role::Admin | Role::Department => Ok(()),
        Role::Team => allow(team_id.is_some_and(|t| my_teams.contains(&t))),
        Role::Enterprise => allow(own_enterprise(a, enterprise_id)),
        _ => Err(AppError::Forbidden),
    }
}

/// May `a` file orders at all (the new-order form and its link): the roles [`create_order`]
/// lets file one for some enterprise.
pub fn create_any(a: &Actor) -> AppResult<()> {
    allow(matches!(
        a.role,
        Role::Admin | Role::Department | Role::Team | Role::Enterprise
    ))
}

/// May `a` perform `kind` on the order (assuming the state machine permits it)?
pub fn act(a: &Actor, my_teams: &[i64], f: &OrderFacts, kind: ActionKind) -> AppResult<()> {
    use ActionKind as K;
    view_order(a, my_teams, f)?;
    if a.role == Role::Admin {
        return Ok(());
    }
    let ok = match kind {
        K::Start
        | K::Reply
        | K::Resolve
        | K::Return
        | K::Suspend
        | K::Resume
        | K::RequestExtension => lead(a, f),
        K::Callback => match a.role {
            Role::Enterprise => a.enterprise_id == Some(f.enterprise_id),
            Role::Team => in_team(my_teams, f),
            _ => false,
        },
        K::Withdraw => match a.role {
            Role::Enterprise => a.enterprise_id == Some(f.enterprise_id),
            Role::Team => in_team(my_teams, f),
            _ => false,
        },
        K::Accept
        | K::Dispatch
        | K::ApproveExtension
        | K::RefuseExtension
        | K::Supervise
        | K::Close
        | K::Reopen => false,
    };
    allow(ok)
}

/// Create a follow-on child order of an order: admin or the parent's lead department.
pub fn create_child(a: &Actor, parent: &OrderFacts) -> AppResult<()> {
    allow(a.role == Role::Admin || lead(a, parent))
}

pub fn edit_config(a: &Actor) -> AppResult<()> {
    allow(a.role == Role::Admin)
}

/// Categories and limits are readable by everyone who works with orders.
pub fn view_config(a: &Actor) -> AppResult<()> {
    allow(matches!(
        a.role,
        Role::Admin | Role::Department | Role::Team | Role::Enterprise
    ))
}

pub fn run_sla_scan(a: &Actor) -> AppResult<()> {
    allow(a.role == Role::Admin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perm::table::{DEPT, ENT, N, TEAM, Y, check};
    use Role::*;

    /// The order of enterprise [`ENT`], led by [`DEPT`], co-handled by department 30, served by
    /// team [`TEAM`]. [in scope, out of scope, unbound]: that enterprise, department and team;
    /// others; none.
    fn facts() -> OrderFacts {
        OrderFacts {
            enterprise_id: ENT,
            department_id: Some(DEPT),
            cohandlers: vec![30],
            team_id: Some(TEAM),
        }
    }

    #[test]
    fn every_role_may_do_with_orders_what_the_table_says() {
        let seen_by_its_parties = [
            (Admin, [Y, Y, Y]),
            (Department, [Y, N, N]),
            (Team, [Y, N, N]),
            (PartySecretary, [N, N, N]),
            (Enterprise, [Y, N, N]),
            (Finance, [N, N, N]),
            (Provider, [N, N, N]),
        ];
        check("view", &seen_by_its_parties, |a, t| {
            view_order(a, t, &facts()).is_ok()
        });
        check(
            "list",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [Y, Y, Y]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [Y, Y, Y]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, t| list_scope(a, t).is_ok(),
        );
        check(
            "create",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [Y, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [Y, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, t| create_order(a, t, ENT, Some(TEAM)).is_ok(),
        );
        let lead_only = [
            (Admin, [Y, Y, Y]),
            (Department, [Y, N, N]),
            (Team, [N, N, N]),
            (PartySecretary, [N, N, N]),
            (Enterprise, [N, N, N]),
            (Finance, [N, N, N]),
            (Provider, [N, N, N]),
        ];
        let requester = [
            (Admin, [Y, Y, Y]),
            (Department, [N, N, N]),
            (Team, [Y, N, N]),
            (PartySecretary, [N, N, N]),
            (Enterprise, [Y, N, N]),
            (Finance, [N, N, N]),
            (Provider, [N, N, N]),
        ];
        let centre = [
            (Admin, [Y, Y, Y]),
            (Department, [N, N, N]),
            (Team, [N, N, N]),
            (PartySecretary, [N, N, N]),
            (Enterprise, [N, N, N]),
            (Finance, [N, N, N]),
            (Provider, [N, N, N]),
        ];
        for kind in ActionKind::ALL {
            use ActionKind as K;
            let rows = match kind {
                K::Start
                | K::Reply
                | K::Resolve
                | K::Return
                | K::Suspend
                | K::Resume
                | K::RequestExtension => &lead_only,
                K::Callback | K::Withdraw => &requester,
                K::Accept
                | K::Dispatch
                | K::ApproveExtension
                | K::RefuseExtension
                | K::Supervise
                | K::Close
                | K::Reopen => &centre,
            };
            check(&format!("{kind:?}"), rows, |a, t| {
                act(a, t, &facts(), kind).is_ok()
            });
        }
        check("file a child order", &lead_only, |a, _| {
            create_child(a, &facts()).is_ok()
        });
        check("edit configuration", &centre, |a, _| edit_config(a).is_ok());
        check("run the SLA scan", &centre, |a, _| run_sla_scan(a).is_ok());
        let order_roles = [
            (Admin, [Y, Y, Y]),
            (Department, [Y, Y, Y]),
            (Team, [Y, Y, Y]),
            (PartySecretary, [N, N, N]),
            (Enterprise, [Y, Y, Y]),
            (Finance, [N, N, N]),
            (Provider, [N, N, N]),
        ];
        check("read configuration", &order_roles, |a, _| {
            view_config(a).is_ok()
        });
        check("open the new-order form", &order_roles, |a, _| {
            create_any(a).is_ok()
        });
    }

    #[test]
    fn a_co_handling_department_sees_the_order_but_does_not_act_as_lead() {
        let (mut co, _) = crate::perm::table::actor(Department, 0);
        co.department_id = Some(30);
        assert!(view_order(&co, &[], &facts()).is_ok());
        assert!(act(&co, &[], &facts(), ActionKind::Resolve).is_err());
    }

    #[test]
    fn an_officer_without_a_department_lists_nothing() {
        let (a, _) = crate::perm::table::actor(Department, 2);
        assert_eq!(list_scope(&a, &[]).ok(), Some(OrderScope::Nothing));
    }
}
