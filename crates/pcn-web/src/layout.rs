//! The page shell: header with the account and its links, the stylesheet
//! (served from the binary: no CDN), and small formatting helpers.

use maud::{html, Markup, DOCTYPE};
use pcn_core::access::Role;
use pcn_core::money::Pence;

use super::state::Session;

pub const CSS: &str = r#"
:root { --fg:#1d1d1b; --muted:#5b616b; --line:#d0d4da; --accent:#005eb8; --bg:#f4f6f8; --err:#b3261e; --warn:#8a5a00; --ok:#1e6b35; }
* { box-sizing: border-box; }
body { margin:0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Arial, sans-serif; color:var(--fg); background:var(--bg); }
a { color: var(--accent); }
header.top { background:#fff; border-bottom:4px solid var(--accent); padding:.5rem 1rem; display:flex; flex-wrap:wrap; gap:.5rem 1.5rem; align-items:center; }
header.top .brand { font-weight:700; font-size:1.2rem; text-decoration:none; color:var(--fg); }
header.top nav { display:flex; flex-wrap:wrap; gap:.25rem 1rem; }
header.top .who { margin-left:auto; display:flex; gap:.5rem; align-items:center; color:var(--muted); font-size:.9rem; }
main { max-width:1100px; margin:0 auto; padding:1rem; }
section.card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:1rem; margin:0 0 1rem; overflow-x:auto; }
h1 { font-size:1.6rem; margin:.25rem 0 .75rem; }
h2 { font-size:1.2rem; margin:.1rem 0 .6rem; }
table { border-collapse:collapse; width:100%; font-size:.92rem; }
th, td { text-align:left; padding:.35rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#eef1f4; }
td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; white-space:nowrap; }
.kv { display:grid; grid-template-columns: max-content 1fr; gap:.25rem 1rem; }
.kv dt { color:var(--muted); } .kv dd { margin:0; font-variant-numeric: tabular-nums; }
.tag { display:inline-block; padding:0 .4rem; border-radius:3px; font-size:.8rem; font-weight:600; border:1px solid currentColor; }
.tag.error { color:var(--err); } .tag.warning { color:var(--warn); } .tag.ok { color:var(--ok); } .tag.info { color:var(--muted); }
.notice { border-left:4px solid var(--ok); background:#eaf5ec; padding:.5rem .75rem; margin-bottom:1rem; }
.error, .refusal { border-left:4px solid var(--err); background:#fbeceb; padding:.5rem .75rem; margin-bottom:1rem; }
.muted { color:var(--muted); font-size:.9rem; }
form.inline { display:inline; }
form.stack label { display:block; margin:.4rem 0 .1rem; font-weight:600; }
form.stack input, form.stack select { width:100%; max-width:24rem; padding:.35rem; font-size:1rem; }
button { background:var(--accent); color:#fff; border:0; border-radius:4px; padding:.45rem .9rem; font-size:1rem; cursor:pointer; }
button.link { background:none; color:var(--accent); padding:0; text-decoration:underline; font-size:.9rem; }
.grid2 { display:grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap:1rem; }
svg.chart { width:100%; height:auto; max-height:560px; }
.sr-only { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); }
details summary { cursor:pointer; color:var(--accent); }
.big { font-size:1.5rem; font-weight:700; }
section.narrow { max-width:28rem; margin:2rem auto; }
pre.working { white-space:pre-wrap; font-size:.85rem; }
@media (max-width: 600px) { main { padding:.5rem; } th, td { padding:.25rem .3rem; } h1 { font-size:1.3rem; } header.top .who { margin-left:0; } }
@media print { header.top nav, header.top form, form, button { display:none !important; } body { background:#fff; } section.card { border:0; padding:0; break-inside:avoid; } a { color:inherit; text-decoration:none; } }
"#;

/// Money with the pound sign and thousands separators.
pub fn money(p: Pence) -> String {
    p.to_string()
}

pub use pcn_core::text::thousands;

fn head(title: &str) -> Markup {
    html! {
        (DOCTYPE)
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        title { (title) " · pcn" }
        link rel="stylesheet" href="/static/app.css";
    }
}

/// A page for a logged-in account.
pub fn page(me: &Session, title: &str, body: Markup) -> Markup {
    let a = &me.account;
    html! {
        (head(title))
        body {
            header.top {
                a.brand href="/" { "pcn" }
                nav aria-label="Main" {
                    @for (href, label) in links(me) {
                        a href=(href) { (label) }
                    }
                }
                div.who {
                    span { (a.display_name.as_deref().unwrap_or(&a.username)) " · " (a.role) " · " (a.scope) }
                    form #logout .inline method="post" action="/logout" {
                        input type="hidden" name="csrf" value=(me.csrf_token);
                        button.link type="submit" { "Log out" }
                    }
                }
            }
            main { (body) }
        }
    }
}

/// The header links an account has.
fn links(me: &Session) -> Vec<(String, &'static str)> {
    use pcn_core::access::Scope;
    let mut out = vec![("/".to_string(), "Home")];
    match &me.account.scope {
        Scope::All => out.push(("/national".into(), "England")),
        Scope::Commissioner(c) => {
            out.push((format!("/commissioners/{c}"), "Commissioner"));
            out.push((format!("/commissioners/{c}/services"), "Services"));
        }
        Scope::Network(c) => {
            out.push((format!("/networks/{c}"), "Network"));
            out.push((format!("/networks/{c}/statement"), "Statement"));
            out.push((format!("/networks/{c}/arrs"), "ARRS"));
            out.push((format!("/networks/{c}/services"), "Services"));
        }
        Scope::Practice(c) => out.push((format!("/practices/{c}"), "Practice")),
    }
    if matches!(
        me.account.role,
        Role::Admin | Role::Commissioner | Role::Network
    ) {
        out.push(("/audit".into(), "Audit log"));
    }
    if me.account.role == Role::Admin {
        out.push(("/imports".into(), "Imports"));
    }
    out
}

/// A page without an account (login, errors).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (head(title))
        body {
            header.top { a.brand href="/" { "pcn" } span.muted { "Primary Care Networks" } }
            main { (body) }
        }
    }
}
