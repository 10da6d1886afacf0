//! Reading the audit log (administrators only). Writing happens inside each use case's
//! transaction; nothing here or anywhere else can change or remove an entry.

use crate::{Actor, App, AppResult, access};
pub use lianshi_store::audit::{AuditQuery, AuditRow};

impl App {
    pub async fn audit_search(
        &self,
        actor: &Actor,
        q: &AuditQuery,
    ) -> AppResult<(Vec<AuditRow>, i64)> {
        access::read_audit(actor)?;
        Ok(self.db.audit_search(q).await?)
    }
}
