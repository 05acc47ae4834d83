//! Writing what a workforce census seeds, inside its import's transaction.
//! The decisions (posts, roles, funding, splits, end dates) are
//! `pcn_core::arrs::census::seed`'s; the store only says which censuses it
//! holds and writes the result.

use chrono::NaiveDate;
use pcn_core::arrs::census::seed;
use pcn_core::rulebook::Rulebook;
use pcn_core::WorkforceFact;

use std::collections::{HashMap, VecDeque};

use pcn_core::arrs::Post;

use crate::arrs::{post_row, terms_row, POST_COLUMNS, TERMS_COLUMNS};
use crate::audit::AuditChange;
use crate::error::{Error, Result};
use crate::write::{fetch_mapped, Value, Write};

/// Seeds rosters from the census records of an import (nothing when there
/// are none), audited.
pub(crate) async fn seed_census(
    w: &mut Write<'_>,
    import_id: i64,
    records: &[WorkforceFact],
    rulebook: &Rulebook,
) -> Result<()> {
    let Some(first) = records.first() else {
        return Ok(());
    };
    let rules = rulebook.year_containing(first.census).ok();
    // Two imports of censuses at once would each miss the other's posts.
    w.lock("arrs census").await?;
    let seeding = seed(rules, records, &held_censuses(w).await?)?;
    for (census, end) in &seeding.ended {
        sqlx::query(
            "UPDATE arrs_post SET end_date = $1 WHERE origin = $2 AND (end_date IS NULL OR end_date > $1)",
        )
        .bind(end.to_string())
        .bind(format!("census:{census}"))
        .execute(w.conn())
        .await?;
    }
    let ids = insert_posts(w, import_id, &seeding.posts).await?;
    let at = w.at_text();
    let mut terms = Vec::new();
    for (post, id) in seeding.posts.iter().zip(ids) {
        terms.extend(post.terms.iter().map(|t| terms_row(t, id, &at, w.actor)));
    }
    w.insert_rows("arrs_terms", TERMS_COLUMNS, terms).await?;
    w.audit(
        AuditChange::new("seed", "arrs-roster", format!("census {}", seeding.census))
            .after(Some(format!(
                "{} posts from {} records",
                seeding.posts.len(),
                seeding.records
            )))
            .detail(
                seeding
                    .end
                    .map(|e| format!("ending {e}, the day before a later census")),
            ),
    )
    .await
}

/// Inserts the posts in multi-row statements and returns the id the
/// database gave each, in the order of `posts`. Neither engine promises an
/// order of ids within a statement, so each is read back with a key of
/// the columns that tell the batch's posts apart (import and creation are
/// the same for all) and is matched to a post with the same key; posts
/// alike in all of them (the parts of one record over 1 FTE) are
/// interchangeable, so which of them takes which id does not matter. Each
/// value in the key is prefixed by its length, so no two keys run together.
async fn insert_posts(w: &mut Write<'_>, import_id: i64, posts: &[Post]) -> Result<Vec<i64>> {
    let at = w.at_text();
    let rows: Vec<Vec<Value>> = posts
        .iter()
        .map(|p| post_row(p, Some(import_id), &at, w.actor))
        .collect();
    let mut waiting: HashMap<String, VecDeque<usize>> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        waiting
            .entry(key_of(&row[..KEY_COLUMNS]))
            .or_default()
            .push_back(i);
    }
    let key_sql: Vec<String> = POST_COLUMNS
        .split(',')
        .map(str::trim)
        .take(KEY_COLUMNS)
        .map(|c| format!("CAST(LENGTH(COALESCE({c}, '')) AS TEXT) || ':' || COALESCE({c}, '')"))
        .collect();
    // The posts of this import are the ones just written: read their ids
    // back with their keys (cheaper on SQLite than RETURNING 40,000 rows).
    w.insert_rows("arrs_post", POST_COLUMNS, rows).await?;
    let sql = format!(
        "SELECT id, {} AS post_key FROM arrs_post WHERE import_id = $1",
        key_sql.join(" || ';' || ")
    );
    let query = sqlx::query(&sql).bind(import_id);
    let returned = fetch_mapped(w.conn(), query, "arrs_post", |c| {
        Ok((c.int("id")?, c.text("post_key")?))
    })
    .await?;
    let mut ids = vec![None; posts.len()];
    for (id, key) in returned {
        match waiting.get_mut(&key).and_then(VecDeque::pop_front) {
            Some(i) => ids[i] = Some(id),
            None => return Err(Error::corrupt("arrs_post", "id", id.to_string(), None)),
        }
    }
    ids.into_iter()
        .map(|id| id.ok_or_else(|| Error::NotFound("the id of a seeded post".into())))
        .collect()
}

/// How many leading columns of `POST_COLUMNS` tell a census's posts apart
/// (all but the import and who made them when, the same for all).
const KEY_COLUMNS: usize = 10;

/// The key `insert_posts` builds in SQL, built from the values bound.
fn key_of(values: &[Value]) -> String {
    let parts: Vec<String> = values
        .iter()
        .map(|value| {
            let text = match value {
                Value::Text(Some(t)) => t.clone(),
                Value::Int(Some(n)) => n.to_string(),
                Value::Text(None) | Value::Int(None) | Value::Bytes(_) => String::new(),
            };
            format!("{}:{text}", text.chars().count())
        })
        .collect();
    parts.join(";")
}

/// The dates of the censuses the rosters hold.
async fn held_censuses(w: &mut Write<'_>) -> Result<Vec<NaiveDate>> {
    let query = sqlx::query("SELECT DISTINCT origin FROM arrs_post WHERE origin LIKE 'census:%'");
    let origins = fetch_mapped(w.conn(), query, "arrs_post", |c| c.text("origin")).await?;
    Ok(origins
        .iter()
        .filter_map(|o| o.strip_prefix("census:")?.parse().ok())
        .collect())
}
