//! Issue 18 (items 5, 6): create forms' selects start at 请选择 and a post without a choice is a
//! 400 naming the field, the form kept; money and account actions (核销, a redemption's
//! confirm/decline/return, deactivating an account) ask first: a post without `confirm=1`
//! changes nothing and answers with what will happen to what; the confirmed post acts and its
//! notice names the record.

use axum::http::StatusCode;
use lianshi_domain::money::Money;

mod common;
use common::{Browser, between, setup_file, token, unescape, voucher_holder_uscc};

async fn router() -> axum::Router {
    setup_file("confirmations", 30, 5).await.0
}

/// The options of select `name` in `html` (from its opening tag to `</select>`).
fn select<'a>(html: &'a str, name: &str) -> &'a str {
    between(html, &format!(r#"<select name="{name}""#), "</select>").unwrap_or("")
}

#[tokio::test]
async fn a_new_account_has_no_role_until_one_is_chosen_and_deactivating_it_asks_first() {
    let r = router().await;
    let admin = Browser::login(&r, "admin").await;
    let page = admin.get("/users").await;
    assert_eq!(page.status, StatusCode::OK);
    let roles = select(&page.body, "role");
    assert!(
        roles.starts_with(r#" required><option value="">请选择</option>"#),
        "{roles}"
    );
    assert!(!roles.contains("selected"), "{roles}");

    // Without a role: 400 naming the role, the form kept, nothing created.
    let bad = admin
        .post(
            "/users",
            &[
                ("username", "zhangsan"),
                ("display_name", "张三"),
                ("role", ""),
                ("password", "Nimble-Heron-2026"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let text = unescape(&bad.body);
    assert!(text.contains("请填写「角色」"), "{text}");
    assert!(text.contains(r#"value="zhangsan""#) && text.contains(r#"value="张三""#));
    assert!(!admin.get("/users").await.body.contains(">zhangsan<"));

    let ok = admin
        .post(
            "/users",
            &[
                ("username", "zhangsan"),
                ("display_name", "张三"),
                ("role", "team"),
                ("password", "Nimble-Heron-2026"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let created = admin.get(&ok.location()).await;
    assert!(
        unescape(&created.body).contains("已创建账号 张三（zhangsan）"),
        "{}",
        created.body
    );
    let id = between(&created.body, ">zhangsan<", "/active\"")
        .and_then(|s| s.rsplit("/users/").next())
        .unwrap()
        .to_string();
    let action = format!("/users/{id}/active");

    // Unconfirmed: the confirmation names the account, and the account stays active.
    let ask = admin.post(&action, &[("active", "0")]).await;
    assert_eq!(ask.status, StatusCode::OK, "{}", ask.body);
    let text = unescape(&ask.body);
    assert!(
        text.contains("data-confirm") && text.contains("将停用账号 张三（zhangsan）"),
        "{text}"
    );
    assert!(text.contains(&format!(r#"action="{action}""#)));
    assert!(text.contains(r#"name="confirm" value="1""#) && text.contains(r#"name="_csrf""#));
    assert!(text.contains(r#"name="active" value="0""#) && text.contains(r#"href="/users""#));
    let list = admin.get("/users").await.body;
    assert!(
        !list.contains(r#"<tr class="inactive">"#),
        "nothing changed"
    );

    // Confirmed: deactivated, and the notice names the account.
    let done = admin
        .post(&action, &[("active", "0"), ("confirm", "1")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after = admin.get(&done.location()).await;
    assert!(
        unescape(&after.body).contains("已停用账号 张三（zhangsan）"),
        "{}",
        after.body
    );
    assert!(after.body.contains(r#"<tr class="inactive">"#));
    // Activating again needs no confirmation.
    let on = admin.post(&action, &[("active", "1")]).await;
    assert_eq!(on.status, StatusCode::SEE_OTHER);
    assert!(
        unescape(&admin.get(&on.location()).await.body).contains("已启用账号 张三（zhangsan）")
    );
}

#[tokio::test]
async fn the_new_order_form_starts_at_choose_and_refuses_no_category() {
    let r = router().await;
    let admin = Browser::login(&r, "admin").await;
    let form = admin.get("/orders/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let cats = select(&form.body, "category");
    assert!(
        cats.starts_with(r#" required><option value="">请选择</option>"#),
        "{cats}"
    );
    assert!(!cats.contains("selected"), "{cats}");
    let uscc = voucher_holder_uscc(&r, &token(&r, "ent").await).await;
    let bad = admin
        .post(
            "/orders",
            &[
                ("enterprise", uscc.as_str()),
                ("title", "用地指标咨询"),
                ("category", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let text = unescape(&bad.body);
    assert!(text.contains("请填写「诉求分类」"), "{text}");
    assert!(text.contains(r#"value="用地指标咨询""#), "{text}");
    let ok = admin
        .post(
            "/orders",
            &[
                ("enterprise", uscc.as_str()),
                ("title", "用地指标咨询"),
                ("category", "land"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

#[tokio::test]
async fn the_grant_redemption_and_subsidy_forms_start_at_choose_and_refuse_no_choice() {
    let r = router().await;
    let admin = Browser::login(&r, "admin").await;
    let uscc = voucher_holder_uscc(&r, &token(&r, "ent").await).await;

    // Grant: the round starts at 请选择; none is a 400 naming the round.
    let scheme = admin.get("/vouchers/schemes/HZ-SLQ").await;
    let rounds = select(&scheme.body, "round_id");
    assert!(
        rounds.starts_with(r#" required><option value="">请选择</option>"#),
        "{rounds}"
    );
    let bad = admin
        .post(
            "/vouchers/grant",
            &[
                ("scheme", "HZ-SLQ"),
                ("round_id", ""),
                ("enterprise", uscc.as_str()),
                ("amount_yuan", "1000"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(unescape(&bad.body).contains("「轮次」"), "{}", bad.body);

    // Redemption: the scheme starts at 请选择; none is a 400 naming the scheme.
    let prov = Browser::login(&r, "provider").await;
    let form = prov.get("/vouchers/provider").await;
    let schemes = select(&form.body, "scheme");
    assert!(
        schemes.starts_with(r#" required><option value="">请选择</option>"#),
        "{schemes}"
    );
    let key = between(&form.body, r#"name="request_key" value=""#, "\"")
        .unwrap()
        .to_string();
    let bad = prov
        .post(
            "/vouchers/provider",
            &[
                ("request_key", key.as_str()),
                ("scheme", ""),
                ("enterprise", uscc.as_str()),
                ("contract_no", "NO-SCHEME-1"),
                ("invoice_yuan", "20000"),
                ("compute", "domestic"),
                ("service_type", "推理"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let text = unescape(&bad.body);
    assert!(text.contains("请填写「券种」"), "{text}");
    assert!(text.contains("NO-SCHEME-1"), "the form is kept");
    assert!(
        !prov
            .get("/vouchers/provider")
            .await
            .body
            .contains("NO-SCHEME-1")
    );

    // Subsidy application: the policy starts at 请选择; none is a 400 naming the policy.
    let list = admin.get("/subsidies").await;
    let apply = &list.body[list.body.find("apply-form").unwrap_or(0)..];
    let policies = select(apply, "policy");
    assert!(
        policies.starts_with(r#" required><option value="">请选择</option>"#),
        "{policies}"
    );
    let bad = admin
        .post(
            "/subsidies",
            &[
                ("policy", ""),
                ("enterprise", uscc.as_str()),
                ("amount", "1000"),
                ("note", "未选政策"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let text = unescape(&bad.body);
    assert!(
        text.contains("请选择政策") && text.contains("未选政策"),
        "{text}"
    );
}

#[tokio::test]
async fn redemption_steps_ask_first_and_their_notices_name_the_redemption() {
    let r = router().await;
    let uscc = voucher_holder_uscc(&r, &token(&r, "ent").await).await;
    let prov = Browser::login(&r, "provider").await;
    let form = prov.get("/vouchers/provider").await;
    let key = between(&form.body, r#"name="request_key" value=""#, "\"")
        .unwrap()
        .to_string();
    let sent = prov
        .post(
            "/vouchers/provider",
            &[
                ("request_key", key.as_str()),
                ("scheme", "HZ-SLQ"),
                ("enterprise", uscc.as_str()),
                ("contract_no", "ASK-1"),
                ("invoice_yuan", "20000"),
                ("compute", "domestic"),
                ("service_type", "推理"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);

    let ent = Browser::login(&r, "ent").await;
    let mine = ent.get("/vouchers/mine").await;
    let id = between(&mine.body, r#"data-redemption=""#, "\"")
        .unwrap()
        .to_string();
    let fen: i64 = between(
        &mine.body,
        &format!(r#"data-redemption="{id}" data-status="submitted" data-amount=""#),
        "\"",
    )
    .unwrap()
    .parse()
    .unwrap();
    let amount = Money(fen).format_auto();
    let enterprise = between(&mine.body, "</a> · <strong>", "</strong>")
        .map(unescape)
        .unwrap();
    let what = format!("{enterprise} 杭州市算力券 {amount}");

    // The enterprise confirms: first the question, nothing changed, then the step.
    let confirm = format!("/vouchers/redemptions/{id}/confirm");
    let ask = ent.post(&confirm, &[("back", "/vouchers/mine")]).await;
    assert_eq!(ask.status, StatusCode::OK, "{}", ask.body);
    let text = unescape(&ask.body);
    assert!(
        text.contains(&format!("将确认兑付：{what}")),
        "{text}\n{what}"
    );
    assert!(text.contains("ASK-1") && text.contains(r#"name="confirm" value="1""#));
    assert!(text.contains(&format!(r#"action="{confirm}""#)));
    assert!(text.contains(r#"href="/vouchers/mine""#));
    assert!(ent.get("/vouchers/mine").await.body.contains(&format!(
        r#"data-redemption="{id}" data-status="submitted""#
    )));
    // Declining without a reason is refused before any question.
    let no_reason = ent
        .post(
            &format!("/vouchers/redemptions/{id}/reject"),
            &[("back", "/vouchers/mine"), ("reason", " ")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    assert!(unescape(&no_reason.body).contains("请填写「原因」"));
    let done = ent
        .post(&confirm, &[("back", "/vouchers/mine"), ("confirm", "1")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after = ent.get(&done.location()).await;
    assert!(
        unescape(&after.body).contains(&format!("已确认兑付：{what}")),
        "{}",
        after.body
    );

    // The platform: returning asks with the reason, writing off asks with the amount.
    let admin = Browser::login(&r, "admin").await;
    let reject = format!("/vouchers/redemptions/{id}/reject");
    let ask = admin.post(&reject, &[("reason", "合同不符")]).await;
    assert_eq!(ask.status, StatusCode::OK, "{}", ask.body);
    let text = unescape(&ask.body);
    assert!(
        text.contains(&format!("将退回兑付：{what}")) && text.contains("原因：合同不符"),
        "{text}"
    );
    assert!(text.contains(r#"name="reason" value="合同不符""#));
    let write_off = format!("/vouchers/redemptions/{id}/write_off");
    let ask = admin.post(&write_off, &[]).await;
    assert_eq!(ask.status, StatusCode::OK, "{}", ask.body);
    let text = unescape(&ask.body);
    assert!(text.contains(&format!("将核销：{what}")), "{text}");
    let q = admin.get("/vouchers/queue").await.body;
    assert!(q.contains(&format!(
        r#"data-redemption="{id}" data-status="confirmed""#
    )));
    let done = admin.post(&write_off, &[("confirm", "1")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after = admin.get(&done.location()).await;
    assert!(
        unescape(&after.body).contains(&format!("已核销：{what}")),
        "{}",
        after.body
    );
    assert!(ent.get("/vouchers/mine").await.body.contains(&format!(
        r#"data-redemption="{id}" data-status="written_off""#
    )));
}
