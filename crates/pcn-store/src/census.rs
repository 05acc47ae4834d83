//! Writing what a workforce census seeds, inside its import's transaction.
//! The decisions (posts, roles, funding, splits, end dates) are
//! `pcn_core::arrs_census::seed`'s; the store only says which censuses it
//! holds and writes the result.

use chrono::NaiveDate;
use pcn_core::arrs_census::seed;
use pcn_core::rulebook::Rulebook;
use pcn_core::WorkforceFact;

use crate::arrs::{post_row, terms_row, POST_COLUMNS, TERMS_COLUMNS};
use crate::audit::AuditChange;
use crate::error::Result;
use crate::write::{fetch_mapped, int, Write};

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
    let at = w.at_text();
    let mut post_id = w.next_id("arrs_post").await?;
    let mut terms_id = w.next_id("arrs_terms").await?;
    let (mut posts, mut terms) = (Vec::new(), Vec::new());
    for post in &seeding.posts {
        let mut row = vec![int(post_id)];
        row.extend(post_row(post, Some(import_id), &at, w.actor));
        posts.push(row);
        for t in &post.terms {
            let mut row = vec![int(terms_id)];
            row.extend(terms_row(t, post_id, &at, w.actor));
            terms.push(row);
            terms_id += 1;
        }
        post_id += 1;
    }
    w.insert_rows("arrs_post", &with_id(&POST_COLUMNS), posts)
        .await?;
    w.insert_rows("arrs_terms", &with_id(&TERMS_COLUMNS), terms)
        .await?;
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

fn with_id<'c>(columns: &[&'c str]) -> Vec<&'c str> {
    let mut all = vec!["id"];
    all.extend_from_slice(columns);
    all
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
