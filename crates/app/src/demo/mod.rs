//! Loading the demo zone (滨江样板): the registry structure, N synthetic enterprises and one
//! account per role. Loading is idempotent: the structure is created once, enterprises are
//! upserted by credit code and existing accounts are left alone.

pub mod councils;
pub mod orders;
pub mod policies;
pub mod scores;
pub mod teams;
pub mod vouchers;

use crate::user::UserInput;
use crate::zone::entry;
use crate::{Actor, App, AppError, AppResult};
use lianshi_domain::demo;
use lianshi_domain::zone::RegistryKind;
use lianshi_store::audit::audit_append;
use lianshi_store::enterprise::{enterprise_generation_bump, enterprise_upsert};
use lianshi_store::zone::{RegistryWrite, ZoneRow, registry_insert, zone_put};

/// What a demo load did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoSummary {
    pub structure_created: bool,
    pub enterprises: usize,
    /// (username, password, role) of the demo accounts.
    pub accounts: Vec<(String, String, String)>,
}

impl App {
    /// Whether the database holds no zone yet.
    pub async fn is_empty(&self) -> AppResult<bool> {
        Ok(self.db.zone_get().await?.is_none())
    }

    /// Load the demo zone with `n` enterprises generated from `seed`, then every feature's demo
    /// records (service loop, orders, councils, scores, policies and payouts, vouchers).
    pub async fn demo_load(&self, actor: &Actor, n: usize, seed: u64) -> AppResult<DemoSummary> {
        let summary = self.demo_load_enterprises(actor, n, seed).await?;
        self.demo_teams(actor, seed).await?;
        self.demo_orders(actor, seed).await?;
        self.demo_councils(actor, seed).await?;
        self.demo_scores(actor, seed).await?;
        self.demo_policies(actor, seed, summary.enterprises).await?;
        self.demo_vouchers(actor, seed).await?;
        Ok(summary)
    }

    /// Only the demo zone's structure, `n` enterprises and the demo accounts, without the
    /// features' records: for benchmarks and tests that need many enterprises quickly.
    pub async fn demo_load_enterprises(
        &self,
        actor: &Actor,
        n: usize,
        seed: u64,
    ) -> AppResult<DemoSummary> {
        crate::zone::perm::edit(actor)?;
        let structure_created = self.db.zone_get().await?.is_none();
        if structure_created {
            self.demo_structure(actor).await?;
        }
        let idx = self.registry().await?;
        let today = Self::today();
        let mut tx = self.db.begin().await?;
        let mut count = 0usize;
        let mut first_uscc = None;
        for d in demo::enterprises(seed, n) {
            if d.registered_on.is_some_and(|r| r > today) {
                continue;
            }
            let w = self.resolve_draft(&idx, &d).map_err(AppError::Invalid)?;
            if first_uscc.is_none() {
                first_uscc = Some(w.uscc.clone());
            }
            enterprise_upsert(tx.conn(), &w, structure_created).await?;
            count += 1;
        }
        enterprise_generation_bump(tx.conn()).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "demo.load",
                "zone",
                None,
                None,
                Some(serde_json::json!({"enterprises": count, "seed": seed})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.list_index.changed_all();
        let mut accounts = Vec::new();
        for a in demo::accounts() {
            accounts.push((
                a.username.to_string(),
                a.password.to_string(),
                a.role.as_str().to_string(),
            ));
            if self.db.user_by_username(a.username).await?.is_some() {
                continue;
            }
            let enterprise = match a.enterprise_index {
                Some(0) => first_uscc.clone(),
                Some(i) => demo::enterprises(seed, i + 1)
                    .last()
                    .and_then(|d| d.uscc.map(|u| u.as_str().to_string())),
                None => None,
            };
            if a.enterprise_index.is_some() && enterprise.is_none() {
                continue;
            }
            self.user_create(
                actor,
                &UserInput {
                    username: a.username.into(),
                    display_name: Some(a.display_name.into()),
                    role: a.role.as_str().into(),
                    password: a.password.into(),
                    enterprise,
                    department: a.department_code.map(str::to_string),
                },
            )
            .await?;
        }
        Ok(DemoSummary {
            structure_created,
            enterprises: count,
            accounts,
        })
    }

    async fn demo_structure(&self, actor: &Actor) -> AppResult<()> {
        let z = demo::zone();
        let mut tx = self.db.begin().await?;
        let c = tx.conn();
        zone_put(
            c,
            &ZoneRow {
                name: z.name.clone(),
                division_code: z.division_code.clone(),
            },
        )
        .await?;
        let w = |code: Option<&str>,
                 name: &str,
                 parent_id: Option<i64>,
                 attr: Option<&str>,
                 sort: usize| RegistryWrite {
            code: code.map(str::to_string),
            name: name.to_string(),
            parent_id,
            attr: attr.map(str::to_string),
            sort: sort as i64,
        };
        for (i, e) in z.ecosystems.iter().enumerate() {
            let eid = registry_insert(
                c,
                RegistryKind::Ecosystem,
                &w(Some(&e.code), &e.name, None, None, i),
            )
            .await?;
            for (j, ch) in e.chains.iter().enumerate() {
                let cid = registry_insert(
                    c,
                    RegistryKind::Chain,
                    &w(Some(&ch.code), &ch.name, Some(eid), None, j),
                )
                .await?;
                for (k, nd) in ch.nodes.iter().enumerate() {
                    registry_insert(
                        c,
                        RegistryKind::ChainNode,
                        &w(
                            Some(&nd.code),
                            &nd.name,
                            Some(cid),
                            Some(nd.stage.as_str()),
                            k,
                        ),
                    )
                    .await?;
                }
            }
        }
        for (i, d) in z.departments.iter().enumerate() {
            registry_insert(
                c,
                RegistryKind::Department,
                &w(Some(&d.code), &d.name, None, None, i),
            )
            .await?;
        }
        for (i, d) in z.institutions.iter().enumerate() {
            registry_insert(
                c,
                RegistryKind::Institution,
                &w(Some(&d.code), &d.name, None, Some(d.kind.as_str()), i),
            )
            .await?;
        }
        for (i, s) in z.streets.iter().enumerate() {
            let sid = registry_insert(
                c,
                RegistryKind::Street,
                &w(Some(&s.code), &s.name, None, None, i),
            )
            .await?;
            for (j, p) in s.parks.iter().enumerate() {
                let pid =
                    registry_insert(c, RegistryKind::Park, &w(None, &p.name, Some(sid), None, j))
                        .await?;
                for (k, b) in p.buildings.iter().enumerate() {
                    registry_insert(c, RegistryKind::Building, &w(None, b, Some(pid), None, k))
                        .await?;
                }
            }
            for (j, m) in s.communities.iter().enumerate() {
                registry_insert(c, RegistryKind::Community, &w(None, m, Some(sid), None, j))
                    .await?;
            }
        }
        audit_append(
            c,
            &entry(
                actor,
                "zone.create",
                "zone",
                Some("1".into()),
                None,
                Some(serde_json::json!({"name": z.name})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.registry_changed();
        Ok(())
    }
}
