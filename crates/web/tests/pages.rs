//! The server-rendered pages through the router (no ports): sign in like a browser, follow
//! links, post forms, and check what a person would see.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

mod common;
use common::{Browser, between, cookie_of, send, setup_file, unescape};

/// A fresh SQLite file with the demo zone (200 enterprises) and the router over it.
async fn setup() -> Router {
    setup_file("pages", 200, 7).await.0
}

impl Browser {
    /// The total an enterprise list page shows.
    async fn list_total(&self, uri: &str) -> i64 {
        let p = self.get(uri).await;
        assert_eq!(p.status, StatusCode::OK, "{uri}: {}", p.body);
        between(&p.body, r#"data-total=""#, "\"")
            .expect("total on the list page")
            .parse()
            .unwrap()
    }

    /// The total the JSON API reports for the same filters.
    async fn api_total(&self, query: &str) -> i64 {
        let p = self.get(&format!("/api/v1/enterprises?{query}")).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        let v: serde_json::Value = serde_json::from_str(&p.body).unwrap();
        v["total"].as_i64().unwrap()
    }
}

/// Links to enterprise pages (`/enterprises/<uscc>`) on a list page, in order.
fn enterprise_links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(r#"<td class="name"><a href="/enterprises/"#) {
        let s = &rest[i + r#"<td class="name"><a href="/enterprises/"#.len()..];
        let end = s.find('"').unwrap();
        out.push(s[..end].to_string());
        rest = &s[end..];
    }
    out
}

/// `(href, figure)` of every linked chart mark on a page.
fn chart_links(html: &str) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<a href=\"/enterprises?") {
        let s = &rest[i + "<a href=\"".len()..];
        let end = s.find('"').unwrap();
        let href = unescape(&s[..end]);
        let after = &s[end..];
        if let Some(n) = after
            .strip_prefix("\" data-count=\"")
            .and_then(|a| a.split('"').next())
        {
            out.push((href, n.parse().unwrap()));
        }
        rest = after;
    }
    out
}

#[tokio::test]
async fn the_workbench_shows_the_enterprise_count_equal_to_the_api_total() {
    let r = setup().await;
    let admin = Browser::login(&r, "admin").await;
    let home = admin.get("/").await;
    let card = between(
        &home.body,
        r#"<a class="card" href="/enterprises"><span class="num">"#,
        "<",
    )
    .expect("enterprise card");
    let api = admin.api_total("per_page=1").await;
    assert_eq!(card.replace(',', ""), api.to_string());
    assert_eq!(api, 200);
    assert!(home.body.contains("<svg class=\"chart bar\""));
    assert!(home.body.contains("<svg class=\"chart donut\""));
}

#[tokio::test]
async fn every_chart_bar_links_to_a_filtered_list_whose_total_equals_the_bar_figure() {
    let r = setup().await;
    let admin = Browser::login(&r, "admin").await;
    let home = admin.get("/").await;
    let links = chart_links(&home.body);
    assert!(links.len() >= 15, "too few chart links: {links:?}");
    assert!(links.iter().any(|(_, n)| *n > 0));
    for param in ["ecosystem=", "chain=", "street=", "size=", "tag="] {
        assert!(
            links.iter().any(|(h, _)| h.contains(param)),
            "no chart links by {param}"
        );
    }
    for (href, n) in &links {
        assert_eq!(admin.list_total(href).await, *n, "{href}");
    }
}

#[tokio::test]
async fn the_list_filters_by_chain_and_pages_keeping_the_filter_in_its_links() {
    let r = setup().await;
    let admin = Browser::login(&r, "admin").await;
    let n = admin.api_total("chain=ic").await;
    assert!(n > 5, "demo chain ic has {n} enterprises");
    let p1 = admin.get("/enterprises?chain=ic&per_page=5").await;
    assert_eq!(p1.status, StatusCode::OK);
    assert!(p1.body.contains(&format!(r#"data-total="{n}""#)));
    let first = enterprise_links(&p1.body);
    assert_eq!(first.len(), 5);
    let end = p1.body.find(r#"" rel="next""#).expect("a next link");
    let start = p1.body[..end].rfind("href=\"").unwrap() + 6;
    let next = unescape(&p1.body[start..end]);
    assert!(
        next.contains("chain=ic") && next.contains("per_page=5") && next.contains("page=2"),
        "{next}"
    );
    let p2 = admin.get(&format!("/enterprises{next}")).await;
    let second = enterprise_links(&p2.body);
    assert!(!second.is_empty());
    assert!(second.iter().all(|u| !first.contains(u)));
    // Every listed enterprise is on the chain.
    let detail = admin.get(&format!("/enterprises/{}", second[0])).await;
    assert!(detail.body.contains("/enterprises?chain=ic"));
    // An unknown filter value is refused with a message, not a crash.
    let bad = admin.get("/enterprises?chain=nope").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("nope"));
}

#[tokio::test]
async fn the_export_links_download_the_filtered_records() {
    let r = setup().await;
    let admin = Browser::login(&r, "admin").await;
    let n = admin.api_total("chain=ic").await;
    let list = admin.get("/enterprises?chain=ic").await;
    assert!(list.body.contains("/enterprises/export.csv?chain=ic"));
    let csv = admin.get("/enterprises/export.csv?chain=ic").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let lines = csv.body.lines().filter(|l| !l.trim().is_empty()).count() as i64;
    assert_eq!(lines, n + 1);
    let xlsx = admin.get("/enterprises/export.xlsx?chain=ic").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    let tpl = admin.get("/enterprises/template.csv").await;
    assert!(tpl.body.contains("统一社会信用代码"));
}

#[tokio::test]
async fn a_form_post_without_the_csrf_token_is_rejected_and_changes_nothing() {
    let r = setup().await;
    let admin = Browser::login(&r, "admin").await;
    let uscc = enterprise_links(&admin.get("/enterprises").await.body)[0].clone();
    let before = admin.get(&format!("/enterprises/{uscc}")).await.body;
    let resp = admin
        .post_raw(
            &format!("/enterprises/{uscc}"),
            &[("uscc", &uscc), ("name", "被篡改的名称")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::BAD_REQUEST);
    let wrong = admin
        .post_raw(
            &format!("/enterprises/{uscc}"),
            &[("_csrf", "0000"), ("uscc", &uscc), ("name", "被篡改的名称")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let after = admin.get(&format!("/enterprises/{uscc}")).await.body;
    assert!(!after.contains("被篡改的名称"));
    assert_eq!(
        between(&before, "<h1>", "</h1>"),
        between(&after, "<h1>", "</h1>")
    );
}

/// The form fields of an edit page as pairs (text inputs, selected options, checked boxes).
fn form_fields(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let form = &html[html.find(r#"<form class="record""#).unwrap()..];
    let form = &form[..form.find("</form>").unwrap()];
    let mut rest = form;
    while let Some(i) = rest.find("<input ") {
        let tag = &rest[i..rest[i..].find('>').unwrap() + i];
        let name = between(tag, r#"name=""#, "\"").unwrap_or("").to_string();
        let value = unescape(between(tag, r#"value=""#, "\"").unwrap_or(""));
        let checkbox = tag.contains(r#"type="checkbox""#);
        if !name.is_empty() && name != "_csrf" && (!checkbox || tag.contains(" checked")) {
            out.push((name, value));
        }
        rest = &rest[i + 6..];
    }
    let mut rest = form;
    while let Some(i) = rest.find("<select ") {
        let s = &rest[i..];
        let end = s.find("</select>").unwrap();
        let sel = &s[..end];
        let name = between(sel, r#"name=""#, "\"").unwrap_or("").to_string();
        let value = sel
            .split("<option ")
            .find(|o| o.contains(" selected>"))
            .and_then(|o| between(o, r#"value=""#, "\""))
            .map(unescape)
            .unwrap_or_default();
        out.push((name, value));
        rest = &s[end..];
    }
    out
}

fn set(fields: &mut [(String, String)], k: &str, v: &str) {
    for f in fields.iter_mut() {
        if f.0 == k {
            f.1 = v.to_string();
        }
    }
}

#[tokio::test]
async fn an_edit_saves_with_the_current_version_and_a_stale_version_shows_a_conflict() {
    let r = setup().await;
    let admin = Browser::login(&r, "admin").await;
    let uscc = enterprise_links(&admin.get("/enterprises").await.body)[1].clone();
    let edit = admin.get(&format!("/enterprises/{uscc}/edit")).await;
    assert_eq!(edit.status, StatusCode::OK);
    let mut fields = form_fields(&edit.body);
    let version = fields.iter().find(|f| f.0 == "version").unwrap().1.clone();
    set(&mut fields, "address", "浙江省杭州市滨江区测试路8号");
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let saved = admin.post(&format!("/enterprises/{uscc}"), &pairs).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(
        saved
            .location()
            .starts_with(&format!("/enterprises/{uscc}"))
    );
    let detail = admin.get(&saved.location()).await;
    assert!(detail.body.contains("浙江省杭州市滨江区测试路8号"));
    // Saving the same form again carries the old version: a conflict, not a silent overwrite.
    set(&mut fields, "address", "另一个地址");
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let stale = admin.post(&format!("/enterprises/{uscc}"), &pairs).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(
        stale
            .body
            .contains(&format!(r#"href="/enterprises/{uscc}/edit""#))
    );
    assert!(
        stale.body.contains("另一个地址"),
        "the typed values are kept"
    );
    assert!(stale.body.contains("已被他人修改"));
    let after = admin.get(&format!("/enterprises/{uscc}")).await;
    assert!(!after.body.contains("另一个地址"));
    assert_ne!(version, "");
}

#[tokio::test]
async fn a_refused_form_is_shown_again_with_the_values_and_each_error_next_to_its_field() {
    let r = setup().await;
    let admin = Browser::login(&r, "admin").await;
    let resp = admin
        .post(
            "/enterprises",
            &[
                ("uscc", "91330108MA27Y5XH5X"),
                ("name", "校验测试公司"),
                ("headcount", "10"),
                ("tech_staff", "30"),
                ("registered_on", "明天"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::BAD_REQUEST);
    assert!(resp.body.contains(r#"value="校验测试公司""#));
    assert!(resp.body.contains(r#"id="e-uscc""#));
    assert!(resp.body.contains(r#"id="e-tech_staff""#));
    assert!(resp.body.contains(r#"id="e-registered_on""#));
    assert!(!resp.body.contains(r#"id="e-name""#));
}

#[tokio::test]
async fn creating_an_enterprise_through_the_form_then_shows_it_in_the_list_and_its_file() {
    let r = setup().await;
    let admin = Browser::login(&r, "admin").await;
    let form = admin.get("/enterprises/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body
            .contains(r#"name="chain_nodes" value="ic.design""#)
    );
    let resp = admin
        .post(
            "/enterprises",
            &[
                ("uscc", "91330108MA27Y5XH5G"),
                ("name", "表单新建科技有限公司"),
                ("ownership", "民营企业"),
                ("street", "西兴街道"),
                ("headcount", "120"),
                ("tech_staff", "80"),
                ("revenue_yuan", "1200万"),
                ("chain_nodes", "ic.design"),
                ("tags", "专精特新"),
                ("extra_tags", "新兴标签"),
                ("contact_phone", "13812345678"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let file = admin.get(&resp.location()).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.body.contains("表单新建科技有限公司"));
    assert!(file.body.contains("1,200.00 万元"));
    assert!(file.body.contains("上游") || file.body.contains("中游") || file.body.contains("下游"));
    assert!(file.body.contains("新兴标签"));
    let list = admin.get("/enterprises?q=表单新建").await;
    assert!(list.body.contains(r#"data-total="1""#));
    assert_eq!(admin.api_total("per_page=1").await, 201);
    let audit = admin.get("/audit?action=enterprise.create").await;
    assert!(audit.body.contains("91330108MA27Y5XH5G"));
}

#[tokio::test]
async fn the_enterprise_user_sees_its_own_file_and_another_answers_like_an_unknown_one() {
    let r = setup().await;
    let admin = Browser::login(&r, "admin").await;
    let ent = Browser::login(&r, "ent").await;
    let own = enterprise_links(&ent.get("/enterprises").await.body);
    assert_eq!(own.len(), 1);
    assert_eq!(
        ent.get(&format!("/enterprises/{}", own[0])).await.status,
        StatusCode::OK
    );
    let other = enterprise_links(&admin.get("/enterprises").await.body)
        .into_iter()
        .find(|u| *u != own[0])
        .unwrap();
    let resp = ent.get(&format!("/enterprises/{other}")).await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    assert_eq!(
        ent.get(&format!("/enterprises/{other}/edit")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ent.get("/enterprises/91330108MA27Y5XH5G").await.status,
        StatusCode::NOT_FOUND
    );
    let missing = admin.get("/enterprises/91330108MA27Y5XH5G").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // The enterprise user's workbench counts only its own enterprise.
    let home = ent.get("/").await;
    assert!(
        home.body
            .contains(r#"<a class="card" href="/enterprises"><span class="num">1<"#)
    );
    assert!(
        !ent.get("/enterprises")
            .await
            .body
            .contains("/enterprises/new")
    );
}

#[tokio::test]
async fn non_administrators_get_403_on_accounts_and_the_audit_log_and_do_not_see_them() {
    let r = setup().await;
    for user in ["dept", "team", "ent", "bank"] {
        let b = Browser::login(&r, user).await;
        assert_eq!(
            b.get("/users").await.status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
        assert_eq!(
            b.get("/audit").await.status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
        let home = b.get("/").await;
        assert!(!home.body.contains(r#"href="/users""#), "{user}");
        let post = b
            .post(
                "/users",
                &[
                    ("username", "x1"),
                    ("role", "admin"),
                    ("password", "abc12345678"),
                ],
            )
            .await;
        assert_eq!(post.status, StatusCode::FORBIDDEN, "{user}");
    }
    let provider = Browser::login(&r, "provider").await;
    assert_eq!(
        provider.get("/enterprises").await.status,
        StatusCode::FORBIDDEN
    );
    let home = provider.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(!home.body.contains("data-count"));
}

/// A multipart body with the given text fields and one file.
fn multipart(fields: &[(&str, &str)], file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----lianshi-test-boundary";
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    b.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"e.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
    );
    b.extend_from_slice(file);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

#[tokio::test]
async fn the_import_page_accepts_a_csv_upload_and_reports_a_bad_row_with_row_number_and_column() {
    let r = setup().await;
    let admin = Browser::login(&r, "admin").await;
    let page = admin.get("/enterprises/import").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"enctype="multipart/form-data""#));
    let csv = "统一社会信用代码,企业名称,从业人数\n91330108MA27Y5XH5G,导入正确公司,10\n91330108MA27Y5XH5G,导入错误公司,很多\n";
    let upload = |fields: Vec<(&'static str, String)>| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (ct, body) = multipart(&pairs, csv.as_bytes());
        // The form carries its token in the action URL, checked before the body is read.
        let uri = match pairs.iter().find(|(k, _)| *k == "_csrf") {
            Some((_, t)) => format!("/enterprises/import?_csrf={t}"),
            None => "/enterprises/import".into(),
        };
        Request::post(uri)
            .header(header::COOKIE, format!("lianshi_session={}", admin.session))
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    // Without the token nothing happens.
    let refused = send(&r, upload(vec![])).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let resp = send(&r, upload(vec![("_csrf", admin.csrf.clone())])).await;
    assert_eq!(
        resp.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        resp.body
    );
    assert!(resp.body.contains(r#"data-k="rows">2<"#), "{}", resp.body);
    assert!(resp.body.contains(r#"data-k="invalid">1<"#));
    let errors = &resp.body[resp
        .body
        .find("class=\"dense errors\"")
        .expect("error table")..];
    assert!(
        errors.contains(r#"<td class="num">3</td><td>从业人数"#),
        "{errors}"
    );
    assert_eq!(admin.api_total("q=导入正确").await, 0, "nothing written");
    // Skipping bad rows writes the good one.
    let resp = send(
        &r,
        upload(vec![
            ("_csrf", admin.csrf.clone()),
            ("skip_invalid", "1".into()),
        ]),
    )
    .await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    assert!(resp.body.contains(r#"data-k="created">1<"#));
    assert_eq!(admin.api_total("q=导入正确").await, 1);
}

#[tokio::test]
async fn the_registry_shows_counts_linking_to_the_list_and_only_administrators_may_add() {
    let r = setup().await;
    let admin = Browser::login(&r, "admin").await;
    let page = admin.get("/registry").await;
    assert_eq!(page.status, StatusCode::OK);
    for kind in [
        "ecosystem",
        "chain",
        "chain_node",
        "department",
        "institution",
        "street",
        "park",
        "building",
        "community",
    ] {
        assert!(page.body.contains(&format!(r#"id="{kind}""#)), "{kind}");
    }
    let links = chart_links(&page.body);
    assert!(
        links
            .iter()
            .any(|(h, _)| h.starts_with("/enterprises?chain="))
    );
    for (href, n) in links
        .iter()
        .filter(|(h, _)| h.contains("chain=") || h.contains("street="))
    {
        assert_eq!(admin.list_total(href).await, *n, "{href}");
    }
    let added = admin
        .post(
            "/registry/department",
            &[("code", "test-dept"), ("name", "测试局"), ("sort", "9")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    assert!(admin.get("/registry").await.body.contains("测试局"));
    let bad = admin
        .post("/registry/chain", &[("code", "x"), ("name", "无上级的链")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains("无上级的链"),
        "the form is shown again with the values"
    );
    let team = Browser::login(&r, "team").await;
    let seen = team.get("/registry").await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!seen.body.contains(r#"action="/registry/department""#));
    let post = team
        .post(
            "/registry/department",
            &[("code", "t2"), ("name", "不该有")],
        )
        .await;
    assert_eq!(post.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_administrator_creates_deactivates_and_resets_an_account_and_the_log_shows_it() {
    let r = setup().await;
    let admin = Browser::login(&r, "admin").await;
    let page = admin.get("/users").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(">secretary<"));
    let weak = admin
        .post(
            "/users",
            &[
                ("username", "newbie"),
                ("role", "team"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert!(weak.body.contains(r#"value="newbie""#));
    let ok = admin
        .post(
            "/users",
            &[
                ("username", "newbie"),
                ("display_name", "新队员"),
                ("role", "team"),
                ("password", "Nimble-Heron-2026"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let page = admin.get("/users").await;
    let id = between(&page.body, ">newbie<", "/active\"")
        .and_then(|s| s.rsplit("/users/").next())
        .unwrap()
        .to_string();
    let off = admin
        .post(
            &format!("/users/{id}/active"),
            &[("active", "0"), ("confirm", "1")],
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    let row = admin.get("/users").await.body;
    assert!(row.contains(r#"<tr class="inactive">"#));
    let pw = admin
        .post(
            &format!("/users/{id}/password"),
            &[("password", "Another2026")],
        )
        .await;
    assert_eq!(pw.status, StatusCode::SEE_OTHER);
    let log = admin.get("/audit?entity=user").await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.body.contains("user.update") && log.body.contains("user.create"));
    // Newest first.
    assert!(log.body.find("user.update").unwrap() < log.body.find("user.create").unwrap());
}

#[tokio::test]
async fn pages_switch_to_english_and_remember_it() {
    let r = setup().await;
    let admin = Browser::login(&r, "admin").await;
    let en = admin.get("/enterprises?lang=en").await;
    assert!(en.body.contains("Export CSV"));
    assert!(cookie_of(&en.headers, "lang").as_deref() == Some("en"));
    let zh = admin.get("/enterprises").await;
    assert!(zh.body.contains("导出 CSV"));
}

/// Every `t.get("key")` in templates and page code has a message in both files.
#[test]
fn every_message_key_used_in_templates_and_pages_exists_in_both_message_files() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["templates", "src/pages"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    files.push(root.join("src/pages.rs"));
    let (zh, en) = lianshi_web::i18n::all_keys();
    let mut used = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("t.get(\"") {
            let s = &rest[i + 7..];
            let end = s.find('"').unwrap();
            let key = &s[..end];
            assert!(
                zh.iter().any(|k| k == key),
                "{key} missing in zh-CN.ftl ({})",
                f.display()
            );
            assert!(
                en.iter().any(|k| k == key),
                "{key} missing in en.ftl ({})",
                f.display()
            );
            used += 1;
            rest = &s[end..];
        }
    }
    assert!(used > 150, "scanned only {used} uses");
    assert_eq!(zh, en, "both files define the same keys");
}

#[tokio::test]
async fn an_enterprise_users_revenue_edit_waits_on_its_page_until_a_department_accepts_it() {
    let r = setup().await;
    let ent = Browser::login(&r, "ent").await;
    let uscc = enterprise_links(&ent.get("/enterprises").await.body)[0].clone();
    let edit = ent.get(&format!("/enterprises/{uscc}/edit")).await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.body);
    let mut fields = form_fields(&edit.body);
    set(&mut fields, "revenue_yuan", "100亿");
    set(&mut fields, "address", "浙江省杭州市滨江区自报路1号");
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let saved = ent.post(&format!("/enterprises/{uscc}"), &pairs).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(
        saved.location().ends_with("?proposed=1"),
        "{}",
        saved.location()
    );
    let page = ent.get(&saved.location()).await.body;
    assert!(page.contains("待核实的更正"));
    assert!(page.contains("需经部门核实后生效"));
    let hundred_yi = lianshi_domain::Money(1_000_000_000_000);
    assert!(
        page.contains(&hundred_yi.format_auto()),
        "the proposed value is shown"
    );
    assert!(page.contains("自报路1号"), "the address is saved directly");
    assert!(
        !page.contains("/accept"),
        "an enterprise cannot accept its own correction"
    );

    let dept = Browser::login(&r, "dept").await;
    let list = dept.get("/enterprises").await.body;
    assert!(list.contains("待核实的企业更正"), "the reviewers' queue");
    assert!(list.contains(&format!(r#"href="/enterprises/{uscc}#corrections""#)));
    let page = dept.get(&format!("/enterprises/{uscc}")).await.body;
    let id = between(
        &page,
        &format!("/enterprises/{uscc}/corrections/"),
        "/accept",
    )
    .expect("an accept form for the department")
    .to_string();
    let accept = format!("/enterprises/{uscc}/corrections/{id}/accept");
    let done = dept.post(&accept, &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = dept.get(&done.location()).await.body;
    assert!(page.contains("已采纳"));
    let list = dept.get("/enterprises").await.body;
    assert!(
        !list.contains("待核实的企业更正"),
        "the queue is empty again"
    );
    assert!(page.contains("部门核实"));
    assert!(
        page.contains(&hundred_yi.format_wan()),
        "revenue now in force"
    );
}
