//! Chain councils and service figures through the use cases on both backends.

use chrono::{Duration, Utc};
use lianshi_app::council::{
    AgendaItemInput, AgendaRules, DecisionInput, FollowOnInput, ProgressInput,
};
use lianshi_app::order::{OrderInput, OrderQuery};
use lianshi_app::service_figures::{FigureDim, Metric};
use lianshi_app::user::UserInput;
use lianshi_app::{Actor, App, AppError, Source};
use lianshi_store::{Db, both_backends};

mod common;
use common::admin;

async fn demo(db: Db) -> App {
    let app = App::new(db);
    app.demo_load(&Actor::system(Source::Demo), 30, 11)
        .await
        .unwrap();
    app
}

async fn officer(app: &App, username: &str, dept: &str) -> Actor {
    app.user_create(
        &admin(),
        &UserInput {
            username: username.into(),
            display_name: Some(username.into()),
            role: "department".into(),
            password: "Lianshi@2026".into(),
            enterprise: None,
            department: Some(dept.into()),
        },
    )
    .await
    .unwrap();
    app.login(username, "Lianshi@2026", "test", "api")
        .await
        .unwrap()
        .actor
}

both_backends!(
    scheduling_a_year_creates_four_quarterly_meetings_with_hosts_in_rotation_once,
    |db: Db| async move {
        let app = demo(db).await;
        let chains = app.registry().await.unwrap();
        let chain = chains
            .of_kind(lianshi_domain::zone::RegistryKind::Chain)
            .next()
            .unwrap()
            .code
            .clone()
            .unwrap();
        let made = app.council_schedule(&admin(), &chain, 2030).await.unwrap();
        assert_eq!(made.len(), 4);
        assert_eq!(
            made.iter().map(|m| m.seq).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
        // Consecutive meetings have different hosts; numbers continue after the demo year's.
        assert_ne!(made[0].host_id, made[1].host_id);
        assert!(made[0].host_id.is_some());
        assert!(made.windows(2).all(|w| w[1].number == w[0].number + 1));
        assert!(
            app.council_schedule(&admin(), &chain, 2030)
                .await
                .unwrap()
                .is_empty()
        );
        let team = Actor {
            role: lianshi_domain::Role::Enterprise,
            ..admin()
        };
        assert!(matches!(
            app.council_schedule(&team, &chain, 2031).await,
            Err(AppError::Forbidden)
        ));
    }
);

both_backends!(
    a_drafted_agenda_groups_recurring_orders_and_a_decision_files_a_follow_on_order_and_closes_at_100,
    |db: Db| async move {
        let app = demo(db).await;
        let a = admin();
        let idx = app.registry().await.unwrap();
        // Three enterprises report the same GPU problem on one node.
        let ents = app
            .enterprise_list(&a, &lianshi_app::enterprise::EnterpriseQuery { per_page: Some(50), ..Default::default() })
            .await
            .unwrap()
            .items;
        let node = ents[0].chain_nodes[0].code.clone().unwrap();
        let link = idx.find_node(&node).unwrap();
        let chain_code = idx.get(link.chain_id).unwrap().code.clone().unwrap();
        let mut orders = Vec::new();
        for e in ents.iter().take(3) {
            let o = app
                .order_create(&a, &OrderInput {
                    enterprise: Some(e.uscc.clone()),
                    title: Some("GPU算力卡采购受限".into()),
                    category: Some("supply_chain".into()),
                    node: Some(node.clone()),
                    channel: Some("visit".into()),
                    ..Default::default()
                })
                .await
                .unwrap();
            orders.push(o.order.id);
        }
        let year = (App::today() + Duration::days(40)).format("%Y").to_string().parse::<i32>().unwrap() + 1;
        let m = app.council_schedule(&a, &chain_code, year).await.unwrap();
        let view = app
            .council_agenda_draft(&a, m[0].id, AgendaRules { min_orders: 3, window_days: 3660 }, Utc::now())
            .await
            .unwrap();
        let item = view
            .agenda
            .iter()
            .find(|i| i.source == "recurring" && orders.iter().all(|o| i.orders.iter().any(|l| l.id == *o)))
            .expect("a recurring item with the three orders");
        assert!(item.title.contains("家企业在“"), "{}", item.title);
        assert!(item.enterprises >= 3);
        // People edit the agenda: add an item, put it first.
        let v = app
            .council_agenda_add(&a, m[0].id, &AgendaItemInput { title: "链主企业算力共享方案".into(), orders: vec![] })
            .await
            .unwrap();
        let own = v.agenda.iter().find(|i| i.source == "manual").unwrap().id;
        let v = app.council_agenda_reorder(&a, m[0].id, &[own]).await.unwrap();
        assert_eq!(v.agenda[0].id, own);

        let dept = app.order_get(&a, orders[0]).await.unwrap().order.department_code.unwrap();
        let act = app
            .council_decide(&a, m[0].id, &DecisionInput {
                decision: "经信局牵头对接算力平台，一个月内反馈".into(),
                department: dept.clone(),
                due_on: "2099-01-31".into(),
                item_id: Some(item.id),
                follow_on: Some(FollowOnInput { title: "协调算力平台优惠接入".into(), description: "议事会交办".into(), ..Default::default() }),
                ..Default::default()
            }, Utc::now())
            .await
            .unwrap();
        let answers: Vec<i64> = act.orders.iter().filter(|o| o.relation == "answers").map(|o| o.id).collect();
        assert!(orders.iter().all(|o| answers.contains(o)));
        let follow = act.orders.iter().find(|o| o.relation == "follow_on").unwrap().id;
        assert_eq!(app.order_get(&a, follow).await.unwrap().order.channel, "council");
        // An item with a decision cannot be removed.
        assert!(matches!(app.council_agenda_remove(&a, m[0].id, item.id).await, Err(AppError::Conflict(_))));

        let other = officer(&app, "rsj_officer", "rsj").await;
        let owner = officer(&app, "owner_officer", &dept).await;
        let p = |progress| ProgressInput { progress, note: "推进".into(), version: None };
        if dept != "rsj" {
            assert!(matches!(app.council_action_progress(&other, act.id, &p(50), App::today()).await, Err(AppError::Forbidden)));
        }
        let half = app.council_action_progress(&owner, act.id, &p(50), App::today()).await.unwrap();
        assert_eq!((half.status.as_str(), half.progress), ("open", 50));
        let done = app.council_action_progress(&owner, act.id, &p(100), App::today()).await.unwrap();
        assert_eq!(done.status, "done");
        assert_eq!(done.closed_on, Some(App::today().to_string()));
        assert_eq!(done.updates.len(), 2);
        // The closed action counts in today's figures, for its department and chain.
        let r = app.service_figures(&a, App::today(), App::today(), Utc::now()).await.unwrap();
        assert!(r.zone.council_actions_closed >= 1);
        let d = r.by_department.iter().find(|d| d.code.as_deref() == Some(dept.as_str())).unwrap();
        assert!(d.figures.council_actions_closed >= 1);
        let recs = app
            .service_records(&a, Metric::ActionsClosed, FigureDim::Zone, None, App::today(), App::today(), Utc::now(), 50)
            .await
            .unwrap();
        assert_eq!(recs.total, r.zone.council_actions_closed);
        assert!(recs.items.iter().any(|x| x.id == act.id));
    }
);

both_backends!(
    zone_figures_match_the_order_records_and_every_rate_is_a_fraction_or_null,
    |db: Db| async move {
        let app = demo(db).await;
        let a = admin();
        let to = App::today();
        let from = to - Duration::days(400);
        let r = app.service_figures(&a, from, to, Utc::now()).await.unwrap();
        let all = app
            .order_list(
                &a,
                &OrderQuery {
                    per_page: Some(200),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(r.zone.orders_received, all.total);
        assert!(r.zone.orders_solved <= r.zone.orders_received);
        for rate in [
            r.zone.response_rate,
            r.zone.resolution_rate,
            r.zone.satisfaction_rate,
        ]
        .into_iter()
        .flatten()
        {
            assert!((0.0..=1.0).contains(&rate));
        }
        // The department rows add up to the zone's orders (every order has a lead department).
        let sum: i64 = r
            .by_department
            .iter()
            .map(|d| d.figures.orders_received)
            .sum();
        assert_eq!(sum, r.zone.orders_received);
        // Each figure's records are reachable through its filter and match its count.
        let recs = app
            .service_records(
                &a,
                Metric::OrdersSolved,
                FigureDim::Zone,
                None,
                from,
                to,
                Utc::now(),
                1000,
            )
            .await
            .unwrap();
        assert_eq!(recs.total, r.zone.orders_solved);
        let vis = app
            .service_records(
                &a,
                Metric::Visits,
                FigureDim::Zone,
                None,
                from,
                to,
                Utc::now(),
                1,
            )
            .await
            .unwrap();
        assert_eq!(vis.total, r.zone.visits);
        // A period without records has null rates, not zeros.
        let empty = app
            .service_figures(
                &a,
                from - Duration::days(3000),
                from - Duration::days(2990),
                Utc::now(),
            )
            .await
            .unwrap();
        assert_eq!(empty.zone.orders_received, 0);
        assert_eq!(empty.zone.resolution_rate, None);
        assert_eq!(empty.zone.median_handling_days, None);
        // Records are scoped: a department officer sees only their department's.
        let off = officer(&app, "fig_officer", "jxj").await;
        assert!(matches!(
            app.service_records(
                &off,
                Metric::OrdersReceived,
                FigureDim::Zone,
                None,
                from,
                to,
                Utc::now(),
                10
            )
            .await,
            Err(AppError::Forbidden)
        ));
        assert!(
            app.service_figures(&off, from, to, Utc::now())
                .await
                .is_ok()
        );
    }
);

/// The fast figures (facts kept in memory, refreshed by revision) equal the straightforward
/// recomputation from the records, for several periods, also after another process (a second
/// `App` on the same database) created, accepted and withdrew orders and ran the SLA scan.
async fn same_figures(app: &App, label: &str) {
    let a = admin();
    let to = App::today();
    let now = Utc::now();
    for (from, to) in [
        (to - Duration::days(400), to),
        (to - Duration::days(30), to),
        (to - Duration::days(394), to - Duration::days(200)),
        (to, to + Duration::days(60)),
    ] {
        let fast = app.service_figures(&a, from, to, now).await.unwrap();
        let slow = app
            .service_figures_recomputed(&a, from, to, now)
            .await
            .unwrap();
        assert_eq!(fast, slow, "{label}: {from}..{to}");
    }
}

both_backends!(
    the_fast_zone_figures_equal_a_recomputation_from_the_records_before_and_after_writes,
    |db: Db| async move {
        let app = App::new(db.clone());
        app.demo_load(&Actor::system(Source::Demo), 200, 11)
            .await
            .unwrap();
        let a = admin();
        let r = app
            .service_figures(
                &a,
                App::today() - Duration::days(400),
                App::today(),
                Utc::now(),
            )
            .await
            .unwrap();
        assert!(r.zone.orders_received > 10, "{}", r.zone.orders_received);
        same_figures(&app, "demo").await;
        // Another process writes.
        let other = App::new(db.clone());
        let ents = other
            .enterprise_list(
                &a,
                &lianshi_app::enterprise::EnterpriseQuery {
                    per_page: Some(3),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .items;
        for (i, e) in ents.iter().enumerate() {
            let o = other
                .order_create(
                    &a,
                    &OrderInput {
                        enterprise: Some(e.uscc.clone()),
                        title: Some(format!("差分测试{i}")),
                        category: Some("talent".into()),
                        channel: Some("hotline".into()),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            let action = if i == 0 {
                lianshi_domain::order::OrderAction::Withdraw {
                    reason: "重复".into(),
                }
            } else {
                lianshi_domain::order::OrderAction::Accept
            };
            other
                .order_act(&a, o.order.id, &action, Some(o.order.version))
                .await
                .unwrap();
        }
        other
            .sla_scan(&a, Utc::now() + Duration::days(40))
            .await
            .unwrap();
        same_figures(&app, "after writes by another app").await;
        // And the writer's own cache, built after its writes.
        same_figures(&other, "writer").await;
    }
);
