//! Sign-in back-off, unlocking, token revocation and the audit of failed sign-ins, on both
//! backends. The clock is passed in (`App::login_at`), so nothing here sleeps.

use chrono::{DateTime, Duration, TimeZone, Utc};
use lianshi_app::auth::{ACCOUNT, PAIR};
use lianshi_app::user::UserInput;
use lianshi_app::{App, AppError};
use lianshi_store::audit::AuditQuery;
use lianshi_store::{Db, both_backends};

mod common;
use common::admin;

const PW: &str = "Kettle-Sparrow-42";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().unwrap()
}

async fn with_user(db: Db, name: &str) -> App {
    let app = App::new(db);
    app.user_create(
        &admin(),
        &UserInput {
            username: name.into(),
            role: "team".into(),
            password: PW.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    app
}

/// The outcome of one attempt as a caller sees it: status code and message.
async fn attempt(app: &App, user: &str, pw: &str, client: &str, at: DateTime<Utc>) -> String {
    match app.login_at(user, pw, client, "api", at).await {
        Ok(_) => "ok".into(),
        Err(e) => format!("{} {}", e.code(), e.message()),
    }
}

fn throttled(r: &Result<lianshi_app::auth::Login, AppError>) -> bool {
    matches!(r, Err(AppError::Throttled { .. }))
}

async fn audit_count(app: &App, action: &str, actor: &str) -> i64 {
    let q = AuditQuery {
        action: Some(action.into()),
        actor: Some(actor.into()),
        limit: 100,
        ..Default::default()
    };
    app.audit_search(&admin(), &q).await.unwrap().1
}

both_backends!(
    wrong_passwords_slow_down_one_client_but_the_owner_still_signs_in_from_another,
    |db: Db| async move {
        let app = with_user(db, "t1").await;
        for _ in 0..PAIR.free {
            let r = app
                .login_at("t1", "Wrong-pass-1", "6.6.6.6", "api", t0())
                .await;
            assert_eq!(r.err().map(|e| e.code()), Some("login_failed"));
        }
        // The attacker's next try must wait, even with the right password …
        let r = app.login_at("t1", PW, "6.6.6.6", "api", t0()).await;
        assert!(throttled(&r), "{:?}", r.err());
        // … but the owner elsewhere signs in at once, admin or not.
        assert!(
            app.login_at("t1", PW, "10.1.1.1", "api", t0())
                .await
                .is_ok()
        );
        // And once the short delay is over, the attacker's client is heard again.
        let later = t0() + Duration::seconds(PAIR.base_secs + 1);
        assert!(
            app.login_at("t1", PW, "6.6.6.6", "api", later)
                .await
                .is_ok()
        );
    }
);

both_backends!(
    one_wrong_try_a_quarter_hour_never_keeps_an_account_locked,
    |db: Db| async move {
        let app = with_user(db, "t1").await;
        let mut at = t0();
        for i in 0..12 {
            let r = attempt(&app, "t1", "Wrong-pass-1", "6.6.6.6", at).await;
            assert!(r.starts_with("login_failed"), "try {i}: {r}");
            at += Duration::minutes(15);
        }
        assert_eq!(attempt(&app, "t1", PW, "6.6.6.6", at).await, "ok");
    }
);

both_backends!(
    failures_are_forgotten_after_an_hour_without_one,
    |db: Db| async move {
        let app = with_user(db, "t1").await;
        for _ in 0..PAIR.free {
            let _ = app
                .login_at("t1", "Wrong-pass-1", "6.6.6.6", "api", t0())
                .await;
        }
        assert!(throttled(
            &app.login_at("t1", "Wrong-pass-1", "6.6.6.6", "api", t0())
                .await
        ));
        // An hour and a bit later the count starts again: the free tries are free again.
        let at = t0() + Duration::minutes(61);
        for i in 0..PAIR.free {
            let r = attempt(&app, "t1", "Wrong-pass-1", "6.6.6.6", at).await;
            assert!(r.starts_with("login_failed"), "try {i}: {r}");
        }
        assert!(throttled(
            &app.login_at("t1", PW, "6.6.6.6", "api", at).await
        ));
    }
);

both_backends!(
    a_distributed_guesser_delays_new_clients_briefly_but_not_one_that_signed_in_before,
    |db: Db| async move {
        let app = with_user(db, "t1").await;
        assert!(
            app.login_at("t1", PW, "10.1.1.1", "api", t0())
                .await
                .is_ok()
        );
        for i in 0..ACCOUNT.free {
            let r = attempt(&app, "t1", "Wrong-pass-1", &format!("7.7.7.{i}"), t0()).await;
            assert!(r.starts_with("login_failed"), "{r}");
        }
        // The guesser's next fresh address has to wait too.
        let r = attempt(&app, "t1", "Wrong-pass-1", "7.7.8.1", t0()).await;
        assert!(r.starts_with("too_many_attempts"), "{r}");
        match app.login_at("t1", PW, "10.9.9.9", "api", t0()).await {
            Err(AppError::Throttled { retry_after_secs }) => {
                assert!((1..=ACCOUNT.cap_secs).contains(&retry_after_secs))
            }
            other => panic!("expected a short wait, got {:?}", other.map(|_| ())),
        }
        assert!(
            app.login_at("t1", PW, "10.1.1.1", "api", t0())
                .await
                .is_ok()
        );
        let later = t0() + Duration::seconds(ACCOUNT.cap_secs + 1);
        assert!(
            app.login_at("t1", PW, "10.9.9.9", "api", later)
                .await
                .is_ok()
        );
    }
);

both_backends!(
    an_unknown_user_and_a_wrong_password_get_the_same_answer,
    |db: Db| async move {
        let app = with_user(db, "t1").await;
        for i in 0..(PAIR.free + 3) {
            let at = t0() + Duration::milliseconds(100 * i);
            let real = attempt(&app, "t1", "Wrong-pass-1", "6.6.6.1", at).await;
            let ghost = attempt(&app, "ghost1", "Wrong-pass-1", "6.6.6.2", at).await;
            assert_eq!(real, ghost, "attempt {i}");
        }
    }
);

both_backends!(
    failed_sign_ins_and_back_offs_are_audited_under_the_attempted_name,
    |db: Db| async move {
        let app = with_user(db, "t1").await;
        for _ in 0..PAIR.free {
            let _ = app
                .login_at("Ghost2", "Wrong-pass-1", "6.6.6.6", "api", t0())
                .await;
        }
        assert_eq!(
            audit_count(&app, "auth.login_failed", "ghost2").await,
            PAIR.free
        );
        assert_eq!(audit_count(&app, "auth.login_backoff", "ghost2").await, 1);
        let _ = app
            .login_at("t1", "Wrong-pass-1", "6.6.6.7", "api", t0())
            .await;
        assert_eq!(audit_count(&app, "auth.login_failed", "t1").await, 1);
    }
);

both_backends!(
    an_unlock_a_password_reset_and_a_reactivation_each_clear_the_back_off,
    |db: Db| async move {
        let app = with_user(db, "t1").await;
        let id = app.user_list(&admin()).await.unwrap()[0].id;
        let fail = |app: App| async move {
            for _ in 0..PAIR.free {
                let _ = app
                    .login_at("t1", "Wrong-pass-1", "6.6.6.6", "api", Utc::now())
                    .await;
            }
            assert!(throttled(
                &app.login_at("t1", "Wrong-pass-1", "6.6.6.6", "api", Utc::now())
                    .await
            ));
        };
        fail(app.clone()).await;
        assert!(app.user_unlock(&admin(), "t1").await.unwrap());
        assert!(app.login("t1", PW, "6.6.6.6", "api").await.is_ok());
        assert_eq!(audit_count(&app, "user.unlock", "system:cli").await, 1);

        fail(app.clone()).await;
        let new_pw = "Otter-Lantern-77";
        app.user_edit(&admin(), id, None, None, Some(new_pw))
            .await
            .unwrap();
        assert!(app.login("t1", new_pw, "6.6.6.6", "api").await.is_ok());

        fail(app.clone()).await;
        app.user_edit(&admin(), id, None, Some(false), None)
            .await
            .unwrap();
        app.user_edit(&admin(), id, None, Some(true), None)
            .await
            .unwrap();
        assert!(app.login("t1", new_pw, "6.6.6.6", "api").await.is_ok());
        // Unknown names can be cleared too (they are counted by name).
        assert!(!app.user_unlock(&admin(), "nobody-here").await.unwrap());
    }
);

both_backends!(
    every_server_on_the_database_shares_the_per_client_count,
    |db: Db| async move {
        let one = with_user(db.clone(), "t1").await;
        let two = App::new(db);
        let c = lianshi_app::auth::CLIENT;
        for i in 0..c.free {
            let _ = one
                .login_at(&format!("ghost{i}"), "x", "9.9.9.9", "api", t0())
                .await;
        }
        assert!(throttled(
            &two.login_at("t1", PW, "9.9.9.9", "api", t0()).await
        ));
        assert!(two.login_at("t1", PW, "8.8.8.8", "api", t0()).await.is_ok());
    }
);

both_backends!(a_token_holder_can_revoke_its_token, |db: Db| async move {
    let app = with_user(db, "t1").await;
    let l = app.login("t1", PW, "1.1.1.1", "api").await.unwrap();
    let keep = app.login("t1", PW, "1.1.1.1", "api").await.unwrap();
    app.token_revoke(&l.token).await.unwrap();
    assert!(matches!(
        app.authenticate(&l.token).await,
        Err(AppError::Unauthenticated)
    ));
    assert!(matches!(
        app.token_revoke(&l.token).await,
        Err(AppError::Unauthenticated)
    ));
    assert!(app.authenticate(&keep.token).await.is_ok());
    assert_eq!(audit_count(&app, "auth.token_revoke", "t1").await, 1);
});

#[tokio::test]
async fn parallel_attempts_cannot_all_slip_through_one_free_slot() {
    let t = lianshi_store::testkit::sqlite().await;
    let app = with_user(t.db.clone(), "t1").await;
    let tries = (0..(PAIR.free + 4)).map(|_| {
        let app = app.clone();
        tokio::spawn(async move {
            app.login_at("t1", "Wrong-pass-1", "6.6.6.6", "api", t0())
                .await
        })
    });
    let mut failed = 0;
    for h in tries {
        if let Err(AppError::BadRequest { .. }) = h.await.unwrap() {
            failed += 1;
        }
    }
    assert_eq!(
        failed, PAIR.free,
        "only the free tries reach the password check"
    );
}
