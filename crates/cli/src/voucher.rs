//! `lianshi voucher`: the vouchers' ledger check and expiry (创新券 / 算力券 / 模型券).

use crate::{Ctx, app_err, day_or_today, open};
use anyhow::anyhow;
use clap::Subcommand;

#[derive(Subcommand)]
pub(crate) enum VoucherCmd {
    /// Check every scheme: issued = redeemed + outstanding + expired (fen), the pool covers
    /// issued − expired, counters agree with records. Exits 1 and names the scheme when broken.
    Check {
        #[arg(long)]
        json: bool,
    },
    /// Expire vouchers whose validity ended before DATE (default today, China time); unused
    /// amounts return to their round's pool. Idempotent.
    Expire {
        #[arg(long)]
        date: Option<String>,
    },
}

pub(crate) async fn run(ctx: &Ctx, what: VoucherCmd) -> anyhow::Result<()> {
    match what {
        VoucherCmd::Check { json } => {
            let app = open(&ctx.url).await?;
            let rows = app.voucher_check(&ctx.actor).await.map_err(app_err)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in &rows {
                    let f = r.figures;
                    println!(
                        "{}\t{}\tissued {} = redeemed {} + outstanding {} + expired {}\tpool {}\t{}",
                        r.code,
                        r.name,
                        f.issued_fen,
                        f.redeemed_fen,
                        f.outstanding_fen,
                        f.expired_fen,
                        f.pool_fen,
                        if r.ok { "ok" } else { "BROKEN" }
                    );
                    for p in &r.problems {
                        println!("  {p}");
                    }
                }
            }
            let broken: Vec<&str> = rows
                .iter()
                .filter(|r| !r.ok)
                .map(|r| r.code.as_str())
                .collect();
            if !broken.is_empty() {
                return Err(anyhow!(
                    "券账不平 / voucher ledger out of balance: {}",
                    broken.join(", ")
                ));
            }
        }
        VoucherCmd::Expire { date } => {
            let day = day_or_today(date)?;
            let app = open(&ctx.url).await?;
            let r = app.voucher_expire(&ctx.actor, day).await.map_err(app_err)?;
            println!("{}", serde_json::to_string_pretty(&r)?);
        }
    }
    Ok(())
}
