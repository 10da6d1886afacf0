//! `lianshi demo`: load the demo zone (滨江样板).

use crate::{Ctx, app_err, open};
use clap::Args;
use lianshi_app::{Actor, Source};

#[derive(Args)]
pub(crate) struct DemoArgs {
    #[arg(long, default_value_t = 2000)]
    enterprises: usize,
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Only the zone, the enterprises and the demo accounts, without the features' records
    /// (orders, policies, payouts, vouchers, scores): quick for large test zones.
    #[arg(long)]
    enterprises_only: bool,
}

/// Print the demo accounts (user name, password, role).
pub(crate) fn print_accounts(s: &lianshi_app::demo::DemoSummary) {
    println!("演示账号 / demo accounts:");
    for (u, p, r) in &s.accounts {
        println!("  {u:<10} {p:<14} {r}");
    }
}

pub(crate) async fn run(ctx: &Ctx, args: DemoArgs) -> anyhow::Result<()> {
    let app = open(&ctx.url).await?;
    let actor = Actor::system(Source::Demo);
    let s = if args.enterprises_only {
        app.demo_load_enterprises(&actor, args.enterprises, args.seed)
            .await
    } else {
        app.demo_load(&actor, args.enterprises, args.seed).await
    }
    .map_err(app_err)?;
    println!(
        "演示园区已载入 / demo zone loaded: {} enterprises",
        s.enterprises
    );
    print_accounts(&s);
    Ok(())
}
