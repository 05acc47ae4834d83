//! The app as its users meet it, in process: every route for every role
//! (who may see and change what), forged and replayed forms, uploads, login
//! throttling, and a database failure that must not reach the page. Runs on
//! SQLite, and on PostgreSQL when `PCN_TEST_POSTGRES_URL` names a server.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use pcn_core::PcnCode;
use pcn_store::Store;
use tower::ServiceExt;

use super::state::AppState;

pub(crate) const PASSWORD: &str = "test-password-123";
const ROLES: [&str; 5] = ["admin", "commissioner", "network", "practice", "viewer"];

pub(crate) struct App {
    pub(crate) router: Router,
    pub(crate) state: AppState,
    _dir: Option<tempfile::TempDir>,
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: String,
}

impl Reply {
    /// Asserts the answer's status, showing the start of its body if not.
    #[track_caller]
    pub(crate) fn expect(&self, want: StatusCode) -> &Reply {
        assert_eq!(self.status, want, "{}", short(&self.body));
        self
    }
}

/// The start of a body, for failure messages.
pub(crate) fn short(body: &str) -> &str {
    let mut end = body.len().min(600);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    &body[..end]
}

impl App {
    pub(crate) async fn new(store: Store, dir: Option<tempfile::TempDir>) -> App {
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

    /// The app on a fresh PostgreSQL database, when `PCN_TEST_POSTGRES_URL`
    /// names a server (under CI it must).
    pub(crate) async fn postgres(name: &str) -> Option<App> {
        let url = pcn_store::testing::postgres_url(name).await?;
        Some(App::new(Store::open(&url).await.unwrap(), None).await)
    }

    pub(crate) async fn sqlite() -> App {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("web.sqlite").display().to_string();
        let store = Store::open(&db).await.unwrap();
        App::new(store, Some(dir)).await
    }

    pub(crate) async fn send(&self, req: Request<Body>) -> Reply {
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

    pub(crate) async fn get(&self, path: &str, session: Option<&Login>) -> Reply {
        let mut req = Request::get(path);
        if let Some(s) = session {
            req = req.header(header::COOKIE, &s.cookie);
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    pub(crate) async fn post_form(
        &self,
        path: &str,
        session: &Login,
        form: &[(&str, &str)],
    ) -> Reply {
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

    pub(crate) async fn post_json(
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

    /// Posts `json` to `path` as `session`, with its own CSRF token.
    pub(crate) async fn post_as(
        &self,
        session: &Login,
        path: &str,
        json: serde_json::Value,
    ) -> Reply {
        self.post_json(path, session, Some(&session.csrf), json)
            .await
    }

    /// Adds a full-time paramedic (at the role's usual band), `person`, from `start` to U90001's
    /// roster through the API, as `session` with its own CSRF token.
    pub(crate) async fn add_paramedic(&self, session: &Login, person: &str, start: &str) -> Reply {
        let post = serde_json::json!({"person": person, "role": "paramedic", "wte": "1.0", "start": start});
        self.post_as(session, "/api/networks/U90001/arrs/posts", post)
            .await
    }

    /// A session of the demo account `user`.
    pub(crate) async fn session(&self, user: &str) -> Login {
        self.login(user, PASSWORD)
            .await
            .unwrap_or_else(|r| panic!("{user}: {}", short(&r.body)))
    }

    /// A session of each demo account, in the order of `ROLES`.
    pub(crate) async fn login_all(&self) -> Vec<Login> {
        let mut logins = Vec::new();
        for role in ROLES {
            logins.push(
                self.login(role, PASSWORD)
                    .await
                    .unwrap_or_else(|r| panic!("{role}: {}", r.body)),
            );
        }
        logins
    }

    pub(crate) async fn login(&self, user: &str, password: &str) -> Result<Login, Reply> {
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

    pub(crate) async fn audit_refusals(&self) -> usize {
        self.state
            .store
            .audit_log(100_000)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.change.entity == "access" && e.change.action == "refused")
            .map(|e| e.occurrences as usize)
            .sum()
    }

    pub(crate) async fn posts(&self, pcn: &str) -> usize {
        self.state
            .store
            .posts(Some(&pcn.parse().unwrap()))
            .await
            .unwrap()
            .len()
    }
}

/// A multipart upload of one file of `content_type` through the imports form.
pub(crate) fn upload(
    admin: &Login,
    token: &str,
    name: &str,
    content_type: &str,
    content: &[u8],
) -> Request<Body> {
    let boundary = "XBOUNDARYX";
    let mut body = Vec::new();
    for (k, v) in [("csrf", admin.csrf.as_str()), ("form_token", token)] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes());
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::post("/imports")
        .header(header::COOKIE, &admin.cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap()
}

pub(crate) struct Login {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

/// Which roles may read a route (in role order: admin, commissioner, network, practice, viewer).
/// The demo: commissioner covers Z1A; network is U90001 (in Z1A); practice is Z90001 (in
/// U90001); viewer covers Z2B. A member practice may read its network's funding (the
/// statement, its files) and nothing else of the network (`pcn_core::access`). Every route
/// that takes `?year=` is here with a year.
const READS: &str = include_str!("tests/reads.txt");

/// The routes of a read table (`tests/*.txt`: five `y`/`-` columns in
/// `ROLES` order, then the route), in order.
fn read_table(table: &str) -> Vec<(&str, [bool; 5])> {
    table
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(cells.len(), 6, "read table line {line:?}");
            let may = std::array::from_fn(|i| match cells[i] {
                "y" => true,
                "-" => false,
                other => panic!("read table line {line:?}: {other:?} is not y or -"),
            });
            (cells[5], may)
        })
        .collect()
}

/// Every route of `table` read without a session (pages go to the login
/// page, the API answers 401) and as each role (200 or a 403 refusal page).
/// Returns how many reads were refused.
async fn check_reads(app: &App, logins: &[Login], table: &str) -> usize {
    let mut refused = 0;
    for (path, may) in read_table(table) {
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
    refused
}

async fn walk_the_matrix(app: &App) {
    let logins = app.login_all().await;
    assert_eq!(read_table(READS).len(), 60);
    let refused = check_reads(app, &logins, READS).await;
    // Every refusal is in the audit log.
    assert_eq!(app.audit_refusals().await, refused);

    // Writes: adding a post through the API.
    let before = app.posts("U90001").await;
    let post = |who: &str| serde_json::json!({"person": format!("API-{who}"), "role": "paramedic", "band": "7", "wte": "1.0", "start": "2026-12-01"});
    for (i, role) in ROLES.iter().enumerate() {
        let r = app
            .post_as(&logins[i], "/api/networks/U90001/arrs/posts", post(role))
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
        .post_as(&logins[2], "/api/networks/U90002/arrs/posts", post("x"))
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
    r.expect(StatusCode::FORBIDDEN);
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
    let r = app.post_as(&logins[2], "/api/networks/U90001/arrs/posts", serde_json::json!({"person": "P", "role": "astronaut", "wte": "1.0", "start": "2026-12-01"}))
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
    r.expect(StatusCode::SEE_OTHER);
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

pub(crate) fn form_token(html: &str, form_id: &str) -> String {
    let at = html
        .find(&format!("id=\"{form_id}\""))
        .unwrap_or_else(|| panic!("no form {form_id}"));
    let rest = &html[at..];
    let key = "name=\"form_token\" value=\"";
    let start = rest.find(key).unwrap() + key.len();
    rest[start..start + rest[start..].find('"').unwrap()].to_string()
}

/// Every response, a page, a refusal or a missing page, carries the
/// security headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    let app = App::sqlite().await;
    for path in ["/login", "/national", "/no-such-page", "/healthz"] {
        let r = app.get(path, None).await;
        let header = |name: &str| r.headers.get(name).and_then(|v| v.to_str().ok());
        assert_eq!(header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(header("cache-control"), Some("no-store"), "{path}");
        assert_eq!(header("referrer-policy"), Some("same-origin"), "{path}");
        assert!(
            header("content-security-policy").is_some_and(|p| p.starts_with("default-src 'none';")),
            "{path}"
        );
    }
}

/// Tests `$check` on SQLite, and on PostgreSQL when
/// `PCN_TEST_POSTGRES_URL` names a server (a database `$db` of its own).
macro_rules! on_both_stores {
    ($check:ident, $sqlite:ident, $postgres:ident, $db:literal) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            $check(&App::sqlite().await).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            if let Some(app) = App::postgres($db).await {
                $check(&app).await;
            }
        }
    };
}

on_both_stores!(
    walk_the_matrix,
    route_role_matrix_on_sqlite,
    route_role_matrix_on_postgres,
    "web"
);

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
    r.expect(StatusCode::TOO_MANY_REQUESTS);
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
    // The wrong kind of file: every problem, nothing written.
    let page = app.get("/imports", Some(&admin)).await;
    let r = app
        .send(upload(
            &admin,
            &form_token(&page.body, "upload"),
            "notes.csv",
            "text/csv",
            b"hello,world\n1,2\n",
        ))
        .await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"import-errors\"") && r.body.contains("notes.csv"));
    // Too large: refused before it is read.
    let page = app.get("/imports", Some(&admin)).await;
    let r = app
        .send(upload(
            &admin,
            &form_token(&page.body, "upload"),
            "big.csv",
            "text/csv",
            &vec![b'a'; 2 << 20],
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
    let csv = b"pcn_code,effective_from,clinical_director\nU90009,2026-07-01,Dr Web Upload\n";
    let r = app
        .send(upload(
            &admin,
            &form_token(&page.body, "upload"),
            "governance.csv",
            "text/csv",
            csv,
        ))
        .await;
    r.expect(StatusCode::OK);
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
    done.expect(StatusCode::OK);
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
    // (Not the roster page itself: once read, it is kept in memory.)
    assert_eq!(
        app.get("/api/me", Some(&network)).await.status,
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
        "/api/commissioners/{code}/plan",
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
    let me = app.session("network").await;
    let admin = app.session("admin").await;
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

/// The pence of a `data-pence` attribute on the element with `id`.
fn pence_of(body: &str, marker: &str) -> i64 {
    let at = body
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not on the page"));
    let rest = &body[at..];
    let v = rest.find("data-pence=\"").expect("data-pence") + "data-pence=\"".len();
    rest[v..]
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|e| panic!("{marker}: {e}"))
}

/// "£1,234.56" as pence.
fn pounds_text(text: &str) -> i64 {
    let digits: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    digits.parse().unwrap()
}

/// Every `<tr …>` of a table body whose opening tag contains `attr`, as text.
fn rows_with<'a>(body: &'a str, attr: &str) -> Vec<&'a str> {
    body.split("<tr ")
        .skip(1)
        .filter(|r| r.starts_with(attr))
        .map(|r| r.split("</tr>").next().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_headline_is_the_sum_of_the_table_beneath_it() {
    let app = App::sqlite().await;
    let admin = app.session("admin").await;
    for year in ["2024-25", "2025-26", "2026-27"] {
        let r = app
            .get(&format!("/commissioners/Z1A?year={year}"), Some(&admin))
            .await;
        r.expect(StatusCode::OK);
        let headline = pence_of(&r.body, "id=\"commissioner-scheduled\"");
        let rows: i64 = rows_with(&r.body, "data-kind=\"to-network\"")
            .iter()
            .filter_map(|row| {
                let cell = row.split("<td class=\"num\">").nth(1)?;
                let money = cell.split('<').next()?;
                money.contains('£').then(|| pounds_text(money))
            })
            .sum();
        assert!(headline > 0, "{year}");
        assert_eq!(
            headline, rows,
            "{year}: the headline is the to-network rows"
        );
        assert_eq!(
            headline,
            pence_of(&r.body, "data-kind-total=\"to-network\""),
            "{year}"
        );
        for n in 1..=9 {
            let code = format!("U9000{n}");
            let r = app
                .get(
                    &format!("/networks/{code}/statement?year={year}"),
                    Some(&admin),
                )
                .await;
            if r.status == StatusCode::NOT_FOUND {
                continue;
            }
            assert_eq!(r.status, StatusCode::OK, "{code} {year}");
            let all = pence_of(&r.body, "id=\"scheduled-all\"");
            assert_eq!(
                all,
                pence_of(&r.body, "id=\"scheduled\"")
                    + pence_of(&r.body, "id=\"scheduled-practices\""),
                "{code} {year}"
            );
            assert_eq!(
                all,
                pence_of(&r.body, "id=\"schedule-total\""),
                "{code} {year}: headline and schedule"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_not_computed_never_shows_as_nought() {
    let app = App::sqlite().await;
    let admin = app.session("admin").await;
    let mut seen_not_computed = 0;
    for year in ["2019-20", "2023-24", "2024-25", "2025-26", "2026-27"] {
        let mut pages = vec![
            format!("/commissioners/Z1A?year={year}"),
            format!("/?year={year}"),
        ];
        for n in 1..=9 {
            pages.push(format!("/networks/U9000{n}?year={year}"));
            pages.push(format!("/networks/U9000{n}/statement?year={year}"));
        }
        for path in &pages {
            let r = app.get(path, Some(&admin)).await;
            if r.status != StatusCode::OK {
                continue;
            }
            for row in r.body.split("<tr").skip(1) {
                let row = row.split("</tr>").next().unwrap();
                if row.contains("not computed") {
                    seen_not_computed += 1;
                    assert!(!row.contains("£0.00"), "{path}: {row}");
                }
            }
        }
        for n in 1..=9 {
            let path = format!("/api/networks/U9000{n}/statement?year={year}");
            let r = app.get(&path, Some(&admin)).await;
            if r.status != StatusCode::OK {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            for l in v["statement"]["lines"].as_array().unwrap() {
                if l["status"] == "not_computed" {
                    seen_not_computed += 1;
                    assert!(
                        l["amount"].is_null() && l["full_amount"].is_null(),
                        "{path}: {l}"
                    );
                }
            }
            let csv = app
                .get(
                    &format!("/networks/U9000{n}/statement.csv?year={year}"),
                    Some(&admin),
                )
                .await;
            let mut rows = csv.body.lines();
            let header: Vec<&str> = rows.next().unwrap_or("").split(',').collect();
            let money: Vec<usize> = (0..header.len())
                .filter(|i| header[*i].contains("amount"))
                .collect();
            assert!(!money.is_empty(), "{path}: {header:?}");
            for row in rows.filter(|l| l.contains("not_computed")) {
                let cells: Vec<&str> = row.split(',').collect();
                for i in &money {
                    assert_eq!(cells.get(*i), Some(&""), "{path} CSV {}: {row}", header[*i]);
                }
            }
        }
    }
    assert!(
        seen_not_computed > 0,
        "the demo has lines not computed (care home premium, IIF)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_without_payee_or_agreement_are_shown_at_risk() {
    let app = App::sqlite().await;
    let admin = app.session("admin").await;
    let mut at_risk = Vec::new();
    for n in 1..=9 {
        let code = format!("U9000{n}");
        let r = app
            .get(
                &format!("/api/networks/{code}/statement?year=2026-27"),
                Some(&admin),
            )
            .await;
        if r.status != StatusCode::OK {
            continue;
        }
        let page = app
            .get(
                &format!("/networks/{code}/statement?year=2026-27"),
                Some(&admin),
            )
            .await;
        if page.body.contains("id=\"at-risk\"") {
            assert!(
                page.body.contains("<code>NET-"),
                "{code}: the rule is named"
            );
            at_risk.push(code);
        }
    }
    // U90009 has neither a payee nor a network agreement in the demo.
    assert!(at_risk.contains(&"U90009".to_string()), "{at_risk:?}");
    assert!(
        at_risk.len() < 9,
        "networks with complete governance are not at risk: {at_risk:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_account_is_not_sent_to_a_page_it_may_not_see() {
    let app = App::sqlite().await;
    let me = app.session("network").await;
    let r = app.get("/networks/U90001", Some(&me)).await;
    assert_eq!(r.status, StatusCode::OK);
    for href in r
        .body
        .split("href=\"")
        .skip(1)
        .map(|h| h.split('"').next().unwrap())
    {
        if !href.starts_with('/') || href.starts_with("/static") || href.contains("logout") {
            continue;
        }
        let target = app.get(&href.replace("&amp;", "&"), Some(&me)).await;
        assert_ne!(target.status, StatusCode::FORBIDDEN, "{href}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_takes_numbers_as_numbers_and_answers_bad_json_in_json() {
    let app = App::sqlite().await;
    let me = app.session("network").await;
    let before = app.posts("U90001").await;
    let r = app.post_as(&me, "/api/networks/U90001/arrs/posts", serde_json::json!({"person": 17, "role": "paramedic", "band": 7, "wte": 0.6, "start": "2026-12-01", "salary": 45000}))
        .await;
    r.expect(StatusCode::CREATED);
    assert_eq!(app.posts("U90001").await, before + 1);
    // A body that is not the shape asked for: a JSON answer naming the field.
    for bad in [
        serde_json::json!({"person": "P", "role": "paramedic", "wte": [1], "start": "2026-12-01"}),
        serde_json::json!({"role": "paramedic", "wte": "1", "start": "2026-12-01"}),
    ] {
        let r = app
            .post_as(&me, "/api/networks/U90001/arrs/posts", bad)
            .await;
        assert!(r.status.is_client_error(), "{}", r.status);
        let v: serde_json::Value =
            serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.body));
        let error = v["error"].as_str().unwrap();
        assert!(error.contains("wte") || error.contains("person"), "{error}");
        assert!(!error.contains("--"), "no command-line flags: {error}");
    }
    // Without the CSRF header a write is refused before its body is read.
    let bad = serde_json::json!({"wte": [1]});
    let r = app
        .post_json("/api/networks/U90001/arrs/posts", &me, None, bad)
        .await;
    r.expect(StatusCode::FORBIDDEN);
    assert_eq!(app.posts("U90001").await, before + 1);
    // Every API write answers a body that does not read in JSON, the
    // services API's too.
    let bad = serde_json::json!({"location_id": [1]});
    let r = app
        .post_as(&me, "/api/networks/U90001/services/rounds", bad)
        .await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
}

#[tokio::test]
async fn the_proposed_configuration_page_files_and_json() {
    let app = App::sqlite().await;
    let admin = app.session("admin").await;
    let r = app.get("/commissioners/QZZ/plan", Some(&admin)).await;
    r.expect(StatusCode::OK);
    for part in [
        "id=\"map-today\"",
        "id=\"map-proposed\"",
        "id=\"moves\"",
        "id=\"proposed\"",
        "id=\"rerun\"",
        "name=\"pin\" value=\"U90001\"",
        "href=\"/commissioners/QZZ/plan.csv?seed=1\"",
    ] {
        assert!(r.body.contains(part), "{part} missing");
    }
    assert_eq!(r.body.matches("<svg").count(), 2);
    assert!(!r.body.contains("id=\"what-changes-money\""));

    // The JSON is the use case's answer; pinning keeps a network as it is.
    let json = |body: &str| -> serde_json::Value { serde_json::from_str(body).unwrap() };
    let free = json(
        &app.get("/api/commissioners/QZZ/plan", Some(&admin))
            .await
            .body,
    );
    let registry = app.state.data().unwrap();
    let direct = pcn_app::plan::propose(
        &registry.registry,
        &pcn_app::plan::PlanRequest {
            area: pcn_app::plan::Area::Commissioner("QZZ".parse().unwrap()),
            as_at: registry.as_at,
            grouping: pcn_core::plan::Grouping::Icb,
            config: pcn_core::plan::PlanConfig::default(),
            pins: Default::default(),
            time_budget: None,
        },
    )
    .unwrap();
    // Both sides through JSON text: serde_json reads a float back to the
    // nearest value, not always the same bits, so compare what it reads.
    assert_eq!(
        free["proposal"]["plan"],
        json(&serde_json::to_string(&direct.plan).unwrap())
    );
    assert!(free["money"].is_null());
    let moved_from: Vec<String> = direct
        .plan
        .groups
        .iter()
        .flat_map(|g| &g.networks)
        .flat_map(|n| &n.members)
        .filter(|m| m.moved)
        .filter_map(|m| m.from.as_ref().filter(|f| !f.is_unallocated()))
        .map(|f| f.to_string())
        .collect();
    let changed = &moved_from[0];
    let pinned = json(
        &app.get(
            &format!("/api/commissioners/QZZ/plan?pin={changed}"),
            Some(&admin),
        )
        .await
        .body,
    );
    let networks = pinned["proposal"]["plan"]["groups"][0]["networks"]
        .as_array()
        .unwrap();
    let kept = networks
        .iter()
        .find(|n| n["continues"] == changed.as_str())
        .unwrap();
    let members: Vec<&str> = kept["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["practice"].as_str().unwrap())
        .collect();
    let today: Vec<String> = registry.snapshot.networks
        [&changed.parse::<pcn_core::PcnCode>().unwrap()]
        .members
        .iter()
        .map(|m| m.to_string())
        .collect();
    assert_eq!(members, today);
    let page = app
        .get(
            &format!("/commissioners/QZZ/plan?pin={changed}&money=1"),
            Some(&admin),
        )
        .await;
    assert!(page
        .body
        .contains(&format!("name=\"pin\" value=\"{changed}\" checked")));
    assert!(page.body.contains("id=\"what-changes-money\""));

    // The files.
    let r = app
        .get("/commissioners/QZZ/plan.csv?seed=1", Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body.lines().next().unwrap(),
        pcn_export::plan::MEMBER_COLUMNS.join(",")
    );
    assert_eq!(
        r.body.lines().count(),
        1 + registry.snapshot.practices.len()
    );
    let r = app
        .get("/commissioners/QZZ/plan.xlsx?money=1", Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers[header::CONTENT_DISPOSITION],
        format!("attachment; filename=\"QZZ-plan-{}.xlsx\"", registry.as_at)
    );

    // Mistakes are answered, never a server error.
    for (path, status) in [
        (
            "/commissioners/QZZ/plan?pin=X1",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/commissioners/QZZ/plan?seed=-1",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/commissioners/QZZ/plan?colour=red",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/commissioners/Z1A/plan?pin=U90005",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("/commissioners/QZZ/plan?pin=U12345", StatusCode::NOT_FOUND),
        ("/commissioners/QXX/plan", StatusCode::NOT_FOUND),
        ("/api/commissioners/QXX/plan", StatusCode::NOT_FOUND),
    ] {
        let r = app.get(path, Some(&admin)).await;
        assert_eq!(
            r.status,
            status,
            "{path}: {}",
            &r.body[..r.body.len().min(300)]
        );
    }
}

/// The demo's appointments on the pages and in the API: the chart against
/// 2019 on the national, commissioner and network pages, and the pledge
/// figures as summed straight from the demo's generated GPAD rows.
#[tokio::test]
async fn the_pages_chart_appointments_against_2019() {
    use pcn_core::gpad_facts::AppointmentArea;
    let app = App::sqlite().await;
    let admin = app.session("admin").await;
    // Z1A's 2019 and 2025 from the generated rows: the practices the demo
    // places in Z1A.
    let gpad = pcn_core::demo_appointments::demo_appointments(&pcn_core::demo::demo_facts());
    let table = &gpad.appointments[0];
    let sum = |year: i32| -> u64 {
        table
            .rows
            .iter()
            .filter(|r| r.month.year == year)
            .filter(|r| {
                matches!(&table.areas[r.area as usize],
                    AppointmentArea::Practice { sub_icb: Some(s), .. } if s.as_str() == "Z1A")
            })
            .map(|r| u64::from(r.count))
            .sum()
    };
    let r = app
        .get("/api/commissioners/Z1A/appointments", Some(&admin))
        .await;
    r.expect(StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let pledge = &json["pledge"];
    assert_eq!(pledge["baseline"]["recorded"], sum(2019));
    let y2025 = pledge["years"]
        .as_array()
        .unwrap()
        .iter()
        .find(|y| y["label"] == "2025")
        .unwrap();
    assert_eq!(y2025["recorded"], sum(2025));
    assert_eq!(
        y2025["change"].as_i64().unwrap(),
        sum(2025) as i64 - sum(2019) as i64
    );
    assert_eq!(json["trend"][0]["month"], "2019-01");

    // The networks opened in July 2019: their months start then.
    for (path, months) in [
        (
            "/national",
            "90 months of appointments, 2019-01 to 2026-06; 2026-06: ",
        ),
        (
            "/commissioners/Z1A",
            "90 months of appointments, 2019-01 to 2026-06; 2026-06: ",
        ),
        (
            "/networks/U90002",
            "84 months of appointments, 2019-07 to 2026-06; 2026-06: ",
        ),
    ] {
        let page = app.get(path, Some(&admin)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains("id=\"appointments\""), "{path}");
        assert!(page.body.contains("chart-appointments"), "{path}");
        assert!(page.body.contains(months), "{path}");
    }
    // An ICB's page says where its figures are.
    let page = app.get("/commissioners/QZZ", Some(&admin)).await;
    assert!(page.body.contains("counted by sub-ICB location"));
    // A network with posts has its ARRS staff beside the appointments.
    let page = app.get("/networks/U90002", Some(&admin)).await;
    assert!(page.body.contains("id=\"appointments-staff\""));
    let r = app
        .get("/api/networks/U90002/appointments", Some(&admin))
        .await;
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let last = json["trend"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["month"], "2026-06");
    assert!(!last["roster_arrs_wte"].is_null(), "{last}");
}

/// Who may read the Services pages and their API.
const SERVICES_READS: &str = include_str!("tests/services_reads.txt");

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
    let logins = app.login_all().await;
    assert_eq!(read_table(SERVICES_READS).len(), 5);
    check_reads(&app, &logins, SERVICES_READS).await;

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
            .post_as(
                &logins[i],
                "/api/networks/U90001/services/rounds",
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
        .post_as(
            &logins[2],
            "/api/networks/U90001/services/rounds",
            round("1-999999999"),
        )
        .await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("1-999999999"), "{}", r.body);
    assert_eq!(rounds().await, before + 2);
}

/// A post added through the server is added to the network's kept year in
/// memory; the budget it answers with is the one the store gives when the
/// network is read again from scratch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_added_post_kept_in_memory_matches_the_store() {
    let app = App::sqlite().await;
    let me = app.session("network").await;
    // Read once, so the network's year is kept.
    let r = app.get("/api/networks/U90001/arrs/budget", Some(&me)).await;
    r.expect(StatusCode::OK);
    let mut budget = serde_json::Value::Null;
    for (i, band) in ["7", "7"].iter().enumerate() {
        let r = app.post_as(&me, "/api/networks/U90001/arrs/posts", serde_json::json!({"person": format!("MEM-{i}"), "role": "paramedic", "band": band, "wte": "1.0", "start": "2026-06-01"}))
            .await;
        r.expect(StatusCode::CREATED);
        budget = serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["budget"].clone();
    }
    let data = app.state.data().unwrap();
    let pcn: pcn_core::PcnCode = "U90001".parse().unwrap();
    let fresh = app.state.app.network_year(&pcn, data.year).await.unwrap();
    let from_store = fresh
        .budget(
            &app.state.rulebook,
            super::state::budget_date(data.year),
            &fresh.posts,
        )
        .unwrap();
    assert_eq!(
        budget,
        serde_json::to_value(&from_store).unwrap(),
        "the kept budget and the store's"
    );
}

/// Governance recorded through the API (and by another process, found by
/// the poll) shows in the network's checks and statement on the next
/// request, worked out for that network alone: every other network's
/// statement is the very one held before.
async fn governance_changes_one_network(app: &App) {
    let (logins, data, before) = before_changes(app).await;
    let state = &app.state;
    let (u1, u9) = (
        PcnCode::parse("U90001").unwrap(),
        PcnCode::parse("U90009").unwrap(),
    );
    let member = data.snapshot.networks[&u9].members[0].to_string();
    let rules_of = |body: &str| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let page = app.get("/api/networks/U90009", Some(&logins[0])).await;
    assert!(rules_of(&page.body).contains(&"NET-NO-PAYEE".to_string()));
    let values = serde_json::json!({"values": {
        "nominated_payee": member,
        "clinical_director": "Dr API Director",
        "network_agreement_signed": "2019-06-28",
    }, "effective_from": "2019-07-01"});
    // Who may: admins, the network's commissioner and its managers.
    for (i, role) in ROLES.iter().enumerate() {
        let r = app
            .post_as(
                &logins[i],
                "/api/networks/U90009/governance",
                values.clone(),
            )
            .await;
        let want = match *role {
            "admin" | "commissioner" => StatusCode::CREATED,
            _ => StatusCode::FORBIDDEN,
        };
        assert_eq!(r.status, want, "{role}: {}", r.body);
    }
    let r = app
        .post_as(
            &logins[2],
            "/api/networks/U90001/governance",
            serde_json::json!({"values": {"clinical_director": "Dr Own Network"}}),
        )
        .await;
    r.expect(StatusCode::CREATED);
    assert!(r.body.contains("Dr Own Network"), "{}", r.body);
    // The page's form: filled with what is held, it records what changed.
    let page = app.get("/networks/U90001", Some(&logins[2])).await;
    let token = form_token(&page.body, "record-governance");
    let form = |token: &str, director: &str| {
        vec![
            ("csrf", logins[2].csrf.clone()),
            ("form_token", token.to_string()),
            ("effective_from", "2019-07-01".to_string()),
            ("clinical_director", director.to_string()),
            ("nominated_payee", "".to_string()),
        ]
    };
    let fields = form(&token, "Dr Form Director");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app
        .post_form("/networks/U90001/governance", &logins[2], &fields)
        .await;
    r.expect(StatusCode::SEE_OTHER);
    let page = app
        .get("/networks/U90001?notice=governance", Some(&logins[2]))
        .await;
    assert!(
        page.body.contains("Dr Form Director")
            && page.body.contains("governance change was recorded")
    );
    // The emptied payee is cleared: the checklist says so at once.
    assert!(
        page.body.contains("NET-NO-PAYEE") && page.body.contains("has no nominated payee"),
        "{}",
        page.body
    );
    let replay = app
        .post_form("/networks/U90001/governance", &logins[2], &fields)
        .await;
    assert_eq!(replay.status, StatusCode::FORBIDDEN);
    // Unchanged, the form is refused as saying nothing new.
    let page = app.get("/networks/U90001", Some(&logins[2])).await;
    let same = form(
        &form_token(&page.body, "record-governance"),
        "Dr Form Director",
    );
    let same: Vec<(&str, &str)> = same.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app
        .post_form("/networks/U90001/governance", &logins[2], &same)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("nothing changed"), "{}", r.body);
    // Accounts that may not record see no form.
    for i in [3, 4] {
        let page = app.get("/networks/U90001", Some(&logins[i])).await;
        assert!(!page.body.contains("record-governance"), "{}", ROLES[i]);
    }

    // Bad input names what is wrong and records nothing.
    for (bad, says) in [
        (serde_json::json!({"values": {"chair": "x"}}), "chair"),
        (
            serde_json::json!({"values": {"nominated_payee": "not a code"}}),
            "nominated_payee",
        ),
        (serde_json::json!({"values": {}}), "nothing to set"),
        (
            serde_json::json!({"values": {"size_exception": "x"}, "effective_from": "+262142-06-01"}),
            "effective_from",
        ),
    ] {
        let r = app
            .post_as(&logins[0], "/api/networks/U90009/governance", bad)
            .await;
        r.expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains(says), "{says}: {}", r.body);
    }

    // The next request shows it: the checks, the governance and the statement.
    let page = app.get("/api/networks/U90009", Some(&logins[0])).await;
    let rules = rules_of(&page.body);
    for gone in [
        "NET-NO-PAYEE",
        "NET-NO-CLINICAL-DIRECTOR",
        "NET-NO-AGREEMENT",
    ] {
        assert!(!rules.contains(&gone.to_string()), "{gone}: {rules:?}");
    }
    assert!(page.body.contains("Dr API Director"), "{}", page.body);
    let statement = app
        .get("/api/networks/U90009/statement", Some(&logins[0]))
        .await;
    let v: serde_json::Value = serde_json::from_str(&statement.body).unwrap();
    assert_eq!(v["statement"]["payee"], serde_json::json!(member));
    let after = state.data().unwrap();
    let run = state.year_run(&after, after.year).await.unwrap();
    assert!(run.network(&u9).unwrap().at_risk.is_empty());
    let shared = |run: &crate::state::YearRun| run.network(&u1).unwrap().clone();
    let u1_before = shared(&before);
    // U90001's governance changed too (its clinical director), so compare
    // another network: U90002 was not touched.
    let u2 = PcnCode::parse("U90002").unwrap();
    kept_as_is(&before, &run, &u2);
    assert!(!std::sync::Arc::ptr_eq(&u1_before, &shared(&run)));

    // Another process (the command line) records a fact: the poll takes it
    // in for that network alone.
    state
        .store
        .record_governance(
            &[pcn_core::facts::GovernanceFact {
                pcn: u9.clone(),
                field: pcn_core::facts::GovernanceField::ClinicalDirector,
                value: "Dr CLI Director".into(),
                effective_from: "2019-07-01".parse().unwrap(),
            }],
            chrono::Utc::now(),
            "cli",
        )
        .await
        .unwrap();
    let polled = polled_in_part(state, &run, &u2).await;
    assert_eq!(
        polled.snapshot.networks[&u9]
            .governance
            .clinical_director
            .as_deref(),
        Some("Dr CLI Director")
    );
}

/// Every role's login, the data and its payment run: what a test of the
/// data worked out again after a change starts from.
async fn before_changes(
    app: &App,
) -> (
    Vec<Login>,
    std::sync::Arc<crate::state::Data>,
    std::sync::Arc<crate::state::YearRun>,
) {
    let logins = app.login_all().await;
    let data = app.state.data().unwrap();
    let before = app.state.year_run(&data, data.year).await.unwrap();
    (logins, data, before)
}

/// `pcn`'s statement in `after` is the very one `before` held: not worked
/// out again.
fn kept_as_is(before: &crate::state::YearRun, after: &crate::state::YearRun, pcn: &PcnCode) {
    assert!(std::sync::Arc::ptr_eq(
        before.network(pcn).unwrap(),
        after.network(pcn).unwrap()
    ));
}

/// The data after the poll takes in another process's change: `untouched`
/// keeps the very statement `run` held, and the checks and the payment run
/// equal the same facts read whole.
async fn polled_in_part(
    state: &AppState,
    run: &crate::state::YearRun,
    untouched: &PcnCode,
) -> std::sync::Arc<crate::state::Data> {
    state.refresh().await.unwrap();
    let polled = state.data().unwrap();
    let run2 = state.year_run(&polled, polled.year).await.unwrap();
    kept_as_is(run, &run2, untouched);
    same_as_read_whole(state, &polled, &run2).await;
    polled
}

/// The same facts read whole by a new server give the same checks and the
/// same payment run as the data `polled` and `run` worked out in part.
async fn same_as_read_whole(
    state: &AppState,
    polled: &crate::state::Data,
    run: &crate::state::YearRun,
) {
    let whole = AppState::new(state.app.clone(), false, 1 << 20)
        .await
        .unwrap();
    let whole_data = whole.data().unwrap();
    assert_eq!(
        serde_json::to_value(&whole_data.report).unwrap(),
        serde_json::to_value(&polled.report).unwrap()
    );
    let whole_run = whole.year_run(&whole_data, whole_data.year).await.unwrap();
    assert_eq!(whole_run.run, run.run);
}

on_both_stores!(
    governance_changes_one_network,
    governance_changes_one_network_on_sqlite,
    governance_changes_one_network_on_postgres,
    "governance"
);

/// A practice moved through the API (and by another process, found by the
/// poll) shows on the next request in the practice, both networks' checks
/// and both statements, worked out for them alone: an untouched network's
/// statement is the very one held before, and everything equals the same
/// facts read whole.
async fn a_move_changes_its_practice_and_networks_alone(app: &App) {
    let (logins, data, before) = before_changes(app).await;
    let state = &app.state;
    let (u1, u2, u9) = (
        PcnCode::parse("U90001").unwrap(),
        PcnCode::parse("U90002").unwrap(),
        PcnCode::parse("U90009").unwrap(),
    );
    let moving = data.snapshot.networks[&u9].members[0].clone();
    // A month into the pages' year, and no later than the pages' date.
    let from = data
        .year
        .start()
        .checked_add_months(chrono::Months::new(1))
        .unwrap();
    assert!(from <= data.as_at, "{from} {}", data.as_at);
    let path = format!("/api/practices/{moving}/membership");
    let body = serde_json::json!({"pcn": "U90001", "effective_from": from.to_string(),
        "note": "Agreed by the Z1A commissioner"});
    // Who may not: a network's managers, a practice, a viewer; and the
    // commissioner into another commissioner's network.
    for i in [2, 3, 4] {
        let r = app.post_as(&logins[i], &path, body.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}: {}", ROLES[i], r.body);
    }
    let elsewhere = serde_json::json!({"pcn": "U90005", "effective_from": from.to_string()});
    let r = app.post_as(&logins[1], &path, elsewhere).await;
    r.expect(StatusCode::FORBIDDEN);
    // Bad input names what is wrong and records nothing.
    for (bad, status, says) in [
        (
            serde_json::json!({"pcn": "U99998"}),
            StatusCode::NOT_FOUND,
            "U99998",
        ),
        (
            serde_json::json!({"pcn": "not a code"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "pcn",
        ),
        (
            serde_json::json!({"pcn": "U90001", "effective_from": "+262142-06-01"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "effective_from",
        ),
        (
            serde_json::json!({"pcn": "U90001", "note": "a\u{7}bell"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "note",
        ),
    ] {
        let r = app.post_as(&logins[0], &path, bad).await;
        assert_eq!(r.status, status, "{}", r.body);
        assert!(r.body.contains(says), "{says}: {}", r.body);
    }
    assert!(state
        .store
        .membership_changes(None)
        .await
        .unwrap()
        .is_empty());
    // The commissioner of both networks may.
    let r = app.post_as(&logins[1], &path, body.clone()).await;
    r.expect(StatusCode::CREATED);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["before"], serde_json::json!(["U90009"]));
    assert_eq!(v["networks_now"], serde_json::json!(["U90001"]));
    // Again: it is in U90001 already.
    let r = app.post_as(&logins[1], &path, body).await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("already"), "{}", r.body);

    // The next request shows it, worked out for the two networks alone.
    let after = state.data().unwrap();
    assert_eq!(after.snapshot.practices[&moving].networks, vec![u1.clone()]);
    assert!(!after.snapshot.networks[&u9].members.contains(&moving));
    let run = state.year_run(&after, after.year).await.unwrap();
    kept_as_is(&before, &run, &u2);
    for pcn in [&u1, &u9] {
        assert_ne!(
            before.network(pcn).unwrap().statement,
            run.network(pcn).unwrap().statement,
            "{pcn}"
        );
    }
    let statement = app
        .get("/api/networks/U90001/statement", Some(&logins[0]))
        .await;
    assert!(
        statement.body.contains(moving.as_str()),
        "{}",
        statement.body
    );
    let page = app
        .get(&format!("/practices/{moving}"), Some(&logins[1]))
        .await;
    assert!(page.body.contains("recorded by hand"), "{}", page.body);
    let audit = app.get("/audit", Some(&logins[1])).await;
    assert!(
        audit.body.contains("Agreed by the Z1A commissioner"),
        "{}",
        audit.body
    );
    // The form is the commissioner's and the admin's.
    assert!(page.body.contains("record-membership"));
    for i in [2, 3, 4] {
        let page = app
            .get(&format!("/practices/{moving}"), Some(&logins[i]))
            .await;
        assert!(!page.body.contains("record-membership"), "{}", ROLES[i]);
    }

    // An admin may too, anywhere: back to U90009.
    let back = serde_json::json!({"pcn": "U90009", "effective_from": from.to_string()});
    let r = app.post_as(&logins[0], &path, back).await;
    r.expect(StatusCode::CREATED);
    let returned = state.data().unwrap();
    assert_eq!(
        returned.snapshot.practices[&moving].networks,
        vec![u9.clone()]
    );
    let run = state.year_run(&returned, returned.year).await.unwrap();
    assert_eq!(
        before.network(&u9).unwrap().statement,
        run.network(&u9).unwrap().statement,
        "back where it was, U90009 is paid as before"
    );

    // Another process (the command line) records that it leaves every
    // network: the poll takes it in for the practice alone.
    let leaves = pcn_core::facts::MembershipChange {
        practice: moving.clone(),
        pcn: PcnCode::unallocated(),
        effective_from: from,
    };
    state
        .store
        .record_membership_change(
            &leaves,
            None,
            Some("U90009".into()),
            chrono::Utc::now(),
            "cli",
        )
        .await
        .unwrap();
    let polled = polled_in_part(state, &run, &u2).await;
    let practice = &polled.snapshot.practices[&moving];
    assert!(practice.networks.is_empty() && practice.unallocated);
    assert!(polled
        .findings
        .of_practice(&moving)
        .iter()
        .any(|f| f.rule == "PRAC-UNALLOCATED"));
}

on_both_stores!(
    a_move_changes_its_practice_and_networks_alone,
    a_move_changes_its_practice_and_networks_alone_on_sqlite,
    a_move_changes_its_practice_and_networks_alone_on_postgres,
    "membership"
);
