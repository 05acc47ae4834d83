//! `pcn serve`: the web app on the database.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cli::Ctx;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Mark the session cookie Secure (needs HTTPS in front). Default: on,
    /// unless the server listens on a loopback address.
    #[arg(long)]
    pub secure_cookies: Option<bool>,
    /// The largest upload accepted, in megabytes.
    #[arg(long, default_value_t = 64)]
    pub max_upload_mb: usize,
}

impl ServeArgs {
    pub fn config(&self) -> pcn_web::Config {
        pcn_web::Config {
            secure_cookies: self
                .secure_cookies
                .unwrap_or(!self.listen.ip().is_loopback()),
            max_upload: self.max_upload_mb << 20,
        }
    }
}

pub async fn run(ctx: &Ctx, args: ServeArgs) -> Result<ExitCode> {
    let listener = pcn_web::bind(args.listen).await?;
    let app = ctx.app().await?;
    if app.store.accounts().await?.is_empty() {
        eprintln!("note: there are no accounts yet: add one with `pcn user add NAME --role admin`");
    }
    let state = pcn_web::build_state(app, args.config()).await?;
    pcn_web::serve(state, listener).await?;
    Ok(ExitCode::SUCCESS)
}
