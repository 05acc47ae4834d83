//! Writing what a workforce census seeds, inside its import's transaction.
//! The decisions (posts, roles, funding, splits, end dates) are
//! `pcn_core::arrs::census::seed`'s; the store only says which censuses it
//! holds and writes the result.

use chrono::NaiveDate;
use pcn_core::arrs::census::seed;
use pcn_core::rulebook::Rulebook;
use pcn_core::WorkforceFact;

use pcn_core::arrs::Post;

use crate::arrs::{post_row, terms_row, POST_COLUMNS, TERMS_COLUMNS};
use crate::audit::AuditChange;
use crate::error::Result;
use crate::write::{fetch_mapped, int, Value, Write};

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

/// Inserts the posts in multi-row statements, with ids reserved for them
/// first, and returns each post's id, in the order of `posts`.
async fn insert_posts(w: &mut Write<'_>, import_id: i64, posts: &[Post]) -> Result<Vec<i64>> {
    let ids = w.reserve_ids("arrs_post", posts.len()).await?;
    let at = w.at_text();
    let rows: Vec<Vec<Value>> = posts
        .iter()
        .zip(&ids)
        .map(|(p, &id)| {
            let mut row = vec![int(id)];
            row.extend(post_row(p, Some(import_id), &at, w.actor));
            row
        })
        .collect();
    w.insert_rows("arrs_post", &format!("id, {POST_COLUMNS}"), rows)
        .await?;
    Ok(ids)
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
