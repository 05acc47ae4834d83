//! The ARRS use cases: a network's roster (add, change, end, payroll
//! actuals), its claims (make, move on), its year (lines, budget) and plans,
//! and the national report. The claim rules are the core's
//! ([`pcn_core::arrs`]); this module reads and writes the store around them.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use pcn_core::arrs::{
    budget, claims_to_make, latest_census, national_report, post_year, recruitable, roster_year,
    Budget, ClaimRecord, ClaimStatus, Funding, Hire, MonthClaim, NationalReport, NewClaim, NewPost,
    Post, Recruitable, Terms, YearMonth,
};
use pcn_core::money::Pence;
use pcn_core::payrun::{arrs_sums, RunOptions, Selection};
use pcn_core::registry::Registry;
use pcn_core::rulebook::{FinancialYear, Region, Rulebook};
use pcn_core::{CommissionerCode, Decimal, PcnCode};
use serde::Serialize;

use crate::governance::require_network;
use crate::{App, Error, Result};

/// The lines of a roster for a year, refusing if any post fails.
pub fn lines_for(
    rb: &Rulebook,
    fy: FinancialYear,
    posts: &[Post],
    costs: &BTreeMap<(i64, YearMonth), Pence>,
    explain: bool,
) -> Result<Vec<MonthClaim>> {
    let (lines, errors) = roster_year(rb, fy, posts, costs, explain);
    if let Some((id, e)) = errors.into_iter().next() {
        return Err(Error::invalid(format!("post {id}: {e}")));
    }
    Ok(lines)
}

/// How a command names a post: by its id, or by the network's own
/// reference for the person in it (what a PCN manager knows), which needs
/// the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostRef {
    Id(i64),
    Person(String),
}

impl PostRef {
    /// A post as typed: its id when it is a number, else the person's reference.
    pub fn parse(raw: &str) -> PostRef {
        match raw.trim().parse::<i64>() {
            Ok(id) => PostRef::Id(id),
            Err(_) => PostRef::Person(raw.trim().to_string()),
        }
    }
}

/// A post that would end in a what-if, written "POST on YYYY-MM-DD" (the
/// post's id or the person's reference).
pub fn parse_end(spec: &str) -> Result<(PostRef, NaiveDate)> {
    let (post, date) = spec.split_once(" on ").ok_or_else(|| {
        Error::invalid("write \"POST on YYYY-MM-DD\" (a post id or the person's reference)")
    })?;
    let date =
        pcn_core::dates::parse_user_date(date.trim()).map_err(|e| Error::invalid(e.to_string()))?;
    Ok((PostRef::parse(post), date))
}

/// What a network's ARRS year is worked out from, read once.
#[derive(Debug, Clone)]
pub struct NetworkYear {
    pub pcn: PcnCode,
    pub year: FinancialYear,
    pub posts: Vec<Post>,
    pub costs: BTreeMap<(i64, YearMonth), Pence>,
    pub claims: Vec<ClaimRecord>,
    /// The network's ARRS Sum from the funding engine, when it has one.
    pub sum: Option<Pence>,
}

impl NetworkYear {
    /// The year's claim lines for these posts (the roster, or a what-if of it).
    pub fn lines(&self, rb: &Rulebook, posts: &[Post], explain: bool) -> Result<Vec<MonthClaim>> {
        lines_for(rb, self.year, posts, &self.costs, explain)
    }

    /// The budget as at a date for these posts.
    pub fn budget(&self, rb: &Rulebook, as_at: NaiveDate, posts: &[Post]) -> Result<Budget> {
        let lines = self.lines(rb, posts, false)?;
        Ok(budget(self.year, as_at, self.sum, &lines, &self.claims))
    }
}

/// New terms for a post from a date; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct TermsChange {
    pub band: Option<String>,
    pub wte: Option<Decimal>,
    pub salary: Option<Pence>,
    /// `Some(None)`: compute on-costs again instead of a recorded figure.
    pub on_costs: Option<Option<Pence>>,
    pub levy: Option<bool>,
}

/// A what-if: posts to add, posts that would end.
#[derive(Debug, Clone, Default)]
pub struct PlanInput {
    pub hires: Vec<Hire>,
    /// Posts that would end, by id or by person, and the day.
    pub ends: Vec<(PostRef, NaiveDate)>,
    pub region: Option<Region>,
}

/// What a plan does to the budget.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub pcn: PcnCode,
    pub year: FinancialYear,
    pub as_at: NaiveDate,
    pub before: Budget,
    pub after: Budget,
    /// Each hire as a post, with what it can claim this year.
    pub hires: Vec<(Post, Pence)>,
    pub ends: Vec<(i64, NaiveDate)>,
    pub recruitable_from: NaiveDate,
    pub recruitable: Vec<Recruitable>,
}

impl App {
    /// A post by its id or its person, refused when `pcn` is given and does
    /// not own it.
    pub async fn post_of(&self, post: &PostRef, pcn: Option<&PcnCode>) -> Result<Post> {
        let found = match post {
            PostRef::Id(id) => self
                .store
                .post(*id)
                .await?
                .ok_or_else(|| Error::NotFound(format!("there is no post {id}")))?,
            PostRef::Person(person) => {
                let pcn = pcn.ok_or_else(|| {
                    Error::invalid(format!(
                        "a post named by its person ({person}) needs its network (--pcn)"
                    ))
                })?;
                self.post_of_person(pcn, person).await?
            }
        };
        if let Some(pcn) = pcn {
            if &found.pcn != pcn {
                return Err(Error::invalid(format!(
                    "post {} belongs to {}, not {pcn}; nothing was changed",
                    found.id, found.pcn
                )));
            }
        }
        Ok(found)
    }

    /// The post of `person` in a network: the only one, else the only one not
    /// ended; otherwise the ids to choose from.
    async fn post_of_person(&self, pcn: &PcnCode, person: &str) -> Result<Post> {
        let mut theirs: Vec<Post> = self
            .store
            .posts(Some(pcn))
            .await?
            .into_iter()
            .filter(|p| p.person.trim().eq_ignore_ascii_case(person.trim()))
            .collect();
        if theirs.len() > 1 {
            let open: Vec<&Post> = theirs.iter().filter(|p| p.end.is_none()).collect();
            if open.len() == 1 {
                let id = open[0].id;
                theirs.retain(|p| p.id == id);
            }
        }
        match theirs.len() {
            0 => Err(Error::NotFound(format!(
                "{pcn} has no post for person {person} (see `pcn arrs roster --pcn {pcn} --all`)"
            ))),
            1 => Ok(theirs.remove(0)),
            n => Err(Error::invalid(format!(
                "person {person} has {n} posts in {pcn} (ids {}): name one with --post ID",
                theirs
                    .iter()
                    .map(|p| p.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Adds a post to a known network's roster; returns its id and the post.
    pub async fn add_post(&self, input: &NewPost, actor: &str) -> Result<(i64, Post)> {
        let registry = self.registry().await?;
        self.add_post_in(&registry, input, actor).await
    }

    /// Adds a post, checking the network against a registry the caller
    /// already holds (the web server keeps one), so a busy server does not
    /// load the registry for every post.
    pub async fn add_post_in(
        &self,
        registry: &Registry,
        input: &NewPost,
        actor: &str,
    ) -> Result<(i64, Post)> {
        let post = input.to_post(&self.rulebook)?;
        require_network(registry, &post.pcn)?;
        let id = self.store.add_post(&post, Utc::now(), actor).await?;
        Ok((id, Post { id, ..post }))
    }

    /// Records new terms for a post from a date (a pay award, hours, band).
    pub async fn change_post(
        &self,
        post: &PostRef,
        pcn: Option<&PcnCode>,
        from: NaiveDate,
        change: &TermsChange,
        actor: &str,
    ) -> Result<Post> {
        let post = self.post_of(post, pcn).await?;
        let id = post.id;
        if from < post.start || post.end.is_some_and(|e| from > e) {
            return Err(Error::invalid(format!(
                "the change from {from} is outside post {id} ({} to {})",
                post.start,
                post.end.map_or("open".into(), |e| e.to_string())
            )));
        }
        let current = post
            .terms_at(from)
            .cloned()
            .ok_or_else(|| Error::Conflict(format!("post {id} has no terms")))?;
        let terms = Terms {
            effective_from: from,
            band: change.band.clone().unwrap_or(current.band.clone()),
            wte: change.wte.unwrap_or(current.wte),
            salary: change.salary.or(current.salary),
            on_costs: change.on_costs.unwrap_or(current.on_costs),
            levy: change.levy.unwrap_or(current.levy),
            recorded: u64::MAX,
        };
        let mut changed = post.clone();
        changed.terms.push(terms.clone());
        pcn_core::arrs::validate_post(&self.rulebook, &changed)?;
        self.store
            .add_terms(&post, &terms, Utc::now(), actor)
            .await?;
        Ok(post)
    }

    /// Sets the day a post ends.
    pub async fn end_post(
        &self,
        post: &PostRef,
        pcn: Option<&PcnCode>,
        on: NaiveDate,
        actor: &str,
    ) -> Result<Post> {
        let post = self.post_of(post, pcn).await?;
        let id = post.id;
        let mut ended = post.clone();
        ended.end = Some(on);
        ended.terms.retain(|t| t.effective_from <= on);
        if ended.terms.is_empty() || on < post.start {
            return Err(Error::invalid(format!(
                "post {id} would end on {on}, before it starts ({})",
                post.start
            )));
        }
        pcn_core::arrs::validate_post(&self.rulebook, &ended)?;
        self.store
            .set_post_end(&post, Some(on), Utc::now(), actor)
            .await?;
        Ok(ended)
    }

    /// Records a payroll actual: the whole cost of a post for a month.
    pub async fn record_cost(
        &self,
        post: &PostRef,
        pcn: Option<&PcnCode>,
        month: YearMonth,
        cost: Pence,
        actor: &str,
    ) -> Result<Post> {
        let post = self.post_of(post, pcn).await?;
        let id = post.id;
        if post.days_in(month) == 0 {
            return Err(Error::invalid(format!(
                "post {id} is not in post in {month} ({} to {}): no cost can be recorded for it",
                post.start,
                post.end.map_or("open".into(), |e| e.to_string())
            )));
        }
        self.store
            .record_cost(&post, month, cost, Utc::now(), actor)
            .await?;
        Ok(post)
    }

    /// A network's ARRS Sum for a year, from the funding engine.
    pub fn arrs_sum(
        &self,
        registry: &Registry,
        pcn: &PcnCode,
        fy: FinancialYear,
    ) -> Result<Option<Pence>> {
        if registry.latest_date().is_none() {
            return Ok(None);
        }
        let run = crate::pay::build_run(
            &self.rulebook,
            registry,
            fy,
            &Selection::network(pcn.clone()),
            &RunOptions::default(),
        );
        match run {
            Ok(run) => Ok(arrs_sums(&run).get(pcn).copied()),
            // A network with no members that year has no Sum.
            Err(Error::PayRun(pcn_core::payrun::PayRunError::NoSuchNetwork { .. })) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Reads a known network's ARRS year.
    pub async fn network_year(&self, pcn: &PcnCode, fy: FinancialYear) -> Result<NetworkYear> {
        self.rulebook.financial_year(fy)?;
        let registry = self.registry().await?;
        require_network(&registry, pcn)?;
        let sum = self.arrs_sum(&registry, pcn, fy)?;
        self.network_year_with_sum(pcn, fy, sum).await
    }

    /// A known network's posts, all of them (ended and future too).
    pub async fn roster(&self, pcn: &PcnCode) -> Result<Vec<Post>> {
        let registry = self.registry().await?;
        require_network(&registry, pcn)?;
        Ok(self.store.posts(Some(pcn)).await?)
    }

    /// A network's year and its claim lines (each with its working), only
    /// one month's when `only` is given.
    pub async fn claim_lines(
        &self,
        pcn: &PcnCode,
        fy: FinancialYear,
        only: Option<YearMonth>,
    ) -> Result<(NetworkYear, Vec<MonthClaim>)> {
        let year = self.network_year(pcn, fy).await?;
        let mut lines = year.lines(&self.rulebook, &year.posts, true)?;
        lines.retain(|l| only.is_none_or(|m| l.month == m));
        Ok((year, lines))
    }

    /// A network's budget for a year as at a date, from its roster.
    pub async fn budget(
        &self,
        pcn: &PcnCode,
        fy: FinancialYear,
        as_at: NaiveDate,
    ) -> Result<Budget> {
        let year = self.network_year(pcn, fy).await?;
        year.budget(&self.rulebook, as_at, &year.posts)
    }

    /// Reads a network's ARRS year with a Sum already worked out (the web
    /// app keeps each year's payment run).
    pub async fn network_year_with_sum(
        &self,
        pcn: &PcnCode,
        fy: FinancialYear,
        sum: Option<Pence>,
    ) -> Result<NetworkYear> {
        Ok(NetworkYear {
            pcn: pcn.clone(),
            year: fy,
            posts: self.store.posts(Some(pcn)).await?,
            costs: self.store.costs(Some(pcn)).await?,
            claims: self.store.claims(pcn, fy).await?,
            sum,
        })
    }

    /// Makes the draft claims of a month, on a date in or after it.
    pub async fn make_claims(
        &self,
        pcn: &PcnCode,
        month: YearMonth,
        on: NaiveDate,
        actor: &str,
    ) -> Result<Vec<NewClaim>> {
        if month.first_day() > on {
            return Err(Error::invalid(format!(
                "{month} has not started on {on}: a claim is made in or after its month"
            )));
        }
        let fy = month.financial_year();
        let registry = self.registry().await?;
        require_network(&registry, pcn)?;
        let year = self.network_year_with_sum(pcn, fy, None).await?;
        if !year
            .posts
            .iter()
            .any(|p| p.funding == Funding::Arrs && p.days_in(month) > 0)
        {
            return Err(Error::invalid(format!(
                "{pcn} has no ARRS post in post in {month}: nothing to claim"
            )));
        }
        let lines = year.lines(&self.rulebook, &year.posts, true)?;
        let new = claims_to_make(&lines, &year.claims, month, on);
        if !new.is_empty() {
            self.store
                .add_claims(pcn, &new, on, Utc::now(), actor)
                .await?;
        }
        Ok(new)
    }

    /// Moves a month's claims on (submitted, approved, paid); returns those moved.
    pub async fn move_claims(
        &self,
        pcn: &PcnCode,
        month: YearMonth,
        to: ClaimStatus,
        post: Option<i64>,
        actor: &str,
    ) -> Result<Vec<ClaimRecord>> {
        if to == ClaimStatus::Draft {
            return Err(Error::invalid(
                "a claim moves on to submitted, approved or paid",
            ));
        }
        let all = self.store.claims(pcn, month.financial_year()).await?;
        let chosen: Vec<ClaimRecord> = all
            .into_iter()
            .filter(|c| c.month == month && post.is_none_or(|p| c.post == p))
            .filter(|c| c.status != to)
            .collect();
        if chosen.is_empty() {
            return Err(Error::NotFound(format!(
                "no claims of {pcn} for {month} to move to {}",
                to.as_str()
            )));
        }
        self.store
            .set_claim_status(&chosen, to, Utc::now(), actor)
            .await?;
        Ok(chosen)
    }

    /// What hires and leavers would do to a network's budget, and what it
    /// can still recruit from the next month.
    pub async fn plan(&self, pcn: &PcnCode, as_at: NaiveDate, input: &PlanInput) -> Result<Plan> {
        let fy = FinancialYear::containing(as_at);
        let region = input.region.unwrap_or(Region::England);
        let rb = &self.rulebook;
        let mut hires = Vec::new();
        for (i, hire) in input.hires.iter().enumerate() {
            if !fy.contains(hire.from) {
                return Err(Error::invalid(format!(
                    "a hire from {} is outside {fy}",
                    hire.from
                )));
            }
            let post = hire.to_post(rb, pcn.clone(), -(i as i64) - 1, region)?;
            let claim: Pence = post_year(rb, fy, &post, &BTreeMap::new())?
                .iter()
                .map(|l| l.claimable)
                .sum();
            hires.push((post, claim));
        }
        let year = self.network_year(pcn, fy).await?;
        let mut ends = Vec::new();
        for (post, on) in &input.ends {
            let id = match post {
                PostRef::Id(id) if year.posts.iter().any(|p| p.id == *id) => *id,
                PostRef::Id(id) => return Err(Error::invalid(format!("{pcn} has no post {id}"))),
                PostRef::Person(_) => self.post_of(post, Some(pcn)).await?.id,
            };
            ends.push((id, *on));
        }
        let before = year.budget(rb, as_at, &year.posts)?;
        // The roster with the changes: ended posts shortened, hires added.
        let mut all: Vec<Post> = year
            .posts
            .iter()
            .map(|p| {
                let mut p = p.clone();
                if let Some((_, d)) = ends.iter().find(|(id, _)| *id == p.id) {
                    p.end = Some(p.end.map_or(*d, |e| e.min(*d)));
                }
                p
            })
            .collect();
        all.extend(hires.iter().map(|(p, _)| p.clone()));
        let after = year.budget(rb, as_at, &all)?;
        let from = YearMonth::of(as_at).next().first_day();
        let headroom = after.headroom.unwrap_or(Pence::ZERO);
        let recruitable = recruitable(rb, pcn.clone(), from, headroom, region)?;
        Ok(Plan {
            pcn: pcn.clone(),
            year: fy,
            as_at,
            before,
            after,
            hires,
            ends,
            recruitable_from: from,
            recruitable,
        })
    }

    /// The national ARRS picture (or one commissioner's), for a year: by
    /// default the year of the latest workforce census.
    pub async fn national_report(
        &self,
        year: Option<FinancialYear>,
        commissioner: Option<&CommissionerCode>,
        today: NaiveDate,
    ) -> Result<NationalReport> {
        let posts = self.store.posts(None).await?;
        if posts.is_empty() {
            return Err(Error::NotFound("no roster yet: import the PCN workforce individual-level CSV (`pcn import FILE`) or add posts (`pcn arrs add`)".into()));
        }
        let registry = self.registry_required().await?;
        if let Some(c) = commissioner {
            if !registry.knows_commissioner(c) {
                return Err(Error::NotFound(format!(
                    "there is no commissioner {c} in the registry"
                )));
            }
        }
        let census = latest_census(&posts);
        let fy = year.unwrap_or_else(|| FinancialYear::containing(census.unwrap_or(today)));
        let selection = Selection {
            pcn: None,
            commissioner: commissioner.cloned(),
        };
        let run = crate::pay::build_run(
            &self.rulebook,
            &registry,
            fy,
            &selection,
            &RunOptions::default(),
        )?;
        let sums = arrs_sums(&run);
        let snapshot = registry.at(census.unwrap_or(today));
        let names = snapshot
            .networks
            .iter()
            .map(|(c, n)| (c.clone(), (n.name.clone(), n.commissioner.clone())))
            .collect();
        let posts: Vec<Post> = match commissioner {
            Some(_) => posts
                .into_iter()
                .filter(|p| sums.contains_key(&p.pcn))
                .collect(),
            None => posts,
        };
        let report = national_report(&self.rulebook, fy, &posts, &sums, &names);
        if let Some((id, e)) = report.not_costed.first() {
            return Err(Error::invalid(format!(
                "post {id}: {e} ({} posts could not be costed)",
                report.not_costed.len()
            )));
        }
        Ok(report)
    }
}
