//! Setup shared by the app's integration tests: the administrator, the demo zone, people signed
//! in through the use cases, bare actors for permission checks, and a few credit codes.
//! Each test binary uses part of it.
#![allow(dead_code)]

use lianshi_app::enterprise::EnterpriseQuery;
use lianshi_app::user::UserInput;
use lianshi_app::{Actor, App, Source};
use lianshi_domain::Role;
use lianshi_store::Db;

/// The password of every user the tests create.
pub const PW: &str = "Lianshi@2026";

/// The operator at the command line.
pub fn admin() -> Actor {
    Actor::system(Source::Cli)
}

/// The demo zone with `n` enterprises (seed 11).
pub async fn demo(db: Db, n: usize) -> App {
    let app = App::new(db);
    app.demo_load(&Actor::system(Source::Demo), n, 11)
        .await
        .unwrap();
    app
}

/// Create a user (password [`PW`]) and sign in as them.
pub async fn signed_in(
    app: &App,
    username: &str,
    role: &str,
    enterprise: Option<String>,
    department: Option<&str>,
) -> Actor {
    app.user_create(
        &admin(),
        &UserInput {
            username: username.into(),
            display_name: Some(format!("{username}（示例）")),
            role: role.into(),
            password: PW.into(),
            enterprise,
            department: department.map(str::to_string),
        },
    )
    .await
    .unwrap();
    app.login(username, PW, "test", "api").await.unwrap().actor
}

/// An actor without a user row, for checks that need only role and scope.
pub fn actor(role: Role, enterprise_id: Option<i64>, department_id: Option<i64>) -> Actor {
    Actor {
        user_id: None,
        username: format!("{}-{enterprise_id:?}-{department_id:?}", role.as_str()),
        display_name: "测试".into(),
        role,
        enterprise_id,
        department_id,
        source: Source::Api,
    }
}

/// The credit codes of the first `n` enterprises of the list.
pub async fn usccs(app: &App, n: i64) -> Vec<String> {
    app.enterprise_list(
        &admin(),
        &EnterpriseQuery {
            per_page: Some(n),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items
    .into_iter()
    .map(|e| e.uscc)
    .collect()
}
