//! The service loop's use cases on both backends: teams and 包联, scope, audit.

use lianshi_app::enterprise::EnterpriseQuery;
use lianshi_app::team::{AssignInput, MemberInput, TeamInput};
use lianshi_app::user::UserInput;
use lianshi_app::{Actor, App, AppError, Source};
use lianshi_store::audit::AuditQuery;
use lianshi_store::{Db, both_backends};

const PW: &str = "Lianshi@2026";

async fn demo(db: Db, n: usize) -> App {
    let app = App::new(db);
    app.demo_load(&Actor::system(Source::Demo), n, 11)
        .await
        .unwrap();
    app
}

fn admin() -> Actor {
    Actor::system(Source::Cli)
}

/// Create a user and sign in as them.
async fn person(app: &App, username: &str, role: &str, enterprise: Option<String>) -> Actor {
    app.user_create(
        &admin(),
        &UserInput {
            username: username.into(),
            display_name: Some(format!("{username}（示例）")),
            role: role.into(),
            password: PW.into(),
            enterprise,
            department: (role == "department").then(|| "kjj".to_string()),
        },
    )
    .await
    .unwrap();
    app.login(username, PW, "test", "api").await.unwrap().actor
}

fn team_input(name: &str, leader: &str, members: &[&str]) -> TeamInput {
    TeamInput {
        name: Some(name.into()),
        leader: Some(leader.into()),
        members: Some(
            members
                .iter()
                .map(|m| MemberInput {
                    user: (*m).into(),
                    department: Some("jxj".into()),
                })
                .collect(),
        ),
        ..Default::default()
    }
}

async fn usccs(app: &App, n: i64) -> Vec<String> {
    app.enterprise_list(
        &admin(),
        &EnterpriseQuery {
            per_page: Some(n),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items
    .into_iter()
    .map(|e| e.uscc)
    .collect()
}

both_backends!(
    a_team_is_created_with_its_leader_as_member_and_its_departments,
    |db: Db| async move {
        let app = demo(db, 10).await;
        person(&app, "lead1", "team", None).await;
        person(&app, "mem1", "team", None).await;
        let t = app
            .team_create(&admin(), &team_input("测试服务团队", "lead1", &["mem1"]))
            .await
            .unwrap();
        assert_eq!(t.members.len(), 2);
        assert!(t.members[0].is_leader, "the leader is listed first");
        assert_eq!(t.departments, vec!["区经济和信息化局".to_string()]);
        let dup = app
            .team_create(&admin(), &team_input("测试服务团队", "lead1", &[]))
            .await;
        assert!(matches!(dup, Err(AppError::Conflict(_))), "{dup:?}");
        let ent = app
            .team_create(&admin(), &team_input("另一团队", "ent", &[]))
            .await;
        assert!(
            matches!(&ent, Err(AppError::BadRequest { code, .. }) if *code == "member_role_invalid"),
            "an enterprise user cannot serve on a team: {ent:?}"
        );
        let stale = app
            .team_update(
                &admin(),
                t.id,
                &TeamInput {
                    note: Some("x".into()),
                    version: Some(t.version + 5),
                    ..Default::default()
                },
            )
            .await;
        assert!(matches!(stale, Err(AppError::Conflict(_))));
    }
);

both_backends!(
    bulk_assignment_by_chain_skips_other_teams_unless_reassigning_and_records_history_and_audit,
    |db: Db| async move {
        let app = demo(db, 60).await;
        person(&app, "lead1", "team", None).await;
        person(&app, "lead2", "team", None).await;
        let a = app
            .team_create(&admin(), &team_input("甲团队", "lead1", &[]))
            .await
            .unwrap();
        let b = app
            .team_create(&admin(), &team_input("乙团队", "lead2", &[]))
            .await
            .unwrap();
        let ic = EnterpriseQuery {
            chain: Some("ic".into()),
            ..Default::default()
        };
        let n_ic = app.enterprise_list(&admin(), &ic).await.unwrap().total;
        assert!(n_ic > 0, "the demo has enterprises on the ic chain");
        let r = app
            .team_assign(
                &admin(),
                a.id,
                &AssignInput {
                    filter: Some(ic.clone()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!((r.matched, r.assigned), (n_ic, n_ic));
        let r2 = app
            .team_assign(
                &admin(),
                b.id,
                &AssignInput {
                    filter: Some(ic.clone()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!((r2.skipped, r2.assigned), (n_ic, 0));
        let r3 = app
            .team_assign(
                &admin(),
                b.id,
                &AssignInput {
                    filter: Some(ic),
                    reassign: true,
                    reason: Some("调整包联".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(r3.moved, n_ic);
        let page = app
            .team_enterprises(&admin(), b.id, None, Some(200))
            .await
            .unwrap();
        assert_eq!(page.total, n_ic);
        let first = &page.items[0];
        assert_eq!(first.contact_name.as_deref(), Some("lead2（示例）"));
        let hist = app.assignment_history(&admin(), &first.uscc).await.unwrap();
        assert_eq!(hist.len(), 2);
        assert_eq!(hist[1].to_team_name.as_deref(), Some("乙团队"));
        let (log, _) = app
            .audit_search(
                &admin(),
                &AuditQuery {
                    action: Some("team.assign".into()),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(log.len() >= 2);
        assert!(log[0].after.as_deref().unwrap().contains(&first.uscc));
    }
);

both_backends!(
    team_members_see_only_their_team_and_enterprise_users_only_their_own_contact,
    |db: Db| async move {
        let app = demo(db, 20).await;
        let lead1 = person(&app, "lead1", "team", None).await;
        let lead2 = person(&app, "lead2", "team", None).await;
        let dept = person(&app, "officer", "department", None).await;
        let a = app
            .team_create(&admin(), &team_input("甲团队", "lead1", &[]))
            .await
            .unwrap();
        let b = app
            .team_create(&admin(), &team_input("乙团队", "lead2", &[]))
            .await
            .unwrap();
        let codes = usccs(&app, 3).await;
        app.team_assign(
            &admin(),
            a.id,
            &AssignInput {
                enterprises: vec![codes[0].clone()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        app.enterprise_assign(&admin(), &codes[1], Some(b.id), None, None)
            .await
            .unwrap();
        let seen: Vec<i64> = app
            .team_list(&lead1)
            .await
            .unwrap()
            .iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(seen, vec![a.id]);
        assert!(matches!(
            app.team_get(&lead1, b.id).await,
            Err(AppError::Forbidden)
        ));
        assert!(app.enterprise_team(&lead1, &codes[0]).await.is_ok());
        assert!(matches!(
            app.enterprise_team(&lead1, &codes[1]).await,
            Err(AppError::Forbidden)
        ));
        assert!(app.team_get(&dept, b.id).await.is_ok());
        assert!(matches!(
            app.team_create(&dept, &team_input("丙团队", "lead1", &[]))
                .await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            app.team_assign(&lead2, b.id, &AssignInput::default()).await,
            Err(AppError::Forbidden)
        ));
        let owner = person(&app, "owner0", "enterprise", Some(codes[0].clone())).await;
        let mine = app.enterprise_team(&owner, &codes[0]).await.unwrap();
        assert_eq!(mine.team_name.as_deref(), Some("甲团队"));
        assert_eq!(mine.contact_name.as_deref(), Some("lead1（示例）"));
        assert!(matches!(
            app.enterprise_team(&owner, &codes[1]).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            app.team_list(&owner).await,
            Err(AppError::Forbidden)
        ));
        let bank = person(&app, "banker", "finance", None).await;
        assert!(matches!(
            app.team_list(&bank).await,
            Err(AppError::Forbidden)
        ));
    }
);

both_backends!(
    a_contact_must_be_a_member_and_removing_the_team_clears_it,
    |db: Db| async move {
        let app = demo(db, 10).await;
        person(&app, "lead1", "team", None).await;
        person(&app, "mem1", "team", None).await;
        person(&app, "outsider", "team", None).await;
        let a = app
            .team_create(&admin(), &team_input("甲团队", "lead1", &["mem1"]))
            .await
            .unwrap();
        let code = usccs(&app, 1).await.remove(0);
        let bad = app
            .enterprise_assign(&admin(), &code, Some(a.id), Some("outsider"), None)
            .await;
        assert!(
            matches!(&bad, Err(AppError::BadRequest { code, .. }) if *code == "contact_not_member"),
            "{bad:?}"
        );
        let v = app
            .enterprise_assign(&admin(), &code, Some(a.id), Some("mem1"), None)
            .await
            .unwrap();
        assert_eq!(v.contact_name.as_deref(), Some("mem1（示例）"));
        let v = app
            .enterprise_assign(&admin(), &code, None, None, Some("企业迁出"))
            .await
            .unwrap();
        assert_eq!((v.team_id, v.contact_name), (None, None));
        let hist = app.assignment_history(&admin(), &code).await.unwrap();
        assert_eq!(hist.last().unwrap().reason.as_deref(), Some("企业迁出"));
    }
);
