//! The single-enterprise record cache (issue 11): `enterprise_get` answers without the database
//! while nothing was written, sees this process's writes at once, and another process's writes
//! within the change bound.

mod common;

use common::{admin, demo, usccs};
use lianshi_app::App;
use lianshi_app::generations::CHANGE_BOUND;
use lianshi_domain::enterprise::EnterpriseInput;
use lianshi_store::{Db, both_backends};
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

fn rename(name: &str) -> EnterpriseInput {
    EnterpriseInput {
        name: Some(name.into()),
        ..Default::default()
    }
}

#[test]
fn the_bound_is_the_documented_one() {
    assert_eq!(CHANGE_BOUND, Duration::from_secs(1));
}

both_backends!(
    a_write_here_is_seen_at_once_and_one_elsewhere_within_the_bound,
    |db: Db| async move {
        let here = demo(db.clone(), 5).await;
        // Another process on the same database: its own handle, its own caches.
        let there = App::new(db.reopen().await.unwrap());
        let code = usccs(&here, 1).await.remove(0);
        here.set_change_bound(HOUR);
        let first = here.enterprise_get(&admin(), &code).await.unwrap();

        // Written elsewhere: this process keeps serving its copy until the counters are read
        // again (never within an hour-long bound)…
        there
            .enterprise_update(&admin(), &code, &rename("别处改名（示例）"), None)
            .await
            .unwrap();
        let cached = here.enterprise_get(&admin(), &code).await.unwrap();
        assert_eq!(cached.name, first.name, "served from the cache");
        // …and sees it once the bound has passed (a zero bound: read on every use).
        here.set_change_bound(Duration::ZERO);
        let seen = here.enterprise_get(&admin(), &code).await.unwrap();
        assert_eq!(seen.name, "别处改名（示例）");

        // Written here: seen by the very next read, whatever the bound.
        here.set_change_bound(HOUR);
        here.enterprise_get(&admin(), &code).await.unwrap();
        here.enterprise_update(&admin(), &code, &rename("此处改名（示例）"), None)
            .await
            .unwrap();
        assert_eq!(
            here.enterprise_get(&admin(), &code).await.unwrap().name,
            "此处改名（示例）"
        );

        // A correction proposed elsewhere is a provenance write: seen after the bound.
        let before = here.enterprise_get(&admin(), &code).await.unwrap();
        assert!(before.pending_corrections.is_empty());
        let ent = common::signed_in(&there, "ent_rc", "enterprise", Some(code.clone()), None).await;
        there
            .enterprise_update(
                &ent,
                &code,
                &EnterpriseInput {
                    headcount: Some("4321".into()),
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap();
        assert!(
            here.enterprise_get(&admin(), &code)
                .await
                .unwrap()
                .pending_corrections
                .is_empty(),
            "cached"
        );
        here.set_change_bound(Duration::ZERO);
        let after = here.enterprise_get(&admin(), &code).await.unwrap();
        assert_eq!(after.pending_corrections.len(), 1);
        assert_eq!(after.pending_corrections[0].row.proposed_value, "4321");
    }
);
