//! The ARRS roster, payroll actuals and claims (migration 0006). Posts keep
//! their history: a change of terms is a new `arrs_terms` row from its date,
//! an end date set later is audited, and a claim's amount never changes once
//! made (its status moves on, audited step by step).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use pcn_core::arrs::{
    ClaimKind, ClaimRecord, ClaimStatus, Employer, Funding, NewClaim, Origin, Post, Terms,
    YearMonth,
};
use pcn_core::money::Pence;
use pcn_core::rulebook::{FinancialYear, Region};
use pcn_core::PcnCode;

use crate::audit::AuditChange;
use crate::error::{Error, Result};
use crate::rows::from_columns;
use crate::rows::Columns;
use crate::write::{fetch_mapped, int, opt_text, text, Child, Insert, Value, Write};
use crate::Store;

pub(crate) const POST_COLUMNS: &str =
    "pcn_code, person, name, role, employer, funding, region, start_date, \
             end_date, origin, import_id, created_at, created_by";
pub(crate) const TERMS_COLUMNS: &str =
    "post_id, effective_from, band, wte, salary_pence, on_costs_pence, \
             levy, recorded_at, recorded_by";
const CLAIM_COLUMNS: &str = "post_id, pcn_code, month, kind, amount_pence, status, made, working, \
             created_at, created_by, status_at, status_by";

fn origin_text(o: &Origin) -> String {
    match o {
        Origin::Entered => "entered".into(),
        Origin::Census(d) => format!("census:{d}"),
    }
}

fn parse_origin(s: &str) -> std::result::Result<Origin, chrono::ParseError> {
    match s.strip_prefix("census:") {
        Some(d) => Ok(Origin::Census(d.parse()?)),
        None => Ok(Origin::Entered),
    }
}

/// The values of `POST_COLUMNS` for a post.
pub(crate) fn post_row(post: &Post, import_id: Option<i64>, at: &str, actor: &str) -> Vec<Value> {
    vec![
        text(&post.pcn),
        text(&post.person),
        opt_text(&post.name),
        text(&post.role),
        text(&post.employer),
        text(post.funding.as_str()),
        text(post.region.as_str()),
        text(post.start),
        opt_text(&post.end),
        text(origin_text(&post.origin)),
        Value::Int(import_id),
        text(at),
        text(actor),
    ]
}

/// The values of `TERMS_COLUMNS` for a post's terms.
pub(crate) fn terms_row(terms: &Terms, post_id: i64, at: &str, actor: &str) -> Vec<Value> {
    vec![
        int(post_id),
        text(terms.effective_from),
        text(&terms.band),
        text(terms.wte.normalize()),
        Value::Int(terms.salary.map(|p| p.0)),
        Value::Int(terms.on_costs.map(|p| p.0)),
        int(i64::from(terms.levy)),
        text(at),
        text(actor),
    ]
}

fn describe_terms(t: &Terms) -> String {
    format!(
        "from {}: band {}, {} WTE, salary {}, on-costs {}{}",
        t.effective_from,
        t.band,
        t.wte.normalize(),
        t.salary.map_or("not recorded".into(), |s| s.to_string()),
        t.on_costs.map_or("computed".into(), |s| s.to_string()),
        if t.levy { ", levy" } else { "" }
    )
}

fn describe_post(post: &Post) -> String {
    format!(
        "{} {} ({}), {} to {}, {}",
        post.person,
        post.role,
        post.funding.as_str(),
        post.start,
        post.end.map_or("open".into(), |e| e.to_string()),
        post.terms.first().map(describe_terms).unwrap_or_default()
    )
}

fn post_from_row(c: &Columns) -> Result<Post> {
    Ok(from_columns!(c => Post {
        id: int, pcn: parse("pcn_code"), person: text, name: opt_text, role: text,
        employer => c.parse_with("employer", Employer::parse)?,
        funding => c.named("funding", Funding::parse)?, region => c.named("region", Region::parse)?,
        start: parse("start_date"), end: opt_parse("end_date"), terms => Vec::new(),
        origin => c.parse_with("origin", parse_origin)?,
    }))
}

fn terms_from_row(c: &Columns) -> Result<(i64, Terms)> {
    let id = c.int("id")?;
    Ok((
        c.int("post_id")?,
        Terms {
            effective_from: c.parse("effective_from")?,
            band: c.text("band")?,
            wte: c.parse("wte")?,
            salary: c.opt_int("salary_pence")?.map(Pence),
            on_costs: c.opt_int("on_costs_pence")?.map(Pence),
            levy: c.flag("levy")?,
            recorded: u64::try_from(id).unwrap_or(0),
        },
    ))
}

fn claim_from_row(c: &Columns) -> Result<ClaimRecord> {
    Ok(from_columns!(c => ClaimRecord {
        id: int, post: int("post_id"), month: parse, kind => c.named("kind", ClaimKind::parse)?,
        amount => Pence(c.int("amount_pence")?), status => c.named("status", ClaimStatus::parse)?,
        made: parse,
    }))
}

const POST_SELECT: &str = "SELECT id, pcn_code, person, name, role, employer, funding, region, start_date, end_date, origin FROM arrs_post";
const TERMS_SELECT: &str = "SELECT t.id, t.post_id, t.effective_from, t.band, t.wte, t.salary_pence, t.on_costs_pence, t.levy FROM arrs_terms t";
const CLAIM_SELECT: &str =
    "SELECT id, post_id, pcn_code, month, kind, amount_pence, status, made FROM arrs_claim";

/// Inserts a post's terms; returns nothing (terms are read back by post).
async fn insert_terms(w: &mut Write<'_>, post_id: i64, terms: &Terms) -> Result<()> {
    let row = terms_row(terms, post_id, &w.at_text(), w.actor);
    w.insert("arrs_terms", TERMS_COLUMNS, row).await?;
    Ok(())
}

impl Store {
    /// Adds a post and its first terms, audited; returns its id.
    pub async fn add_post(&self, post: &Post, at: DateTime<Utc>, actor: &str) -> Result<i64> {
        let at_text = at.to_rfc3339();
        let parent = Insert {
            table: "arrs_post",
            columns: POST_COLUMNS,
            values: post_row(post, None, &at_text, actor),
        };
        // The terms' `post_id` (their first column) is the new post's id.
        let terms = post.terms.iter().map(|terms| Child {
            row: Insert {
                table: "arrs_terms",
                columns: TERMS_COLUMNS,
                values: terms_row(terms, 0, &at_text, actor),
            },
            parent_column: 0,
        });
        let detail = format!(
            "employer {}, region {}",
            post.employer,
            post.region.as_str()
        );
        // The audit key is "U… post " and the id.
        let change = AuditChange::new("add", "arrs-post", format!("{} post ", post.pcn))
            .after(Some(describe_post(post)))
            .detail(Some(detail));
        self.insert_with_children(at, actor, parent, terms.collect(), change)
            .await
    }

    /// The posts of one network (or all), with their terms, in id order.
    pub async fn posts(&self, pcn: Option<&PcnCode>) -> Result<Vec<Post>> {
        let posts_sql = format!("{POST_SELECT} WHERE $1 = '' OR pcn_code = $1 ORDER BY id");
        // One network's terms are found through their posts; all of them need no join.
        let terms_sql = match pcn {
            Some(_) => format!(
                "{TERMS_SELECT} JOIN arrs_post p ON p.id = t.post_id WHERE p.pcn_code = $1 ORDER BY t.id"
            ),
            None => format!("{TERMS_SELECT} WHERE $1 = '' ORDER BY t.id"),
        };
        let pcn = pcn.map(|p| p.to_string()).unwrap_or_default();
        let posts = sqlx::query(&posts_sql).bind(&pcn);
        let terms = sqlx::query(&terms_sql).bind(&pcn);
        let mut conn = self.pool.acquire().await?;
        let mut out = fetch_mapped(&mut conn, posts, "arrs_post", post_from_row).await?;
        let terms = fetch_mapped(&mut conn, terms, "arrs_terms", terms_from_row).await?;
        let index: BTreeMap<i64, usize> = out.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
        for (post_id, tm) in terms {
            if let Some(i) = index.get(&post_id) {
                out[*i].terms.push(tm);
            }
        }
        Ok(out)
    }

    /// One post by id.
    pub async fn post(&self, id: i64) -> Result<Option<Post>> {
        let mut conn = self.pool.acquire().await?;
        let sql = format!("{POST_SELECT} WHERE id = $1");
        let query = sqlx::query(&sql).bind(id);
        let Some(mut post) = fetch_mapped(&mut conn, query, "arrs_post", post_from_row)
            .await?
            .pop()
        else {
            return Ok(None);
        };
        let sql = format!("{TERMS_SELECT} WHERE t.post_id = $1 ORDER BY t.id");
        let query = sqlx::query(&sql).bind(id);
        post.terms = fetch_mapped(&mut conn, query, "arrs_terms", terms_from_row)
            .await?
            .into_iter()
            .map(|(_, terms)| terms)
            .collect();
        Ok(Some(post))
    }

    /// Records new terms for a post from a date (a pay award, a change of
    /// hours or band), audited.
    pub async fn add_terms(
        &self,
        post: &Post,
        terms: &Terms,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let mut w = self.write(at, actor).await?;
        insert_terms(&mut w, post.id, terms).await?;
        w.audit(
            AuditChange::new(
                "change",
                "arrs-post",
                format!("{} post {}", post.pcn, post.id),
            )
            .before(post.terms_at(terms.effective_from).map(describe_terms))
            .after(Some(describe_terms(terms))),
        )
        .await?;
        w.commit().await
    }

    /// Sets (or clears) a post's end date, audited.
    pub async fn set_post_end(
        &self,
        post: &Post,
        end: Option<NaiveDate>,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let mut w = self.write(at, actor).await?;
        sqlx::query("UPDATE arrs_post SET end_date = $1 WHERE id = $2")
            .bind(end.map(|d| d.to_string()))
            .bind(post.id)
            .execute(w.conn())
            .await?;
        let shown = |d: Option<NaiveDate>| Some(d.map_or("open".into(), |e| e.to_string()));
        w.audit(
            AuditChange::new("end", "arrs-post", format!("{} post {}", post.pcn, post.id))
                .before(shown(post.end))
                .after(shown(end)),
        )
        .await?;
        w.commit().await
    }

    /// Records a payroll actual (the whole cost of a post for a month), audited.
    pub async fn record_cost(
        &self,
        post: &Post,
        month: YearMonth,
        cost: Pence,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let mut w = self.write(at, actor).await?;
        let columns = "post_id, month, cost_pence, recorded_at, recorded_by";
        let row = vec![
            int(post.id),
            text(month),
            int(cost.0),
            text(w.at_text()),
            text(actor),
        ];
        w.insert("arrs_cost", columns, row).await?;
        let key = format!("{} post {} {month}", post.pcn, post.id);
        w.audit(
            AuditChange::new("cost", "arrs-post", key)
                .after(Some(cost.to_string()))
                .detail(Some("payroll actual".into())),
        )
        .await?;
        w.commit().await
    }

    /// Payroll actuals of one network's posts (or all): the latest per post and month.
    pub async fn costs(&self, pcn: Option<&PcnCode>) -> Result<BTreeMap<(i64, YearMonth), Pence>> {
        let query = sqlx::query(
            "SELECT c.post_id, c.month, c.cost_pence FROM arrs_cost c JOIN arrs_post p ON p.id = c.post_id \
             WHERE $1 = '' OR p.pcn_code = $1 ORDER BY c.id",
        )
        .bind(pcn.map(|p| p.to_string()).unwrap_or_default());
        let rows = self
            .fetch(query, "arrs_cost", |c| {
                Ok((
                    (c.int("post_id")?, c.parse("month")?),
                    Pence(c.int("cost_pence")?),
                ))
            })
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Records claims as drafts, audited, in one transaction; returns their ids.
    pub async fn add_claims(
        &self,
        pcn: &PcnCode,
        claims: &[NewClaim],
        made: NaiveDate,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<Vec<i64>> {
        let mut w = self.write(at, actor).await?;
        let at_text = w.at_text();
        let mut ids = Vec::new();
        for c in claims {
            let row = vec![
                int(c.post),
                text(pcn),
                text(c.month),
                text(c.kind.as_str()),
                int(c.amount.0),
                text(ClaimStatus::Draft.as_str()),
                text(made),
                text(&c.working),
                text(&at_text),
                text(actor),
                text(&at_text),
                text(actor),
            ];
            ids.push(w.insert("arrs_claim", CLAIM_COLUMNS, row).await?);
        }
        let total: Pence = claims.iter().map(|c| c.amount).sum();
        let listed: Vec<String> = ids.iter().map(i64::to_string).collect();
        w.audit(
            AuditChange::new("claim", "arrs-claims", pcn.to_string())
                .after(Some(format!("{} draft claims, {total}", claims.len())))
                .detail(Some(format!("ids {}", listed.join(",")))),
        )
        .await?;
        w.commit().await?;
        Ok(ids)
    }

    /// A network's claims for the months of a financial year.
    pub async fn claims(&self, pcn: &PcnCode, fy: FinancialYear) -> Result<Vec<ClaimRecord>> {
        Ok(self
            .claims_of(Some(pcn), fy)
            .await?
            .into_iter()
            .map(|(_, claim)| claim)
            .collect())
    }

    /// Every claim of every network for a financial year.
    pub async fn all_claims(
        &self,
        fy: FinancialYear,
    ) -> Result<BTreeMap<PcnCode, Vec<ClaimRecord>>> {
        let mut out: BTreeMap<PcnCode, Vec<ClaimRecord>> = BTreeMap::new();
        for (pcn, claim) in self.claims_of(None, fy).await? {
            out.entry(pcn).or_default().push(claim);
        }
        Ok(out)
    }

    /// The claims of one network (or all) for the months of a year, in id order.
    async fn claims_of(
        &self,
        pcn: Option<&PcnCode>,
        fy: FinancialYear,
    ) -> Result<Vec<(PcnCode, ClaimRecord)>> {
        let months = YearMonth::of_year(fy);
        let sql = format!(
            "{CLAIM_SELECT} WHERE ($1 = '' OR pcn_code = $1) AND month >= $2 AND month <= $3 ORDER BY id"
        );
        let query = sqlx::query(&sql)
            .bind(pcn.map(|p| p.to_string()).unwrap_or_default())
            .bind(months[0].to_string())
            .bind(months[11].to_string());
        self.fetch(query, "arrs_claim", |c| {
            Ok((c.parse("pcn_code")?, claim_from_row(c)?))
        })
        .await
    }

    /// Moves claims on to `status` (each must be at the status before it),
    /// audited, all or nothing.
    pub async fn set_claim_status(
        &self,
        claims: &[ClaimRecord],
        status: ClaimStatus,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let mut w = self.write(at, actor).await?;
        for c in claims {
            if c.status.next() != Some(status) {
                return Err(Error::Conflict(format!(
                    "claim {} ({} post {}) is {}: it cannot become {}",
                    c.id,
                    c.month,
                    c.post,
                    c.status.as_str(),
                    status.as_str()
                )));
            }
            sqlx::query(
                "UPDATE arrs_claim SET status = $1, status_at = $2, status_by = $3 WHERE id = $4 AND status = $5",
            )
            .bind(status.as_str())
            .bind(w.at_text())
            .bind(actor)
            .bind(c.id)
            .bind(c.status.as_str())
            .execute(w.conn())
            .await?;
            let key = format!("claim {} ({} post {})", c.id, c.month, c.post);
            w.audit(
                AuditChange::new("claim-status", "arrs-claim", key)
                    .before(Some(c.status.as_str().into()))
                    .after(Some(status.as_str().into()))
                    .detail(Some(c.amount.to_string())),
            )
            .await?;
        }
        w.commit().await
    }
}
