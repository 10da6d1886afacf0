//! Issue 9 (security and integrity): caches shared by several processes on one database, writes
//! made while a long import holds the writer, and what banks and party secretaries may read.

use lianshi_app::enterprise::EnterpriseQuery;
use lianshi_app::score::ConsentInput;
use lianshi_app::zone::RegistryInput;
use lianshi_app::{App, AppError};
use lianshi_domain::Role;
use lianshi_domain::enterprise::EnterpriseInput;
use lianshi_domain::zone::RegistryKind;
use lianshi_store::{Db, both_backends};

mod common;
use common::{actor, admin};

both_backends!(
    a_park_created_through_one_server_is_known_to_another_on_the_same_database,
    |db: Db| async move {
        // Two servers: each App keeps its own caches over the same database.
        let one = App::new(db.clone());
        one.demo_load_enterprises(&admin(), 5, 3).await.unwrap();
        let two = App::new(db.clone());
        // The second server has read (and cached) the registry before the park exists.
        let street = two
            .registry()
            .await
            .unwrap()
            .of_kind(RegistryKind::Street)
            .next()
            .map(|s| (s.id, s.name.clone()))
            .unwrap();
        two.enterprise_list(&admin(), &EnterpriseQuery::default())
            .await
            .unwrap();
        one.registry_create(
            &admin(),
            RegistryKind::Park,
            &RegistryInput {
                name: "新建测试园区".into(),
                parent_id: Some(street.0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let inp = EnterpriseInput {
            uscc: Some("91330108MA27Y5XH5G".into()),
            name: Some("缓存测试企业（示例）".into()),
            park: Some("新建测试园区".into()),
            ..Default::default()
        };
        let made = two.enterprise_create(&admin(), &inp).await.unwrap();
        assert_eq!(made.park.as_deref(), Some("新建测试园区"));
        assert_eq!(made.street.as_deref(), Some(street.1.as_str()));
        // A rename through the second server reaches the first one's list filter too.
        let park = one
            .registry()
            .await
            .unwrap()
            .find(RegistryKind::Park, "新建测试园区")
            .map(|p| p.id)
            .unwrap();
        two.registry_update(
            &admin(),
            park,
            &RegistryInput {
                name: "改名测试园区".into(),
                parent_id: Some(street.0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let page = one
            .enterprise_list(
                &admin(),
                &EnterpriseQuery {
                    park: Some("改名测试园区".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(page.items[0].park.as_deref(), Some("改名测试园区"));
    }
);

/// Consent (or revoke) as the enterprise's own user.
async fn consent(app: &App, enterprise_id: i64, institution: &str, granted: bool) {
    app.score_consent_set(
        &actor(Role::Enterprise, Some(enterprise_id), None),
        &ConsentInput {
            enterprise: None,
            institution: institution.into(),
            granted,
        },
    )
    .await
    .unwrap();
}

/// The "not found" message with the key taken out, to compare an out-of-scope answer with an
/// unknown one.
fn not_found_shape(r: Result<impl std::fmt::Debug, AppError>, key: &str) -> String {
    match r {
        Err(e @ AppError::NotFound(_)) => {
            format!("{} {}", e.code(), e.message()).replace(key, "KEY")
        }
        other => panic!("expected not found for {key}, got {other:?}"),
    }
}

const UNKNOWN: &str = "91330108MA2XXXXX0X";

both_backends!(
    a_bank_user_reads_only_enterprises_consenting_to_its_bank_and_only_the_consented_fields,
    |db: Db| async move {
        let app = App::new(db);
        app.demo_load_enterprises(&admin(), 12, 7).await.unwrap();
        let all = app
            .enterprise_list(&admin(), &EnterpriseQuery::default())
            .await
            .unwrap();
        assert_eq!(all.total, 12);
        let idx = app.registry().await.unwrap();
        let banks: Vec<(i64, String)> = idx
            .of_kind(RegistryKind::Institution)
            .filter(|i| i.attr.as_deref() == Some("bank"))
            .map(|i| (i.id, i.code.clone().unwrap_or_else(|| i.name.clone())))
            .collect();
        assert!(banks.len() >= 2, "the demo registry has two banks");
        let (mine, other) = (&banks[0], &banks[1]);
        let e = |i: usize| (all.items[i].id, all.items[i].uscc.clone());
        consent(&app, e(0).0, &mine.1, true).await;
        consent(&app, e(1).0, &other.1, true).await;
        consent(&app, e(2).0, &mine.1, true).await;
        consent(&app, e(2).0, &mine.1, false).await;
        let bank = actor(Role::Finance, None, Some(mine.0));

        let page = app
            .enterprise_list(&bank, &EnterpriseQuery::default())
            .await
            .unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(page.items.len(), 1);
        let seen = &page.items[0];
        assert_eq!(seen.uscc, e(0).1);
        assert_eq!(seen.name, all.items[0].name);
        assert_eq!(seen.industry_code, all.items[0].industry_code);
        assert_eq!(
            (
                &seen.revenue_fen,
                &seen.tax_paid_fen,
                &seen.rd_spend_fen,
                &seen.contact_phone,
                &seen.contact_name,
                &seen.address,
                &seen.headcount
            ),
            (&None, &None, &None, &None, &None, &None, &None)
        );
        let one = app.enterprise_get(&bank, &e(0).1).await.unwrap();
        assert_eq!((one.revenue_fen, one.contact_phone), (None, None));
        // Another bank's, a revoked and an unknown enterprise look the same: not found.
        let unknown = not_found_shape(app.enterprise_get(&bank, UNKNOWN).await, UNKNOWN);
        for (_, code) in [e(1), e(2)] {
            assert_eq!(
                not_found_shape(app.enterprise_get(&bank, &code).await, &code),
                unknown
            );
        }
        // Policies and explanations: out of scope → the unknown 404; a consenting enterprise's
        // eligibility shows revenue and tax, which the consent does not cover → 403.
        let unknown_ref =
            not_found_shape(app.enterprise_ref_visible(&bank, UNKNOWN).await, UNKNOWN);
        assert_eq!(
            not_found_shape(app.enterprise_ref_visible(&bank, &e(1).1).await, &e(1).1),
            unknown_ref
        );
        let id = app.enterprise_ref_visible(&bank, &e(0).1).await.unwrap();
        assert!(matches!(
            app.policy_for_enterprise(&bank, id, None).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            app.policy_for_enterprise(&bank, e(1).0, None).await,
            Err(AppError::NotFound(_))
        ));
        // No zone figures that would count what the list hides.
        let st = app.workbench_figures(&bank).await.unwrap();
        assert_eq!(st.enterprises, None);
        assert!(st.by_chain.is_empty() && st.by_street.is_empty() && st.top_tags.is_empty());
        assert!(
            app.registry_enterprise_counts(&bank)
                .await
                .unwrap()
                .is_empty()
        );
        // A finance user bound to no institution sees nothing.
        let unbound = actor(Role::Finance, None, None);
        assert_eq!(
            app.enterprise_list(&unbound, &EnterpriseQuery::default())
                .await
                .unwrap()
                .total,
            0
        );
    }
);

both_backends!(
    a_party_secretary_sees_no_enterprise_until_its_organisation_covers_some,
    |db: Db| async move {
        let app = App::new(db);
        app.demo_load_enterprises(&admin(), 6, 7).await.unwrap();
        let all = app
            .enterprise_list(&admin(), &EnterpriseQuery::default())
            .await
            .unwrap();
        let secretary = actor(Role::PartySecretary, None, None);
        let page = app
            .enterprise_list(&secretary, &EnterpriseQuery::default())
            .await
            .unwrap();
        assert_eq!((page.total, page.items.len()), (0, 0));
        let unknown = not_found_shape(app.enterprise_get(&secretary, UNKNOWN).await, UNKNOWN);
        let code = all.items[0].uscc.clone();
        assert_eq!(
            not_found_shape(app.enterprise_get(&secretary, &code).await, &code),
            unknown
        );
        let unknown_ref = not_found_shape(
            app.enterprise_ref_visible(&secretary, UNKNOWN).await,
            UNKNOWN,
        );
        assert_eq!(
            not_found_shape(app.enterprise_ref_visible(&secretary, &code).await, &code),
            unknown_ref
        );
        assert!(matches!(
            app.policy_for_enterprise(&secretary, all.items[0].id, None)
                .await,
            Err(AppError::NotFound(_))
        ));
        let st = app.workbench_figures(&secretary).await.unwrap();
        assert_eq!(st.enterprises, None);
        // Staff keep the whole register.
        let dept = actor(Role::Department, None, None);
        assert_eq!(
            app.enterprise_list(&dept, &EnterpriseQuery::default())
                .await
                .unwrap()
                .total,
            6
        );
        assert_eq!(
            app.workbench_figures(&dept).await.unwrap().enterprises,
            Some(6)
        );
    }
);
