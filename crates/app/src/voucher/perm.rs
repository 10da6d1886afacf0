//! Who may do what with vouchers.
//!
//! | action | who |
//! |---|---|
//! | read schemes, rounds and pool figures | everyone signed in |
//! | create schemes and rounds, grant quota, register providers and related parties, write off, expire, check | admin, department |
//! | list all vouchers and redemptions | admin, department, team |
//! | submit a redemption | a provider user linked to a registered provider (admin may file for a provider) |
//! | confirm or decline a redemption | the enterprise's own users (admin on the enterprise's behalf) |
//! | reject a redemption | admin, department (the enterprise while it awaits confirmation) |

use crate::perm::{allow, own_enterprise};
use crate::{Actor, AppResult};
use lianshi_domain::Role;

pub fn view_schemes(_a: &Actor) -> AppResult<()> {
    Ok(())
}

pub fn manage(a: &Actor) -> AppResult<()> {
    allow(matches!(a.role, Role::Admin | Role::Department))
}

pub fn view_all(a: &Actor) -> AppResult<()> {
    allow(matches!(
        a.role,
        Role::Admin | Role::Department | Role::Team
    ))
}

/// Vouchers and redemptions of one enterprise: staff, or that enterprise's users.
pub fn view_enterprise(a: &Actor, enterprise_id: i64) -> AppResult<()> {
    match a.role {
        Role::Enterprise => allow(own_enterprise(a, enterprise_id)),
        _ => view_all(a),
    }
}

/// One redemption: as [`view_enterprise`], and a provider its own (`own_provider`: the
/// redemption's provider is the one linked to the actor).
pub fn view_redemption(a: &Actor, enterprise_id: i64, own_provider: bool) -> AppResult<()> {
    match a.role {
        Role::Provider => allow(own_provider),
        _ => view_enterprise(a, enterprise_id),
    }
}

/// Submit a redemption: a provider user (for its own provider record) or an administrator
/// naming the provider.
pub fn submit(a: &Actor) -> AppResult<()> {
    allow(matches!(a.role, Role::Admin | Role::Provider))
}

pub fn confirm(a: &Actor, enterprise_id: i64) -> AppResult<()> {
    allow(a.role == Role::Admin || own_enterprise(a, enterprise_id))
}

/// Reject a redemption: managers always; the enterprise (as [`confirm`]) while the redemption
/// still awaits its confirmation.
pub fn reject(a: &Actor, enterprise_id: i64, awaiting_enterprise: bool) -> AppResult<()> {
    allow(manage(a).is_ok() || (awaiting_enterprise && confirm(a, enterprise_id).is_ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perm::table::{ENT, N, Y, check};
    use Role::*;

    /// [in scope, out of scope, unbound]: the voucher's enterprise (the redemption's provider
    /// for provider users), another, none.
    #[test]
    fn every_role_may_do_with_vouchers_what_the_table_says() {
        check(
            "view schemes",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [Y, Y, Y]),
                (PartySecretary, [Y, Y, Y]),
                (Enterprise, [Y, Y, Y]),
                (Finance, [Y, Y, Y]),
                (Provider, [Y, Y, Y]),
            ],
            |a, _| view_schemes(a).is_ok(),
        );
        let managers = [
            (Admin, [Y, Y, Y]),
            (Department, [Y, Y, Y]),
            (Team, [N, N, N]),
            (PartySecretary, [N, N, N]),
            (Enterprise, [N, N, N]),
            (Finance, [N, N, N]),
            (Provider, [N, N, N]),
        ];
        check("manage", &managers, |a, _| manage(a).is_ok());
        check(
            "view all",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [Y, Y, Y]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [N, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| view_all(a).is_ok(),
        );
        check(
            "view an enterprise's vouchers",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [Y, Y, Y]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [Y, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| view_enterprise(a, ENT).is_ok(),
        );
        check(
            "view a redemption",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [Y, Y, Y]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [Y, N, N]),
                (Finance, [N, N, N]),
                (Provider, [Y, N, N]),
            ],
            |a, _| view_redemption(a, ENT, a.enterprise_id == Some(ENT)).is_ok(),
        );
        check(
            "submit",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [N, N, N]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [N, N, N]),
                (Finance, [N, N, N]),
                (Provider, [Y, Y, Y]),
            ],
            |a, _| submit(a).is_ok(),
        );
        check(
            "confirm",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [N, N, N]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [Y, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| confirm(a, ENT).is_ok(),
        );
        check(
            "reject while awaiting the enterprise",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [N, N, N]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [Y, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| reject(a, ENT, true).is_ok(),
        );
        check("reject once confirmed", &managers, |a, _| {
            reject(a, ENT, false).is_ok()
        });
    }
}
