//! Reading the audit log (administrators only). Writing happens inside each use case's
//! transaction; nothing here or anywhere else can change or remove an entry.

use crate::{Actor, App, AppResult};
pub use lianshi_store::audit::{AuditQuery, AuditRow};

impl App {
    pub async fn audit_search(
        &self,
        actor: &Actor,
        q: &AuditQuery,
    ) -> AppResult<(Vec<AuditRow>, i64)> {
        perm::read(actor)?;
        Ok(self.db.audit_search(q).await?)
    }
}

/// Who may read the audit log: administrators only.
pub mod perm {
    use crate::perm::allow;
    use crate::{Actor, AppResult};
    use lianshi_domain::Role;

    pub fn read(a: &Actor) -> AppResult<()> {
        allow(a.role == Role::Admin)
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::perm::table::{N, Y, check};
        use Role::*;

        #[test]
        fn only_administrators_read_the_audit_log() {
            check(
                "read",
                &[
                    (Admin, [Y, Y, Y]),
                    (Department, [N, N, N]),
                    (Team, [N, N, N]),
                    (PartySecretary, [N, N, N]),
                    (Enterprise, [N, N, N]),
                    (Finance, [N, N, N]),
                    (Provider, [N, N, N]),
                ],
                |a, _| read(a).is_ok(),
            );
        }
    }
}
