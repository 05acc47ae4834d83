//! Imports through the app: upload an official file, see what it holds (or
//! every problem by row and column), then commit it in one transaction or
//! discard it. Admins only; the same readers as `pcn import`.

use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use pcn_app::imports::FileOutcome;
use pcn_core::access::{Action, Target};
use pcn_import::ImportOptions;
use serde::Deserialize;
use std::time::Instant;

use super::auth::Me;
use super::error::AppError;
use super::guard;
use super::layout;
use super::state::{AppState, Session, StagedImport};

fn upload_form(state: &AppState, me: &Session) -> Markup {
    html! {
        form #upload .stack method="post" action="/imports" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(me.csrf_token);
            input type="hidden" name="form_token" value=(state.form_token(me, "/imports"));
            label for="file" { "Official file (ePCN.xlsx, epraccur.csv, patients registered, PCN workforce, GPAD, CQC, payments …)" }
            input #file type="file" name="file" required;
            label for="as_at" { "Date the data describes, for files that do not say (optional)" }
            input #as_at type="date" name="as_at";
            p { button type="submit" { "Upload and preview" } }
        }
    }
}

pub async fn page_(
    state: &AppState,
    me: &Session,
    message: Option<Markup>,
) -> Result<Markup, AppError> {
    let imports = state.store.imports().await?;
    Ok(layout::page(
        me,
        "Imports",
        html! {
            h1 { "Imports" }
            @if let Some(m) = message { (m) }
            section.card {
                h2 { "Upload" }
                p.muted { "A file is previewed first; nothing is written until you commit it, and then all of it or none of it is. Up to " (state.max_upload >> 20) " MB." }
                (upload_form(state, me))
            }
            section.card {
                h2 { "Imported files" }
                table #imports {
                    thead { tr { th { "#" } th { "File" } th { "Kind" } th { "Data as at" } th.num { "Rows" } th.num { "Facts" } th { "When" } th { "By" } } }
                    tbody { @for i in imports.iter().rev() {
                        tr { td { (i.id) } td { (i.file_name) } td { (i.kind) } td { (i.data_date) } td.num { (i.rows_read) } td.num { (i.facts) } td { (i.imported_at.get(..19).unwrap_or(&i.imported_at)) } td { (i.imported_by) } }
                    } }
                }
            }
        },
    ))
}

pub async fn page(State(state): State<AppState>, Me(me): Me) -> Result<Markup, AppError> {
    guard::check(&state, &me, Action::Import, Target::Scope, "/imports").await?;
    page_(&state, &me, None).await
}

fn bad_upload(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge(
            "The file is larger than this server accepts; nothing was changed.".into(),
        )
    } else {
        AppError::BadRequest(format!(
            "The upload could not be read ({}); nothing was changed.",
            e.body_text()
        ))
    }
}

pub async fn upload(
    State(state): State<AppState>,
    Me(me): Me,
    mut form: Multipart,
) -> Result<Response, AppError> {
    guard::check(&state, &me, Action::Import, Target::Scope, "/imports").await?;
    let (mut csrf, mut token, mut as_at, mut file) = (String::new(), String::new(), None, None);
    while let Some(field) = form.next_field().await.map_err(bad_upload)? {
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.map_err(bad_upload)?,
            "form_token" => token = field.text().await.map_err(bad_upload)?,
            "as_at" => {
                let t = field.text().await.map_err(bad_upload)?;
                if !t.trim().is_empty() {
                    as_at = Some(
                        pcn_core::dates::parse_user_date(&t)
                            .map_err(|e| AppError::BadRequest(format!("as at: {e}")))?,
                    );
                }
            }
            "file" => {
                let name = field
                    .file_name()
                    .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_string())
                    .unwrap_or_else(|| "upload".into());
                let bytes = field.bytes().await.map_err(bad_upload)?;
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    guard::form(&state, &me, &csrf, &token, "/imports").await?;
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err(AppError::BadRequest("Choose a file to upload.".into()));
    };
    let options = ImportOptions {
        as_at,
        today: chrono::Local::now().date_naive(),
        // A small upload cannot expand past 8 times the upload limit.
        limits: pcn_import::Limits::for_upload(state.max_upload as u64),
    };
    let name2 = name.clone();
    // One upload is parsed at a time, so several at once cannot multiply
    // the memory a parse may take.
    let _parsing = state
        .parsing
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let parsed = tokio::task::spawn_blocking(move || {
        pcn_import::parse_bytes(&name2, &bytes, &options, &mut |_| {})
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    // What only the rulebook and registry can check (a remittance CSV's
    // streams and networks) is shown at the preview too, not first at commit.
    let parsed = match parsed {
        Ok(p) => match state.app.check_parsed(&p, &name).await? {
            Some(refused) => Err(refused),
            None => Ok(p),
        },
        Err(e) => Err(e),
    };
    let parsed = match parsed {
        Ok(p) => p,
        Err(err) => {
            let shown: Vec<_> = err.problems.iter().take(200).collect();
            let body = html! {
                div.error role="alert" {
                    h2 { (name) " cannot be imported" }
                    p { (err.total_problems) " problems were found; nothing was written. " @if err.total_problems > shown.len() { "The first " (shown.len()) " are shown." } }
                    table #import-errors {
                        thead { tr { th { "Row" } th { "Column" } th { "Value" } th { "Problem" } } }
                        tbody { @for p in &shown {
                            tr { td { (p.row.map_or("whole file".into(), |r| r.to_string())) } td { (p.column.as_deref().unwrap_or("")) } td { (p.value.as_deref().unwrap_or("")) } td { (p.message) } }
                        } }
                    }
                }
            };
            let markup = page_(&state, &me, Some(body)).await?;
            return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, markup).into_response());
        }
    };
    let already = state.store.find_import(&parsed.sha256).await?;
    let id = super::auth::random_token()?;
    let summary = parsed.describe();
    let notes = parsed.notes.clone();
    let sha = parsed.sha256.clone();
    if let Ok(mut staged) = state.staged.lock() {
        staged.retain(|_, s| s.owner != me.account.id);
        staged.insert(
            id.clone(),
            StagedImport {
                owner: me.account.id,
                file_name: name.clone(),
                sha256: sha.clone(),
                staged: Instant::now(),
                parsed,
            },
        );
    }
    let body = html! {
        section.card #preview {
            h2 { "Preview: " (name) }
            p { (summary) }
            @for n in &notes { p.muted { "Note: " (n) } }
            p.muted { "SHA-256 " code { (sha) } }
            @if let Some(a) = &already {
                p.error { "This exact file was imported already (import " (a.id) " on " (a.imported_at) " by " (a.imported_by) "): committing changes nothing." }
            }
            form.inline #commit method="post" action=(format!("/imports/{id}/commit")) {
                input type="hidden" name="csrf" value=(me.csrf_token);
                input type="hidden" name="form_token" value=(state.form_token(&me, &format!("/imports/{id}/commit")));
                button type="submit" { "Commit the import" }
            }
            " "
            form.inline #discard method="post" action=(format!("/imports/{id}/discard")) {
                input type="hidden" name="csrf" value=(me.csrf_token);
                input type="hidden" name="form_token" value=(state.form_token(&me, &format!("/imports/{id}/discard")));
                button.link type="submit" { "Discard" }
            }
        }
    };
    Ok(page_(&state, &me, Some(body)).await?.into_response())
}

#[derive(Deserialize)]
pub struct TokenForm {
    csrf: String,
    form_token: String,
}

fn take_staged(state: &AppState, me: &Session, id: &str) -> Result<StagedImport, AppError> {
    let mut staged = state
        .staged
        .lock()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("staging lock poisoned")))?;
    match staged.get(id) {
        Some(s) if s.owner == me.account.id => staged
            .remove(id)
            .ok_or_else(|| AppError::NotFound("That upload has gone.".into())),
        _ => Err(AppError::NotFound(
            "That upload is no longer waiting (committed, discarded or expired): upload it again."
                .into(),
        )),
    }
}

/// The staged upload `id` of this account, once the account may import and
/// the form to `/imports/{id}/{action}` is its own.
async fn checked_staged(
    state: &AppState,
    me: &Session,
    id: &str,
    f: &TokenForm,
    action: &str,
) -> Result<StagedImport, AppError> {
    guard::check(state, me, Action::Import, Target::Scope, "/imports").await?;
    let path = format!("/imports/{id}/{action}");
    guard::form(state, me, &f.csrf, &f.form_token, &path).await?;
    take_staged(state, me, id)
}

pub async fn commit(
    State(state): State<AppState>,
    Me(me): Me,
    Path(id): Path<String>,
    Form(f): Form<TokenForm>,
) -> Result<Response, AppError> {
    let s = checked_staged(&state, &me, &id, &f, "commit").await?;
    let outcome = state
        .app
        .write_parsed(s.parsed, &s.file_name, &me.account.username)
        .await?;
    let message = match outcome {
        FileOutcome::Written { id, .. } => {
            // Recomputes the data (and rebuilds the store's registry cache).
            state.refresh().await?;
            format!("{} was imported as import {id}.", s.file_name)
        }
        FileOutcome::AlreadyImported { record, .. } => format!(
            "{} was already imported as import {}: nothing changed.",
            s.file_name, record.id
        ),
        FileOutcome::Refused(e) => return Err(AppError::BadRequest(e.to_string())),
    };
    let markup = page_(
        &state,
        &me,
        Some(html! { p.notice role="status" { (message) } }),
    )
    .await?;
    Ok(markup.into_response())
}

pub async fn discard(
    State(state): State<AppState>,
    Me(me): Me,
    Path(id): Path<String>,
    Form(f): Form<TokenForm>,
) -> Result<Response, AppError> {
    let _ = checked_staged(&state, &me, &id, &f, "discard").await?;
    Ok(Redirect::to("/imports").into_response())
}
