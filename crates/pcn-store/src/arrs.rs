//! The ARRS roster, payroll actuals and claims (migration 0006).

use std::collections::BTreeMap;
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use pcn_core::arrs::{
    census_role, ClaimKind, ClaimRecord, ClaimStatus, Employer, Funding, NewClaim, Origin, Post,
    Terms, YearMonth,
};
use pcn_core::money::Pence;
use pcn_core::rulebook::{FinancialYear, Region, Rulebook};
use pcn_core::{Decimal, PcnCode, WorkforceFact};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::{audit, bulk_insert, date, next_id, opt_date, AuditChange, Backend, Store, Value};

const POST_COLUMNS: [&str; 14] = [
    "id",
    "pcn_code",
    "person",
    "name",
    "role",
    "employer",
    "funding",
    "region",
    "start_date",
    "end_date",
    "origin",
    "import_id",
    "created_at",
    "created_by",
];
const TERMS_COLUMNS: [&str; 10] = [
    "id",
    "post_id",
    "effective_from",
    "band",
    "wte",
    "salary_pence",
    "on_costs_pence",
    "levy",
    "recorded_at",
    "recorded_by",
];

fn t(s: impl ToString) -> Value {
    Value::Text(Some(s.to_string()))
}

fn origin_text(o: &Origin) -> String {
    match o {
        Origin::Entered => "entered".into(),
        Origin::Census(d) => format!("census:{d}"),
    }
}

fn post_row(post: &Post, id: i64, import_id: Option<i64>, at: &str, actor: &str) -> Vec<Value> {
    vec![
        Value::Int(Some(id)),
        t(&post.pcn),
        t(&post.person),
        Value::Text(post.name.clone()),
        t(&post.role),
        t(&post.employer),
        t(post.funding.as_str()),
        t(post.region.as_str()),
        t(post.start),
        Value::Text(post.end.map(|d| d.to_string())),
        t(origin_text(&post.origin)),
        Value::Int(import_id),
        t(at),
        t(actor),
    ]
}

fn terms_row(terms: &Terms, id: i64, post_id: i64, at: &str, actor: &str) -> Vec<Value> {
    vec![
        Value::Int(Some(id)),
        Value::Int(Some(post_id)),
        t(terms.effective_from),
        t(&terms.band),
        t(terms.wte.normalize()),
        Value::Int(terms.salary.map(|p| p.0)),
        Value::Int(terms.on_costs.map(|p| p.0)),
        Value::Int(Some(i64::from(terms.levy))),
        t(at),
        t(actor),
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

/// Seeds rosters from a workforce census inside an import's transaction:
/// one post per record (records above 1 FTE split into posts of at most 1),
/// ARRS-funded where the role is one the rulebook reimburses that year.
/// Posts seeded from an earlier census end the day before this one; if a
/// later census is already held, these end the day before it.
pub(crate) async fn seed_census(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    import_id: i64,
    records: &[WorkforceFact],
    at: DateTime<Utc>,
    actor: &str,
) -> Result<()> {
    let Some(census) = records.first().map(|r| r.census) else {
        return Ok(());
    };
    let rulebook = Rulebook::embedded().map_err(|e| anyhow::anyhow!("{e}"))?;
    let year = rulebook
        .financial_year(FinancialYear::containing(census))
        .ok();
    let at_text = at.to_rfc3339();
    // Other censuses held: end the earlier ones' open posts; find a later one.
    let rows = sqlx::query("SELECT DISTINCT origin FROM arrs_post WHERE origin LIKE 'census:%'")
        .fetch_all(&mut **tx)
        .await?;
    let mut later: Option<NaiveDate> = None;
    for row in &rows {
        let origin: String = row.try_get("origin")?;
        let Some(d) = origin
            .strip_prefix("census:")
            .and_then(|d| NaiveDate::from_str(d).ok())
        else {
            continue;
        };
        if d < census {
            let end = census.pred_opt().context("census date")?;
            sqlx::query(
                "UPDATE arrs_post SET end_date = $1 WHERE origin = $2 AND (end_date IS NULL OR end_date > $1)",
            )
            .bind(end.to_string())
            .bind(&origin)
            .execute(&mut **tx)
            .await?;
        } else if d > census {
            later = Some(later.map_or(d, |l: NaiveDate| l.min(d)));
        } else {
            bail!("the census of {census} is already held (from another file); import each census once");
        }
    }
    let end = later.and_then(|d| d.pred_opt());
    let mut post_id = next_id(tx, "arrs_post").await?;
    let mut terms_id = next_id(tx, "arrs_terms").await?;
    let mut posts = Vec::new();
    let mut terms = Vec::new();
    for r in records {
        let arrs_role = census_role(&r.staff_role, &r.detailed_role).and_then(|id| {
            year.and_then(|y| y.arrs.role(id))
                .map(|role| (role.id.to_string(), role.default_band.clone()))
        });
        let (role, band, funding) = match arrs_role {
            Some((id, band)) => (id, band, Funding::Arrs),
            None => {
                let label = if r.detailed_role.is_empty() {
                    r.staff_role.clone()
                } else {
                    r.detailed_role.clone()
                };
                (label, "-".to_string(), Funding::Other)
            }
        };
        let employer = if r.data_source.to_ascii_lowercase().contains("contracted") {
            Employer::Provider("contracted service (census)".into())
        } else {
            Employer::Network
        };
        // The census gives no HCAS zone: London posts are seeded at the
        // outer London rate, the lower of the two.
        let region = if r.region.as_deref() == Some("Y56") {
            Region::OuterLondon
        } else {
            Region::England
        };
        let mut left = r.fte;
        while left > Decimal::ZERO {
            let wte = left.min(Decimal::ONE);
            left -= wte;
            let post = Post {
                id: post_id,
                pcn: r.pcn.clone(),
                person: r.person.clone(),
                name: None,
                role: role.clone(),
                employer: employer.clone(),
                funding,
                region,
                start: census,
                end,
                terms: Vec::new(),
                origin: Origin::Census(census),
            };
            posts.push(post_row(&post, post_id, Some(import_id), &at_text, actor));
            let tm = Terms {
                effective_from: census,
                band: band.clone(),
                wte,
                salary: None,
                on_costs: None,
                levy: false,
                recorded: 0,
            };
            terms.push(terms_row(&tm, terms_id, post_id, &at_text, actor));
            post_id += 1;
            terms_id += 1;
        }
    }
    let n = posts.len();
    bulk_insert(tx, backend, "arrs_post", &POST_COLUMNS, posts).await?;
    bulk_insert(tx, backend, "arrs_terms", &TERMS_COLUMNS, terms).await?;
    audit(
        tx,
        at,
        actor,
        &AuditChange {
            action: "seed".into(),
            entity: "arrs-roster".into(),
            entity_key: format!("census {census}"),
            before_value: None,
            after_value: Some(format!("{n} posts from {} records", records.len())),
            detail: end.map(|e| format!("ending {e}, the day before a later census")),
        },
    )
    .await?;
    Ok(())
}

fn post_from_row(row: &AnyRow) -> Result<Post> {
    let employer: String = row.try_get("employer")?;
    let funding: String = row.try_get("funding")?;
    let region: String = row.try_get("region")?;
    let origin: String = row.try_get("origin")?;
    Ok(Post {
        id: row.try_get("id")?,
        pcn: super::code(row, "pcn_code")?,
        person: row.try_get("person")?,
        name: row.try_get("name")?,
        role: row.try_get("role")?,
        employer: Employer::parse(&employer).map_err(|e| anyhow::anyhow!(e))?,
        funding: Funding::parse(&funding).context("funding")?,
        region: Region::parse(&region).context("region")?,
        start: date(row, "start_date")?,
        end: opt_date(row, "end_date")?,
        terms: Vec::new(),
        origin: match origin.strip_prefix("census:") {
            Some(d) => Origin::Census(NaiveDate::from_str(d)?),
            None => Origin::Entered,
        },
    })
}

fn terms_from_row(row: &AnyRow) -> Result<(i64, Terms)> {
    let wte: String = row.try_get("wte")?;
    let levy: i64 = row.try_get("levy")?;
    let id: i64 = row.try_get("id")?;
    Ok((
        row.try_get("post_id")?,
        Terms {
            effective_from: date(row, "effective_from")?,
            band: row.try_get("band")?,
            wte: Decimal::from_str(&wte).with_context(|| format!("bad WTE {wte:?}"))?,
            salary: row.try_get::<Option<i64>, _>("salary_pence")?.map(Pence),
            on_costs: row.try_get::<Option<i64>, _>("on_costs_pence")?.map(Pence),
            levy: levy != 0,
            recorded: u64::try_from(id).unwrap_or(0),
        },
    ))
}

fn claim_from_row(row: &AnyRow) -> Result<ClaimRecord> {
    let month: String = row.try_get("month")?;
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    Ok(ClaimRecord {
        id: row.try_get("id")?,
        post: row.try_get("post_id")?,
        month: month.parse()?,
        kind: ClaimKind::parse(&kind).context("claim kind")?,
        amount: Pence(row.try_get("amount_pence")?),
        status: ClaimStatus::parse(&status).context("claim status")?,
        made: date(row, "made")?,
    })
}

const POST_SELECT: &str = "SELECT id, pcn_code, person, name, role, employer, funding, region, start_date, end_date, origin FROM arrs_post";
const TERMS_SELECT: &str = "SELECT t.id, t.post_id, t.effective_from, t.band, t.wte, t.salary_pence, t.on_costs_pence, t.levy FROM arrs_terms t";
const CLAIM_SELECT: &str =
    "SELECT id, post_id, month, kind, amount_pence, status, made FROM arrs_claim";

impl Store {
    /// Adds a post and its first terms, audited; returns its id.
    pub async fn add_post(&self, post: &Post, at: DateTime<Utc>, actor: &str) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let id = next_id(&mut tx, "arrs_post").await?;
        let at_text = at.to_rfc3339();
        bulk_insert(
            &mut tx,
            self.backend,
            "arrs_post",
            &POST_COLUMNS,
            vec![post_row(post, id, None, &at_text, actor)],
        )
        .await?;
        let mut tid = next_id(&mut tx, "arrs_terms").await?;
        let mut rows = Vec::new();
        for terms in &post.terms {
            rows.push(terms_row(terms, tid, id, &at_text, actor));
            tid += 1;
        }
        bulk_insert(&mut tx, self.backend, "arrs_terms", &TERMS_COLUMNS, rows).await?;
        audit(
            &mut tx,
            at,
            actor,
            &AuditChange {
                action: "add".into(),
                entity: "arrs-post".into(),
                entity_key: format!("{} post {id}", post.pcn),
                before_value: None,
                after_value: Some(format!(
                    "{} {} ({}), {} to {}, {}",
                    post.person,
                    post.role,
                    post.funding.as_str(),
                    post.start,
                    post.end.map_or("open".into(), |e| e.to_string()),
                    post.terms.first().map(describe_terms).unwrap_or_default()
                )),
                detail: Some(format!(
                    "employer {}, region {}",
                    post.employer,
                    post.region.as_str()
                )),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The posts of one network (or all), with their terms, in id order.
    pub async fn posts(&self, pcn: Option<&PcnCode>) -> Result<Vec<Post>> {
        let (posts, terms) = match pcn {
            Some(p) => (
                sqlx::query(&format!("{POST_SELECT} WHERE pcn_code = $1 ORDER BY id"))
                    .bind(p.to_string())
                    .fetch_all(&self.pool)
                    .await?,
                sqlx::query(&format!(
                    "{TERMS_SELECT} JOIN arrs_post p ON p.id = t.post_id WHERE p.pcn_code = $1 ORDER BY t.id"
                ))
                .bind(p.to_string())
                .fetch_all(&self.pool)
                .await?,
            ),
            None => (
                sqlx::query(&format!("{POST_SELECT} ORDER BY id"))
                    .fetch_all(&self.pool)
                    .await?,
                sqlx::query(&format!("{TERMS_SELECT} ORDER BY t.id"))
                    .fetch_all(&self.pool)
                    .await?,
            ),
        };
        let mut out: Vec<Post> = posts.iter().map(post_from_row).collect::<Result<_>>()?;
        let index: BTreeMap<i64, usize> = out.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
        for row in &terms {
            let (post_id, tm) = terms_from_row(row)?;
            if let Some(i) = index.get(&post_id) {
                out[*i].terms.push(tm);
            }
        }
        Ok(out)
    }

    /// One post by id.
    pub async fn post(&self, id: i64) -> Result<Option<Post>> {
        let Some(row) = sqlx::query(&format!("{POST_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let mut post = post_from_row(&row)?;
        for row in sqlx::query(&format!(
            "{TERMS_SELECT} WHERE t.post_id = $1 ORDER BY t.id"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        {
            post.terms.push(terms_from_row(&row)?.1);
        }
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
        let mut tx = self.pool.begin().await?;
        let before = post.terms_at(terms.effective_from).map(describe_terms);
        let id = next_id(&mut tx, "arrs_terms").await?;
        bulk_insert(
            &mut tx,
            self.backend,
            "arrs_terms",
            &TERMS_COLUMNS,
            vec![terms_row(terms, id, post.id, &at.to_rfc3339(), actor)],
        )
        .await?;
        audit(
            &mut tx,
            at,
            actor,
            &AuditChange {
                action: "change".into(),
                entity: "arrs-post".into(),
                entity_key: format!("{} post {}", post.pcn, post.id),
                before_value: before,
                after_value: Some(describe_terms(terms)),
                detail: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets (or clears) a post's end date, audited.
    pub async fn set_post_end(
        &self,
        post: &Post,
        end: Option<NaiveDate>,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE arrs_post SET end_date = $1 WHERE id = $2")
            .bind(end.map(|d| d.to_string()))
            .bind(post.id)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            at,
            actor,
            &AuditChange {
                action: "end".into(),
                entity: "arrs-post".into(),
                entity_key: format!("{} post {}", post.pcn, post.id),
                before_value: Some(post.end.map_or("open".into(), |e| e.to_string())),
                after_value: Some(end.map_or("open".into(), |e| e.to_string())),
                detail: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
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
        let mut tx = self.pool.begin().await?;
        let id = next_id(&mut tx, "arrs_cost").await?;
        sqlx::query(
            "INSERT INTO arrs_cost (id, post_id, month, cost_pence, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(post.id)
        .bind(month.to_string())
        .bind(cost.0)
        .bind(at.to_rfc3339())
        .bind(actor)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            at,
            actor,
            &AuditChange {
                action: "cost".into(),
                entity: "arrs-post".into(),
                entity_key: format!("{} post {} {month}", post.pcn, post.id),
                before_value: None,
                after_value: Some(cost.to_string()),
                detail: Some("payroll actual".into()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Payroll actuals of one network's posts (or all): the latest per post and month.
    pub async fn costs(&self, pcn: Option<&PcnCode>) -> Result<BTreeMap<(i64, YearMonth), Pence>> {
        let sql = "SELECT c.post_id, c.month, c.cost_pence FROM arrs_cost c JOIN arrs_post p ON p.id = c.post_id";
        let rows = match pcn {
            Some(p) => {
                sqlx::query(&format!("{sql} WHERE p.pcn_code = $1 ORDER BY c.id"))
                    .bind(p.to_string())
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query(&format!("{sql} ORDER BY c.id"))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        let mut out = BTreeMap::new();
        for row in &rows {
            let month: String = row.try_get("month")?;
            let month: YearMonth = month.parse()?;
            out.insert(
                (row.try_get("post_id")?, month),
                Pence(row.try_get("cost_pence")?),
            );
        }
        Ok(out)
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
        let mut tx = self.pool.begin().await?;
        let mut id = next_id(&mut tx, "arrs_claim").await?;
        let at_text = at.to_rfc3339();
        let mut rows = Vec::new();
        let mut ids = Vec::new();
        for c in claims {
            rows.push(vec![
                Value::Int(Some(id)),
                Value::Int(Some(c.post)),
                t(pcn),
                t(c.month),
                t(c.kind.as_str()),
                Value::Int(Some(c.amount.0)),
                t(ClaimStatus::Draft.as_str()),
                t(made),
                t(&c.working),
                t(&at_text),
                t(actor),
                t(&at_text),
                t(actor),
            ]);
            ids.push(id);
            id += 1;
        }
        bulk_insert(
            &mut tx,
            self.backend,
            "arrs_claim",
            &[
                "id",
                "post_id",
                "pcn_code",
                "month",
                "kind",
                "amount_pence",
                "status",
                "made",
                "working",
                "created_at",
                "created_by",
                "status_at",
                "status_by",
            ],
            rows,
        )
        .await?;
        let total: Pence = claims.iter().map(|c| c.amount).sum();
        audit(
            &mut tx,
            at,
            actor,
            &AuditChange {
                action: "claim".into(),
                entity: "arrs-claims".into(),
                entity_key: pcn.to_string(),
                before_value: None,
                after_value: Some(format!("{} draft claims, {total}", claims.len())),
                detail: Some(format!(
                    "ids {}",
                    ids.iter()
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                )),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// A network's claims for the months of a financial year.
    pub async fn claims(&self, pcn: &PcnCode, fy: FinancialYear) -> Result<Vec<ClaimRecord>> {
        let months: Vec<String> = YearMonth::of_year(fy)
            .iter()
            .map(|m| m.to_string())
            .collect();
        let rows = sqlx::query(&format!(
            "{CLAIM_SELECT} WHERE pcn_code = $1 AND month >= $2 AND month <= $3 ORDER BY id"
        ))
        .bind(pcn.to_string())
        .bind(&months[0])
        .bind(&months[11])
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(claim_from_row).collect()
    }

    /// Every claim of every network for a financial year.
    pub async fn all_claims(
        &self,
        fy: FinancialYear,
    ) -> Result<BTreeMap<PcnCode, Vec<ClaimRecord>>> {
        let months: Vec<String> = YearMonth::of_year(fy)
            .iter()
            .map(|m| m.to_string())
            .collect();
        let rows = sqlx::query(
            "SELECT id, post_id, pcn_code, month, kind, amount_pence, status, made FROM arrs_claim WHERE month >= $1 AND month <= $2 ORDER BY id",
        )
        .bind(&months[0])
        .bind(&months[11])
        .fetch_all(&self.pool)
        .await?;
        let mut out: BTreeMap<PcnCode, Vec<ClaimRecord>> = BTreeMap::new();
        for row in &rows {
            out.entry(super::code(row, "pcn_code")?)
                .or_default()
                .push(claim_from_row(row)?);
        }
        Ok(out)
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
        let mut tx = self.pool.begin().await?;
        for c in claims {
            if c.status.next() != Some(status) {
                bail!(
                    "claim {} ({} post {}) is {}: it cannot become {}",
                    c.id,
                    c.month,
                    c.post,
                    c.status.as_str(),
                    status.as_str()
                );
            }
            sqlx::query(
                "UPDATE arrs_claim SET status = $1, status_at = $2, status_by = $3 WHERE id = $4 AND status = $5",
            )
            .bind(status.as_str())
            .bind(at.to_rfc3339())
            .bind(actor)
            .bind(c.id)
            .bind(c.status.as_str())
            .execute(&mut *tx)
            .await?;
            audit(
                &mut tx,
                at,
                actor,
                &AuditChange {
                    action: "claim-status".into(),
                    entity: "arrs-claim".into(),
                    entity_key: format!("claim {} ({} post {})", c.id, c.month, c.post),
                    before_value: Some(c.status.as_str().into()),
                    after_value: Some(status.as_str().into()),
                    detail: Some(c.amount.to_string()),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
