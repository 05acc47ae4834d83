//! `pcn demo`: builds the demo database and runs the checks on it.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use pcn_app::demo::{
    add_demo_accounts_and_posts, add_demo_services, build_demo, demo_checks, demo_password,
    DEMO_ACCOUNTS,
};
use pcn_core::demo::demo_dates;

use crate::cli::Ctx;

pub async fn run(
    ctx: &Ctx,
    path: &Path,
    serve: bool,
    services: bool,
    listen: std::net::SocketAddr,
    password: Option<String>,
) -> Result<ExitCode> {
    let password = match password {
        Some(p) => {
            pcn_app::accounts::check_password_strength(&p)?;
            p
        }
        None => demo_password()?,
    };
    // Take the address first, so a busy port is reported before anything else.
    let listener = match serve {
        true => Some(pcn_web::bind(listen).await?),
        false => None,
    };
    let app = build_demo(path, ctx.rulebook()?, &ctx.actor).await?;
    add_demo_accounts_and_posts(&app, &ctx.actor, &password).await?;
    if services {
        add_demo_services(&app, &ctx.actor).await?;
    }
    let report = demo_checks(&app).await?;
    let (_, july) = demo_dates();
    println!(
        "Built the demo database {} (a synthetic commissioner, NHS Demo Vale).\n",
        path.display()
    );
    print!("{}", pcn_export::text::checks::check_table(&report));
    let db = path.display();
    println!(
        "\nTry next (`pcn` is target/release/pcn: put it on your PATH with `cargo install --path crates/pcn-cli`):\n  pcn --database {db} network list --as-at {july}\n  pcn --database {db} network show U90007 --as-at {july}\n  pcn --database {db} practice Z90010 --as-at {july}\n  pcn --database {db} check --as-at {july} --severity error --format csv\n  pcn --database {db} network set U90009 --clinical-director \"Dr New\" --effective-from 2026-07-01\n  pcn --database {db} pay --year 2026-27 --pcn U90001\n  pcn --database {db} pay --year 2026-27 --pcn U90001 --explain enhanced-access\n  pcn --database {db} pay --year 2026-27 --format xlsx --out demo-pay.xlsx"
    );
    let Some(listener) = listener else {
        app.close().await;
        return Ok(ExitCode::SUCCESS);
    };
    let config = pcn_web::Config {
        secure_cookies: !listen.ip().is_loopback(),
        max_upload: 64 << 20,
    };
    let state = pcn_web::build_state(app, config).await?;
    println!("\nThe web app, on the demo data. Log in as any of these, password {password}:");
    for (name, role, scope, _) in DEMO_ACCOUNTS {
        println!("  {name:<13} {role} for {scope}");
    }
    println!("(Ctrl-C stops the server; `pcn demo --no-serve` builds the database only.)");
    pcn_web::serve(state, listener).await?;
    Ok(ExitCode::SUCCESS)
}
