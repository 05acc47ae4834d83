//! The app as its users meet it, in process: every route for every role
//! (who may see and change what), forged and replayed forms, uploads, login
//! throttling, and a database failure that must not reach the page. Runs on
//! SQLite, and on PostgreSQL when `PCN_TEST_POSTGRES_URL` names a server.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use pcn_store::Store;
use tower::ServiceExt;

use super::state::AppState;

const PASSWORD: &str = "test-password-123";
const ROLES: [&str; 5] = ["admin", "commissioner", "network", "practice", "viewer"];

struct App {
    router: Router,
    state: AppState,
    _dir: Option<tempfile::TempDir>,
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl App {
    async fn new(store: Store, dir: Option<tempfile::TempDir>) -> App {
        let rulebook = std::sync::Arc::new(pcn_app::rules::load(None).unwrap());
        let app = pcn_app::App { store, rulebook };
        pcn_app::demo::write_demo(&app, "test").await.unwrap();
        pcn_app::demo::add_demo_accounts_and_posts(&app, "test", PASSWORD)
            .await
            .unwrap();
        let state = AppState::new(app, false, 1 << 20).await.unwrap();
        let router = super::router(state.clone())
            .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        App {
            router,
            state,
            _dir: dir,
        }
    }

    async fn sqlite() -> App {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("web.sqlite").display().to_string();
        let store = Store::open(&db).await.unwrap();
        App::new(store, Some(dir)).await
    }

    async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 64 << 20)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, path: &str, session: Option<&Login>) -> Reply {
        let mut req = Request::get(path);
        if let Some(s) = session {
            req = req.header(header::COOKIE, &s.cookie);
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    async fn post_form(&self, path: &str, session: &Login, form: &[(&str, &str)]) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.send(
            Request::post(path)
                .header(header::COOKIE, &session.cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    async fn post_json(
        &self,
        path: &str,
        session: &Login,
        csrf: Option<&str>,
        json: serde_json::Value,
    ) -> Reply {
        let mut req = Request::post(path)
            .header(header::COOKIE, &session.cookie)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(c) = csrf {
            req = req.header("x-csrf-token", c);
        }
        self.send(req.body(Body::from(json.to_string())).unwrap())
            .await
    }

    async fn login(&self, user: &str, password: &str) -> Result<Login, Reply> {
        let reply = self
            .send(
                Request::post("/api/session")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(
                        serde_json::json!({"username": user, "password": password}).to_string(),
                    ))
                    .unwrap(),
            )
            .await;
        if reply.status != StatusCode::OK {
            return Err(reply);
        }
        let set_cookie = reply.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
            "{set_cookie}"
        );
        let cookie = set_cookie.split(';').next().unwrap().to_string();
        let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        Ok(Login {
            cookie,
            csrf: json["csrf_token"].as_str().unwrap().to_string(),
        })
    }

    async fn audit_refusals(&self) -> usize {
        self.state
            .store
            .audit_log(100_000)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.entity == "access" && e.action == "refused")
            .count()
    }

    async fn posts(&self, pcn: &str) -> usize {
        self.state
            .store
            .posts(Some(&pcn.parse().unwrap()))
            .await
            .unwrap()
            .len()
    }
}

struct Login {
    cookie: String,
    csrf: String,
}

/// Which roles may read a route (in role order: admin, commissioner, network, practice, viewer).
/// The demo: commissioner covers Z1A; network is U90001 (in Z1A); practice is Z90001 (in
/// U90001); viewer covers Z2B.
const READS: &[(&str, [bool; 5])] = &[
    ("/national", [true, false, false, false, false]),
    ("/api/national", [true, false, false, false, false]),
    ("/commissioners/Z1A", [true, true, false, false, false]),
    ("/api/commissioners/Z1A", [true, true, false, false, false]),
    ("/commissioners/Z2B", [true, false, false, false, true]),
    ("/commissioners/QZZ", [true, false, false, false, false]),
    ("/networks/U90001", [true, true, true, false, false]),
    (
        "/networks/U90001/statement",
        [true, true, true, false, false],
    ),
    (
        "/networks/U90001/statement?year=2024-25",
        [true, true, true, false, false],
    ),
    ("/networks/U90001/arrs", [true, true, true, false, false]),
    ("/api/networks/U90001", [true, true, true, false, false]),
    (
        "/api/networks/U90001/statement",
        [true, true, true, false, false],
    ),
    (
        "/api/networks/U90001/arrs/budget",
        [true, true, true, false, false],
    ),
    (
        "/api/networks/U90001/arrs/posts",
        [true, true, true, false, false],
    ),
    (
        "/networks/U90001/statement.xlsx",
        [true, true, true, false, false],
    ),
    (
        "/networks/U90001/statement.csv?year=2025-26",
        [true, true, true, false, false],
    ),
    (
        "/networks/U90001/arrs/claims.csv",
        [true, true, true, false, false],
    ),
    (
        "/networks/U90002/arrs/claims.xlsx",
        [true, true, false, false, false],
    ),
    (
        "/commissioners/Z1A/networks.csv",
        [true, true, false, false, false],
    ),
    (
        "/commissioners/Z2B/networks.xlsx",
        [true, false, false, false, true],
    ),
    ("/networks/U90002", [true, true, false, false, false]),
    (
        "/api/networks/U90002/statement",
        [true, true, false, false, false],
    ),
    ("/networks/U90005", [true, false, false, false, true]),
    ("/networks/U90005/arrs", [true, false, false, false, true]),
    ("/practices/Z90001", [true, true, true, true, false]),
    ("/api/practices/Z90001", [true, true, true, true, false]),
    ("/practices/Z90002", [true, true, true, false, false]),
    ("/practices/Z90044", [true, false, false, false, true]),
    ("/audit", [true, true, true, false, false]),
    ("/api/audit", [true, true, true, false, false]),
    ("/imports", [true, false, false, false, false]),
    ("/api/me", [true, true, true, true, true]),
];

async fn walk_the_matrix(app: &App) {
    let mut logins = Vec::new();
    for role in ROLES {
        logins.push(
            app.login(role, PASSWORD)
                .await
                .unwrap_or_else(|r| panic!("{role}: {}", r.body)),
        );
    }
    let mut refused = 0;
    for (path, may) in READS {
        // Without a session: pages go to the login page, the API answers 401.
        let anon = app.get(path, None).await;
        if path.starts_with("/api/") {
            assert_eq!(anon.status, StatusCode::UNAUTHORIZED, "anonymous {path}");
        } else {
            assert_eq!(anon.status, StatusCode::SEE_OTHER, "anonymous {path}");
            assert!(anon.headers[header::LOCATION]
                .to_str()
                .unwrap()
                .starts_with("/login?next="));
        }
        for (i, role) in ROLES.iter().enumerate() {
            let r = app.get(path, Some(&logins[i])).await;
            let want = if may[i] {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(
                r.status,
                want,
                "{role} GET {path}: {}",
                &r.body[..r.body.len().min(300)]
            );
            if !may[i] {
                refused += 1;
                if !path.starts_with("/api/") {
                    assert!(r.body.contains("class=\"refusal\""), "{role} {path}");
                }
            }
        }
    }
    // Every refusal is in the audit log.
    assert_eq!(app.audit_refusals().await, refused);

    // Writes: adding a post through the API.
    let before = app.posts("U90001").await;
    let post = |who: &str| serde_json::json!({"person": format!("API-{who}"), "role": "paramedic", "band": "7", "wte": "1.0", "start": "2026-12-01"});
    for (i, role) in ROLES.iter().enumerate() {
        let r = app
            .post_json(
                "/api/networks/U90001/arrs/posts",
                &logins[i],
                Some(&logins[i].csrf),
                post(role),
            )
            .await;
        let may = matches!(*role, "admin" | "network");
        assert_eq!(
            r.status,
            if may {
                StatusCode::CREATED
            } else {
                StatusCode::FORBIDDEN
            },
            "{role} POST: {}",
            r.body
        );
    }
    assert_eq!(app.posts("U90001").await, before + 2);
    // A network manager cannot add to another network.
    let r = app
        .post_json(
            "/api/networks/U90002/arrs/posts",
            &logins[2],
            Some(&logins[2].csrf),
            post("x"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Without the CSRF header, or with another session's, nothing is written.
    let r = app
        .post_json(
            "/api/networks/U90001/arrs/posts",
            &logins[2],
            None,
            post("nocsrf"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .post_json(
            "/api/networks/U90001/arrs/posts",
            &logins[2],
            Some(&logins[0].csrf),
            post("wrongcsrf"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Bad input is refused with the reason, and nothing is written.
    let r = app
        .post_json(
            "/api/networks/U90001/arrs/posts",
            &logins[2],
            Some(&logins[2].csrf),
            serde_json::json!({"person": "P", "role": "astronaut", "wte": "1.0", "start": "2026-12-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("astronaut"), "{}", r.body);
    assert_eq!(app.posts("U90001").await, before + 2);

    // Forms: the page's form works once; a replay and a forgery change nothing.
    let page = app.get("/networks/U90001/arrs", Some(&logins[2])).await;
    let token = form_token(&page.body, "add-post");
    let fields = |tok: &str, csrf: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("form_token", tok.to_string()),
            ("person", "FORM-1".to_string()),
            ("role", "care-coordinator".to_string()),
            ("band", "".to_string()),
            ("wte", "0.5".to_string()),
            ("start", "2026-12-01".to_string()),
            ("salary", "".to_string()),
        ]
    };
    let as_refs = |v: &Vec<(&'static str, String)>| {
        v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>()
    };
    let f = as_refs(&fields(&token, &logins[2].csrf));
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app
        .post_form("/networks/U90001/arrs/posts", &logins[2], &f)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(app.posts("U90001").await, before + 3);
    let replay = app
        .post_form("/networks/U90001/arrs/posts", &logins[2], &f)
        .await;
    assert_eq!(replay.status, StatusCode::FORBIDDEN);
    assert!(replay.body.contains("already submitted"), "{}", replay.body);
    let page = app.get("/networks/U90001/arrs", Some(&logins[2])).await;
    let token = form_token(&page.body, "add-post");
    let forged = as_refs(&fields(&token, "not-the-token"));
    let forged: Vec<(&str, &str)> = forged.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app
        .post_form("/networks/U90001/arrs/posts", &logins[2], &forged)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A commissioner sees no form and cannot post one.
    let page = app.get("/networks/U90001/arrs", Some(&logins[1])).await;
    assert!(!page.body.contains("id=\"add-post\""));
    let r = app
        .post_form("/networks/U90001/arrs/posts", &logins[1], &f)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.posts("U90001").await, before + 3);
    // The pages show the new posts, and the audit log has who added them.
    let page = app.get("/networks/U90001/arrs", Some(&logins[2])).await;
    assert!(page.body.contains("FORM-1") && page.body.contains("API-network"));
    let audit = app.get("/audit", Some(&logins[0])).await;
    assert!(audit.body.contains("FORM-1") && audit.body.contains("forged or replayed"));
    // The commissioner's log shows its networks' changes, not account changes.
    let audit = app.get("/audit", Some(&logins[1])).await;
    assert!(
        audit.body.contains("FORM-1") && !audit.body.contains("account"),
        "{}",
        audit.body
    );

    // Logging out ends the session.
    let r = app
        .post_form("/logout", &logins[4], &[("csrf", &logins[4].csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/api/me", Some(&logins[4])).await.status,
        StatusCode::UNAUTHORIZED
    );
}

fn form_token(html: &str, form_id: &str) -> String {
    let at = html
        .find(&format!("id=\"{form_id}\""))
        .unwrap_or_else(|| panic!("no form {form_id}"));
    let rest = &html[at..];
    let key = "name=\"form_token\" value=\"";
    let start = rest.find(key).unwrap() + key.len();
    rest[start..start + rest[start..].find('"').unwrap()].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_role_matrix_on_sqlite() {
    walk_the_matrix(&App::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_role_matrix_on_postgres() {
    let Ok(base) = std::env::var("PCN_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI is set but PCN_TEST_POSTGRES_URL is not"
        );
        eprintln!("skipping: PCN_TEST_POSTGRES_URL is not set (scripts/test sets it)");
        return;
    };
    let url = pcn_store::testing::fresh_postgres_database(&base, "web")
        .await
        .unwrap();
    let store = Store::open(&url).await.unwrap();
    walk_the_matrix(&App::new(store, None).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_are_throttled_and_checked() {
    let app = App::sqlite().await;
    assert_eq!(
        app.login("network", "wrong password!")
            .await
            .err()
            .unwrap()
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("nobody", PASSWORD).await.err().unwrap().status,
        StatusCode::UNAUTHORIZED
    );
    for _ in 0..4 {
        let _ = app.login("network", "wrong password!").await;
    }
    // Five failures lock the account, even for the right password.
    let r = app.login("network", PASSWORD).await.err().unwrap();
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    // Other accounts are not locked.
    assert!(app.login("practice", PASSWORD).await.is_ok());
    // The login form needs its own CSRF cookie.
    let r = app
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "username=practice&password={PASSWORD}&csrf=x"
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A disabled account cannot log in and its sessions end.
    let s = app.login("viewer", PASSWORD).await.ok().unwrap();
    app.state
        .store
        .disable_account("viewer", chrono::Utc::now(), "test")
        .await
        .unwrap();
    // The server notices the change in the store (as it does when the CLI makes it).
    app.state.refresh().await.unwrap();
    assert_eq!(
        app.get("/api/me", Some(&s)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(app.login("viewer", PASSWORD).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_previewed_and_refused_when_wrong() {
    let app = App::sqlite().await;
    let admin = app.login("admin", PASSWORD).await.ok().unwrap();
    let imports_before = app.state.store.imports().await.unwrap().len();
    let upload = |token: String, name: &str, content: Vec<u8>| {
        let boundary = "XBOUNDARYX";
        let mut body = Vec::new();
        for (k, v) in [("csrf", admin.csrf.clone()), ("form_token", token)] {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
        body.extend_from_slice(&content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        Request::post("/imports")
            .header(header::COOKIE, &admin.cookie)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap()
    };
    // The wrong kind of file: every problem, nothing written.
    let page = app.get("/imports", Some(&admin)).await;
    let r = app
        .send(upload(
            form_token(&page.body, "upload"),
            "notes.csv",
            b"hello,world\n1,2\n".to_vec(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"import-errors\"") && r.body.contains("notes.csv"));
    // Too large: refused before it is read.
    let page = app.get("/imports", Some(&admin)).await;
    let r = app
        .send(upload(
            form_token(&page.body, "upload"),
            "big.csv",
            vec![b'a'; 2 << 20],
        ))
        .await;
    assert_eq!(
        r.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        &r.body[..r.body.len().min(200)]
    );
    // A good file (pcn's governance CSV): preview, then commit.
    let page = app.get("/imports", Some(&admin)).await;
    let csv =
        b"pcn_code,effective_from,clinical_director\nU90009,2026-07-01,Dr Web Upload\n".to_vec();
    let r = app
        .send(upload(
            form_token(&page.body, "upload"),
            "governance.csv",
            csv,
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("id=\"preview\""), "{}", r.body);
    assert_eq!(
        app.state.store.imports().await.unwrap().len(),
        imports_before
    );
    let commit_at = r.body.find("id=\"commit\"").unwrap();
    let action_key = "action=\"";
    let a = r.body[commit_at..].find(action_key).unwrap() + commit_at + action_key.len();
    let action = r.body[a..a + r.body[a..].find('"').unwrap()].to_string();
    let tok = form_token(&r.body, "commit");
    let done = app
        .post_form(
            &action,
            &admin,
            &[("csrf", &admin.csrf), ("form_token", &tok)],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("was imported"), "{}", done.body);
    assert_eq!(
        app.state.store.imports().await.unwrap().len(),
        imports_before + 1
    );
    // The new fact shows on the network page at once.
    let page = app.get("/networks/U90009", Some(&admin)).await;
    assert!(page.body.contains("Dr Web Upload"));
    // Committing again (a replay) does nothing.
    let again = app
        .post_form(
            &action,
            &admin,
            &[("csrf", &admin.csrf), ("form_token", &tok)],
        )
        .await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.state.store.imports().await.unwrap().len(),
        imports_before + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_errors_never_reach_the_page() {
    let app = App::sqlite().await;
    let network = app.login("network", PASSWORD).await.ok().unwrap();
    assert_eq!(
        app.get("/networks/U90001/arrs", Some(&network))
            .await
            .status,
        StatusCode::OK
    );
    app.state.store.clone().close().await;
    for path in ["/networks/U90001/arrs", "/api/networks/U90001/arrs/posts"] {
        let r = app.get(path, Some(&network)).await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert!(r.body.contains("reference"), "{}", r.body);
        let lower = r.body.to_lowercase();
        for leak in ["pool", "sqlite", "sqlx", "closed", "select"] {
            assert!(!lower.contains(leak), "{path} leaks {leak:?}: {}", r.body);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_lists_every_api_route() {
    let app = App::sqlite().await;
    let r = app.get("/api/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/session",
        "/api/me",
        "/api/national",
        "/api/commissioners/{code}",
        "/api/networks/{code}",
        "/api/networks/{code}/statement",
        "/api/networks/{code}/arrs/budget",
        "/api/networks/{code}/arrs/posts",
        "/api/practices/{code}",
        "/api/audit",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    assert!(paths["/api/networks/{code}/arrs/posts"]["post"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["session"]["in"],
        "cookie"
    );
}

#[tokio::test]
async fn downloads_are_the_files_the_command_line_writes() {
    let app = App::sqlite().await;
    let me = app
        .login("network", PASSWORD)
        .await
        .unwrap_or_else(|r| panic!("{}", r.body));
    let admin = app
        .login("admin", PASSWORD)
        .await
        .unwrap_or_else(|r| panic!("{}", r.body));
    let r = app
        .get("/networks/U90001/statement.csv?year=2025-26", Some(&me))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert_eq!(
        r.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"U90001-statement-2025-26.csv\""
    );
    let first = r.body.lines().next().unwrap();
    assert!(first.starts_with("financial_year,pcn_code,"), "{first}");
    assert!(r
        .body
        .lines()
        .skip(1)
        .all(|l| l.starts_with("2025-26,U90001,")));

    let r = app
        .get(
            "/networks/U90002/arrs/claims.csv?year=2026-27",
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body.lines().next().unwrap(),
        pcn_export::arrs::CLAIM_COLUMNS.join(",")
    );
    assert!(r.body.lines().count() > 1, "U90002 has posts: {}", r.body);

    let r = app.get("/networks/U90001/statement.xlsx", Some(&me)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    // A year outside the rulebook is the user's mistake, not a server error.
    let r = app
        .get("/networks/U90001/statement.csv?year=2099-00", Some(&me))
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
}

/// Who may read the Services pages and their API.
const SERVICES_READS: &[(&str, [bool; 5])] = &[
    (
        "/networks/U90001/services",
        [true, true, true, false, false],
    ),
    (
        "/api/networks/U90001/services",
        [true, true, true, false, false],
    ),
    (
        "/networks/U90005/services",
        [true, false, false, false, true],
    ),
    (
        "/commissioners/Z1A/services",
        [true, true, false, false, false],
    ),
    (
        "/api/commissioners/Z2B/services",
        [true, false, false, false, true],
    ),
];

/// The Services pages and their API on the demo with its services: who may
/// read them, what the network that falls short is told, and who may
/// record a round (network managers and admins, with the CSRF token; a
/// round at a home not aligned to the network is refused and writes
/// nothing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_pages_by_role() {
    let app = App::sqlite().await;
    pcn_app::demo::add_demo_services(&app.state.app, "test")
        .await
        .unwrap();
    app.state.refresh().await.unwrap();
    let mut logins = Vec::new();
    for role in ROLES {
        logins.push(
            app.login(role, PASSWORD)
                .await
                .unwrap_or_else(|r| panic!("{role}: {}", r.body)),
        );
    }
    for (path, may) in SERVICES_READS {
        for (i, role) in ROLES.iter().enumerate() {
            let r = app.get(path, Some(&logins[i])).await;
            let want = if may[i] {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(
                r.status,
                want,
                "{role} GET {path}: {}",
                &r.body[..r.body.len().min(300)]
            );
        }
    }

    let period = "from=2026-05-25&to=2026-06-28";
    let page = app
        .get(
            &format!("/networks/U90005/services?{period}"),
            Some(&logins[0]),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("short by 15.5 hours of gp"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<svg"), "the charts are drawn");
    let json = app
        .get(
            &format!("/api/networks/U90005/services?{period}"),
            Some(&logins[4]),
        )
        .await;
    let v: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(v["weeks"].as_array().unwrap().len(), 5);
    assert_eq!(
        (v["rounds"]["owed"].as_u64(), v["rounds"]["met"].as_u64()),
        (Some(10), Some(6))
    );
    let z2b = app
        .get(
            &format!("/api/commissioners/Z2B/services?{period}"),
            Some(&logins[4]),
        )
        .await;
    let v: serde_json::Value = serde_json::from_str(&z2b.body).unwrap();
    assert!(
        v["networks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n[1]["pcn"] == "U90005"),
        "{}",
        z2b.body
    );

    // Recording a round at one of U90001's homes, with one of its posts.
    let mine = app
        .get(
            &format!("/api/networks/U90001/services?{period}"),
            Some(&logins[2]),
        )
        .await;
    let v: serde_json::Value = serde_json::from_str(&mine.body).unwrap();
    let home = v["homes"][0]["location_id"].as_str().unwrap().to_string();
    let posts = app
        .get("/api/networks/U90001/arrs/posts", Some(&logins[2]))
        .await;
    let v: serde_json::Value = serde_json::from_str(&posts.body).unwrap();
    let post = v["posts"][0]["id"].as_i64().unwrap().to_string();
    let round = |home: &str| serde_json::json!({"location_id": home, "date": "2026-07-01", "post_id": post, "residents_reviewed": "3"});
    let rounds = || async {
        app.state
            .store
            .load_facts()
            .await
            .unwrap()
            .services
            .rounds
            .len()
    };
    let before = rounds().await;
    for (i, role) in ROLES.iter().enumerate() {
        let r = app
            .post_json(
                "/api/networks/U90001/services/rounds",
                &logins[i],
                Some(&logins[i].csrf),
                round(&home),
            )
            .await;
        let may = matches!(*role, "admin" | "network");
        let want = if may {
            StatusCode::CREATED
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(r.status, want, "{role} POST round: {}", r.body);
    }
    assert_eq!(rounds().await, before + 2);
    let r = app
        .post_json(
            "/api/networks/U90001/services/rounds",
            &logins[2],
            None,
            round(&home),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF token");
    let r = app
        .post_json(
            "/api/networks/U90001/services/rounds",
            &logins[2],
            Some(&logins[2].csrf),
            round("1-999999999"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("1-999999999"), "{}", r.body);
    assert_eq!(rounds().await, before + 2);
}
