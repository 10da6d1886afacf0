//! `lianshi serve`: the web UI and API, optionally loading the demo zone first.

use crate::{Ctx, app_err, demo::print_accounts, open};
use anyhow::{Context, anyhow};
use clap::Args;
use lianshi_app::{Actor, Source};
use std::net::SocketAddr;

#[derive(Args)]
pub(crate) struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Load the demo zone if the database is empty.
    #[arg(long)]
    demo: bool,
    /// A reverse proxy (address or CIDR block) trusted to name the client in
    /// X-Forwarded-For; repeat the flag or give a comma list.
    #[arg(long = "trusted-proxy", env = "LIANSHI_TRUSTED_PROXIES", value_delimiter = ',', value_parser = lianshi_web::auth::ProxyNet::parse)]
    trusted_proxy: Vec<lianshi_web::auth::ProxyNet>,
    /// Mark the session and login cookies `Secure` (serve behind TLS).
    #[arg(long, env = "LIANSHI_SECURE_COOKIES")]
    secure_cookies: bool,
}

pub(crate) async fn run(ctx: &Ctx, args: ServeArgs) -> anyhow::Result<()> {
    let ServeArgs {
        addr,
        demo,
        trusted_proxy,
        secure_cookies,
    } = args;
    let url = &ctx.url;
    let app = open(url).await?;
    if demo && app.is_empty().await.map_err(app_err)? {
        if url.contains(":memory:") {
            let s = app
                .demo_load(&Actor::system(Source::Demo), 2000, 2026)
                .await
                .map_err(app_err)?;
            println!(
                "演示园区已载入 / demo zone loaded: {} enterprises",
                s.enterprises
            );
        } else {
            // Load in a child process: generating the demo (and hashing its accounts'
            // passwords) needs memory the long-running server should not keep.
            let exe = std::env::current_exe().context("cannot find this program")?;
            let status = std::process::Command::new(exe)
                .args([
                    "--db",
                    url,
                    "demo",
                    "--enterprises",
                    "2000",
                    "--seed",
                    "2026",
                ])
                .stdout(std::process::Stdio::null())
                .status()
                .context("cannot run the demo loader")?;
            if !status.success() {
                return Err(anyhow!("demo loading failed ({status})"));
            }
            println!("演示园区已载入 / demo zone loaded: 2000 enterprises");
            app.registry_changed();
        }
    }
    if demo {
        print_accounts(&lianshi_app::demo::DemoSummary {
            structure_created: false,
            enterprises: 0,
            accounts: lianshi_domain::demo::accounts()
                .iter()
                .map(|a| (a.username.into(), a.password.into(), a.role.as_str().into()))
                .collect(),
        });
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    // The bound address, so `--addr 127.0.0.1:0` prints the port the system chose.
    let bound = listener.local_addr().unwrap_or(addr);
    println!(
        "链事荟 Lianshi serving at http://{bound}/ (database {})",
        crate::without_password(url)
    );
    // Build the enterprise list index in the background so the first visitor does not
    // wait for it (seconds at a million enterprises).
    let warm = app.clone();
    tokio::spawn(async move {
        if let Err(e) = warm.list_index().await {
            tracing::warn!("list index warm-up failed: {}", e.message());
        }
        // The service figures' order facts (seconds at a million orders).
        if let Err(e) = warm.service_figures_warm().await {
            tracing::warn!("service figures warm-up failed: {}", e.message());
        }
    });
    let router = lianshi_web::router_with(
        app,
        lianshi_web::auth::WebConfig {
            trusted_proxies: trusted_proxy,
            secure_cookies,
        },
    );
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("server failed")
}
