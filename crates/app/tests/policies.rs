//! Benefit policies on both backends: loading (all or nothing, line and column), explanations,
//! the 免申即享 push with its notices and credit check, the what-if sandbox, and permissions.

use chrono::NaiveDate;
use lianshi_app::policy::SimulateInput;
use lianshi_app::user::UserInput;
use lianshi_app::{Actor, App, AppError};
use lianshi_domain::enterprise::EnterpriseInput;
use lianshi_domain::zone::RegistryKind;
use lianshi_store::audit::AuditQuery;
use lianshi_store::enterprise::{EnterpriseWrite, enterprise_generation_bump, enterprise_insert};
use lianshi_store::zone::{RegistryWrite, registry_insert};
use lianshi_store::{Db, both_backends};

mod common;
use common::admin;

const PW: &str = "Lianshi@2026";

const RULES: &str = r#"
[[policy]]
code = "T-RD-1"
kind = "policy"
title = "测试研发投入补助"
department = "kjj"
legal_ref = "测试〔2025〕1号 第五条"
who = "研发投入占营业收入比例不低于5%的企业"
track = "免申即享"
status = "active"
window_from = 2025-01-01
window_to = 2027-12-31
materials = ["营业执照", "研发费用专项审计报告"]
contact = "区科技局 0571-00000000"
benefit = "min(rd_spend_yuan * params.rate, params.cap_yuan)"
  [policy.params]
  rd_min = { "2024-01-01" = 0.05 }
  rate = { "2024-01-01" = 0.1 }
  cap_yuan = { "2024-01-01" = 500000 }
  [[policy.conditions]]
  clause = "第五条第一款"
  when = "rd_ratio >= params.rd_min"

[[policy]]
code = "T-SV-1"
kind = "service"
title = "测试算力服务对接"
department = "jxj"
legal_ref = "测试〔2025〕2号"
who = "人工智能企业"
track = "快申快享"
status = "active"
materials = []
contact = "区经信局"
  [[policy.conditions]]
  clause = "第一条"
  when = "headcount >= 10"
  [[policy.exceptions]]
  clause = "第九条"
  when = "'失信' in tags"
  effect = "deny"
"#;

const ON: &str = "2025-06-30";

fn on() -> NaiveDate {
    NaiveDate::parse_from_str(ON, "%Y-%m-%d").unwrap()
}

/// Two departments and three enterprises: A (6% R&D), B (4.5%), C (7%, tagged 失信).
async fn seed(db: &Db) -> (App, [i64; 3]) {
    let mut tx = db.begin().await.unwrap();
    for (code, name) in [("kjj", "区科学技术局"), ("jxj", "区经济和信息化局")] {
        registry_insert(
            tx.conn(),
            RegistryKind::Department,
            &RegistryWrite {
                code: Some(code.into()),
                name: name.into(),
                parent_id: None,
                attr: None,
                sort: 0,
            },
        )
        .await
        .unwrap();
    }
    let ent = |uscc: &str, name: &str, rd_permille: i64, tags: Vec<String>| EnterpriseWrite {
        uscc: uscc.into(),
        name: name.into(),
        registered_on: Some("2018-03-01".into()),
        headcount: Some(40),
        tech_staff: Some(12),
        revenue_fen: Some(1_000_000_000),
        rd_fen: Some(1_000_000_000 * rd_permille / 1000),
        size_band: Some("small".into()),
        tags,
        ..Default::default()
    };
    let a = enterprise_insert(tx.conn(), &ent("91330108MA2AAAAA12", "甲科技", 60, vec![]))
        .await
        .unwrap();
    let b = enterprise_insert(tx.conn(), &ent("91330108MA2BBBBB2D", "乙智能", 45, vec![]))
        .await
        .unwrap();
    let c = enterprise_insert(
        tx.conn(),
        &ent("91330108MA2CCCCC3Q", "丙数据", 70, vec!["失信".into()]),
    )
    .await
    .unwrap();
    enterprise_generation_bump(tx.conn()).await.unwrap();
    tx.commit().await.unwrap();
    (App::new(db.clone()), [a, b, c])
}

async fn person(app: &App, username: &str, role: &str, enterprise: Option<&str>) -> Actor {
    app.user_create(
        &admin(),
        &UserInput {
            username: username.into(),
            display_name: Some(format!("{username}（示例）")),
            role: role.into(),
            password: PW.into(),
            enterprise: enterprise.map(str::to_string),
            department: (role == "department").then(|| "jxj".to_string()),
        },
    )
    .await
    .unwrap();
    app.login(username, PW, "test", "api").await.unwrap().actor
}

fn bad_request_text(e: AppError) -> String {
    match e {
        AppError::BadRequest { code, zh, en } => format!("{code}|{zh}|{en}"),
        other => panic!("expected a 400, got {other:?}"),
    }
}

both_backends!(
    a_rule_file_loads_all_or_nothing_and_reloads_by_code,
    |db: Db| async move {
        let (app, _) = seed(&db).await;
        let r = app
            .policy_load_named(&admin(), "rules.toml", RULES)
            .await
            .unwrap();
        assert_eq!(r.created, vec!["T-RD-1".to_string(), "T-SV-1".to_string()]);
        let again = app.policy_load(&admin(), RULES).await.unwrap();
        assert_eq!(again.unchanged.len(), 2);
        let changed = RULES.replace("测试研发投入补助", "测试研发投入补助（修订）");
        let r = app.policy_load(&admin(), &changed).await.unwrap();
        assert_eq!(r.updated, vec!["T-RD-1@v2".to_string()]);
        let v = app.policy_get(&admin(), "T-RD-1").await.unwrap();
        assert_eq!(v.row.version, 2);
        assert_eq!(v.row.department_name.as_deref(), Some("区科学技术局"));
        assert_eq!(v.conditions[0].clause, "第五条第一款");
        assert_eq!(v.params.len(), 3);
        assert_eq!(v.row.materials.len(), 2);

        // Bad entries: the whole file is refused with FILE:line:col, nothing saved.
        for (bad, what) in [
            (
                RULES.replace("rd_ratio >= params.rd_min", "rd_ratio >= "),
                "syntax",
            ),
            (
                RULES.replace("headcount >= 10", "head_count >= 10"),
                "unknown attribute",
            ),
            (RULES.replace("headcount >= 10", "headcount + 1"), "type"),
        ] {
            let bad = bad.replace("测试研发投入补助", "不应保存");
            let e = app
                .policy_load_named(&admin(), "bad.toml", &bad)
                .await
                .unwrap_err();
            let text = bad_request_text(e);
            assert!(text.starts_with("rule_invalid|"), "{what}: {text}");
            let pos = regex_like_line_col(&text, "bad.toml:");
            assert!(pos, "{what}: no bad.toml:line:col in {text}");
            let v = app.policy_get(&admin(), "T-RD-1").await.unwrap();
            assert_eq!(v.row.version, 2, "{what}: nothing saved");
        }
        let e = app
            .policy_load(&admin(), &RULES.replace("\"jxj\"", "\"nope\""))
            .await
            .unwrap_err();
        assert!(bad_request_text(e).starts_with("department_unknown|"));

        let (rows, _) = db
            .audit_search(&AuditQuery {
                action: Some("policy.load".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(rows.len(), 3);
        assert!(matches!(
            app.policy_get(&admin(), "NOPE").await,
            Err(AppError::NotFound(_))
        ));
    }
);

/// Whether `text` contains `prefix` followed by `digits:digits:`.
fn regex_like_line_col(text: &str, prefix: &str) -> bool {
    text.match_indices(prefix).any(|(i, _)| {
        let rest = &text[i + prefix.len()..];
        let mut parts = rest.splitn(3, ':');
        let a = parts.next().unwrap_or("");
        let b = parts.next().unwrap_or("");
        !a.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && !b.is_empty()
            && b.bytes().all(|c| c.is_ascii_digit())
    })
}

both_backends!(
    an_explanation_says_which_condition_failed_with_the_values,
    |db: Db| async move {
        let (app, [a, b, c]) = seed(&db).await;
        app.policy_load(&admin(), RULES).await.unwrap();
        let x = app
            .policy_explain(&admin(), "T-RD-1", a, Some(on()))
            .await
            .unwrap();
        assert!(x.eligible);
        assert_eq!(x.amount_fen, 6_000_000);
        assert!(x.conditions[0].passed);
        let x = app
            .policy_explain(&admin(), "T-RD-1", b, Some(on()))
            .await
            .unwrap();
        assert!(!x.eligible);
        assert_eq!(x.amount_fen, 0);
        assert_eq!(x.conditions[0].clause, "第五条第一款");
        assert!(!x.conditions[0].passed);
        assert!(
            x.conditions[0].text.contains("0.045"),
            "{}",
            x.conditions[0].text
        );
        // The service's deny exception for 失信.
        let x = app
            .policy_explain(&admin(), "T-SV-1", c, Some(on()))
            .await
            .unwrap();
        assert!(!x.eligible);
        assert!(x.exceptions[0].passed);
        let all = app
            .policy_for_enterprise(&admin(), a, Some(on()))
            .await
            .unwrap();
        assert_eq!(all.len(), 2);
        assert!(all.iter().all(|x| x.eligible));
        assert!(matches!(
            app.policy_explain(&admin(), "NOPE", a, None).await,
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            app.policy_explain(&admin(), "T-RD-1", 999_999, None).await,
            Err(AppError::NotFound(_))
        ));
        // An enterprise user sees only its own explanations; another enterprise answers like an
        // unknown one, so ids cannot be probed.
        let me = person(&app, "ent-a", "enterprise", Some("91330108MA2AAAAA12")).await;
        assert!(app.policy_explain(&me, "T-RD-1", a, None).await.is_ok());
        assert!(matches!(
            app.policy_explain(&me, "T-RD-1", b, None).await,
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            app.policy_for_enterprise(&me, b, None).await,
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            app.policy_for_enterprise(&me, 999_999, None).await,
            Err(AppError::NotFound(_))
        ));
    }
);

both_backends!(
    the_push_creates_notices_once_and_the_credit_check_blocks_blacklisted_enterprises,
    |db: Db| async move {
        let (app, [a, b, c]) = seed(&db).await;
        app.policy_load(&admin(), RULES).await.unwrap();
        let r = app.policy_push(&admin(), Some(on())).await.unwrap();
        // Only the 免申即享 policy: A and C qualify (6%, 7%), B does not.
        assert_eq!(r.run.created, 2);
        assert_eq!(r.run.policies, 1);
        assert_eq!(r.by_policy.get("T-RD-1"), Some(&2));
        let again = app.policy_push(&admin(), Some(on())).await.unwrap();
        assert_eq!(again.run.created, 0);
        assert_eq!(again.run.eligible, 2);

        let (na, _) = app
            .policy_notices(&admin(), Some(a), None, 10, 0)
            .await
            .unwrap();
        assert_eq!(na.len(), 1);
        assert_eq!(na[0].amount_fen, 6_000_000);
        let (nb, _) = app
            .policy_notices(&admin(), Some(b), None, 10, 0)
            .await
            .unwrap();
        assert!(nb.is_empty());

        let me_a = person(&app, "ent-a", "enterprise", Some("91330108MA2AAAAA12")).await;
        let me_c = person(&app, "ent-c", "enterprise", Some("91330108MA2CCCCC3Q")).await;
        // Enterprise users see and decide only their own notices.
        let (own, _) = app.policy_notices(&me_a, None, None, 10, 0).await.unwrap();
        assert_eq!(own.len(), 1);
        assert!(matches!(
            app.policy_notices(&me_a, Some(c), None, 10, 0).await,
            Err(AppError::NotFound(_))
        ));
        let (nc, _) = app
            .policy_notices(&admin(), Some(c), None, 10, 0)
            .await
            .unwrap();
        assert!(matches!(
            app.policy_notice_confirm(&me_a, nc[0].id).await,
            Err(AppError::Forbidden)
        ));
        let d = app.policy_notice_confirm(&me_a, na[0].id).await.unwrap();
        assert_eq!(d.notice.state, "confirmed");
        // The payout is queued in the subsidy ledger's applications.
        let sub = d.subsidy.expect("queued payout");
        assert_eq!(sub["amount_fen"], 6_000_000, "{sub}");
        let d = app.policy_notice_confirm(&me_c, nc[0].id).await.unwrap();
        assert_eq!(d.notice.state, "blocked");
        assert!(d.notice.reason.unwrap_or_default().contains("失信"));
        assert!(matches!(
            app.policy_notice_confirm(&me_a, na[0].id).await,
            Err(AppError::Refused { .. })
        ));
        // Officers and teams may not decide for an enterprise.
        let dept = person(&app, "dept1", "department", None).await;
        assert!(matches!(
            app.policy_notice_decline(&dept, na[0].id, None).await,
            Err(AppError::Forbidden)
        ));
    }
);

both_backends!(
    a_simulation_counts_who_would_qualify_without_changing_the_live_policy,
    |db: Db| async move {
        let (app, [_, b, _]) = seed(&db).await;
        app.policy_load(&admin(), RULES).await.unwrap();
        let mut input = SimulateInput {
            on: Some(on()),
            ..Default::default()
        };
        input.set.insert("rd_min".into(), 0.04);
        input.set.insert("cap_yuan".into(), 50000.0);
        let r = app
            .policy_simulate(&admin(), "T-RD-1", &input)
            .await
            .unwrap();
        assert_eq!((r.eligible_before, r.eligible_after), (2, 3));
        assert_eq!((r.newly_eligible, r.dropped), (1, 0));
        // Before: 60,000 + 70,000 元; after: 3 × 50,000 元 (capped; B's 45,000 under the cap).
        assert_eq!(r.budget_before_fen, 13_000_000);
        assert_eq!(r.budget_after_fen, 5_000_000 + 5_000_000 + 4_500_000);
        assert_eq!(
            r.budget_change_fen,
            r.budget_after_fen - r.budget_before_fen
        );
        assert_eq!(r.samples_added.len(), 1);
        assert_eq!(r.samples_added[0].id, b);
        assert_eq!(r.by_size.get("small").map(|g| g.newly_eligible), Some(1));
        // A rule override.
        let mut input = SimulateInput {
            on: Some(on()),
            ..Default::default()
        };
        input
            .rules
            .insert("第五条第一款".into(), "rd_ratio >= 0.065".into());
        let r = app
            .policy_simulate(&admin(), "T-RD-1", &input)
            .await
            .unwrap();
        assert_eq!((r.newly_eligible, r.dropped), (0, 1));
        // The live policy is unchanged.
        let x = app
            .policy_explain(&admin(), "T-RD-1", b, Some(on()))
            .await
            .unwrap();
        assert!(!x.eligible);
        // Bad input.
        let mut input = SimulateInput::default();
        input.set.insert("nope".into(), 1.0);
        let e = app
            .policy_simulate(&admin(), "T-RD-1", &input)
            .await
            .unwrap_err();
        assert!(bad_request_text(e).starts_with("param_unknown|"));
        let mut input = SimulateInput::default();
        input
            .rules
            .insert("第五条第一款".into(), "rd_ratio >=".into());
        let e = app
            .policy_simulate(&admin(), "T-RD-1", &input)
            .await
            .unwrap_err();
        assert!(bad_request_text(e).starts_with("rule_invalid|"));
        assert!(matches!(
            app.policy_simulate(&admin(), "NOPE", &SimulateInput::default())
                .await,
            Err(AppError::NotFound(_))
        ));
    }
);

both_backends!(
    officers_manage_only_their_departments_policies_and_providers_read_nothing,
    |db: Db| async move {
        let (app, _) = seed(&db).await;
        // The officer belongs to jxj: the file holds a kjj policy, so it is refused whole.
        let dept = person(&app, "dept1", "department", None).await;
        assert!(matches!(
            app.policy_load(&dept, RULES).await,
            Err(AppError::Forbidden)
        ));
        assert!(
            app.policy_list(&admin(), &Default::default())
                .await
                .unwrap()
                .items
                .is_empty()
        );
        app.policy_load(&admin(), RULES).await.unwrap();
        let sv = app.policy_get(&dept, "T-SV-1").await.unwrap();
        let edited = sv.row.source.replace("测试算力服务对接", "算力服务对接");
        assert!(app.policy_update(&dept, "T-SV-1", &edited).await.is_ok());
        let rd = app.policy_get(&dept, "T-RD-1").await.unwrap();
        assert!(matches!(
            app.policy_update(&dept, "T-RD-1", &rd.row.source).await,
            Err(AppError::Forbidden)
        ));
        let prov = person(&app, "prov1", "provider", None).await;
        assert!(matches!(
            app.policy_list(&prov, &Default::default()).await,
            Err(AppError::Forbidden)
        ));
        let ent = person(&app, "ent-a", "enterprise", Some("91330108MA2AAAAA12")).await;
        let page = app.policy_list(&ent, &Default::default()).await.unwrap();
        assert_eq!(page.total, 2);
        assert!(matches!(
            app.policy_push(&ent, None).await,
            Err(AppError::Forbidden)
        ));
        // Catalogue filters.
        let q = lianshi_app::policy::PolicyQuery {
            q: Some("算力".into()),
            ..Default::default()
        };
        assert_eq!(app.policy_list(&ent, &q).await.unwrap().total, 1);
        let q = lianshi_app::policy::PolicyQuery {
            department: Some("kjj".into()),
            track: Some("免申即享".into()),
            ..Default::default()
        };
        assert_eq!(app.policy_list(&ent, &q).await.unwrap().total, 1);
        // Editing with a bad rule: refused with line and column, nothing saved.
        let bad = rd
            .row
            .source
            .replace("rd_ratio >= params.rd_min", "rd_ratio >= params.nope");
        let e = app
            .policy_update(&admin(), "T-RD-1", &bad)
            .await
            .unwrap_err();
        let text = bad_request_text(e);
        assert!(regex_like_line_col(&text, "T-RD-1:"), "{text}");
        assert_eq!(
            app.policy_get(&admin(), "T-RD-1")
                .await
                .unwrap()
                .row
                .version,
            1
        );
    }
);

both_backends!(
    an_enterprise_users_inflated_figures_wait_for_review_and_change_no_benefit_until_accepted,
    |db: Db| async move {
        let (app, [_, b, _]) = seed(&db).await;
        app.policy_load(&admin(), RULES).await.unwrap();
        let me_b = person(&app, "ent-b", "enterprise", Some("91330108MA2BBBBB2D")).await;
        let before = app
            .policy_explain(&me_b, "T-RD-1", b, Some(on()))
            .await
            .unwrap();
        assert!(!before.eligible, "B's real R&D is 4.5%");
        assert_eq!(before.sources["rd_spend_yuan"], "imported");

        // The probe: 90亿 R&D, 100亿 revenue and two certification tags, self-reported.
        let huge = EnterpriseInput {
            rd_spend_yuan: Some("90亿".into()),
            revenue_yuan: Some("100亿".into()),
            tags: Some(vec!["高新技术企业".into(), "专精特新".into()]),
            contact_name: Some("李总".into()),
            ..Default::default()
        };
        let v = app
            .enterprise_update(&me_b, "91330108MA2BBBBB2D", &huge, None)
            .await
            .unwrap();
        let mut fields: Vec<&str> = v
            .proposed_corrections
            .iter()
            .map(|c| c.row.field.as_str())
            .collect();
        fields.sort_unstable();
        assert_eq!(fields, vec!["rd_spend_yuan", "revenue_yuan", "tags"]);
        assert!(
            v.proposed_corrections
                .iter()
                .all(|c| c.row.status == "pending")
        );
        assert_eq!(
            v.rd_spend_fen,
            Some(45_000_000),
            "the verified value stays in force"
        );
        assert_eq!(v.revenue_fen, Some(1_000_000_000));
        assert!(v.tags.is_empty());
        assert_eq!(
            v.contact_name.as_deref(),
            Some("李总"),
            "contact is not a benefit figure"
        );

        // Nothing that pays money moved: the explanation, the eligible list and the push.
        let x = app
            .policy_explain(&me_b, "T-RD-1", b, Some(on()))
            .await
            .unwrap();
        assert!(!x.eligible);
        assert_eq!(x.amount_fen, 0);
        let r = app.policy_push(&admin(), Some(on())).await.unwrap();
        assert_eq!(r.run.created, 2, "A and C only");
        let (nb, _) = app
            .policy_notices(&admin(), Some(b), None, 10, 0)
            .await
            .unwrap();
        assert!(nb.is_empty());

        // Neither the enterprise nor a service team may decide its own correction.
        let team = person(&app, "team-b", "team", None).await;
        let pending = app
            .correction_list(
                &admin(),
                &lianshi_app::enterprise::CorrectionQuery {
                    status: Some("pending".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(pending.total, 3);
        let id_of = |f: &str| {
            pending
                .items
                .iter()
                .find(|c| c.row.field == f)
                .map(|c| c.row.id)
                .unwrap()
        };
        for who in [&me_b, &team] {
            assert!(matches!(
                app.correction_accept(who, id_of("rd_spend_yuan"), None)
                    .await,
                Err(AppError::Forbidden)
            ));
        }
        // A team's own edit of a figure is a correction too, not a verified value.
        let t = app
            .enterprise_update(
                &team,
                "91330108MA2BBBBB2D",
                &EnterpriseInput {
                    headcount: Some("400".into()),
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap();
        assert_eq!((t.headcount, t.proposed_corrections.len()), (Some(40), 1));

        // A department officer verifies R&D and revenue and rejects the tags.
        let dept = person(&app, "dept-b", "department", None).await;
        app.correction_accept(&dept, id_of("rd_spend_yuan"), Some("审计报告已核"))
            .await
            .unwrap();
        app.correction_accept(&dept, id_of("revenue_yuan"), None)
            .await
            .unwrap();
        assert!(matches!(
            app.correction_reject(&dept, id_of("tags"), Some("  "))
                .await,
            Err(AppError::Invalid(_))
        ));
        let rj = app
            .correction_reject(&dept, id_of("tags"), Some("无高新技术企业证书"))
            .await
            .unwrap();
        assert_eq!(rj.row.status, "rejected");
        assert!(matches!(
            app.correction_accept(&dept, id_of("tags"), None).await,
            Err(AppError::Refused { .. })
        ));

        // Now the verified figures decide, and say where they came from.
        let x = app
            .policy_explain(&me_b, "T-RD-1", b, Some(on()))
            .await
            .unwrap();
        assert!(x.eligible);
        assert_eq!(x.amount_fen, 50_000_000, "capped at 50万");
        assert_eq!(x.sources["rd_spend_yuan"], "verified");
        assert_eq!(x.sources["revenue_yuan"], "verified");
        assert_eq!(x.sources["tags"], "imported");
        let v = app
            .enterprise_get(&me_b, "91330108MA2BBBBB2D")
            .await
            .unwrap();
        assert!(v.tags.is_empty());
        assert_eq!(v.sources["rd_spend_yuan"], "verified");
        let r = app.policy_push(&admin(), Some(on())).await.unwrap();
        assert_eq!(r.run.created, 1);
        let (nb, _) = app
            .policy_notices(&admin(), Some(b), None, 10, 0)
            .await
            .unwrap();
        assert_eq!(nb[0].amount_fen, 50_000_000);
        let src = nb[0]
            .sources
            .as_ref()
            .expect("the notice records its sources");
        assert_eq!(src["rd_spend_yuan"], "verified");
        assert_eq!(src["headcount"], "imported");

        // Every proposal and decision is in the audit log.
        let (rows, _) = app
            .audit_search(
                &admin(),
                &AuditQuery {
                    action: Some("enterprise.correction.".into()),
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let count = |a: &str| rows.iter().filter(|r| r.action == a).count();
        assert_eq!(count("enterprise.correction.propose"), 4);
        assert_eq!(count("enterprise.correction.accept"), 2);
        assert_eq!(count("enterprise.correction.reject"), 1);
    }
);

both_backends!(
    a_service_team_creating_an_enterprise_proposes_its_figures_for_review,
    |db: Db| async move {
        let (app, _) = seed(&db).await;
        let team = person(&app, "team-new", "team", None).await;
        let v = app
            .enterprise_create(
                &team,
                &EnterpriseInput {
                    uscc: Some("91330108MA27Y5XH5G".into()),
                    name: Some("走访新登记企业（示例）".into()),
                    revenue_yuan: Some("5000万".into()),
                    tags: Some(vec!["高新技术企业".into()]),
                    address: Some("江南大道1号".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(v.name, "走访新登记企业（示例）");
        assert_eq!(v.address.as_deref(), Some("江南大道1号"));
        assert_eq!((v.revenue_fen, v.tags.len()), (None, 0));
        assert_eq!(v.proposed_corrections.len(), 2);
        // An officer's own create is in force at once, marked verified.
        let dept = person(&app, "dept-new", "department", None).await;
        let w = app
            .enterprise_create(
                &dept,
                &EnterpriseInput {
                    uscc: Some("913301086706280599".into()),
                    name: Some("部门录入企业（示例）".into()),
                    revenue_yuan: Some("3000万".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(w.revenue_fen, Some(3_000_000_000));
        assert!(w.proposed_corrections.is_empty());
        assert_eq!(w.sources["revenue_yuan"], "verified");
        assert_eq!(w.sources["headcount"], "imported");
        let rev = v
            .proposed_corrections
            .iter()
            .find(|c| c.row.field == "revenue_yuan")
            .unwrap();
        app.correction_accept(&dept, rev.row.id, None)
            .await
            .unwrap();
        let after = app
            .enterprise_get(&team, "91330108MA27Y5XH5G")
            .await
            .unwrap();
        assert_eq!(after.revenue_fen, Some(5_000_000_000));
        assert_eq!(after.sources["revenue_yuan"], "verified");
        assert_eq!(after.pending_corrections.len(), 1, "the tags still wait");
    }
);
