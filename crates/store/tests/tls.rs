//! TLS to PostgreSQL (issue 11): `sslmode` in the URL is honoured. `scripts/test.sh` starts a
//! second PostgreSQL that accepts only TLS connections, with a certificate signed by a CA the
//! script made (`scripts/pg.sh start-tls`), and passes its URL and CA file in
//! `LIANSHI_TEST_PG_TLS` and `LIANSHI_TEST_PG_TLS_CA`.

use lianshi_store::Db;

/// The TLS-only server's URL without its query, and the CA file that signed its certificate.
fn server() -> (String, String) {
    let url = std::env::var("LIANSHI_TEST_PG_TLS").expect(
        "LIANSHI_TEST_PG_TLS is not set: run the suite with scripts/test.sh, which starts a PostgreSQL that requires TLS",
    );
    let ca = std::env::var("LIANSHI_TEST_PG_TLS_CA").expect("LIANSHI_TEST_PG_TLS_CA is not set");
    let base = url.split('?').next().unwrap_or(&url).to_string();
    (base, ca)
}

/// Whether the pool's connection to the server is encrypted, as the server sees it.
async fn encrypted(db: &Db) -> bool {
    let (ssl,): (bool,) =
        lianshi_store::sql::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(db.reader())
            .await
            .unwrap();
    ssl
}

#[tokio::test]
async fn sslmode_require_connects_encrypted() {
    let (base, _) = server();
    let db = Db::connect(&format!("{base}?sslmode=require"))
        .await
        .unwrap();
    assert!(encrypted(&db).await);
    db.close().await;
}

#[tokio::test]
async fn sslmode_prefer_the_default_encrypts_when_the_server_offers_tls() {
    let (base, _) = server();
    let db = Db::connect(&base).await.unwrap();
    assert!(encrypted(&db).await);
    db.close().await;
}

#[tokio::test]
async fn verify_full_connects_with_the_servers_ca_and_checks_the_host_name() {
    let (base, ca) = server();
    let db = Db::connect(&format!("{base}?sslmode=verify-full&sslrootcert={ca}"))
        .await
        .unwrap();
    assert!(encrypted(&db).await);
    // The database works over it: migrations and a query.
    db.migrate().await.unwrap();
    db.close().await;
}

#[tokio::test]
async fn verify_full_refuses_a_server_whose_ca_is_not_trusted() {
    let (base, _) = server();
    let err = Db::connect(&format!("{base}?sslmode=verify-full"))
        .await
        .expect_err("a certificate from an unknown CA must be refused");
    let text = err.to_string().to_lowercase();
    assert!(
        text.contains("certificate") || text.contains("tls"),
        "the error names the certificate problem: {err}"
    );
}

#[tokio::test]
async fn verify_full_refuses_a_host_name_the_certificate_does_not_name() {
    let (base, ca) = server();
    // The certificate names 127.0.0.1 and localhost; the same server also listens on 127.0.0.2
    // (loopback too), a host the certificate does not name.
    let other = base.replace("@127.0.0.1:", "@127.0.0.2:");
    assert_ne!(other, base, "the URL names 127.0.0.1");
    let err = Db::connect(&format!("{other}?sslmode=verify-full&sslrootcert={ca}"))
        .await
        .expect_err("a certificate for another host must be refused");
    let text = err.to_string().to_lowercase();
    assert!(
        text.contains("certificate") && !text.contains("unknownissuer"),
        "the error names the host-name mismatch, not the CA: {err}"
    );
}

#[tokio::test]
async fn sslmode_disable_is_refused_by_a_server_that_requires_tls() {
    let (base, _) = server();
    let err = Db::connect(&format!("{base}?sslmode=disable"))
        .await
        .expect_err("a plain connection must be refused");
    assert!(
        err.to_string().contains("no encryption") || err.to_string().contains("pg_hba"),
        "{err}"
    );
}
