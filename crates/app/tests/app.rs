//! Use cases on both backends: import bad input, scope, audit, sessions (login back-off is in
//! `tests/auth.rs`).

use lianshi_app::enterprise::EnterpriseQuery;
use lianshi_app::import::ImportOptions;
use lianshi_app::user::UserInput;
use lianshi_app::{Actor, App, AppError};
use lianshi_domain::Role;
use lianshi_domain::enterprise::EnterpriseInput;
use lianshi_store::audit::AuditQuery;
use lianshi_store::{Db, both_backends};

mod common;
use common::{admin, demo};

async fn total(app: &App) -> i64 {
    app.enterprise_list(&admin(), &EnterpriseQuery::default())
        .await
        .unwrap()
        .total
}

const HEADER: &str = "统一社会信用代码,企业名称,行业代码,从业人数,科技人员数,营业收入（元）,产业链环节,企业标签,所属街道";

fn csv(rows: &[&str]) -> Vec<u8> {
    let mut s = String::from(HEADER);
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.into_bytes()
}

const GOOD1: &str = "91330108MA27Y5XH5G,导入测试一（示例）,6520,120,80,1200万,ic.design,高新技术企业；专精特新,西兴街道";
const GOOD2: &str =
    "913301086706280599,导入测试二（示例）,3973,30,5,300000,集成电路/晶圆制造,,长河街道";

both_backends!(
    a_valid_csv_is_imported_and_importing_it_again_changes_no_totals,
    |db: Db| async move {
        let app = demo(db, 20).await;
        let before = total(&app).await;
        let file = csv(&[GOOD1, GOOD2]);
        let r = app
            .enterprise_import(&admin(), &file, ImportOptions::default())
            .await
            .unwrap();
        assert_eq!((r.rows, r.created, r.updated, r.written), (2, 2, 0, true));
        assert_eq!(total(&app).await, before + 2);
        let e = app
            .enterprise_get(&admin(), "91330108MA27Y5XH5G")
            .await
            .unwrap();
        assert_eq!(e.revenue_fen, Some(1_200_000_000));
        assert_eq!(e.chain_nodes[0].code.as_deref(), Some("ic.design"));
        // Software (65): medium from 100 people and 1,000万元 of revenue.
        assert_eq!(e.size_band.as_deref(), Some("medium"));
        let r2 = app
            .enterprise_import(&admin(), &file, ImportOptions::default())
            .await
            .unwrap();
        assert_eq!((r2.created, r2.updated), (0, 2));
        assert_eq!(total(&app).await, before + 2);
        let again = app
            .enterprise_get(&admin(), "91330108MA27Y5XH5G")
            .await
            .unwrap();
        assert_eq!(
            (again.name, again.tags, again.revenue_fen),
            (e.name, e.tags, e.revenue_fen)
        );
    }
);

both_backends!(
    one_bad_row_means_nothing_is_written_and_every_fault_is_named,
    |db: Db| async move {
        let app = demo(db, 10).await;
        let before = total(&app).await;
        let file = csv(&[
            GOOD1,
            "91330108MA27Y5XH5F,错校验位,6520,1,1,,,,",
            "9133010,格式错,6520,1,1,,,,",
            "913301086706280599,行业错,9999,1,1,,,,",
            "913301086706280599,负人数,6520,-5,1,,,,",
            "91330108MA27Y5XH5G,重复,6520,1,1,,,,",
        ]);
        let r = app
            .enterprise_import(&admin(), &file, ImportOptions::default())
            .await
            .unwrap();
        assert!(!r.written);
        assert_eq!(total(&app).await, before);
        let find = |row: usize, code: &str| {
            r.errors
                .iter()
                .find(|e| e.row == row && e.code == code)
                .cloned()
        };
        let e = find(3, "uscc_check_mismatch").expect("check digit error on row 3");
        assert_eq!(e.column, "统一社会信用代码");
        assert!(e.zh.contains('G') && !e.en.is_empty());
        assert!(find(4, "uscc_length").is_some());
        assert_eq!(
            find(5, "industry_unknown_division").unwrap().column,
            "行业代码"
        );
        assert_eq!(find(6, "count_negative").unwrap().column, "从业人数");
        let dup = find(7, "uscc_duplicate_in_file").unwrap();
        assert!(dup.zh.contains("第2行"));
        assert_eq!(r.invalid, 5);
    }
);

both_backends!(
    skip_invalid_writes_the_good_rows_and_returns_the_rejects,
    |db: Db| async move {
        let app = demo(db, 10).await;
        let before = total(&app).await;
        let file = csv(&[GOOD1, "91330108MA27Y5XH5F,错校验位,6520,1,1,,,,"]);
        let opts = ImportOptions {
            skip_invalid: true,
            ..Default::default()
        };
        let r = app.enterprise_import(&admin(), &file, opts).await.unwrap();
        assert!(r.written);
        assert_eq!(total(&app).await, before + 1);
        let rej = String::from_utf8(r.rejects_csv.unwrap()).unwrap();
        assert!(rej.contains("错校验位") && rej.contains("第3行"));
        assert!(!rej.contains("导入测试一"));
    }
);

both_backends!(a_dry_run_reports_but_writes_nothing, |db: Db| async move {
    let app = demo(db, 10).await;
    let before = total(&app).await;
    let opts = ImportOptions {
        dry_run: true,
        ..Default::default()
    };
    let r = app
        .enterprise_import(&admin(), &csv(&[GOOD1, GOOD2]), opts)
        .await
        .unwrap();
    assert_eq!((r.valid, r.created, r.written), (2, 2, false));
    assert_eq!(total(&app).await, before);
});

#[tokio::test]
async fn gbk_and_bom_files_are_read_correctly() {
    let t = lianshi_store::testkit::sqlite().await;
    let app = demo(t.db.clone(), 5).await;
    let text = String::from_utf8(csv(&[GOOD1])).unwrap();
    let (gbk, _, bad) = encoding_rs::GBK.encode(&text);
    assert!(!bad);
    let r = app
        .enterprise_import(&admin(), &gbk, ImportOptions::default())
        .await
        .unwrap();
    assert_eq!((r.encoding.as_str(), r.created), ("gbk", 1));
    assert_eq!(
        app.enterprise_get(&admin(), "91330108MA27Y5XH5G")
            .await
            .unwrap()
            .name,
        "导入测试一（示例）"
    );
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend(csv(&[GOOD2]));
    let r = app
        .enterprise_import(&admin(), &bom, ImportOptions::default())
        .await
        .unwrap();
    assert_eq!((r.encoding.as_str(), r.created), ("utf-8-bom", 1));
}

#[tokio::test]
async fn wrong_headers_empty_files_and_header_only_files_are_refused_clearly() {
    let t = lianshi_store::testkit::sqlite().await;
    let app = demo(t.db.clone(), 5).await;
    let cases: [(&[u8], &str); 3] = [
        (b"name,code\nx,y", "header_missing"),
        (b"", "file_unreadable"),
        (HEADER.as_bytes(), "file_no_rows"),
    ];
    for (bytes, code) in cases {
        match app
            .enterprise_import(&admin(), bytes, ImportOptions::default())
            .await
        {
            Err(AppError::BadRequest { code: c, zh, en }) => {
                assert_eq!(c, code);
                assert!(!zh.is_empty() && !en.is_empty());
            }
            other => panic!("expected {code}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn formulas_in_cells_are_refused_with_row_and_column() {
    let t = lianshi_store::testkit::sqlite().await;
    let app = demo(t.db.clone(), 5).await;
    let r = app
        .enterprise_import(
            &admin(),
            &csv(&["91330108MA27Y5XH5G,=HYPERLINK(\"x\"),6520,1,1,,,,"]),
            ImportOptions::default(),
        )
        .await
        .unwrap();
    let e = r.errors.iter().find(|e| e.code == "cell_formula").unwrap();
    assert_eq!((e.row, e.column.as_str()), (2, "企业名称"));
    assert!(!r.written);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (i, h) in HEADER.split(',').enumerate() {
        ws.write_string(0, i as u16, h).unwrap();
    }
    ws.write_string(1, 0, "91330108MA27Y5XH5G").unwrap();
    ws.write_string(1, 1, "公式企业").unwrap();
    ws.write_formula(1, 3, "=1+1").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let r = app
        .enterprise_import(&admin(), &bytes, ImportOptions::default())
        .await
        .unwrap();
    let e = r.errors.iter().find(|e| e.code == "cell_formula").unwrap();
    assert_eq!(
        (e.row, e.column.as_str(), r.format.as_str()),
        (2, "从业人数", "xlsx")
    );
}

#[tokio::test]
async fn an_export_imports_back_unchanged() {
    let t = lianshi_store::testkit::sqlite().await;
    let app = demo(t.db.clone(), 50).await;
    let q = EnterpriseQuery {
        chain: Some("ic".into()),
        ..Default::default()
    };
    let bytes = app.enterprise_export(&admin(), &q, true).await.unwrap();
    let n = app.enterprise_list(&admin(), &q).await.unwrap().total as usize;
    assert!(n > 0);
    let r = app
        .enterprise_import(
            &admin(),
            &bytes,
            ImportOptions {
                dry_run: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (r.rows, r.valid, r.updated, r.created),
        (n, n, n, 0),
        "{:?}",
        r.errors.first()
    );
    let csv = app.enterprise_export(&admin(), &q, false).await.unwrap();
    let r = app
        .enterprise_import(
            &admin(),
            &csv,
            ImportOptions {
                dry_run: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(r.valid, n, "{:?}", r.errors.first());
    let tpl = App::enterprise_template(false).unwrap();
    let r = app
        .enterprise_import(
            &admin(),
            &tpl,
            ImportOptions {
                dry_run: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        r.valid,
        1,
        "the template's example row is valid: {:?}",
        r.errors.first()
    );
}

async fn user(app: &App, name: &str, role: &str, enterprise: Option<String>) -> Actor {
    app.user_create(
        &admin(),
        &UserInput {
            username: name.into(),
            role: role.into(),
            password: "Kettle-Sparrow-42".into(),
            enterprise,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    app.login(name, "Kettle-Sparrow-42", "t", "api")
        .await
        .unwrap()
        .actor
}

both_backends!(
    an_enterprise_user_sees_and_edits_only_its_own_enterprise,
    |db: Db| async move {
        let app = demo(db, 10).await;
        let list = app
            .enterprise_list(&admin(), &EnterpriseQuery::default())
            .await
            .unwrap();
        let (own, other) = (list.items[0].uscc.clone(), list.items[1].uscc.clone());
        let u = user(&app, "e1", "enterprise", Some(own.clone())).await;
        assert_eq!(u.role, Role::Enterprise);
        let mine = app
            .enterprise_list(&u, &EnterpriseQuery::default())
            .await
            .unwrap();
        assert_eq!((mine.total, mine.items[0].uscc.clone()), (1, own.clone()));
        // Another enterprise answers like an unknown code: the scope does not reveal it exists.
        assert!(matches!(
            app.enterprise_get(&u, &other).await,
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            app.enterprise_get(&u, "913301086706280599").await,
            Err(AppError::NotFound(_))
        ));
        // Its own contact it edits directly; its headcount waits for a department.
        let inp = EnterpriseInput {
            headcount: Some("77".into()),
            contact_name: Some("王经理".into()),
            ..Default::default()
        };
        let before = app.enterprise_get(&admin(), &own).await.unwrap().headcount;
        let v = app.enterprise_update(&u, &own, &inp, None).await.unwrap();
        assert_eq!(v.headcount, before);
        assert_eq!(v.contact_name.as_deref(), Some("王经理"));
        assert_eq!(v.proposed_corrections.len(), 1);
        assert_eq!(v.proposed_corrections[0].row.field, "headcount");
        assert_eq!(v.proposed_corrections[0].row.proposed_value, "77");
        assert!(matches!(
            app.enterprise_update(&u, &other, &inp, None).await,
            Err(AppError::NotFound(_))
        ));
        let provider = user(&app, "p1", "provider", None).await;
        assert!(matches!(
            app.enterprise_get(&provider, &own).await,
            Err(AppError::Forbidden)
        ));
    }
);

both_backends!(
    every_write_leaves_an_audit_entry_with_before_and_after,
    |db: Db| async move {
        let app = demo(db, 5).await;
        let dept = user(&app, "d1", "department", None).await;
        let inp = EnterpriseInput {
            uscc: Some("91330108MA27Y5XH5G".into()),
            name: Some("审计测试（示例）".into()),
            ..Default::default()
        };
        app.enterprise_create(&dept, &inp).await.unwrap();
        let upd = EnterpriseInput {
            name: Some("审计测试改（示例）".into()),
            ..Default::default()
        };
        let v = app
            .enterprise_update(&dept, "91330108MA27Y5XH5G", &upd, Some(1))
            .await
            .unwrap();
        assert_eq!(v.version, 2);
        let stale = app
            .enterprise_update(&dept, "91330108MA27Y5XH5G", &upd, Some(1))
            .await;
        assert!(matches!(stale, Err(AppError::Conflict(_))));
        let q = AuditQuery {
            actor: Some("d1".into()),
            limit: 10,
            ..Default::default()
        };
        let (rows, total) = app.audit_search(&admin(), &q).await.unwrap();
        assert_eq!(total, 2);
        assert_eq!(rows[0].action, "enterprise.update");
        assert!(
            rows[0]
                .before
                .as_deref()
                .unwrap()
                .contains("审计测试（示例）")
        );
        assert!(rows[0].after.as_deref().unwrap().contains("审计测试改"));
        assert_eq!(rows[0].source, "api");
        assert!(matches!(
            app.audit_search(&dept, &q).await,
            Err(AppError::Forbidden)
        ));
    }
);

both_backends!(
    unknown_tokens_are_refused_and_a_logout_ends_the_session,
    |db: Db| async move {
        let app = demo(db, 1).await;
        assert!(matches!(
            app.authenticate("not-a-token").await,
            Err(AppError::Unauthenticated)
        ));
        let ok = app
            .login("admin", "Lianshi@2026", "5.6.7.8", "api")
            .await
            .unwrap();
        assert_eq!(
            app.authenticate(&ok.token).await.unwrap().0.role,
            Role::Admin
        );
        app.logout(&ok.token).await.unwrap();
        assert!(matches!(
            app.authenticate(&ok.token).await,
            Err(AppError::Unauthenticated)
        ));
    }
);

#[tokio::test]
async fn users_need_a_valid_role_a_strong_password_and_an_enterprise_when_enterprise_role() {
    let t = lianshi_store::testkit::sqlite().await;
    let app = demo(t.db.clone(), 1).await;
    let mk = |role: &str, pw: &str, ent: Option<&str>| UserInput {
        username: "x1".into(),
        role: role.into(),
        password: pw.into(),
        enterprise: ent.map(str::to_string),
        ..Default::default()
    };
    let code = |r: Result<i64, AppError>| r.unwrap_err().code();
    assert_eq!(
        code(
            app.user_create(&admin(), &mk("root", "Kettle-Sparrow-42", None))
                .await
        ),
        "role_unknown"
    );
    assert_eq!(
        code(app.user_create(&admin(), &mk("team", "short", None)).await),
        "password_weak"
    );
    assert_eq!(
        code(
            app.user_create(&admin(), &mk("enterprise", "Kettle-Sparrow-42", None))
                .await
        ),
        "enterprise_required"
    );
    assert_eq!(
        code(
            app.user_create(
                &admin(),
                &mk(
                    "enterprise",
                    "Kettle-Sparrow-42",
                    Some("91330108MA27Y5XH5G")
                )
            )
            .await
        ),
        "enterprise_unknown"
    );
    app.user_create(&admin(), &mk("team", "Kettle-Sparrow-42", None))
        .await
        .unwrap();
    assert_eq!(
        code(
            app.user_create(&admin(), &mk("team", "Kettle-Sparrow-42", None))
                .await
        ),
        "conflict"
    );
}

#[tokio::test]
async fn a_fifty_megabyte_file_with_one_bad_last_row_writes_nothing_and_names_the_row() {
    let t = lianshi_store::testkit::sqlite().await;
    let app = demo(t.db.clone(), 1).await;
    let before = total(&app).await;
    let pad = "浙江省杭州市滨江区示例大道".repeat(12);
    let mut s = String::from("统一社会信用代码,企业名称,详细地址,从业人数\n");
    let mut n = 0usize;
    for d in lianshi_domain::demo::enterprises(99, 200_000) {
        if s.len() >= 50 * 1024 * 1024 {
            break;
        }
        let u = d.uscc.unwrap();
        s.push_str(&format!(
            "{},{},{}{},{}\n",
            u,
            d.name,
            pad,
            n,
            d.headcount.unwrap_or(1)
        ));
        n += 1;
    }
    s.push_str("91330108MA27Y5XH5F,最后一行坏代码,,1\n");
    assert!(s.len() >= 50 * 1024 * 1024);
    let r = app
        .enterprise_import(&admin(), s.as_bytes(), ImportOptions::default())
        .await
        .unwrap();
    assert_eq!((r.rows, r.invalid, r.written), (n + 1, 1, false));
    assert_eq!(
        r.errors[0].row,
        n + 2,
        "header is row 1, so the last data row is n + 2"
    );
    assert_eq!(total(&app).await, before);
}

both_backends!(
    a_write_by_another_process_is_seen_by_the_list,
    |db: Db| async move {
        let app = demo(db.clone(), 10).await;
        let before = total(&app).await;
        // Another App on the same database stands for another process (e.g. a CLI import while
        // the server runs): its writes never reach this App's in-memory list index directly.
        let other = App::new(db);
        let inp = EnterpriseInput {
            uscc: Some("91330108MA27Y5XH5G".into()),
            name: Some("另一进程写入（示例）".into()),
            ..Default::default()
        };
        other.enterprise_create(&admin(), &inp).await.unwrap();
        assert_eq!(total(&app).await, before + 1);
        let q = EnterpriseQuery {
            q: Some("另一进程".into()),
            ..Default::default()
        };
        assert_eq!(app.enterprise_list(&admin(), &q).await.unwrap().total, 1);
        // This App's own edit is patched in as well.
        let upd = EnterpriseInput {
            name: Some("本进程改名（示例）".into()),
            ..Default::default()
        };
        app.enterprise_update(&admin(), "91330108MA27Y5XH5G", &upd, None)
            .await
            .unwrap();
        let q = EnterpriseQuery {
            q: Some("本进程改名".into()),
            ..Default::default()
        };
        assert_eq!(app.enterprise_list(&admin(), &q).await.unwrap().total, 1);
        let q = EnterpriseQuery {
            q: Some("另一进程".into()),
            ..Default::default()
        };
        assert_eq!(app.enterprise_list(&admin(), &q).await.unwrap().total, 0);
    }
);
