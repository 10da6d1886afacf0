//! Work orders through the use cases on both backends: the 12345 state loop, optimistic locking,
//! SLA on the official calendar (pauses across 春节), escalation by the scan, callbacks, scope.

use chrono::{DateTime, NaiveDateTime, Utc};
use lianshi_app::order::{OrderDetail, OrderInput, OrderQuery};
use lianshi_app::{Actor, App, AppError, Source};
use lianshi_domain::order::{OrderAction, OrderState, Satisfaction};
use lianshi_store::{Db, both_backends};

mod common;
use common::{admin, demo, signed_in, usccs};

/// China-local `YYYY-MM-DD HH:MM` as a UTC instant.
fn cst(s: &str) -> DateTime<Utc> {
    (NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap() - chrono::Duration::hours(8))
        .and_utc()
}

fn input(uscc: &str, category: &str) -> OrderInput {
    OrderInput {
        enterprise: Some(uscc.into()),
        title: Some("核心算法专利遭仿冒".into()),
        description: Some("竞争对手仿冒算法专利，请求快速维权".into()),
        category: Some(category.into()),
        channel: Some("hotline".into()),
        ..Default::default()
    }
}

async fn step(app: &App, id: i64, a: OrderAction, at: &str) -> OrderDetail {
    app.order_act_at(&admin(), id, &a, None, cst(at))
        .await
        .unwrap()
}

async fn to_in_progress(app: &App, id: i64, dept: &str, day: &str) {
    step(app, id, OrderAction::Accept, &format!("{day} 09:10")).await;
    step(
        app,
        id,
        OrderAction::Dispatch {
            department: dept.into(),
        },
        &format!("{day} 09:20"),
    )
    .await;
    step(app, id, OrderAction::Start, &format!("{day} 09:30")).await;
}

both_backends!(
    an_illegal_transition_is_refused_with_a_clear_message_and_changes_nothing,
    |db: Db| async move {
        let app = demo(db, 30).await;
        let u = usccs(&app, 5).await;
        let o = app
            .order_create(&admin(), &input(&u[0], "ip"))
            .await
            .unwrap();
        assert_eq!(o.order.state, OrderState::Registered);
        assert_eq!(
            o.order.department_code.as_deref(),
            Some("scjgj"),
            "ip routes to 市场监管"
        );
        assert_eq!(o.history.len(), 1);
        let e = app
            .order_act(
                &admin(),
                o.order.id,
                &OrderAction::Start,
                Some(o.order.version),
            )
            .await
            .unwrap_err();
        match e {
            AppError::BadRequest { code, zh, .. } => {
                assert_eq!(code, "order_transition_refused");
                assert!(zh.contains("已登记") && zh.contains("签收办理"), "{zh}");
            }
            other => panic!("expected 400, got {other:?}"),
        }
        let again = app.order_get(&admin(), o.order.id).await.unwrap();
        assert_eq!(again.order.version, o.order.version);
        assert_eq!(again.history.len(), 1);
    }
);

both_backends!(
    two_officers_acting_at_once_one_wins_and_the_other_gets_a_conflict,
    |db: Db| async move {
        let app = demo(db, 30).await;
        let u = usccs(&app, 5).await;
        let o = app
            .order_create(&admin(), &input(&u[0], "ip"))
            .await
            .unwrap();
        let v = o.order.version;
        let a = admin();
        let accept = OrderAction::Accept;
        let withdraw = OrderAction::Withdraw {
            reason: "企业撤回".into(),
        };
        let (x, y) = tokio::join!(
            app.order_act(&a, o.order.id, &accept, Some(v)),
            app.order_act(&a, o.order.id, &withdraw, Some(v)),
        );
        let wins = [x.is_ok(), y.is_ok()].iter().filter(|w| **w).count();
        assert_eq!(wins, 1, "exactly one wins: {x:?} / {y:?}");
        let lost = if x.is_err() { x } else { y };
        assert!(matches!(lost, Err(AppError::Conflict(_))), "{lost:?}");
        let now = app.order_get(&a, o.order.id).await.unwrap();
        assert_eq!(now.order.version, v + 1);
        assert_eq!(now.history.len(), 2, "one transition in the history");
        // A stale version is refused even when the action would be legal.
        let stale = app
            .order_act(
                &a,
                o.order.id,
                &OrderAction::Supervise { level: 1 },
                Some(v),
            )
            .await;
        assert!(matches!(stale, Err(AppError::Conflict(_))));
    }
);

both_backends!(
    a_suspension_across_the_spring_festival_moves_the_due_time_by_the_working_time_it_covers,
    |db: Db| async move {
        let app = demo(db, 30).await;
        let u = usccs(&app, 5).await;
        // Thursday before 春节 2026 (holiday 02-15…02-23, make-up days 02-14 and 02-28).
        let plain = app
            .order_create_at(&admin(), &input(&u[0], "ip"), cst("2026-02-12 09:00"))
            .await
            .unwrap();
        let o = app
            .order_create_at(&admin(), &input(&u[1], "ip"), cst("2026-02-12 09:00"))
            .await
            .unwrap();
        let due = plain.order.due.clone().unwrap();
        assert_eq!(due.limit, "10d");
        assert_eq!(due.at.as_deref(), Some("2026-03-04 17:30"));
        let id = o.order.id;
        to_in_progress(&app, id, "scjgj", "2026-02-12").await;
        let s = step(
            &app,
            id,
            OrderAction::Suspend {
                reason: "等待企业补充侵权证据".into(),
            },
            "2026-02-13 10:00",
        )
        .await;
        assert_eq!(s.order.state, OrderState::Suspended);
        assert_eq!(s.order.due.as_ref().unwrap().at, None, "clock stopped");
        let r = step(&app, id, OrderAction::Resume, "2026-02-25 10:00").await;
        assert_eq!(r.order.state, OrderState::InProgress);
        let d = r.order.due.unwrap();
        // Fri 10:00–17:30 (6 h) + Sat 02-14 make-up day + 02-24 + 02-25 08:30–10:00 = 3 days.
        assert_eq!(d.at.as_deref(), Some("2026-03-09 17:30"));
        assert_eq!(d.paused_working_minutes, 3 * 450);
        assert!(
            d.explanation
                .iter()
                .any(|l| l.contains("挂起2026-02-13 10:00至2026-02-25 10:00")
                    && l.contains("等待企业补充侵权证据")),
            "{:?}",
            d.explanation
        );
        assert!(d.explanation.iter().any(|l| l.contains("10个工作日")));
        // Answered late: the breach stays explained on the finished order.
        let done = step(
            &app,
            id,
            OrderAction::Resolve {
                text: "已协调维权".into(),
            },
            "2026-03-10 10:00",
        )
        .await;
        let d = done.order.due.unwrap();
        assert!(d.overdue, "resolved after the due time");
        assert_eq!(d.overdue_working_minutes, 90);
        assert!(d.explanation.last().unwrap().contains("已超时"));
        assert!(
            !done.order.overdue,
            "a finished order is not listed as overdue"
        );
    }
);

both_backends!(
    the_scan_supervises_overdue_orders_one_level_per_step_and_proposes_them_to_the_council,
    |db: Db| async move {
        let app = demo(db, 30).await;
        let u = usccs(&app, 5).await;
        let o = app
            .order_create_at(
                &admin(),
                &input(&u[0], "supply_chain"),
                cst("2026-03-02 09:00"),
            )
            .await
            .unwrap();
        let id = o.order.id;
        assert_eq!(
            o.order.due.as_ref().unwrap().at.as_deref(),
            Some("2026-03-16 17:30")
        );
        let before = app
            .sla_scan(&admin(), cst("2026-03-16 17:00"))
            .await
            .unwrap();
        assert!(!before.supervised.iter().any(|(r, _)| r == &o.order.ref_no));
        let first = app
            .sla_scan(&admin(), cst("2026-03-18 12:00"))
            .await
            .unwrap();
        assert!(first.supervised.contains(&(o.order.ref_no.clone(), 1)));
        assert!(!first.proposed.contains(&o.order.ref_no));
        let again = app
            .sla_scan(&admin(), cst("2026-03-18 12:00"))
            .await
            .unwrap();
        assert!(
            !again.supervised.iter().any(|(r, _)| r == &o.order.ref_no),
            "a rerun at the same time changes nothing"
        );
        let later = app
            .sla_scan(&admin(), cst("2026-03-26 12:00"))
            .await
            .unwrap();
        assert!(later.supervised.contains(&(o.order.ref_no.clone(), 2)));
        assert!(later.proposed.contains(&o.order.ref_no));
        let d = app.order_get(&admin(), id).await.unwrap();
        assert_eq!(d.order.supervision_level, 2);
        assert!(d.council_proposed);
        assert_eq!(
            d.history.iter().filter(|e| e.event == "supervised").count(),
            2
        );
        let props = app.db.council_proposals(None).await.unwrap();
        assert!(props.iter().any(|p| p.order_id == id));
    }
);

both_backends!(
    an_unsatisfied_callback_reopens_the_order_and_counts_against_the_department,
    |db: Db| async move {
        let app = demo(db, 30).await;
        let u = usccs(&app, 5).await;
        let ent = signed_in(&app, "ent_cb", "enterprise", Some(u[2].clone()), None).await;
        let o = app.order_create(&ent, &input("", "ip")).await.unwrap();
        assert_eq!(
            o.order.enterprise_uscc, u[2],
            "an enterprise user files for itself"
        );
        assert_eq!(o.order.channel, "portal");
        let id = o.order.id;
        let a = admin();
        for act in [
            OrderAction::Accept,
            OrderAction::Dispatch {
                department: "scjgj".into(),
            },
            OrderAction::Start,
            OrderAction::Resolve {
                text: "已协调".into(),
            },
        ] {
            app.order_act(&a, id, &act, None).await.unwrap();
        }
        let d = app
            .order_callback(&ent, id, "不满意", "问题没有解决", None)
            .await
            .unwrap();
        assert_eq!(d.order.state, OrderState::InProgress);
        assert_eq!(d.order.reopen_count, 1);
        assert_eq!(d.order.rating, Some(Satisfaction::Unsatisfied));
        assert_eq!(d.history.last().unwrap().event, "callback_reopened");
        assert_eq!(d.callbacks.len(), 1);
        let scjgj = app
            .registry()
            .await
            .unwrap()
            .find(lianshi_domain::zone::RegistryKind::Department, "scjgj")
            .unwrap()
            .id;
        assert_eq!(d.callbacks[0].department_id, Some(scjgj));
        assert_eq!(d.callbacks[0].by_role, "enterprise");
        // The redone work can be rated again; a satisfied callback ends at 已回访.
        app.order_act(
            &a,
            id,
            &OrderAction::Resolve {
                text: "重办完成".into(),
            },
            None,
        )
        .await
        .unwrap();
        let ok = app
            .order_callback(&ent, id, "satisfied", "", None)
            .await
            .unwrap();
        assert_eq!(ok.order.state, OrderState::CallbackDone);
        assert_eq!(ok.callbacks.len(), 2);
    }
);

both_backends!(
    out_of_scope_users_are_refused_with_forbidden,
    |db: Db| async move {
        let app = demo(db, 30).await;
        let u = usccs(&app, 5).await;
        let mine = signed_in(&app, "ent_a", "enterprise", Some(u[0].clone()), None).await;
        let other = app
            .order_create(&admin(), &input(&u[1], "ip"))
            .await
            .unwrap();
        let id = other.order.id;
        assert!(matches!(
            app.order_get(&mine, id).await,
            Err(AppError::Forbidden)
        ));
        // Filing for another enterprise answers like an unknown credit code.
        let out_of_scope = app.order_create(&mine, &input(&u[1], "ip")).await;
        let unknown = app
            .order_create(&mine, &input("91330108MA2XXXXX0X", "ip"))
            .await;
        match (out_of_scope, unknown) {
            (Err(AppError::NotFound(a)), Err(AppError::NotFound(b))) => {
                assert_eq!(a.replace(&u[1], "X"), b.replace("91330108MA2XXXXX0X", "X"));
            }
            other => panic!("expected two 404s, got {other:?}"),
        }
        let list = app.order_list(&mine, &OrderQuery::default()).await.unwrap();
        assert!(list.items.iter().all(|o| o.enterprise_uscc == u[0]));
        // A department sees only orders it leads or co-handles, and acts only as lead.
        let kjj = signed_in(&app, "kjj_officer", "department", None, Some("kjj")).await;
        assert!(matches!(
            app.order_get(&kjj, id).await,
            Err(AppError::Forbidden)
        ));
        let a = admin();
        app.order_act(&a, id, &OrderAction::Accept, None)
            .await
            .unwrap();
        app.order_act(
            &a,
            id,
            &OrderAction::Dispatch {
                department: "kjj".into(),
            },
            None,
        )
        .await
        .unwrap();
        let seen = app.order_get(&kjj, id).await.unwrap();
        let actions: Vec<&str> = seen.actions.iter().map(|x| x.action.as_str()).collect();
        assert!(actions.contains(&"start") && actions.contains(&"return"));
        assert!(!actions.contains(&"dispatch"), "{actions:?}");
        assert!(matches!(
            app.order_act(&kjj, id, &OrderAction::Close, None).await,
            Err(AppError::Forbidden)
        ));
        app.order_act(&kjj, id, &OrderAction::Start, None)
            .await
            .unwrap();
        let listed = app.order_list(&kjj, &OrderQuery::default()).await.unwrap();
        assert!(listed.items.iter().any(|o| o.id == id));
        assert!(
            listed
                .items
                .iter()
                .all(|o| o.department_code.as_deref() == Some("kjj") || !o.cohandlers.is_empty())
        );
        let bank = signed_in(&app, "bank_x", "finance", None, None).await;
        assert!(matches!(
            app.order_list(&bank, &OrderQuery::default()).await,
            Err(AppError::Forbidden)
        ));
    }
);

both_backends!(
    a_loaded_calendar_year_replaces_the_weekday_fallback,
    |db: Db| async move {
        let app = App::new(db);
        let d = chrono::NaiveDate::from_ymd_opt(2027, 2, 5).unwrap();
        let before = app.calendar_add_workdays(d, 1).await.unwrap();
        assert!(
            before.fallback_note().is_some(),
            "2027 falls back to Mon–Fri"
        );
        let text = "year 2027\nsource 示例\n2027-02-06..2027-02-13 春节\nmakeup 2027-02-14\n";
        let r = app.calendar_load(&admin(), text).await.unwrap();
        assert_eq!(r.year, 2027);
        let after = app.calendar_add_workdays(d, 1).await.unwrap();
        assert_eq!(after.date.to_string(), "2027-02-14");
        assert!(after.fallback_note().is_none());
        let team = Actor {
            role: lianshi_domain::Role::Team,
            ..admin()
        };
        assert!(matches!(
            app.calendar_load(&team, text).await,
            Err(AppError::Forbidden)
        ));
    }
);

both_backends!(
    loading_a_calendar_year_moves_the_stored_due_time_of_open_orders_it_changes,
    |db: Db| async move {
        let app = demo(db, 30).await;
        let u = usccs(&app, 5).await;
        // Registered on Wednesday 2027-02-03: 2027 has no schedule yet, so the 10 working days
        // run Monday–Friday and the stored due time is built on that fallback.
        let o = app
            .order_create_at(&admin(), &input(&u[0], "ip"), cst("2027-02-03 09:00"))
            .await
            .unwrap();
        let id = o.order.id;
        let before = app.db.order_get(id).await.unwrap().unwrap().due_at.unwrap();
        let text = "year 2027\nsource 示例\n2027-02-06..2027-02-13 春节\nmakeup 2027-02-14\n";
        let r = app.calendar_load(&admin(), text).await.unwrap();
        assert!(r.orders_due_moved >= 1, "{r:?}");
        let after = app.db.order_get(id).await.unwrap().unwrap().due_at.unwrap();
        // Five weekdays of 春节 off and one Sunday make-up day: four working days later.
        assert!(after > before, "{before} → {after}");
        let shown = app
            .order_get(&admin(), id)
            .await
            .unwrap()
            .order
            .due
            .unwrap();
        assert!(shown.fallback_years.is_empty(), "{shown:?}");
        let start = chrono::NaiveDate::from_ymd_opt(2027, 2, 3).unwrap();
        let expect = app.calendar_add_workdays(start, 10).await.unwrap().date;
        assert_eq!(
            shown.at.as_deref().map(|t| &t[..10]),
            Some(expect.to_string().as_str())
        );
        // The same schedule again moves nothing; the refresh is in the audit log.
        let again = app.calendar_load(&admin(), text).await.unwrap();
        assert_eq!(again.orders_due_moved, 0);
        let (rows, n) = app
            .audit_search(
                &admin(),
                &lianshi_app::audit::AuditQuery {
                    action: Some("order.due_refresh".into()),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(n, 1);
        assert!(
            rows[0]
                .after
                .as_deref()
                .unwrap_or("")
                .contains(&format!("\"id\":{id}"))
        );
    }
);

both_backends!(
    the_demo_generates_orders_across_the_loop_with_history_and_callbacks,
    |db: Db| async move {
        let app = demo(db, 30).await;
        let all = app
            .order_list(
                &admin(),
                &OrderQuery {
                    per_page: Some(200),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(all.total >= 35, "{}", all.total);
        let states: std::collections::HashSet<OrderState> =
            all.items.iter().map(|o| o.state).collect();
        for s in [OrderState::Closed, OrderState::InProgress] {
            assert!(states.contains(&s), "{s:?} missing from {states:?}");
        }
        assert!(states.len() >= 5, "{states:?}");
        let closed = all
            .items
            .iter()
            .find(|o| o.state == OrderState::Closed && o.rating.is_some())
            .unwrap();
        let d = app.order_get(&admin(), closed.id).await.unwrap();
        assert!(d.history.len() >= 5);
        assert!(!d.callbacks.is_empty());
        // Loading again adds nothing.
        app.demo_load(&Actor::system(Source::Demo), 30, 11)
            .await
            .unwrap();
        assert_eq!(app.db.order_count().await.unwrap(), all.total);
    }
);

/// Is order `id` in the "overdue only" list at `at`, and does its badge say overdue there?
async fn filter_and_badge(app: &App, uscc: &str, id: i64, at: &str) -> (bool, bool) {
    let q = |overdue| OrderQuery {
        enterprise: Some(uscc.into()),
        overdue: Some(overdue),
        per_page: Some(200),
        ..Default::default()
    };
    let listed = app
        .order_list_at(&admin(), &q(true), false, cst(at))
        .await
        .unwrap()
        .items
        .iter()
        .any(|o| o.id == id);
    let badge = app
        .order_list_at(&admin(), &q(false), false, cst(at))
        .await
        .unwrap()
        .items
        .iter()
        .find(|o| o.id == id)
        .map(|o| o.overdue)
        .unwrap();
    (listed, badge)
}

both_backends!(
    the_overdue_filter_and_the_badge_agree_over_a_weekend_and_at_the_start_of_office_hours,
    |db: Db| async move {
        let app = demo(db, 30).await;
        app.sla_limit_set(
            &admin(),
            &lianshi_app::order::sla::SlaLimitInput {
                category: "talent".into(),
                urgency: "normal".into(),
                limit: "1h".into(),
            },
        )
        .await
        .unwrap();
        let u = usccs(&app, 5).await;
        // Friday 2026-03-06 16:30 + 1 working hour = due at close of office, 17:30.
        let o = app
            .order_create_at(&admin(), &input(&u[0], "talent"), cst("2026-03-06 16:30"))
            .await
            .unwrap();
        assert_eq!(
            o.order.due.as_ref().and_then(|d| d.at.clone()).as_deref(),
            Some("2026-03-06 17:30")
        );
        for (at, overdue) in [
            ("2026-03-06 17:00", false),
            ("2026-03-06 20:00", false), // after hours: no working time has run
            ("2026-03-07 10:00", false), // Saturday: the wall clock alone would say overdue
            ("2026-03-09 08:30", false), // Monday, the very start of office hours
            ("2026-03-09 08:31", true),
            ("2026-03-09 12:45", true), // lunch break, still overdue
        ] {
            assert_eq!(
                filter_and_badge(&app, &u[0], o.order.id, at).await,
                (overdue, overdue),
                "at {at}: (in the overdue list, badge)"
            );
        }
    }
);

#[test]
fn the_sla_clock_reading_stops_at_the_last_office_period_outside_working_time() {
    use lianshi_app::order::sla::clock_reading;
    use lianshi_domain::calendar::Calendar;
    let cal = Calendar::official();
    let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    for (at, want) in [
        ("2026-03-09 10:00", "2026-03-09 10:00"), // inside the morning period
        ("2026-03-09 12:30", "2026-03-09 12:00"), // lunch break
        ("2026-03-09 13:30", "2026-03-09 12:00"), // afternoon starts, nothing counted yet
        ("2026-03-09 08:00", "2026-03-06 17:30"), // Monday before office → Friday close
        ("2026-03-08 11:00", "2026-03-06 17:30"), // Sunday
        ("2026-10-05 09:00", "2026-09-30 17:30"), // 国庆 holiday week → last working day before it
    ] {
        assert_eq!(clock_reading(&cal, t(at)), t(want), "at {at}");
    }
}

/// The level each open order should have after one scan at `at`, worked out for every open order
/// (not only those the store returns as candidates): its due time with its pauses, its overdue
/// working time as the badge counts it, one level per scan.
async fn levels_after_one_scan(
    app: &App,
    at: DateTime<Utc>,
) -> (std::collections::BTreeMap<i64, (i64, i64)>, usize) {
    use lianshi_domain::sla::SlaClock;
    let cal = app.calendar().await.unwrap();
    let clock = SlaClock::new(&cal);
    let day = clock.hours.day_minutes();
    let now = at.naive_utc() + chrono::Duration::hours(8);
    let mut out = std::collections::BTreeMap::new();
    let mut overdue = 0;
    for row in app.db.order_open_all().await.unwrap() {
        let pauses = app.db.order_pauses(row.id).await.unwrap();
        let before = row.supervision_level;
        let mut after = before;
        if let Some(due) = lianshi_app::order::sla::compute_due(&cal, &row, &pauses)
            && let Some(b) = clock.breach(&due, now)
        {
            overdue += 1;
            if (1 + b.overdue_working_minutes / day / 5).min(9) > before {
                after += 1;
            }
        }
        out.insert(row.id, (before, after));
    }
    (out, overdue)
}

async fn audit_entries(app: &App, id: i64) -> i64 {
    app.audit_search(
        &admin(),
        &lianshi_app::audit::AuditQuery {
            entity: Some("order".into()),
            entity_id: Some(lianshi_app::order::order_ref(id)),
            limit: 1000,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .1
}

both_backends!(
    the_scan_escalates_exactly_the_orders_a_check_of_every_open_order_would_with_history_and_audit,
    |db: Db| async move {
        use lianshi_domain::sla::SlaClock;
        let app = demo(db, 30).await;
        let u = usccs(&app, 5).await;
        // Orders filed every 7 h 13 min for twelve days (nights, weekends included); every third
        // policy question suspended after its due time, half of those resumed two days later.
        let t0 = cst("2026-02-02 08:00");
        let mut ids = Vec::new();
        let mut paused = Vec::new();
        let mut last_action = t0;
        for k in 0..40i64 {
            let at = t0 + chrono::Duration::minutes(433 * k);
            // Day limits end at the office close; urgent policy questions (8 working hours)
            // fall due inside office periods, where a cut off by a minute would show.
            let cat = if k % 2 == 0 { "supply_chain" } else { "policy" };
            let mut inp = input(&u[k as usize % u.len()], cat);
            if k % 4 >= 2 {
                inp.urgency = Some("urgent".into());
            }
            let o = app.order_create_at(&admin(), &inp, at).await.unwrap();
            let id = o.order.id;
            ids.push(id);
            if k % 6 == 3 {
                paused.push(id);
                let m = |n| at + chrono::Duration::minutes(n);
                for (a, t) in [
                    (OrderAction::Accept, m(10)),
                    (
                        OrderAction::Dispatch {
                            department: "scjgj".into(),
                        },
                        m(20),
                    ),
                    (OrderAction::Start, m(30)),
                ] {
                    app.order_act_at(&admin(), id, &a, None, t).await.unwrap();
                }
                let due = o.order.due.as_ref().unwrap().at.clone().unwrap();
                let due = cst(&due);
                let s = due + chrono::Duration::hours(50);
                app.order_act_at(
                    &admin(),
                    id,
                    &OrderAction::Suspend {
                        reason: "等待企业补充材料".into(),
                    },
                    None,
                    s,
                )
                .await
                .unwrap();
                last_action = last_action.max(s);
                if k % 12 == 3 {
                    let r = due + chrono::Duration::hours(98);
                    app.order_act_at(&admin(), id, &OrderAction::Resume, None, r)
                        .await
                        .unwrap();
                    last_action = last_action.max(r);
                }
            }
        }
        // Supervised by hand before its due time, then suspended after the office closed on
        // its due day: late by its stored due time, yet no working time has run since.
        // Filed four days before the first scan so that it stays short of the next level's cut.
        let h0 = last_action - chrono::Duration::days(4);
        let o = app
            .order_create_at(&admin(), &input(&u[0], "policy"), h0)
            .await
            .unwrap();
        let held = o.order.id;
        ids.push(held);
        let due = cst(&o.order.due.as_ref().unwrap().at.clone().unwrap());
        for (a, t) in [
            (OrderAction::Accept, 10),
            (
                OrderAction::Dispatch {
                    department: "scjgj".into(),
                },
                20,
            ),
            (OrderAction::Start, 30),
            (OrderAction::Supervise { level: 1 }, 40),
        ] {
            app.order_act_at(&admin(), held, &a, None, h0 + chrono::Duration::minutes(t))
                .await
                .unwrap();
        }
        let s = due + chrono::Duration::hours(2);
        app.order_act_at(
            &admin(),
            held,
            &OrderAction::Suspend {
                reason: "等待企业补充材料".into(),
            },
            None,
            s,
        )
        .await
        .unwrap();
        last_action = last_action.max(s);
        // Urgent questions filed shortly before the first scan, due inside office periods.
        for k in 0..4i64 {
            let mut inp = input(&u[k as usize % u.len()], "policy");
            inp.urgency = Some("urgent".into());
            let at = last_action - chrono::Duration::minutes(3000 - 97 * k);
            ids.push(
                app.order_create_at(&admin(), &inp, at)
                    .await
                    .unwrap()
                    .order
                    .id,
            );
        }
        // Scan instants: after every action, a step of 1 day 3 h 7 min each time, and the minute
        // before and the minute of one order's rise from level 1 to 2 (5 working days overdue).
        let mut instants: Vec<DateTime<Utc>> = (0..12)
            .map(|i| last_action + chrono::Duration::minutes(30 + 1627 * i))
            .collect();
        let first = app.sla_scan(&admin(), instants[0]).await.unwrap();
        let cal = app.calendar().await.unwrap();
        let clock = SlaClock::new(&cal);
        let need = 5 * clock.hours.day_minutes();
        // An unpaused order due inside an office period that the first scan put at level 1 and
        // that reaches 5 working days overdue later: the first minute it has.
        let mut rise_of = None;
        for &id in ids.iter().filter(|id| !paused.contains(id)) {
            let rf = lianshi_app::order::order_ref(id);
            if !first.supervised.contains(&(rf, 1)) {
                continue;
            }
            let d = app.order_get(&admin(), id).await.unwrap();
            let due = NaiveDateTime::parse_from_str(
                d.order.due.as_ref().unwrap().at.as_deref().unwrap(),
                "%Y-%m-%d %H:%M",
            )
            .unwrap();
            if clock
                .working_minutes(due, due + chrono::Duration::minutes(1), &[])
                .unwrap()
                != 1
            {
                continue; // due at the end of an office period
            }
            // The first whole minute after the due time with `need` working minutes behind it.
            let (mut lo, mut hi) = (0i64, 40 * 1440);
            while hi - lo > 1 {
                let mid = (lo + hi) / 2;
                let t = due + chrono::Duration::minutes(mid);
                if clock.working_minutes(due, t, &[]).unwrap() >= need {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            let rise = (due + chrono::Duration::minutes(hi) - chrono::Duration::hours(8)).and_utc();
            if rise > instants[0] + chrono::Duration::minutes(1) {
                rise_of = Some((id, rise));
                break;
            }
        }
        let (id1, rise) = rise_of.expect("an order to watch rise to level 2");
        instants.push(rise - chrono::Duration::minutes(1));
        instants.push(rise);
        instants.sort();
        let mut supervised_total = 0;
        for at in instants.into_iter().skip(1) {
            let (want, overdue) = levels_after_one_scan(&app, at).await;
            let mut events_before = std::collections::BTreeMap::new();
            let mut audit_before = std::collections::BTreeMap::new();
            for &id in want.keys() {
                let h = app.db.order_events(id).await.unwrap();
                events_before.insert(id, h.len());
                audit_before.insert(id, audit_entries(&app, id).await);
            }
            let r = app.sla_scan(&admin(), at).await.unwrap();
            assert_eq!(r.overdue, overdue, "overdue count at {at}");
            let raised: std::collections::BTreeMap<String, u8> =
                r.supervised.iter().cloned().collect();
            for (&id, &(before, after)) in &want {
                let row = app.db.order_get(id).await.unwrap().unwrap();
                assert_eq!(
                    row.supervision_level, after,
                    "order {id} at {at}: level {before} → {after} expected"
                );
                if after >= 2 {
                    assert!(
                        app.db.council_proposed(id).await.unwrap(),
                        "order {id} at {at}: at level {after}, proposed to the council"
                    );
                }
                let rf = lianshi_app::order::order_ref(id);
                let bumped = after > before;
                assert_eq!(
                    raised.get(&rf).map(|&l| i64::from(l)),
                    bumped.then_some(after),
                    "order {id} at {at} in the report"
                );
                let h = app.db.order_events(id).await.unwrap();
                assert_eq!(h.len(), events_before[&id] + usize::from(bumped));
                if bumped {
                    assert_eq!(h.last().unwrap().event, "supervised");
                }
                assert_eq!(
                    audit_entries(&app, id).await,
                    audit_before[&id] + i64::from(bumped),
                    "one audit entry per escalated order, found by the order"
                );
            }
            if at == rise - chrono::Duration::minutes(1) {
                assert_eq!(want[&id1], (1, 1), "one minute short of 5 working days");
            }
            if at == rise {
                assert_eq!(want[&id1], (1, 2), "5 working days overdue");
            }
            supervised_total += r.supervised.len();
        }
        assert!(
            supervised_total > 40,
            "the scans climbed levels: {supervised_total}"
        );
    }
);

both_backends!(
    a_manual_supervision_to_a_council_level_proposes_the_order_at_once,
    |db: Db| async move {
        let app = demo(db, 30).await;
        let u = usccs(&app, 5).await;
        let o = app
            .order_create_at(
                &admin(),
                &input(&u[0], "supply_chain"),
                cst("2026-03-02 09:00"),
            )
            .await
            .unwrap();
        let id = o.order.id;
        let proposed = |app: &App| {
            let app = app.clone();
            async move {
                app.db
                    .council_proposals(None)
                    .await
                    .unwrap()
                    .iter()
                    .filter(|p| p.order_id == id)
                    .count()
            }
        };
        app.order_act(&admin(), id, &OrderAction::Supervise { level: 1 }, None)
            .await
            .unwrap();
        assert_eq!(proposed(&app).await, 0, "level 1 is not a council level");
        let d = app
            .order_act(&admin(), id, &OrderAction::Supervise { level: 2 }, None)
            .await
            .unwrap();
        assert_eq!(d.order.supervision_level, 2);
        assert!(d.council_proposed);
        assert_eq!(proposed(&app).await, 1);
        // The scan raises it further later and does not propose it again.
        let scan = app
            .sla_scan(&admin(), cst("2026-04-20 12:00"))
            .await
            .unwrap();
        assert!(scan.supervised.contains(&(o.order.ref_no.clone(), 3)));
        assert!(!scan.proposed.contains(&o.order.ref_no));
        assert_eq!(proposed(&app).await, 1);
    }
);
