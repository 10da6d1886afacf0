//! Teams, assignments, indicators, visit rules, tasks and visits on both backends.

use lianshi_store::both_backends;
use lianshi_store::enterprise::{EnterpriseWrite, enterprise_insert};
use lianshi_store::team::{
    MemberWrite, TeamWrite, assignment_set, team_insert, team_set_members, team_update,
};
use lianshi_store::user::{NewUser, user_insert};
use lianshi_store::visit::{
    IndicatorRow, NewVisit, NewVisitTask, TaskFilter, VisitFilter, VisitRuleWrite,
    indicator_upsert, visit_insert, visit_rule_seed, visit_rule_update, visit_task_insert,
    visit_tasks_close,
};
use lianshi_store::{Db, StoreError};

const A: &str = "91330108MA27Y5XH5G";
const B: &str = "913301086706280599";

struct Seed {
    e1: i64,
    e2: i64,
    u1: i64,
    u2: i64,
    t1: i64,
    t2: i64,
}

async fn seed(db: &Db) -> Seed {
    let mut tx = db.begin().await.unwrap();
    let c = tx.conn();
    let ent = |uscc: &str, name: &str| EnterpriseWrite {
        uscc: uscc.into(),
        name: name.into(),
        registered_on: Some("2025-06-01".into()),
        ..Default::default()
    };
    let e1 = enterprise_insert(c, &ent(A, "甲（示例）")).await.unwrap();
    let e2 = enterprise_insert(c, &ent(B, "乙（示例）")).await.unwrap();
    let user = |n: &str| NewUser {
        username: n.into(),
        display_name: format!("{n}（示例）"),
        role: "team".into(),
        enterprise_id: None,
        department_id: None,
        password_hash: "x".into(),
    };
    let u1 = user_insert(c, &user("li")).await.unwrap();
    let u2 = user_insert(c, &user("wang")).await.unwrap();
    let team = |n: &str, leader: i64| TeamWrite {
        name: n.into(),
        leader_id: Some(leader),
        note: None,
        active: true,
    };
    let t1 = team_insert(c, &team("第一服务团队（示例）", u1))
        .await
        .unwrap();
    let t2 = team_insert(c, &team("第二服务团队（示例）", u2))
        .await
        .unwrap();
    team_set_members(
        c,
        t1,
        &[MemberWrite {
            user_id: u1,
            department_id: None,
        }],
    )
    .await
    .unwrap();
    team_set_members(
        c,
        t2,
        &[MemberWrite {
            user_id: u2,
            department_id: None,
        }],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    Seed {
        e1,
        e2,
        u1,
        u2,
        t1,
        t2,
    }
}

async fn rule(db: &Db, code: &str) -> i64 {
    let mut tx = db.begin().await.unwrap();
    visit_rule_seed(
        tx.conn(),
        &VisitRuleWrite {
            code: code.into(),
            name_zh: "新企业入驻必访".into(),
            name_en: "New enterprise".into(),
            trigger_kind: "new_enterprise".into(),
            trigger_json: "{}".into(),
            deadline_workdays: 10,
            active: true,
            sort: 0,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    db.visit_rule_by_code(code).await.unwrap().unwrap().id
}

fn task(s: &Seed, rule_id: i64, key: &str, due: &str) -> NewVisitTask {
    NewVisitTask {
        enterprise_id: s.e1,
        team_id: Some(s.t1),
        rule_id,
        trigger_key: key.into(),
        triggered_on: "2026-01-05".into(),
        due_on: due.into(),
        reason_zh: "新入驻".into(),
        reason_en: "new".into(),
        calendar_note: None,
        created_by: "system:cli".into(),
    }
}

both_backends!(
    a_team_name_is_unique_and_a_stale_version_is_a_conflict,
    |db: Db| async move {
        let s = seed(&db).await;
        let mut tx = db.begin().await.unwrap();
        let dup = team_insert(
            tx.conn(),
            &TeamWrite {
                name: "第一服务团队（示例）".into(),
                leader_id: None,
                note: None,
                active: true,
            },
        )
        .await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
        drop(tx);
        let t = db.team_get(s.t1).await.unwrap().unwrap();
        assert_eq!(t.leader_name.as_deref(), Some("li（示例）"));
        let w = TeamWrite {
            name: "第一服务团队（智能物联）".into(),
            leader_id: Some(s.u2),
            note: Some("n".into()),
            active: true,
        };
        let mut tx = db.begin().await.unwrap();
        team_update(tx.conn(), s.t1, t.version, &w).await.unwrap();
        let stale = team_update(tx.conn(), s.t1, t.version, &w).await;
        assert!(matches!(stale, Err(StoreError::Conflict(_))));
        tx.commit().await.unwrap();
        let t = db.team_get(s.t1).await.unwrap().unwrap();
        assert_eq!(
            (t.name.as_str(), t.version),
            ("第一服务团队（智能物联）", 2)
        );
        // Leading a team counts as belonging to it.
        assert_eq!(db.team_ids_of_user(s.u2).await.unwrap(), vec![s.t1, s.t2]);
        assert_eq!(db.team_ids_of_user(s.u1).await.unwrap(), vec![s.t1]);
    }
);

both_backends!(
    reassigning_an_enterprise_keeps_one_current_team_records_history_and_moves_open_tasks,
    |db: Db| async move {
        let s = seed(&db).await;
        let r = rule(&db, "new").await;
        let mut tx = db.begin().await.unwrap();
        let c = tx.conn();
        let first = assignment_set(c, s.e1, Some(s.t1), Some(s.u1), "admin", None)
            .await
            .unwrap();
        assert!(first.is_some());
        let same = assignment_set(c, s.e1, Some(s.t1), Some(s.u1), "admin", None)
            .await
            .unwrap();
        assert_eq!(same, None, "an unchanged assignment writes no history");
        visit_task_insert(c, &task(&s, r, "new", "2026-01-19"))
            .await
            .unwrap();
        let moved = assignment_set(c, s.e1, Some(s.t2), Some(s.u2), "admin", Some("调整"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (moved.from_team_id, moved.to_team_id),
            (Some(s.t1), Some(s.t2))
        );
        tx.commit().await.unwrap();
        let a = db.assignment_of(s.e1).await.unwrap().unwrap();
        assert_eq!(
            (a.team_id, a.contact_name.as_deref()),
            (s.t2, Some("wang（示例）"))
        );
        let h = db.assignment_history(s.e1).await.unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h[1].from_team_name.as_deref(), Some("第一服务团队（示例）"));
        assert_eq!(h[1].reason.as_deref(), Some("调整"));
        let (tasks, _) = db
            .visit_task_list(&TaskFilter::default(), 10, 0)
            .await
            .unwrap();
        assert_eq!(tasks[0].team_id, Some(s.t2));
        let (page, total) = db.team_enterprises(s.t2, 10, 0).await.unwrap();
        assert_eq!((page.len(), total), (1, 1));
        assert_eq!(db.team_enterprises(s.t1, 10, 0).await.unwrap().1, 0);
        let mut tx = db.begin().await.unwrap();
        assignment_set(tx.conn(), s.e1, None, None, "admin", None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(db.assignment_of(s.e1).await.unwrap(), None);
        assert_eq!(db.assignment_history(s.e1).await.unwrap().len(), 3);
    }
);

both_backends!(
    a_task_is_created_once_per_trigger_instance_and_overdue_ones_are_found,
    |db: Db| async move {
        let s = seed(&db).await;
        let r = rule(&db, "new").await;
        let mut tx = db.begin().await.unwrap();
        let c = tx.conn();
        let id = visit_task_insert(c, &task(&s, r, "new", "2026-01-19"))
            .await
            .unwrap();
        assert!(id.is_some());
        let again = visit_task_insert(c, &task(&s, r, "new", "2026-01-19"))
            .await
            .unwrap();
        assert_eq!(again, None);
        visit_task_insert(c, &task(&s, r, "order:GD-1", "2026-03-01"))
            .await
            .unwrap()
            .unwrap();
        tx.commit().await.unwrap();
        let late = TaskFilter {
            overdue_on: Some("2026-02-01".into()),
            ..Default::default()
        };
        let (rows, n) = db.visit_task_list(&late, 10, 0).await.unwrap();
        assert_eq!(n, 1);
        assert_eq!(rows[0].trigger_key, "new");
        assert_eq!(rows[0].rule_code, "new");
        let mine = TaskFilter {
            team_ids: Some(vec![s.t2]),
            ..Default::default()
        };
        assert_eq!(db.visit_task_list(&mine, 10, 0).await.unwrap().1, 0);
        let nobody = TaskFilter {
            team_ids: Some(vec![]),
            ..Default::default()
        };
        assert_eq!(db.visit_task_list(&nobody, 10, 0).await.unwrap().1, 0);
        let counts = db.visit_team_counts("2026-02-01").await.unwrap();
        assert_eq!(counts[0], (s.t1, 2, 1, 0));
        let by_ent = db
            .visit_open_by_enterprise(&[s.e1, s.e2], "2026-02-01")
            .await
            .unwrap();
        assert_eq!(by_ent.get(&s.e1), Some(&(2, 1)));
        assert_eq!(by_ent.get(&s.e2), None);
    }
);

both_backends!(
    a_visit_closes_the_open_tasks_triggered_before_it_and_is_listed_by_team_and_period,
    |db: Db| async move {
        let s = seed(&db).await;
        let r = rule(&db, "new").await;
        let mut tx = db.begin().await.unwrap();
        let c = tx.conn();
        let t1 = visit_task_insert(c, &task(&s, r, "new", "2026-01-19"))
            .await
            .unwrap()
            .unwrap();
        let mut later = task(&s, r, "period:2026H2", "2026-08-01");
        later.triggered_on = "2026-07-01".into();
        visit_task_insert(c, &later).await.unwrap().unwrap();
        let v = visit_insert(
            c,
            &NewVisit {
                enterprise_id: s.e1,
                team_id: Some(s.t1),
                visited_on: "2026-01-10".into(),
                summary: "了解芯片采购困难".into(),
                attachments: vec!["照片1.jpg".into()],
                participants: vec![s.u1, s.u2, s.u1],
                recorded_by: Some(s.u1),
                recorded_by_name: "li".into(),
            },
        )
        .await
        .unwrap();
        let closed = visit_tasks_close(c, s.e1, None, v, "2026-01-10")
            .await
            .unwrap();
        assert_eq!(closed, vec![t1], "the later task stays open");
        let none = visit_tasks_close(c, s.e1, Some(t1), v, "2026-01-10")
            .await
            .unwrap();
        assert!(none.is_empty(), "a closed task is not closed twice");
        tx.commit().await.unwrap();
        let got = db.visit_get(v).await.unwrap().unwrap();
        assert_eq!(got.participants.len(), 2);
        assert_eq!(got.attachments, vec!["照片1.jpg".to_string()]);
        assert_eq!(got.task_ids, vec![t1]);
        let task = db.visit_task_get(t1).await.unwrap().unwrap();
        assert_eq!((task.status.as_str(), task.visit_id), ("done", Some(v)));
        let jan = VisitFilter {
            team_ids: Some(vec![s.t1]),
            from: Some("2026-01-01".into()),
            to: Some("2026-01-31".into()),
            ..Default::default()
        };
        assert_eq!(db.visit_list(&jan, 10, 0).await.unwrap().1, 1);
        let feb = VisitFilter {
            from: Some("2026-02-01".into()),
            ..Default::default()
        };
        assert_eq!(db.visit_list(&feb, 10, 0).await.unwrap().1, 0);
        let other = VisitFilter {
            enterprise_id: Some(s.e2),
            ..Default::default()
        };
        assert_eq!(db.visit_list(&other, 10, 0).await.unwrap().1, 0);
    }
);

both_backends!(
    seeding_a_rule_never_overwrites_an_edited_rule,
    |db: Db| async move {
        let id = rule(&db, "new").await;
        let r = db.visit_rule_by_code("new").await.unwrap().unwrap();
        let mut tx = db.begin().await.unwrap();
        visit_rule_update(tx.conn(), id, r.version, 5, false, "{}")
            .await
            .unwrap();
        let stale = visit_rule_update(tx.conn(), id, r.version, 6, true, "{}").await;
        assert!(matches!(stale, Err(StoreError::Conflict(_))));
        tx.commit().await.unwrap();
        rule(&db, "new").await;
        let r = db.visit_rule_by_code("new").await.unwrap().unwrap();
        assert_eq!((r.deadline_workdays, r.active), (5, false));
        assert_eq!(db.visit_rules().await.unwrap().len(), 1);
    }
);

both_backends!(
    indicators_are_replaced_per_period_and_scan_facts_cover_assigned_enterprises_only,
    |db: Db| async move {
        let s = seed(&db).await;
        let mut tx = db.begin().await.unwrap();
        let c = tx.conn();
        for (period, rev) in [("2024", 100), ("2025", 70), ("2025", 75)] {
            indicator_upsert(
                c,
                &IndicatorRow {
                    enterprise_id: s.e1,
                    period: period.into(),
                    revenue_fen: Some(rev),
                    headcount: Some(10),
                    tax_fen: None,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        }
        assignment_set(c, s.e1, Some(s.t1), None, "admin", None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let rows = db.indicators_of(s.e1).await.unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].revenue_fen, Some(75));
        let facts = db.visit_scan_facts().await.unwrap();
        assert_eq!(facts.len(), 1);
        assert_eq!(facts[0].enterprise_id, s.e1);
        assert_eq!(facts[0].registered_on.as_deref(), Some("2025-06-01"));
        assert_eq!(facts[0].last_visit_on, None);
        let inds = db.indicators_assigned().await.unwrap();
        assert_eq!(inds.len(), 2);
        assert!(!inds[0].updated_at.is_empty());
        let _ = s.e2;
    }
);
