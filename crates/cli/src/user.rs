//! `lianshi user`: create accounts and clear sign-in back-offs.

use crate::{Ctx, app_err, open};
use anyhow::Context;
use clap::Subcommand;
use lianshi_app::user::UserInput;
use std::io::Read;

#[derive(Subcommand)]
pub(crate) enum UserCmd {
    /// Create a user; the password is read from standard input.
    Add {
        #[arg(long)]
        username: String,
        /// admin, department, team, party_secretary, enterprise, finance or provider
        #[arg(long)]
        role: String,
        /// Credit code of the enterprise (enterprise users).
        #[arg(long)]
        enterprise: Option<String>,
        /// Department code (department users), or the bank or fund code of a finance user.
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Clear the sign-in back-off of an account (after failed logins).
    Unlock { username: String },
}

pub(crate) async fn run(ctx: &Ctx, what: UserCmd) -> anyhow::Result<()> {
    match what {
        UserCmd::Add {
            username,
            role,
            enterprise,
            department,
            display_name,
            password_stdin: _,
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("cannot read the password from stdin")?;
            let password = password.trim_end_matches(['\n', '\r']).to_string();
            let app = open(&ctx.url).await?;
            let id = app
                .user_create(
                    &ctx.actor,
                    &UserInput {
                        username: username.clone(),
                        display_name,
                        role,
                        password,
                        enterprise,
                        department,
                    },
                )
                .await
                .map_err(app_err)?;
            println!("user {username} created (id {id})");
        }
        UserCmd::Unlock { username } => {
            let app = open(&ctx.url).await?;
            let cleared = app
                .user_unlock(&ctx.actor, &username)
                .await
                .map_err(app_err)?;
            if cleared {
                println!("已解除 {username} 的登录限制 / sign-in back-off of {username} cleared");
            } else {
                println!("{username} 没有登录限制 / {username} had no sign-in back-off");
            }
        }
    }
    Ok(())
}
