//! `pcn user`: the web app's accounts. Passwords are read from standard
//! input (one line) or `PCN_PASSWORD`, never from the command line, and
//! stored as argon2id hashes. Every change is in the audit log.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use pcn_app::accounts::NewAccount;
use pcn_core::access::{Role, Scope};

use crate::cli::Ctx;
use crate::output::table;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an account. The password is read from PCN_PASSWORD or one line of standard input.
    Add {
        username: String,
        /// admin, commissioner, network, practice or viewer.
        #[arg(long)]
        role: String,
        /// all, commissioner:CODE (sub-ICB or ICB), network:CODE or practice:CODE.
        /// Default: all for admin.
        #[arg(long)]
        scope: Option<String>,
        /// The person's name, for pages and the audit log.
        #[arg(long)]
        name: Option<String>,
    },
    /// List the accounts.
    List,
    /// Set an account's password (ends its sessions). Read as for add.
    Password { username: String },
    /// Disable an account (kept for the audit log; its sessions end).
    Disable { username: String },
}

/// The password from `PCN_PASSWORD`, else one line of standard input.
pub fn read_password() -> Result<String> {
    if let Ok(p) = std::env::var("PCN_PASSWORD") {
        return Ok(p);
    }
    eprintln!("password (one line on standard input):");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

pub async fn run(ctx: &Ctx, command: UserCommand) -> Result<ExitCode> {
    match command {
        UserCommand::Add {
            username,
            role,
            scope,
            name,
        } => {
            let role: Role = role.parse().context("--role")?;
            let scope: Scope = match (scope, role) {
                (Some(s), _) => s.parse().context("--scope")?,
                (None, Role::Admin) => Scope::All,
                (None, _) => bail!("--scope is needed for a {role} account (e.g. network:U12345)"),
            };
            let account = NewAccount {
                username: username.clone(),
                display_name: name,
                role,
                scope: scope.clone(),
                password: read_password()?,
            };
            let id = ctx
                .with_app(async |app| app.add_account(&account, &ctx.actor).await)
                .await;
            println!("account {} added: {username}, {role} for {scope}", id?);
        }
        UserCommand::List => {
            let accounts = ctx.with_app(async |app| app.store.accounts().await).await;
            let accounts = accounts?;
            let mut t = table(&["user", "name", "role", "scope", "created", "by", "status"]);
            for a in &accounts {
                t.add_row(vec![
                    a.account.username.clone(),
                    a.account.display_name.clone().unwrap_or_default(),
                    a.account.role.to_string(),
                    a.account.scope.to_string(),
                    a.created_at.get(..10).unwrap_or(&a.created_at).to_string(),
                    a.created_by.clone(),
                    a.disabled_at.as_ref().map_or("enabled".into(), |d| {
                        format!("disabled {}", &d[..10.min(d.len())])
                    }),
                ]);
            }
            println!("{t}\n{} accounts", accounts.len());
        }
        UserCommand::Password { username } => {
            let password = read_password()?;
            let done = ctx
                .with_app(async |app| app.set_password(&username, &password, &ctx.actor).await)
                .await;
            done?;
            println!("password of {username} set; its sessions were ended");
        }
        UserCommand::Disable { username } => {
            let done = ctx
                .with_app(async |app| app.disable_account(&username, &ctx.actor).await)
                .await;
            done?;
            println!("{username} disabled; its sessions were ended");
        }
    }
    Ok(ExitCode::SUCCESS)
}
