//! The service loop's use cases on both backends: teams and 包联, scope, audit.

use lianshi_app::enterprise::EnterpriseQuery;
use lianshi_app::team::{AssignInput, MemberInput, TeamInput};
use lianshi_app::{Actor, App, AppError, Source};
use lianshi_store::audit::AuditQuery;
use lianshi_store::{Db, both_backends};

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

both_backends!(
    a_team_is_created_with_its_leader_as_member_and_its_departments,
    |db: Db| async move {
        let app = demo(db, 10).await;
        signed_in(&app, "lead1", "team", None, None).await;
        signed_in(&app, "mem1", "team", None, None).await;
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
        signed_in(&app, "lead1", "team", None, None).await;
        signed_in(&app, "lead2", "team", None, None).await;
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
        let assign = |team: i64, reassign: bool| {
            let app = app.clone();
            let ic = ic.clone();
            async move {
                app.team_assign(
                    &admin(),
                    team,
                    &AssignInput {
                        filter: Some(ic),
                        reassign,
                        reason: Some("调整包联".into()),
                        ..Default::default()
                    },
                )
                .await
                .unwrap()
            }
        };
        // The demo already assigned every enterprise to the team of its chain.
        let r = assign(a.id, false).await;
        assert_eq!((r.matched, r.skipped, r.assigned), (n_ic, n_ic, 0));
        let r = assign(a.id, true).await;
        assert_eq!(r.moved, n_ic);
        let r = assign(a.id, true).await;
        assert_eq!(r.unchanged, n_ic, "assigning again changes nothing");
        let r = assign(b.id, false).await;
        assert_eq!(r.skipped, n_ic);
        let r = assign(b.id, true).await;
        assert_eq!(r.moved, n_ic);
        let page = app
            .team_enterprises(&admin(), b.id, None, Some(200))
            .await
            .unwrap();
        assert_eq!(page.total, n_ic);
        let first = &page.items[0];
        assert_eq!(first.contact_name.as_deref(), Some("lead2（示例）"));
        let hist = app.assignment_history(&admin(), &first.uscc).await.unwrap();
        assert_eq!(hist.len(), 3, "demo, 甲, 乙: {hist:?}");
        assert_eq!(hist[2].to_team_name.as_deref(), Some("乙团队"));
        assert_eq!(hist[2].reason.as_deref(), Some("调整包联"));
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
        let lead1 = signed_in(&app, "lead1", "team", None, None).await;
        let lead2 = signed_in(&app, "lead2", "team", None, None).await;
        let dept = signed_in(&app, "officer", "department", None, None).await;
        let a = app
            .team_create(&admin(), &team_input("甲团队", "lead1", &[]))
            .await
            .unwrap();
        let b = app
            .team_create(&admin(), &team_input("乙团队", "lead2", &[]))
            .await
            .unwrap();
        let codes = usccs(&app, 3).await;
        let r = app
            .team_assign(
                &admin(),
                a.id,
                &AssignInput {
                    enterprises: vec![codes[0].clone()],
                    reassign: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(r.moved + r.assigned, 1);
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
        let owner = signed_in(&app, "owner0", "enterprise", Some(codes[0].clone()), None).await;
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
        let bank = signed_in(&app, "banker", "finance", None, None).await;
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
        signed_in(&app, "lead1", "team", None, None).await;
        signed_in(&app, "mem1", "team", None, None).await;
        signed_in(&app, "outsider", "team", None, None).await;
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

// ---------------------------------------------------------------------------------------------
// Visits
// ---------------------------------------------------------------------------------------------

use lianshi_app::visit::{IndicatorInput, TaskQuery, VisitInput, VisitQuery, VisitRuleInput};

fn tasks_of(uscc: &str, status: &str) -> TaskQuery {
    TaskQuery {
        enterprise: Some(uscc.into()),
        status: Some(status.into()),
        per_page: Some(200),
        ..Default::default()
    }
}

both_backends!(
    the_demo_gives_eight_teams_visits_and_tasks_some_of_them_overdue,
    |db: Db| async move {
        let app = demo(db, 40).await;
        let teams = app.team_list(&admin()).await.unwrap();
        assert_eq!(teams.len(), 8);
        assert!(
            teams[0].name.starts_with("第一服务团队（"),
            "{}",
            teams[0].name
        );
        assert_eq!(teams.iter().map(|t| t.enterprises).sum::<i64>(), 40);
        let visits = app
            .visit_list(&admin(), &VisitQuery::default())
            .await
            .unwrap();
        assert!(visits.total > 0);
        let overdue = app
            .visit_tasks(
                &admin(),
                &TaskQuery {
                    status: Some("overdue".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(overdue.total > 0, "old periodic visits are overdue");
        assert!(overdue.items.iter().all(|t| t.overdue));
        // Loading the demo again creates no second set of teams or tasks.
        let before = app
            .visit_tasks(
                &admin(),
                &TaskQuery {
                    status: Some("all".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .total;
        app.demo_load(&Actor::system(Source::Demo), 40, 11)
            .await
            .unwrap();
        assert_eq!(app.team_list(&admin()).await.unwrap().len(), 8);
        let after = app
            .visit_tasks(
                &admin(),
                &TaskQuery {
                    status: Some("all".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .total;
        assert_eq!(before, after);
    }
);

both_backends!(
    a_revenue_drop_creates_one_explained_task_and_a_second_scan_creates_nothing,
    |db: Db| async move {
        let app = demo(db, 12).await;
        let code = usccs(&app, 12).await.pop().unwrap();
        let year = App::today()
            .format("%Y")
            .to_string()
            .parse::<i32>()
            .unwrap();
        for (y, rev) in [(year - 1, 1_000_000), (year, 700_000)] {
            app.indicator_record(
                &admin(),
                &code,
                &IndicatorInput {
                    period: y.to_string(),
                    revenue_fen: Some(rev),
                    headcount: Some(50),
                    tax_fen: None,
                },
            )
            .await
            .unwrap();
        }
        let r = app.visit_scan(&admin(), App::today()).await.unwrap();
        assert_eq!(r.created_by_rule.get("revenue_drop"), Some(&1), "{r:?}");
        let t = app
            .visit_tasks(&admin(), &tasks_of(&code, "open"))
            .await
            .unwrap();
        let drop = t
            .items
            .iter()
            .find(|t| t.task.rule_code == "revenue_drop")
            .expect("a revenue-drop task");
        assert!(
            drop.task.reason_zh.contains("30.0%"),
            "{}",
            drop.task.reason_zh
        );
        assert!(drop.explanation.contains(" / "));
        assert!(drop.task.due_on > drop.task.triggered_on);
        assert!(drop.task.team_id.is_some());
        let again = app.visit_scan(&admin(), App::today()).await.unwrap();
        assert_eq!(again.created, 0, "{again:?}");
        let bad = app
            .indicator_record(
                &admin(),
                &code,
                &IndicatorInput {
                    period: "25".into(),
                    ..Default::default()
                },
            )
            .await;
        assert!(matches!(
            bad,
            Err(AppError::BadRequest {
                code: "period_format",
                ..
            })
        ));
    }
);

both_backends!(
    recording_a_visit_closes_the_enterprise_tasks_and_only_its_team_may_record_it,
    |db: Db| async move {
        let app = demo(db, 12).await;
        let code = usccs(&app, 1).await.remove(0);
        let et = app.enterprise_team(&admin(), &code).await.unwrap();
        let team = app.team_get(&admin(), et.team_id.unwrap()).await.unwrap();
        let member = app
            .login(&team.members[0].username, PW, "t", "api")
            .await
            .unwrap()
            .actor;
        let other_team = app
            .team_list(&admin())
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.id != team.id)
            .unwrap();
        let outsider = app
            .login(&other_team.members[0].username, PW, "t", "api")
            .await
            .unwrap()
            .actor;
        app.visit_trigger_urgent(et.enterprise_id, "GD-2026-0001")
            .await
            .unwrap();
        let open = app
            .visit_tasks(&member, &tasks_of(&code, "open"))
            .await
            .unwrap();
        assert!(open.total >= 1);
        let inp = VisitInput {
            enterprise: code.clone(),
            visited_on: App::today().to_string(),
            participants: vec![team.members[0].username.clone()],
            summary: "了解GPU采购困难".into(),
            attachments: vec!["照片.jpg".into()],
            task_id: None,
            pain_points: vec![],
        };
        assert!(matches!(
            app.visit_record(&outsider, &inp).await,
            Err(AppError::Forbidden)
        ));
        let future = VisitInput {
            visited_on: (App::today() + chrono::Duration::days(2)).to_string(),
            ..inp.clone()
        };
        assert!(matches!(
            app.visit_record(&member, &future).await,
            Err(AppError::BadRequest {
                code: "visit_in_future",
                ..
            })
        ));
        let path = VisitInput {
            attachments: vec!["../etc/passwd".into()],
            ..inp.clone()
        };
        assert!(app.visit_record(&member, &path).await.is_err());
        let v = app.visit_record(&member, &inp).await.unwrap();
        assert_eq!(v.task_ids.len() as i64, open.total);
        let still = app
            .visit_tasks(&member, &tasks_of(&code, "open"))
            .await
            .unwrap();
        assert_eq!(still.total, 0);
        let mine = app
            .visit_list(
                &member,
                &VisitQuery {
                    enterprise: Some(code.clone()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(mine.items.iter().any(|x| x.id == v.id));
        assert!(matches!(
            app.visit_get(&outsider, v.id).await,
            Err(AppError::Forbidden)
        ));
        let theirs = app
            .visit_tasks(
                &outsider,
                &TaskQuery {
                    status: Some("all".into()),
                    per_page: Some(200),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(
            theirs
                .items
                .iter()
                .all(|t| t.task.team_id == Some(other_team.id))
        );
        let owner = signed_in(&app, "owner9", "enterprise", Some(code.clone()), None).await;
        assert!(matches!(
            app.visit_list(&owner, &VisitQuery::default()).await,
            Err(AppError::Forbidden)
        ));
    }
);

both_backends!(
    an_urgent_pain_point_creates_one_task_per_order_and_follows_a_reassignment,
    |db: Db| async move {
        let app = demo(db, 8).await;
        let code = usccs(&app, 1).await.remove(0);
        let et = app
            .enterprise_assign(&admin(), &code, None, None, Some("测试"))
            .await
            .unwrap();
        let a = app
            .visit_trigger_urgent(et.enterprise_id, "GD-1")
            .await
            .unwrap();
        assert_eq!(a.len(), 1);
        assert!(
            app.visit_trigger_urgent(et.enterprise_id, "GD-1")
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            app.visit_trigger_urgent(et.enterprise_id, "GD-2")
                .await
                .unwrap()
                .len(),
            1
        );
        let t = app.visit_task(&admin(), a[0]).await.unwrap();
        assert_eq!(
            t.task.team_id, None,
            "an unassigned enterprise's task waits for a team"
        );
        let team = app.team_list(&admin()).await.unwrap().remove(0);
        app.enterprise_assign(&admin(), &code, Some(team.id), None, None)
            .await
            .unwrap();
        let t = app.visit_task(&admin(), a[0]).await.unwrap();
        assert_eq!(t.task.team_id, Some(team.id));
        let window_end = App::today() + chrono::Duration::days(3);
        let p = app
            .visit_trigger_policy(et.enterprise_id, "suanliquan", window_end)
            .await
            .unwrap();
        let pt = app.visit_task(&admin(), p[0]).await.unwrap();
        assert!(
            pt.task.due_on <= window_end.to_string(),
            "capped at the window's close"
        );
    }
);

both_backends!(
    only_an_administrator_edits_a_rule_and_a_deadline_of_zero_is_refused,
    |db: Db| async move {
        let app = demo(db, 4).await;
        let dept = signed_in(&app, "officer", "department", None, None).await;
        let rules = app.visit_rules(&dept).await.unwrap();
        assert_eq!(rules.len(), 5);
        let edit = VisitRuleInput {
            deadline_workdays: Some(3),
            months: Some(3),
            ..Default::default()
        };
        assert!(matches!(
            app.visit_rule_update(&dept, "periodic", &edit).await,
            Err(AppError::Forbidden)
        ));
        let r = app
            .visit_rule_update(&admin(), "periodic", &edit)
            .await
            .unwrap();
        assert_eq!(r.deadline_workdays, 3);
        assert_eq!(
            r.trigger,
            lianshi_domain::visit::VisitTrigger::Periodic { months: 3 }
        );
        let zero = VisitRuleInput {
            deadline_workdays: Some(0),
            ..Default::default()
        };
        assert!(matches!(
            app.visit_rule_update(&admin(), "periodic", &zero).await,
            Err(AppError::BadRequest { .. })
        ));
        let stale = VisitRuleInput {
            active: Some(false),
            version: Some(r.version - 1),
            ..Default::default()
        };
        assert!(matches!(
            app.visit_rule_update(&admin(), "periodic", &stale).await,
            Err(AppError::Conflict(_))
        ));
    }
);

use lianshi_app::order::OrderQuery;
use lianshi_app::visit::PainPointInput;

mod common;
use common::{PW, admin, demo, signed_in, usccs};

fn pain(title: &str, category: &str, urgency: &str) -> PainPointInput {
    PainPointInput {
        title: title.into(),
        description: format!("{title}（走访中企业反映）"),
        category: Some(category.into()),
        urgency: Some(urgency.into()),
    }
}

async fn team_member_of(app: &App, code: &str) -> Actor {
    let et = app.enterprise_team(&admin(), code).await.unwrap();
    let team = app.team_get(&admin(), et.team_id.unwrap()).await.unwrap();
    app.login(&team.members[0].username, PW, "t", "api")
        .await
        .unwrap()
        .actor
}

async fn visit_orders(app: &App, code: &str) -> Vec<lianshi_app::order::OrderView> {
    app.order_list(
        &admin(),
        &OrderQuery {
            enterprise: Some(code.into()),
            per_page: Some(200),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items
    .into_iter()
    .filter(|o| o.channel == "visit" && o.visit_id.is_some())
    .collect()
}

both_backends!(
    pain_points_recorded_with_a_visit_become_visit_orders_linked_to_it_with_audit_entries,
    |db: Db| async move {
        let app = demo(db, 12).await;
        let code = usccs(&app, 1).await.remove(0);
        let member = team_member_of(&app, &code).await;
        let before = visit_orders(&app, &code).await.len();
        let inp = VisitInput {
            enterprise: code.clone(),
            visited_on: App::today().to_string(),
            summary: "了解GPU采购与专利保护".into(),
            pain_points: vec![
                pain("GPU芯片采购困难", "supply_chain", "urgent"),
                pain("算法专利保护", "ip", "normal"),
            ],
            ..Default::default()
        };
        let rec = app.visit_record_orders(&member, &inp).await.unwrap();
        assert_eq!(rec.order_ids.len(), 2);
        let orders = visit_orders(&app, &code).await;
        assert_eq!(orders.len(), before + 2);
        for id in &rec.order_ids {
            let o = app.order_get(&admin(), *id).await.unwrap();
            assert_eq!(o.order.visit_id, Some(rec.visit.id));
            assert_eq!(o.order.channel, "visit");
        }
        let first = app.order_get(&admin(), rec.order_ids[0]).await.unwrap();
        assert_eq!(first.order.category, "supply_chain");
        assert_eq!(first.order.urgency.as_str(), "urgent");
        for r in &rec.orders {
            let (audit, _) = app
                .audit_search(
                    &admin(),
                    &AuditQuery {
                        action: Some("order.create".into()),
                        entity_id: Some(r.clone()),
                        limit: 10,
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            assert!(audit.len() == 1, "no audit entry for {r}");
        }
    }
);

both_backends!(
    a_bad_pain_point_refuses_the_whole_visit_form_and_writes_neither_visit_nor_orders,
    |db: Db| async move {
        let app = demo(db, 12).await;
        let code = usccs(&app, 1).await.remove(0);
        let member = team_member_of(&app, &code).await;
        let q = VisitQuery {
            enterprise: Some(code.clone()),
            ..Default::default()
        };
        let visits_before = app.visit_list(&admin(), &q).await.unwrap().total;
        let orders_before = visit_orders(&app, &code).await.len();
        let inp = VisitInput {
            enterprise: code.clone(),
            visited_on: App::today().to_string(),
            summary: "走访".into(),
            pain_points: vec![
                pain("融资需求", "financing", "normal"),
                pain("未知分类", "no_such_category", "normal"),
            ],
            ..Default::default()
        };
        let err = app.visit_record_orders(&member, &inp).await.unwrap_err();
        match err {
            AppError::BadRequest { code, zh, .. } => {
                assert_eq!(code, "category_unknown");
                assert!(zh.starts_with("堵点2"), "{zh}");
            }
            e => panic!("expected a refusal, got {e:?}"),
        }
        assert_eq!(
            app.visit_list(&admin(), &q).await.unwrap().total,
            visits_before
        );
        assert_eq!(visit_orders(&app, &code).await.len(), orders_before);
    }
);
