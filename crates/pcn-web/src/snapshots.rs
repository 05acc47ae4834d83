//! Pages and files as the web app serves them, whole, on the demo data:
//! snapshots (`insta`), so a changed figure, word or column is seen in
//! review rather than slipping past a `contains`. Form tokens and the date
//! the test runs on are redacted; everything else in the demo is fixed.
//! Update on purpose with `cargo insta review` (or `INSTA_UPDATE=always`)
//! and read the diff.

use axum::http::StatusCode;

use crate::tests::App;

/// The part of a page between `<main>` and `</main>`: what the page says,
/// without the navigation every page shares.
fn main_of(body: &str) -> &str {
    let start = body.find("<main").expect("a page has a <main>");
    let end = body.rfind("</main>").expect("a page has a </main>") + "</main>".len();
    &body[start..end]
}

/// HTML with one element a line, so a diff points at what changed.
fn lines_of(html: &str) -> String {
    html.replace("><", ">\n<")
}

/// Snapshots with per-run values redacted: form tokens and today's date.
macro_rules! snapshot {
    ($name:expr, $text:expr) => {{
        let text = $text;
        let today = chrono::Local::now().date_naive();
        let filters = vec![
            (r#"value="[A-Za-z0-9_\-]{20,}""#.to_string(), r#"value="[token]""#.to_string()),
            (literal_pattern(&today.to_string()), "[today]".to_string()),
            (
                literal_pattern(&today.format("%-d %B %Y").to_string()),
                "[today]".to_string(),
            ),
            (
                literal_pattern(&today.format("%-d %b %Y").to_string()),
                "[today]".to_string(),
            ),
        ];
        let filters: Vec<(&str, &str)> = filters
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        insta::with_settings!({filters => filters, prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!($name, text);
        });
    }};
}

/// A date's text as a pattern that matches only itself.
fn literal_pattern(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == ' ' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// What the app serves at `path` to the demo account `user`, which must be
/// a success; a page's `<main>` one element a line, a file whole.
async fn served(app: &App, user: &str, path: &str) -> String {
    let login = app.session(user).await;
    let reply = app.get(path, Some(&login)).await;
    reply.expect(StatusCode::OK);
    if path.contains('.') {
        reply.body.clone()
    } else {
        lines_of(main_of(&reply.body))
    }
}

#[tokio::test]
async fn a_networks_statement_page_and_its_files() {
    let app = App::sqlite().await;
    let page = "/networks/U90001/statement?year=2025-26";
    snapshot!("web_statement_page", served(&app, "network", page).await);
    let csv = "/networks/U90001/statement.csv?year=2025-26";
    snapshot!("web_statement_csv", served(&app, "network", csv).await);
}

#[tokio::test]
async fn a_commissioners_networks_and_a_claim_schedule() {
    let app = App::sqlite().await;
    let page = "/commissioners/Z1A?year=2025-26";
    snapshot!(
        "web_commissioner_page",
        served(&app, "commissioner", page).await
    );
    let networks = "/commissioners/Z1A/networks.csv?year=2025-26";
    let networks = served(&app, "commissioner", networks).await;
    snapshot!("web_commissioner_networks_csv", networks);
    let claims = "/networks/U90002/arrs/claims.csv?year=2025-26";
    snapshot!("web_claims_csv", served(&app, "admin", claims).await);
}
