//! The session cache seen through the router, on both backends: repeated `/api/v1/me` calls
//! look the token up once; deactivation on the users page, a role change and signing out take
//! effect on the next request; a change made by another process takes effect within the bound.

use axum::http::StatusCode;
use lianshi_app::user::UserInput;
use lianshi_app::{Actor, App, Source};
use lianshi_store::{Db, both_backends};
use std::time::Duration;

mod common;
use common::*;

const HOUR: Duration = Duration::from_secs(3600);

/// A team user `t9` (demo password) and its id.
async fn user(app: &App) -> i64 {
    app.user_create(
        &Actor::system(Source::Cli),
        &UserInput {
            username: "t9".into(),
            role: "team".into(),
            password: PASSWORD.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

async fn me(r: &axum::Router, tok: &str) -> (StatusCode, String) {
    let (s, v) = call(r, "GET", "/api/v1/me", Some(tok), None).await;
    (s, v["role"].as_str().unwrap_or_default().to_string())
}

fn lookups(app: &App) -> u64 {
    app.session_cache().stats().store_lookups
}

both_backends!(
    the_api_resolves_a_token_once_and_sees_changes_on_the_next_request,
    |db: Db| async move {
        let (r, app) = setup(db, 1).await;
        // Only in-process invalidation can make the changes below visible.
        app.session_cache().set_bounds(HOUR, HOUR);
        let id = user(&app).await;
        let tok = token(&r, "t9").await;
        let before = lookups(&app);
        for _ in 0..10 {
            assert_eq!(me(&r, &tok).await, (StatusCode::OK, "team".into()));
        }
        assert_eq!(lookups(&app), before + 1);

        app.user_set_role(
            &Actor::system(Source::Cli),
            id,
            "party_secretary",
            None,
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            me(&r, &tok).await,
            (StatusCode::OK, "party_secretary".into())
        );

        // An administrator deactivates the account on the users page.
        let (admin, csrf) = login(&r, "admin", "/users").await;
        let (s, _, _) = post(
            &r,
            &admin,
            &format!("/users/{id}/active"),
            &[("_csrf", &csrf), ("active", "false"), ("confirm", "1")],
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert_eq!(me(&r, &tok).await.0, StatusCode::UNAUTHORIZED);

        // Signing out ends the browser session for the next request.
        let (s, _, _) = get(&r, &admin, "/users").await;
        assert_eq!(s, StatusCode::OK);
        let (s, _, _) = post(&r, &admin, "/logout", &[("_csrf", &csrf)]).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let (s, h, _) = get(&r, &admin, "/users").await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert!(h["location"].to_str().unwrap().starts_with("/login"));
    }
);

both_backends!(
    another_process_deactivating_a_user_is_seen_within_the_bound,
    |db: Db| async move {
        let (r, app) = setup(db.clone(), 1).await;
        let id = user(&app).await;
        let tok = token(&r, "t9").await;
        app.session_cache().set_bounds(HOUR, HOUR);
        assert_eq!(me(&r, &tok).await.0, StatusCode::OK);
        // `lianshi user …` or a second server: another App on the same database.
        let other = App::new(db);
        other
            .user_edit(&Actor::system(Source::Cli), id, None, Some(false), None)
            .await
            .unwrap();
        assert_eq!(me(&r, &tok).await.0, StatusCode::OK, "inside the bound");
        app.session_cache().set_bounds(Duration::ZERO, HOUR);
        assert_eq!(me(&r, &tok).await.0, StatusCode::UNAUTHORIZED, "past it");
    }
);
