//! Who may do what with enterprise records (the enterprise feature's permissions, formerly
//! `access.rs`), and which enterprises and fields each role reads. The registry, users and the
//! audit log have their own `perm` modules.
//!
//! | action                         | roles |
//! |--------------------------------|-------|
//! | browse enterprises             | all but provider, each within its [`EnterpriseScope`] (below) |
//! | create enterprises             | admin, department, team |
//! | import                         | admin, department |
//! | edit an enterprise             | admin, department, team; an enterprise user its own |
//! | export enterprises             | admin, department, team |
//! | set verified figures, review corrections | admin, department ([`verify`], [`review`]) |
//! | list corrections               | admin, department, team; an enterprise user its own |
//! | see unmasked phone numbers     | admin, team (the people who call enterprises) |
//!
//! Which enterprises, and which of their fields, a role reads is decided by purpose
//! ([`ScopeRule`], resolved into an [`EnterpriseScope`] by [`App::enterprise_scope`]):
//!
//! | role | enterprises | fields | policies for an enterprise | workbench figures |
//! |---|---|---|---|---|
//! | admin, department, team | all | all | yes | the zone's |
//! | enterprise | its own | all | its own | its own |
//! | finance | those consenting to its institution (积分贷 score consent) | what the consent covers: name, credit code, industry, registration date, ownership, street, park, chain positions, size band, tags (and the score, in `score.rs`); no contact, address, headcount, revenue, R&D or tax | no (eligibility shows revenue and tax) | none |
//! | party_secretary | those its party organisation covers: none until the party side lands | all | within scope | none |
//! | provider | none (403) | | | |
//!
//! An enterprise outside the actor's scope — a finance user's, a party secretary's, or another
//! enterprise named by an enterprise user — is answered exactly like an unknown one (404), so the
//! scope does not reveal which credit codes are registered.

use crate::enterprise::EnterpriseView;
use crate::perm::{allow, own_enterprise};
use crate::{Actor, App, AppError, AppResult};
use lianshi_domain::Role;

pub fn browse_enterprises(a: &Actor) -> AppResult<()> {
    allow(a.role != Role::Provider)
}

/// Which enterprises a role reads, before the database says which ids that is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeRule {
    /// Every enterprise (admin, department, team).
    All,
    /// The actor's own enterprise (enterprise users).
    Own,
    /// The enterprises consenting to the actor's institution, consented fields only (finance).
    Consented,
    /// The enterprises the actor's party organisation covers (party secretaries).
    PartyOrganisation,
    /// None at all (providers).
    Nothing,
}

/// The scope rule of a role (the table in the module header).
pub fn scope_rule(a: &Actor) -> ScopeRule {
    match a.role {
        Role::Admin | Role::Department | Role::Team => ScopeRule::All,
        Role::Enterprise => ScopeRule::Own,
        Role::Finance => ScopeRule::Consented,
        Role::PartySecretary => ScopeRule::PartyOrganisation,
        Role::Provider => ScopeRule::Nothing,
    }
}

/// The enterprises one actor reads and how much of each: the resolved [`ScopeRule`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterpriseScope {
    /// `None`: every enterprise; otherwise these ids, sorted ascending (possibly none).
    pub ids: Option<Vec<i64>>,
    /// Only the fields a score consent covers ([`consented_fields`]).
    pub consented_fields: bool,
    /// Whether the workbench and registry show enterprise counts to this actor.
    pub figures: bool,
}

impl EnterpriseScope {
    /// Whether the enterprise with this id is in scope.
    pub fn contains(&self, id: i64) -> bool {
        match &self.ids {
            None => true,
            Some(ids) => ids.binary_search(&id).is_ok(),
        }
    }

    /// Apply the field rule to a view about to leave the app.
    pub fn shape(&self, v: EnterpriseView) -> EnterpriseView {
        if self.consented_fields {
            consented_fields(v)
        } else {
            v
        }
    }
}

/// What a score consent lets a financial institution read of an enterprise record: who it is
/// and where it stands in the zone, not how to reach it or its figures (the score carries those
/// in aggregate, see `score.rs`).
pub fn consented_fields(v: EnterpriseView) -> EnterpriseView {
    EnterpriseView {
        address: None,
        building: None,
        headcount: None,
        tech_staff: None,
        revenue_fen: None,
        rd_spend_fen: None,
        tax_paid_fen: None,
        revenue_text: None,
        rd_spend_text: None,
        tax_paid_text: None,
        contact_name: None,
        contact_phone: None,
        ..v
    }
}

/// May `a` ask which policies an enterprise in its scope qualifies for, and why? The
/// explanations show revenue, R&D and tax figures, which a score consent does not cover.
pub fn explain_in_scope(a: &Actor) -> AppResult<()> {
    allow(matches!(
        scope_rule(a),
        ScopeRule::All | ScopeRule::Own | ScopeRule::PartyOrganisation
    ))
}

impl App {
    /// Resolve the actor's [`ScopeRule`] into ids (one indexed query for a finance user).
    pub async fn enterprise_scope(&self, a: &Actor) -> AppResult<EnterpriseScope> {
        let (ids, consented_fields, figures) = match scope_rule(a) {
            ScopeRule::All => (None, false, true),
            ScopeRule::Own => (Some(a.enterprise_id.into_iter().collect()), false, true),
            ScopeRule::Consented => {
                // A finance user not bound to an institution sees nothing (the score pages
                // tell it to ask an administrator).
                let ids = match a.department_id {
                    Some(inst) => self.db.score_consenting(inst).await?,
                    None => Vec::new(),
                };
                (Some(ids), true, false)
            }
            // Party organisations and the enterprises they cover are not recorded yet.
            ScopeRule::PartyOrganisation => (Some(Vec::new()), false, false),
            ScopeRule::Nothing => return Err(AppError::Forbidden),
        };
        Ok(EnterpriseScope {
            ids,
            consented_fields,
            figures,
        })
    }

    /// The enterprise a page or API names by id or credit code, if the actor's scope holds it.
    /// Out of scope is the same 404, with the same message, as an unknown key — for a finance
    /// user or party secretary here, and for an enterprise user naming another enterprise in the
    /// use case's own check (`policy::perm::explain` and the like, whose 403 the use cases turn
    /// into this 404 with `enterprise::hide_forbidden`), so no role can probe which codes exist.
    pub async fn enterprise_ref_visible(&self, a: &Actor, key: &str) -> AppResult<i64> {
        let scope = self.enterprise_scope(a).await?;
        let id = self.policy_enterprise_ref(key).await?;
        if scope.contains(id) || scope_rule(a) == ScopeRule::Own {
            Ok(id)
        } else {
            Err(AppError::NotFound(format!("enterprise {}", key.trim())))
        }
    }
}

/// May `a` see the enterprise with this id?
pub fn view_enterprise(a: &Actor, enterprise_id: i64) -> AppResult<()> {
    browse_enterprises(a)?;
    match a.role {
        Role::Enterprise => allow(own_enterprise(a, enterprise_id)),
        _ => Ok(()),
    }
}

pub fn create_enterprise(a: &Actor) -> AppResult<()> {
    allow(matches!(
        a.role,
        Role::Admin | Role::Department | Role::Team
    ))
}

pub fn edit_enterprise(a: &Actor, enterprise_id: i64) -> AppResult<()> {
    match a.role {
        Role::Admin | Role::Department | Role::Team => Ok(()),
        Role::Enterprise => allow(own_enterprise(a, enterprise_id)),
        _ => Err(AppError::Forbidden),
    }
}

pub fn import_enterprises(a: &Actor) -> AppResult<()> {
    allow(matches!(a.role, Role::Admin | Role::Department))
}

pub fn export_enterprises(a: &Actor) -> AppResult<()> {
    allow(matches!(
        a.role,
        Role::Admin | Role::Department | Role::Team
    ))
}

/// Set verified fields directly and accept or reject corrections: administrators and department
/// officers (the authorities for enterprise figures). Service teams propose like enterprises:
/// they visit enterprises and write down what they are told, which is a report, not a
/// verification.
pub fn verify(a: &Actor) -> bool {
    matches!(a.role, Role::Admin | Role::Department)
}

/// [`verify`] as a permission check.
pub fn review(a: &Actor) -> AppResult<()> {
    allow(verify(a))
}

/// List corrections: reviewers and teams all; an enterprise user its own (the caller restricts
/// the filter); others none.
pub fn list_corrections(a: &Actor) -> AppResult<()> {
    allow(matches!(
        a.role,
        Role::Admin | Role::Department | Role::Team | Role::Enterprise
    ))
}

/// Whether phone numbers are shown in full to this actor.
pub fn sees_full_phone(a: &Actor) -> bool {
    matches!(a.role, Role::Admin | Role::Team)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perm::table::{ENT, N, Y, actor, check};
    use Role::*;

    #[test]
    fn every_role_may_do_with_enterprise_records_what_the_table_says() {
        // [in scope, out of scope, unbound]: an enterprise user's own enterprise, another one,
        // none. The other roles do not depend on the record.
        check(
            "browse",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [Y, Y, Y]),
                (PartySecretary, [Y, Y, Y]),
                (Enterprise, [Y, Y, Y]),
                (Finance, [Y, Y, Y]),
                (Provider, [N, N, N]),
            ],
            |a, _| browse_enterprises(a).is_ok(),
        );
        check(
            "view one",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [Y, Y, Y]),
                (PartySecretary, [Y, Y, Y]),
                (Enterprise, [Y, N, N]),
                (Finance, [Y, Y, Y]),
                (Provider, [N, N, N]),
            ],
            |a, _| view_enterprise(a, ENT).is_ok(),
        );
        check(
            "edit",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [Y, Y, Y]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [Y, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| edit_enterprise(a, ENT).is_ok(),
        );
        let staff = [
            (Admin, [Y, Y, Y]),
            (Department, [Y, Y, Y]),
            (Team, [Y, Y, Y]),
            (PartySecretary, [N, N, N]),
            (Enterprise, [N, N, N]),
            (Finance, [N, N, N]),
            (Provider, [N, N, N]),
        ];
        check("create", &staff, |a, _| create_enterprise(a).is_ok());
        check("export", &staff, |a, _| export_enterprises(a).is_ok());
        let authorities = [
            (Admin, [Y, Y, Y]),
            (Department, [Y, Y, Y]),
            (Team, [N, N, N]),
            (PartySecretary, [N, N, N]),
            (Enterprise, [N, N, N]),
            (Finance, [N, N, N]),
            (Provider, [N, N, N]),
        ];
        check("import", &authorities, |a, _| import_enterprises(a).is_ok());
        check("review corrections", &authorities, |a, _| review(a).is_ok());
        check("verify figures", &authorities, |a, _| verify(a));
        check(
            "list corrections",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [Y, Y, Y]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [Y, Y, Y]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| list_corrections(a).is_ok(),
        );
        check(
            "explain policies in scope",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [Y, Y, Y]),
                (Team, [Y, Y, Y]),
                (PartySecretary, [Y, Y, Y]),
                (Enterprise, [Y, Y, Y]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| explain_in_scope(a).is_ok(),
        );
        check(
            "full phone numbers",
            &[
                (Admin, [Y, Y, Y]),
                (Department, [N, N, N]),
                (Team, [Y, Y, Y]),
                (PartySecretary, [N, N, N]),
                (Enterprise, [N, N, N]),
                (Finance, [N, N, N]),
                (Provider, [N, N, N]),
            ],
            |a, _| sees_full_phone(a),
        );
    }

    #[test]
    fn each_role_reads_the_enterprises_its_purpose_needs() {
        use ScopeRule::*;
        let table = [
            (Role::Admin, All),
            (Role::Department, All),
            (Role::Team, All),
            (Role::PartySecretary, PartyOrganisation),
            (Role::Enterprise, Own),
            (Role::Finance, Consented),
            (Role::Provider, Nothing),
        ];
        assert_eq!(table.len(), Role::ALL.len());
        for (role, scope) in table {
            for standing in 0..3 {
                assert_eq!(scope_rule(&actor(role, standing).0), scope, "{role:?}");
            }
        }
    }

    #[test]
    fn a_scope_of_ids_holds_exactly_those_ids_and_no_ids_holds_nothing() {
        let some = EnterpriseScope {
            ids: Some(vec![2, 5, 9]),
            consented_fields: true,
            figures: false,
        };
        assert!(some.contains(5) && !some.contains(4) && !some.contains(10));
        let none = EnterpriseScope {
            ids: Some(Vec::new()),
            ..some.clone()
        };
        assert!(!none.contains(2));
        let all = EnterpriseScope {
            ids: None,
            consented_fields: false,
            figures: true,
        };
        assert!(all.contains(123_456));
    }
}
