//! The app under attack, in process, each test named after the attack it
//! stops: parallel password guessing, a flood of refused requests, an open
//! redirect through `next`, years outside the rulebook, malformed input, a
//! gzip bomb, a disabled account that keeps writing, a form token replayed
//! on another form, and a practice reading its network's figures beyond
//! what the policy allows. SQLite always; PostgreSQL when
//! `PCN_TEST_POSTGRES_URL` names a server.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

use crate::tests::{form_token, short, upload, App, Login, PASSWORD};

/// Failed logins the store holds for a user name (each one a password checked).
async fn checked(app: &App, user: &str) -> i64 {
    let since = chrono::Utc::now() - chrono::Duration::hours(1);
    app.state
        .store
        .recent_failed_logins(user, since)
        .await
        .unwrap()
}

async fn sixty_four_parallel_guesses(app: Arc<App>) {
    let mut guesses = Vec::new();
    for i in 0..64 {
        let app = app.clone();
        guesses.push(tokio::spawn(async move {
            app.login("network", &format!("wrong guess {i}"))
                .await
                .err()
                .unwrap()
                .status
        }));
    }
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.unwrap());
    }
    let wrong = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let locked = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(wrong + locked, 64, "{statuses:?}");
    // At most five passwords were checked; every other guess was refused
    // without checking it.
    assert!(wrong <= 5, "{wrong} passwords checked");
    assert_eq!(checked(&app, "network").await, wrong as i64);
    // The right password, sent after the lock, is refused too.
    let r = app.login("network", PASSWORD).await.err().unwrap();
    r.expect(StatusCode::TOO_MANY_REQUESTS);
    // The refusals are counted in one audit row, not one each.
    let refusals: Vec<_> = app
        .state
        .store
        .audit_refusals(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.change.entity == "login")
        .collect();
    assert_eq!(refusals.len(), 1, "{refusals:#?}");
    assert_eq!(refusals[0].occurrences, locked as i64 + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_parallel_wrong_passwords_check_at_most_five_on_sqlite() {
    sixty_four_parallel_guesses(Arc::new(App::sqlite().await)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_parallel_wrong_passwords_check_at_most_five_on_postgres() {
    if let Some(app) = App::postgres("guesses").await {
        sixty_four_parallel_guesses(Arc::new(app)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_refused_requests_cannot_bury_real_changes_in_the_audit_view() {
    let app = App::sqlite().await;
    let practice = app.session("practice").await;
    let network = app.session("network").await;
    let commissioner = app.session("commissioner").await;
    let admin = app.session("admin").await;
    // A real change: a post added by the network manager.
    let r = app
        .add_paramedic(&network, "REAL-CHANGE", "2026-12-01")
        .await;
    r.expect(StatusCode::CREATED);
    // 5,000 refused requests: the same page over and over, and 50 others.
    for i in 0..5_000 {
        let path = if i % 100 == 0 {
            format!("/networks/U9{:04}", 100 + i / 100)
        } else {
            "/networks/U90001/arrs".to_string()
        };
        let r = app.get(&path, Some(&practice)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
    let rows = app.state.store.audit_log(100_000).await.unwrap();
    let refusal_rows: Vec<_> = rows
        .iter()
        .filter(|e| e.change.action == "refused" && e.change.entity == "access")
        .collect();
    // One row per path (and quarter hour, twice at most if the test spans a boundary).
    assert!(refusal_rows.len() <= 2 * 51, "{}", refusal_rows.len());
    let counted: i64 = refusal_rows.iter().map(|e| e.occurrences).sum();
    assert_eq!(counted, 5_000);
    // The commissioner's and the admin's views still show the real change.
    for who in [&commissioner, &admin] {
        let page = app.get("/audit", Some(who)).await;
        assert_eq!(page.status, StatusCode::OK);
        let changes = &page.body[..page.body.find("id=\"refusals\"").unwrap_or(page.body.len())];
        assert!(changes.contains("REAL-CHANGE"), "{}", short(&page.body));
        let api = app.get("/api/audit", Some(who)).await;
        let rows: serde_json::Value = serde_json::from_str(&api.body).unwrap();
        assert!(
            rows.as_array().unwrap().iter().any(|r| r["after_value"]
                .as_str()
                .unwrap_or("")
                .contains("REAL-CHANGE")
                || r["entity_key"]
                    .as_str()
                    .unwrap_or("")
                    .contains("REAL-CHANGE")
                || r["detail"].as_str().unwrap_or("").contains("REAL-CHANGE")),
            "{}",
            api.body
        );
    }
    // The admin sees the refusals, counted.
    let page = app.get("/audit", Some(&admin)).await;
    assert!(page.body.contains("id=\"refusals\""));
    assert!(
        page.body.contains("refused requests"),
        "{}",
        short(&page.body)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_redirect_through_next_is_refused() {
    let app = App::sqlite().await;
    for (next, stays) in [
        ("/%09/evil.example", false),
        ("//evil.example", false),
        ("/\\evil.example", false),
        ("https://evil.example/", false),
        ("/%0D%0ALocation:%20https://evil.example", false),
        ("/%0ASet-Cookie:%20x=1", false),
        ("/networks/U90001?year=2025-26", true),
    ] {
        let page = app
            .get(&format!("/login?next={}", next.replace('\\', "%5C")), None)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf = page.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("pcn_login=")
            .to_string();
        assert_eq!(page.body.contains("name=\"next\""), stays, "{next}");
        // Submitting the form with `next` given directly is no different.
        let decoded: String = form_urlencoded::parse(format!("n={next}").as_bytes())
            .next()
            .unwrap()
            .1
            .into_owned();
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("username", "admin"),
                ("password", PASSWORD),
                ("csrf", &csrf),
                ("next", &decoded),
            ])
            .finish();
        let r = app
            .send(
                Request::post("/login")
                    .header(header::COOKIE, format!("pcn_login={csrf}"))
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{next}: {}",
            short(&r.body)
        );
        let location = r.headers[header::LOCATION].to_str().unwrap();
        assert!(
            location.starts_with('/') && !location.starts_with("//"),
            "{next} -> {location}"
        );
        assert!(!location.contains("evil"), "{next} -> {location}");
        if stays {
            assert_eq!(location, decoded);
        } else {
            assert_eq!(location, "/national", "{next}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newline_in_next_cannot_split_the_response() {
    let app = App::sqlite().await;
    // A page asked for without a session sends to the login page with the
    // path encoded, whatever it holds.
    let r = app
        .get("/networks/U90001?x=%0D%0ASet-Cookie:%20a=b", None)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers.get_all(header::SET_COOKIE).iter().count(), 0);
    let location = r.headers[header::LOCATION].to_str().unwrap();
    assert!(
        location.starts_with("/login?next=%2Fnetworks%2FU90001"),
        "{location}"
    );
    assert!(!location.contains('\n') && !location.contains('\r'));
}

/// Every route that takes `?year=`, as the admin (who may read them all).
const YEAR_ROUTES: &[&str] = &[
    "/commissioners/Z1A",
    "/api/commissioners/Z1A",
    "/networks/U90001",
    "/networks/U90001/statement",
    "/api/networks/U90001/statement",
    "/networks/U90001/arrs",
    "/api/networks/U90001/arrs/budget",
    "/networks/U90001/statement.xlsx",
    "/networks/U90001/statement.csv",
    "/networks/U90001/arrs/claims.xlsx",
    "/networks/U90001/arrs/claims.csv",
    "/practices/Z90001",
    "/api/practices/Z90001",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_outside_the_rulebook_is_a_clear_4xx_on_every_year_route() {
    let app = App::sqlite().await;
    let admin = app.session("admin").await;
    for route in YEAR_ROUTES {
        assert_eq!(
            app.get(&format!("{route}?year=2025-26"), Some(&admin))
                .await
                .status,
            StatusCode::OK,
            "{route}"
        );
        for (year, status, says) in [
            ("2027-28", StatusCode::NOT_FOUND, "no rules for 2027-28"),
            ("2018-19", StatusCode::NOT_FOUND, "no rules for 2018-19"),
            ("9999-00", StatusCode::NOT_FOUND, "no rules for 9999-00"),
            (
                "abc",
                StatusCode::UNPROCESSABLE_ENTITY,
                "not a financial year",
            ),
            (
                "2025-27",
                StatusCode::UNPROCESSABLE_ENTITY,
                "not a financial year",
            ),
            ("", StatusCode::UNPROCESSABLE_ENTITY, "year is empty"),
        ] {
            let r = app.get(&format!("{route}?year={year}"), Some(&admin)).await;
            assert_eq!(r.status, status, "{route}?year={year}: {}", short(&r.body));
            assert!(
                r.body.contains(says),
                "{route}?year={year}: {}",
                short(&r.body)
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_names_and_lengths_are_refused_at_the_edge() {
    let app = App::sqlite().await;
    let network = app.session("network").await;
    let before = app.posts("U90001").await;
    let post = |person: &str, role: &str, start: &str| serde_json::json!({"person": person, "role": role, "wte": "1.0", "start": start});
    for (json, says) in [
        (post("P1", "paramedic", "+262142-06-01"), "not a date"),
        (post("P1", "paramedic", "20261201"), "not a date"),
        (post("P1", "paramedic", "1900-01-01"), "outside the dates"),
        (post("P1", "paramedic", "2026-02-30"), "not a date"),
        (post("Line\nbreak", "paramedic", "2026-12-01"), "control"),
        (
            post("Right\u{202E}left", "paramedic", "2026-12-01"),
            "control",
        ),
        (
            post(&"é".repeat(65), "paramedic", "2026-12-01"),
            "65 characters",
        ),
        (post("P1", &"r".repeat(101), "2026-12-01"), "101 characters"),
        (post("  ", "paramedic", "2026-12-01"), "empty"),
    ] {
        let r = app
            .post_as(&network, "/api/networks/U90001/arrs/posts", json.clone())
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{json}: {}",
            short(&r.body)
        );
        assert!(r.body.contains(says), "{json}: {}", short(&r.body));
    }
    // 64 accented letters are 128 bytes but 64 characters: accepted.
    let r = app
        .post_as(
            &network,
            "/api/networks/U90001/arrs/posts",
            post(&"é".repeat(64), "paramedic", "2026-12-01"),
        )
        .await;
    r.expect(StatusCode::CREATED);
    assert_eq!(app.posts("U90001").await, before + 1);
    // The end-post form refuses a date out of range.
    let page = app.get("/networks/U90001/arrs", Some(&network)).await;
    let at = page.body.find("/arrs/posts/").unwrap();
    let action = &page.body[page.body[..at].rfind('"').unwrap() + 1..];
    let action = action[..action.find('"').unwrap()].to_string();
    let token = {
        let rest = &page.body[at..];
        let key = "name=\"form_token\" value=\"";
        let s = rest.find(key).unwrap() + key.len();
        rest[s..s + rest[s..].find('"').unwrap()].to_string()
    };
    let r = app
        .post_form(
            &action,
            &network,
            &[
                ("csrf", &network.csrf),
                ("form_token", &token),
                ("on", "+262142-06-01"),
            ],
        )
        .await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
}

/// A gzip of a governance CSV header and `rows` identical rows.
fn governance_gzip(rows: usize) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(b"pcn_code,effective_from,clinical_director\n")
        .unwrap();
    let row = b"U90009,2026-07-01,Dr Bomb\n";
    let block: Vec<u8> = row.iter().copied().cycle().take(row.len() * 4096).collect();
    for _ in 0..rows / 4096 {
        gz.write_all(&block).unwrap();
    }
    gz.finish().unwrap()
}

/// Uploads a file through the form and expects it refused, saying `says`.
async fn refused_upload(app: &App, admin: &Login, name: &str, content: &[u8], says: &str) {
    let page = app.get("/imports", Some(admin)).await;
    let token = form_token(&page.body, "upload");
    let r = app
        .send(upload(admin, &token, name, "application/gzip", content))
        .await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(says), "{}", short(&r.body));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_bomb_upload_is_refused_at_the_decompressed_cap() {
    // The test app accepts uploads of 1 MB, so 8 MB decompressed and 50,000 rows.
    let app = App::sqlite().await;
    let admin = app.session("admin").await;
    // 4 million rows, about 100 MB of text, in a gzip of a few hundred KB.
    let bomb = governance_gzip(4 << 20);
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let started = std::time::Instant::now();
    refused_upload(
        &app,
        &admin,
        "bomb.csv.gz",
        &bomb,
        "expands to more than 8 MB",
    )
    .await;
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    // Under the size cap but over the row cap: refused by count.
    let many = governance_gzip(60 * 4096);
    refused_upload(
        &app,
        &admin,
        "many.csv.gz",
        &many,
        "more than 50,000 data rows",
    )
    .await;
    assert!(app.state.staged.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_account_cannot_write_even_before_the_server_notices() {
    let app = App::sqlite().await;
    let network = app.session("network").await;
    // The session is cached by a read.
    assert_eq!(
        app.get("/networks/U90001/arrs", Some(&network))
            .await
            .status,
        StatusCode::OK
    );
    let before = app.posts("U90001").await;
    // Disabled by the command line, in another process: the server has not
    // polled the store since.
    app.state
        .store
        .disable_account("network", chrono::Utc::now(), "cli")
        .await
        .unwrap();
    let r = app
        .add_paramedic(&network, "AFTER-DISABLE", "2026-12-01")
        .await;
    r.expect(StatusCode::UNAUTHORIZED);
    assert_eq!(app.posts("U90001").await, before);
    // Nor can it read any more: the write dropped the cached session.
    assert_eq!(
        app.get("/networks/U90001/arrs", Some(&network))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_token_issued_for_one_form_is_refused_on_another() {
    let app = App::sqlite().await;
    let network = app.session("network").await;
    let r = app
        .add_paramedic(&network, "TOKEN-TEST", "2026-12-01")
        .await;
    r.expect(StatusCode::CREATED);
    let id = serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["id"]
        .as_i64()
        .unwrap();
    let page = app.get("/networks/U90001/arrs", Some(&network)).await;
    let add_token = form_token(&page.body, "add-post");
    // The add-post form's token, sent to the end-post form.
    let r = app
        .post_form(
            &format!("/networks/U90001/arrs/posts/{id}/end"),
            &network,
            &[
                ("csrf", &network.csrf),
                ("form_token", &add_token),
                ("on", "2027-01-31"),
            ],
        )
        .await;
    r.expect(StatusCode::FORBIDDEN);
    assert!(r.body.contains("another form"), "{}", short(&r.body));
    let after = app.state.store.post(id).await.unwrap().unwrap();
    assert_eq!(after.end, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_practice_sees_network_figures_only_where_the_policy_lets_it() {
    let app = App::sqlite().await;
    let practice = app.session("practice").await;
    // Z90001 is a member of U90001: its page shows the network's amounts,
    // and the statement route agrees.
    let page = app
        .get("/practices/Z90001?year=2025-26", Some(&practice))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let api = app
        .get("/api/practices/Z90001?year=2025-26", Some(&practice))
        .await;
    let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    let lines = json["shares"][0]["lines"].as_array().unwrap();
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| l["network_amount_pence"].is_i64()));
    assert_eq!(
        app.get(
            "/api/networks/U90001/statement?year=2025-26",
            Some(&practice)
        )
        .await
        .status,
        StatusCode::OK
    );
    // The rest of the network stays closed to it.
    for path in [
        "/networks/U90001",
        "/api/networks/U90001/arrs/budget",
        "/networks/U90001/arrs",
    ] {
        assert_eq!(
            app.get(path, Some(&practice)).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    // For a network whose funding the account may not see, the same share
    // is worked out without the network's figures.
    let data = app.state.data().unwrap();
    let run = app
        .state
        .year_run(&data, "2025-26".parse().unwrap())
        .await
        .unwrap();
    let pay = run.network(&"U90001".parse().unwrap()).unwrap();
    let code = "Z90001".parse().unwrap();
    let open = crate::views::practice_share(pay, &code, true).unwrap();
    let closed = crate::views::practice_share(pay, &code, false).unwrap();
    assert_eq!(open.total_pence, closed.total_pence);
    assert!(closed
        .lines
        .iter()
        .all(|l| l.network_amount_pence.is_none()));
    // No network total list in the working either.
    assert!(closed
        .lines
        .iter()
        .all(|l| !l.why.chars().any(|c| c.is_ascii_digit())));
    assert!(open
        .lines
        .iter()
        .any(|l| l.why.chars().any(|c| c.is_ascii_digit())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_recomputes_only_its_network_and_shows_on_the_next_request() {
    let app = App::sqlite().await;
    let network = app.session("network").await;
    let state = &app.state;
    let data = state.data().unwrap();
    let year = data.year;
    let as_at = crate::state::budget_date(year);
    let (ours, theirs) = ("U90001".parse().unwrap(), "U90002".parse().unwrap());
    let before_ours = state.arrs_cached(&data, &ours, year, as_at).await.unwrap();
    let before_theirs = state
        .arrs_cached(&data, &theirs, year, as_at)
        .await
        .unwrap();
    // Kept between requests while nothing changes.
    assert!(Arc::ptr_eq(
        &before_ours,
        &state.arrs_cached(&data, &ours, year, as_at).await.unwrap()
    ));
    // An edit through the app: the next request shows it; the other
    // network keeps its figures without being read again.
    let r = app
        .add_paramedic(&network, "LIVE-1", &year.start().to_string())
        .await;
    r.expect(StatusCode::CREATED);
    let after_ours = state.arrs_cached(&data, &ours, year, as_at).await.unwrap();
    assert!(after_ours.year.posts.iter().any(|p| p.person == "LIVE-1"));
    // (The poll sees this server's own edit in the audit log too, and reads
    // the network once more.)
    state.refresh().await.unwrap();
    let after_ours = state.arrs_cached(&data, &ours, year, as_at).await.unwrap();
    assert!(after_ours.budget.committed > before_ours.budget.committed);
    assert!(Arc::ptr_eq(
        &before_theirs,
        &state
            .arrs_cached(&data, &theirs, year, as_at)
            .await
            .unwrap()
    ));
    let page = app
        .get("/api/networks/U90001/arrs/budget", Some(&network))
        .await;
    let json: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(
        json["budget"]["committed"].as_i64(),
        Some(after_ours.budget.committed.0)
    );
    // An edit by the command line in another process: seen by the poll,
    // which reads that network again and no other.
    let post = pcn_core::arrs::NewPost::arrs(theirs.clone(), "CLI-1", "paramedic", year.start())
        .to_post(&state.rulebook)
        .unwrap();
    state
        .store
        .add_post(&post, chrono::Utc::now(), "cli")
        .await
        .unwrap();
    state.refresh().await.unwrap();
    let after_theirs = state
        .arrs_cached(&data, &theirs, year, as_at)
        .await
        .unwrap();
    assert!(after_theirs.year.posts.iter().any(|p| p.person == "CLI-1"));
    assert!(Arc::ptr_eq(
        &after_ours,
        &state.arrs_cached(&data, &ours, year, as_at).await.unwrap()
    ));
}
