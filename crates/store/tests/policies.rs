//! The policy store functions on both backends (SQLite and a real PostgreSQL).

use lianshi_domain::zone::RegistryKind;
use lianshi_store::enterprise::{EnterpriseWrite, enterprise_insert};
use lianshi_store::policy::*;
use lianshi_store::zone::{RegistryWrite, registry_insert};
use lianshi_store::{Db, both_backends};

async fn seed(db: &Db) -> (i64, i64, i64) {
    let mut tx = db.begin().await.unwrap();
    let d = registry_insert(
        tx.conn(),
        RegistryKind::Department,
        &RegistryWrite {
            code: Some("kjj".into()),
            name: "区科技局".into(),
            parent_id: None,
            attr: None,
            sort: 0,
        },
    )
    .await
    .unwrap();
    let ent = |uscc: &str, name: &str, tags: Vec<String>| EnterpriseWrite {
        uscc: uscc.into(),
        name: name.into(),
        headcount: Some(12),
        revenue_fen: Some(100_000_000),
        tags,
        ..Default::default()
    };
    let e1 = enterprise_insert(
        tx.conn(),
        &ent("91330108MA2AAAAA1X", "甲科技", vec!["专精特新".into()]),
    )
    .await
    .unwrap();
    let e2 = enterprise_insert(tx.conn(), &ent("91330108MA2BBBBB2X", "乙智能", vec![]))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (d, e1, e2)
}

fn write(code: &str, dept: i64, title: &str) -> PolicyWrite {
    PolicyWrite {
        code: code.into(),
        kind: "policy".into(),
        title: title.into(),
        department_id: Some(dept),
        department_code: "kjj".into(),
        legal_ref: "区政策〔2025〕3号 第五条".into(),
        who: "区内人工智能企业".into(),
        track: "免申即享".into(),
        status: "active".into(),
        window_from: Some("2025-01-01".into()),
        window_to: Some("2025-12-31".into()),
        materials: vec!["营业执照".into()],
        contact: "0571-87000000".into(),
        group_code: None,
        benefit: Some("1000".into()),
        source: format!("[[policy]]\ncode = \"{code}\"\n"),
    }
}

both_backends!(
    an_upsert_by_code_bumps_the_version_only_when_the_entry_changes,
    |db: Db| async move {
        let (d, _, _) = seed(&db).await;
        let mut tx = db.begin().await.unwrap();
        let (id, v, what) = policy_upsert(tx.conn(), &write("BJ-AI-1", d, "人工智能补助"))
            .await
            .unwrap();
        assert_eq!((v, what), (1, Upserted::Created));
        let (id2, v, what) = policy_upsert(tx.conn(), &write("BJ-AI-1", d, "人工智能补助"))
            .await
            .unwrap();
        assert_eq!((id2, v, what), (id, 1, Upserted::Unchanged));
        let (_, v, what) = policy_upsert(tx.conn(), &write("BJ-AI-1", d, "人工智能研发补助"))
            .await
            .unwrap();
        assert_eq!((v, what), (2, Upserted::Updated));
        policy_upsert(tx.conn(), &write("SV-CP-1", d, "算力服务"))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let p = db.policy_by_code("BJ-AI-1").await.unwrap().unwrap();
        assert_eq!(p.title, "人工智能研发补助");
        assert_eq!(p.department_name.as_deref(), Some("区科技局"));
        assert_eq!(p.materials, vec!["营业执照".to_string()]);
        assert_eq!(p.window_to.as_deref(), Some("2025-12-31"));
        assert!(db.policy_by_code("NOPE").await.unwrap().is_none());

        let (rows, total) = db
            .policy_list(&PolicyFilter {
                q: Some("研发".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!((rows.len(), total), (1, 1));
        let (_, total) = db
            .policy_list(&PolicyFilter {
                department_id: Some(d),
                track: Some("免申即享".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(total, 2);
        let (_, total) = db
            .policy_list(&PolicyFilter {
                q: Some("sv-cp".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(total, 1);
        let (_, total) = db
            .policy_list(&PolicyFilter {
                ids: Some(vec![]),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(total, 0);
        assert_eq!(db.policy_all().await.unwrap().len(), 2);
    }
);

both_backends!(
    a_notice_is_created_once_per_period_and_decided_once,
    |db: Db| async move {
        let (d, e1, e2) = seed(&db).await;
        let mut tx = db.begin().await.unwrap();
        let (pid, _, _) = policy_upsert(tx.conn(), &write("BJ-AI-1", d, "补助"))
            .await
            .unwrap();
        let run = policy_run_start(tx.conn(), "2025-06-01", "admin")
            .await
            .unwrap();
        let n = |e: i64| NewNotice {
            policy_id: pid,
            enterprise_id: e,
            run_id: Some(run),
            period: "2025-01-01".into(),
            amount_fen: 100_000,
            sources: None,
        };
        let a = policy_notice_insert(tx.conn(), &n(e1)).await.unwrap();
        assert!(a.is_some());
        assert!(
            policy_notice_insert(tx.conn(), &n(e1))
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            policy_notice_insert(tx.conn(), &n(e2))
                .await
                .unwrap()
                .is_some()
        );
        policy_run_finish(
            tx.conn(),
            &PolicyRunRow {
                id: run,
                policies: 1,
                enterprises: 2,
                eligible: 2,
                created: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        assert_eq!(
            db.policy_notice_enterprises(pid, "2025-01-01")
                .await
                .unwrap(),
            vec![e1, e2]
        );
        let runs = db.policy_runs(10).await.unwrap();
        assert_eq!((runs[0].created, runs[0].enterprises), (2, 2));
        assert!(runs[0].finished_at.is_some());

        let id = a.unwrap();
        let mut tx = db.begin().await.unwrap();
        assert!(
            policy_notice_decide(tx.conn(), id, "blocked", Some("失信"), "甲")
                .await
                .unwrap()
        );
        assert!(
            !policy_notice_decide(tx.conn(), id, "confirmed", None, "甲")
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        let got = db.policy_notice_get(id).await.unwrap().unwrap();
        assert_eq!(got.state, "blocked");
        assert_eq!(got.reason.as_deref(), Some("失信"));
        assert_eq!(got.policy_code, "BJ-AI-1");
        let (rows, total) = db
            .policy_notice_list(&NoticeFilter {
                enterprise_id: Some(e2),
                state: Some("new".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!((rows.len(), total), (1, 1));
    }
);

both_backends!(
    fact_rows_carry_figures_nodes_and_tags,
    |db: Db| async move {
        let (_, e1, e2) = seed(&db).await;
        let rows = db.policy_fact_rows().await.unwrap();
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), vec![e1, e2]);
        assert_eq!(rows[0].tags, vec!["专精特新".to_string()]);
        assert_eq!(rows[0].headcount, Some(12));
        assert_eq!(rows[1].revenue_fen, Some(100_000_000));
    }
);
