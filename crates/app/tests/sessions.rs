//! The session cache (issue 11, item 5), on both backends: a second request is answered without
//! looking the session up; logout, revocation, a password change, a role change and deactivation
//! take effect at once in the same process; a change made by another process (another `App` on
//! the same database) takes effect within the bound and not through luck; expiry holds to the
//! millisecond. The bound is set per test instead of sleeping.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use lianshi_app::auth::token_hash;
use lianshi_app::session::{SESSION_CACHE_BOUND, SESSION_CACHE_MAX_AGE};
use lianshi_app::user::UserInput;
use lianshi_app::{App, AppError};
use lianshi_domain::Role;
use lianshi_store::{Db, both_backends};
use std::time::Duration as Std;

mod common;
use common::admin;

const PW: &str = "Kettle-Sparrow-42";
const NEW_PW: &str = "Otter-Lantern-77";
/// Long enough that nothing in a test reaches it.
const HOUR: Std = Std::from_secs(3600);

/// The clock of the expiry tests: now to the second, since a new session's last-seen time is
/// the real time of its creation. Called once per test.
fn start() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

/// An app with user `t1` (role team); its id.
async fn with_user(db: Db) -> (App, i64) {
    let app = App::new(db);
    let id = app
        .user_create(
            &admin(),
            &UserInput {
                username: "t1".into(),
                role: "team".into(),
                password: PW.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    (app, id)
}

async fn token(app: &App, kind: &str) -> String {
    app.login("t1", PW, "test", kind).await.unwrap().token
}

fn lookups(app: &App) -> u64 {
    app.session_cache().stats().store_lookups
}

fn refused(r: Result<(lianshi_app::Actor, String), AppError>) -> bool {
    matches!(r, Err(AppError::Unauthenticated))
}

async fn role(app: &App, tok: &str) -> Role {
    app.authenticate(tok).await.unwrap().0.role
}

#[test]
fn the_bounds_are_the_documented_ones() {
    assert_eq!(SESSION_CACHE_BOUND, Std::from_secs(1));
    assert_eq!(SESSION_CACHE_MAX_AGE, Std::from_secs(60));
}

both_backends!(
    after_one_lookup_requests_are_answered_without_asking_the_database,
    |db: Db| async move {
        let (app, _) = with_user(db.clone()).await;
        for kind in ["api", "session"] {
            let tok = token(&app, kind).await;
            let before = lookups(&app);
            let (a, csrf) = app.authenticate(&tok).await.unwrap();
            assert_eq!((a.username.as_str(), a.role), ("t1", Role::Team));
            assert_eq!(lookups(&app), before + 1);
            for _ in 0..20 {
                assert_eq!(
                    app.authenticate(&tok).await.unwrap(),
                    (a.clone(), csrf.clone())
                );
            }
            assert_eq!(
                lookups(&app),
                before + 1,
                "{kind}: one lookup for 21 requests"
            );
        }
        // Unknown tokens are never cached: each asks the database.
        let before = lookups(&app);
        for _ in 0..3 {
            assert!(refused(app.authenticate("not-a-token").await));
        }
        assert_eq!(lookups(&app), before + 3);

        // The other side of the proof: end the session behind the app's back, without the
        // change counter (as a hand-written SQL statement would). The cache keeps answering
        // within its age limit — so it did not ask — and stops once entries may not be reused.
        let tok = token(&app, "api").await;
        app.authenticate(&tok).await.unwrap();
        let now = Utc::now();
        let s = db
            .session_get(&token_hash(&tok), &now.to_rfc3339())
            .await
            .unwrap()
            .unwrap();
        let past = (now - Duration::hours(1)).to_rfc3339();
        assert!(db.session_touch(s.id, &past, &past).await.unwrap());
        assert!(app.authenticate(&tok).await.is_ok());
        app.session_cache()
            .set_bounds(SESSION_CACHE_BOUND, Std::ZERO);
        assert!(refused(app.authenticate(&tok).await));
    }
);

both_backends!(
    logout_and_token_revocation_take_effect_at_once,
    |db: Db| async move {
        let (app, _) = with_user(db).await;
        // A bound far away: only the in-process invalidation can make these pass.
        app.session_cache().set_bounds(HOUR, HOUR);
        let a = token(&app, "session").await;
        let b = token(&app, "api").await;
        app.authenticate(&a).await.unwrap();
        app.authenticate(&b).await.unwrap();
        app.logout(&a).await.unwrap();
        assert!(refused(app.authenticate(&a).await));
        app.token_revoke(&b).await.unwrap();
        assert!(refused(app.authenticate(&b).await));
        assert!(matches!(
            app.token_revoke(&b).await,
            Err(AppError::Unauthenticated)
        ));
    }
);

both_backends!(
    password_change_role_change_and_deactivation_take_effect_at_once,
    |db: Db| async move {
        let (app, id) = with_user(db).await;
        app.session_cache().set_bounds(HOUR, HOUR);

        // Role and scope: the same token carries the new role on the next request.
        let tok = token(&app, "api").await;
        assert_eq!(role(&app, &tok).await, Role::Team);
        app.user_set_role(&admin(), id, "party_secretary", None, None)
            .await
            .unwrap();
        assert_eq!(role(&app, &tok).await, Role::PartySecretary);
        // A rename shows at once too.
        app.user_edit(&admin(), id, Some("新名字"), None, None)
            .await
            .unwrap();
        assert_eq!(
            app.authenticate(&tok).await.unwrap().0.display_name,
            "新名字"
        );

        // Password change: every session of the user ends.
        let other = token(&app, "session").await;
        app.authenticate(&other).await.unwrap();
        app.user_edit(&admin(), id, None, None, Some(NEW_PW))
            .await
            .unwrap();
        assert!(refused(app.authenticate(&tok).await));
        assert!(refused(app.authenticate(&other).await));

        // Deactivation.
        let tok = app.login("t1", NEW_PW, "test", "api").await.unwrap().token;
        app.authenticate(&tok).await.unwrap();
        app.user_edit(&admin(), id, None, Some(false), None)
            .await
            .unwrap();
        assert!(refused(app.authenticate(&tok).await));
    }
);

both_backends!(
    role_changes_are_checked_and_audited_and_not_on_oneself,
    |db: Db| async move {
        let (app, id) = with_user(db).await;
        let code = |r: Result<(), AppError>| r.err().map(|e| e.code());
        assert_eq!(
            code(app.user_set_role(&admin(), id, "king", None, None).await),
            Some("role_unknown")
        );
        assert_eq!(
            code(
                app.user_set_role(&admin(), id, "enterprise", None, None)
                    .await
            ),
            Some("enterprise_required")
        );
        assert_eq!(
            code(app.user_set_role(&admin(), 9999, "team", None, None).await),
            Some("not_found")
        );
        let me = app.login("t1", PW, "test", "api").await.unwrap().actor;
        assert_eq!(
            code(app.user_set_role(&me, id, "admin", None, None).await),
            Some("forbidden")
        );
        app.user_set_role(&admin(), id, "admin", None, None)
            .await
            .unwrap();
        let me = app.login("t1", PW, "test", "api").await.unwrap().actor;
        assert_eq!(me.role, Role::Admin);
        assert_eq!(
            code(app.user_set_role(&me, id, "team", None, None).await),
            Some("cannot_change_own_role")
        );
        let q = lianshi_store::audit::AuditQuery {
            action: Some("user.role".into()),
            limit: 10,
            ..Default::default()
        };
        assert_eq!(app.audit_search(&admin(), &q).await.unwrap().1, 1);
    }
);

both_backends!(
    another_process_changes_take_effect_within_the_bound,
    |db: Db| async move {
        // `here` serves requests; `there` is another process on the same database (the CLI,
        // a second server): its own App and its own cache.
        let (here, id) = with_user(db.clone()).await;
        let there = App::new(db);
        let bound = |b: Std| here.session_cache().set_bounds(b, HOUR);

        // Role change.
        bound(HOUR);
        let tok = token(&here, "api").await;
        assert_eq!(role(&here, &tok).await, Role::Team);
        there
            .user_set_role(&admin(), id, "party_secretary", None, None)
            .await
            .unwrap();
        // Inside the bound the cached answer may stand (here it does: nothing was re-read) …
        assert_eq!(role(&here, &tok).await, Role::Team);
        // … and once the bound has passed (zero: it has always passed) the change is seen.
        bound(Std::ZERO);
        assert_eq!(role(&here, &tok).await, Role::PartySecretary);

        // Logout elsewhere (another server handed the same cookie, or `DELETE …/token`).
        bound(HOUR);
        let tok = token(&here, "session").await;
        here.authenticate(&tok).await.unwrap();
        there.logout(&tok).await.unwrap();
        assert!(here.authenticate(&tok).await.is_ok());
        bound(Std::ZERO);
        assert!(refused(here.authenticate(&tok).await));

        // Password change.
        bound(HOUR);
        let tok = token(&here, "api").await;
        here.authenticate(&tok).await.unwrap();
        there
            .user_edit(&admin(), id, None, None, Some(NEW_PW))
            .await
            .unwrap();
        assert!(here.authenticate(&tok).await.is_ok());
        bound(Std::ZERO);
        assert!(refused(here.authenticate(&tok).await));

        // Deactivation.
        bound(HOUR);
        let tok = here.login("t1", NEW_PW, "test", "api").await.unwrap().token;
        here.authenticate(&tok).await.unwrap();
        there
            .user_edit(&admin(), id, None, Some(false), None)
            .await
            .unwrap();
        assert!(here.authenticate(&tok).await.is_ok());
        bound(Std::ZERO);
        assert!(refused(here.authenticate(&tok).await));

        // With the real bound the counter is read at most once per bound, not per request.
        here.session_cache().set_bounds(SESSION_CACHE_BOUND, HOUR);
        there
            .user_edit(&admin(), id, None, Some(true), None)
            .await
            .unwrap();
        let tok = here.login("t1", NEW_PW, "test", "api").await.unwrap().token;
        here.authenticate(&tok).await.unwrap();
        let reads = here.session_cache().stats().counter_reads;
        for _ in 0..50 {
            here.authenticate(&tok).await.unwrap();
        }
        assert!(here.session_cache().stats().counter_reads <= reads + 1);
    }
);

both_backends!(
    a_session_ended_elsewhere_is_refused_when_its_idle_timeout_slides,
    |db: Db| async move {
        let (here, _) = with_user(db.clone()).await;
        let there = App::new(db);
        here.session_cache().set_bounds(HOUR, HOUR);
        let t0 = start();
        let l = here.login_at_kind("session", t0).await;
        here.authenticate_at(&l, t0).await.unwrap();
        there.logout(&l).await.unwrap();
        // Within the minute the cached copy answers; sliding writes to the row, finds it gone.
        assert!(
            here.authenticate_at(&l, t0 + Duration::seconds(30))
                .await
                .is_ok()
        );
        assert!(refused(
            here.authenticate_at(&l, t0 + Duration::minutes(2)).await
        ));
    }
);

both_backends!(expiry_holds_to_the_millisecond, |db: Db| async move {
    let (app, _) = with_user(db.clone()).await;
    app.session_cache().set_bounds(HOUR, HOUR);
    let ms = Duration::milliseconds(1);
    let t0 = start();

    // An API token: 24 hours, no sliding.
    let tok = app.login_at_kind("api", t0).await;
    let end = t0 + Duration::hours(24);
    app.authenticate_at(&tok, t0).await.unwrap();
    let n = lookups(&app);
    assert!(app.authenticate_at(&tok, end - ms).await.is_ok());
    assert_eq!(lookups(&app), n, "answered from the cache");
    assert!(refused(app.authenticate_at(&tok, end).await));

    // A browser session: 30 idle minutes, slid by use and followed by the cache.
    let tok = app.login_at_kind("session", t0).await;
    app.authenticate_at(&tok, t0).await.unwrap();
    app.authenticate_at(&tok, t0 + Duration::minutes(2))
        .await
        .unwrap();
    let end = t0 + Duration::minutes(32);
    // The cached copy ends exactly at the slid expiry …
    assert!(refused(app.authenticate_at(&tok, end).await));
    // … where the database ends it (a fresh app has nothing cached).
    let fresh = App::new(db);
    assert!(fresh.authenticate_at(&tok, end - ms).await.is_ok());
});

/// Log `t1` in at `t0` (the clock of the expiry tests).
trait LoginAt {
    async fn login_at_kind(&self, kind: &str, t0: DateTime<Utc>) -> String;
}

impl LoginAt for App {
    async fn login_at_kind(&self, kind: &str, t0: DateTime<Utc>) -> String {
        self.login_at("t1", PW, "test", kind, t0)
            .await
            .unwrap()
            .token
    }
}
