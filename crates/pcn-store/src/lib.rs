//! pcn's storage: the same schema and the same queries on SQLite (the
//! default, a single file) and PostgreSQL (for multi-user deployments).
//!
//! The store keeps facts, never state: every row says which import it came
//! from, and the registry as at a date is computed by `pcn-core` from all of
//! them. An import is written in one transaction, so it lands whole or not at
//! all; a file whose content hash is already recorded is not written again.
//!
//! Portability rules, kept by every query here: placeholders are `$1, $2 …`
//! (both engines accept them), dates are ISO text, integers are `BIGINT`,
//! aggregates are cast to `BIGINT`, and ids are assigned by the application.

use std::str::FromStr;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use pcn_core::facts::*;
use pcn_core::{IcbCode, PcnCode, RegionCode, SubIcbCode};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row, Transaction};

/// The store's error.
pub type Error = anyhow::Error;

mod arrs;
mod web;

pub use web::{check_username, DataVersion, StoredAccount, StoredSession};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to a migrated pcn database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// A row of the import log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportRecord {
    pub id: i64,
    pub sha256: String,
    pub file_name: String,
    pub kind: String,
    pub data_date: NaiveDate,
    pub rows_read: i64,
    pub facts: i64,
    pub imported_at: String,
    pub imported_by: String,
}

/// What an import is, before it is written.
#[derive(Debug, Clone)]
pub struct NewImport<'a> {
    pub sha256: &'a str,
    pub file_name: &'a str,
    pub kind: SourceKind,
    pub data_date: NaiveDate,
    pub rows_read: u64,
    pub imported_at: DateTime<Utc>,
    pub imported_by: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Written as a new import with this id.
    Written(i64),
    /// The same content was imported before; nothing was written.
    AlreadyImported(ImportRecord),
}

/// A row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_key: String,
    pub before_value: Option<String>,
    pub after_value: Option<String>,
    pub detail: Option<String>,
}

/// A change to record in the audit log.
#[derive(Debug, Clone)]
pub struct AuditChange {
    pub action: String,
    pub entity: String,
    pub entity_key: String,
    pub before_value: Option<String>,
    pub after_value: Option<String>,
    pub detail: Option<String>,
}

/// A value bound into a bulk insert.
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

fn text<T: ToString>(value: &Option<T>) -> Value {
    Value::Text(value.as_ref().map(ToString::to_string))
}

/// Degrees to whole millionths of a degree (coordinates are within ±180).
fn micro_degrees(degrees: f64) -> i64 {
    (degrees * 1e6).round() as i64
}

fn int(value: u64) -> Result<Value> {
    Ok(Value::Int(Some(
        i64::try_from(value).context("count too large to store")?,
    )))
}

/// Turns what the user typed after `--database` into a connection URL: a
/// `postgres://` or `sqlite:` URL is used as it is; anything else is a path to
/// an SQLite file, created when missing.
pub fn database_url(spec: &str) -> String {
    if spec.starts_with("postgres://")
        || spec.starts_with("postgresql://")
        || spec.starts_with("sqlite:")
    {
        spec.to_string()
    } else {
        format!("sqlite://{spec}?mode=rwc")
    }
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `spec`.
    pub async fn open(spec: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let url = database_url(spec);
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 1 } else { 8 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL is sqlx's default; NORMAL sync is safe with WAL and much faster.
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .with_context(|| format!("opening the database {}", redact(spec)))?;
        MIGRATOR
            .run(&pool)
            .await
            .context("migrating the database schema")?;
        Ok(Store { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(self) {
        self.pool.close().await;
    }

    /// The import with this content hash, if any.
    pub async fn find_import(&self, sha256: &str) -> Result<Option<ImportRecord>> {
        let row = sqlx::query(&format!("{IMPORT_SELECT} WHERE sha256 = $1"))
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| import_record(&r)).transpose()
    }

    /// The import log, oldest first.
    pub async fn imports(&self) -> Result<Vec<ImportRecord>> {
        let rows = sqlx::query(&format!("{IMPORT_SELECT} ORDER BY id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(import_record).collect()
    }

    /// Writes an import and its facts in one transaction, or nothing if the
    /// same content was imported before.
    pub async fn write_import(
        &self,
        import: &NewImport<'_>,
        facts: &FactBatch,
    ) -> Result<ImportOutcome> {
        let mut tx = self.pool.begin().await?;
        if let Some(existing) = sqlx::query(&format!("{IMPORT_SELECT} WHERE sha256 = $1"))
            .bind(import.sha256)
            .fetch_optional(&mut *tx)
            .await?
        {
            return Ok(ImportOutcome::AlreadyImported(import_record(&existing)?));
        }
        let id = next_id(&mut tx, "import_log").await?;
        sqlx::query(
            "INSERT INTO import_log (id, sha256, file_name, kind, data_date, rows_read, facts, imported_at, imported_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(import.sha256)
        .bind(import.file_name)
        .bind(import.kind.name())
        .bind(import.data_date.to_string())
        .bind(i64::try_from(import.rows_read)?)
        .bind(i64::try_from(facts.len())?)
        .bind(import.imported_at.to_rfc3339())
        .bind(import.imported_by)
        .execute(&mut *tx)
        .await?;
        write_facts(
            &mut tx,
            self.backend,
            id,
            facts,
            import.imported_at,
            import.imported_by,
        )
        .await?;
        audit(
            &mut tx,
            import.imported_at,
            import.imported_by,
            &AuditChange {
                action: "import".into(),
                entity: "file".into(),
                entity_key: import.file_name.to_string(),
                before_value: None,
                after_value: Some(format!("{} facts", facts.len())),
                detail: Some(format!(
                    "kind {}, data date {}, sha256 {}",
                    import.kind.name(),
                    import.data_date,
                    import.sha256
                )),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ImportOutcome::Written(id))
    }

    /// Records how a network divides its payments for a year, with an audit
    /// entry showing the agreement before and after, in one transaction.
    pub async fn record_distribution(
        &self,
        agreement: &DistributionAgreement,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let before =
            latest_distribution(&mut tx, &agreement.pcn, &agreement.financial_year).await?;
        let id = next_id(&mut tx, "distribution_agreement").await?;
        sqlx::query(
            "INSERT INTO distribution_agreement (id, pcn_code, financial_year, method, top_slice_percent, shares, recorded_at, recorded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(agreement.pcn.to_string())
        .bind(&agreement.financial_year)
        .bind(&agreement.method)
        .bind(&agreement.top_slice_percent)
        .bind(&agreement.shares)
        .bind(at.to_rfc3339())
        .bind(actor)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            at,
            actor,
            &AuditChange {
                action: "set".into(),
                entity: "network".into(),
                entity_key: format!(
                    "{} distribution {}",
                    agreement.pcn, agreement.financial_year
                ),
                before_value: before.map(|b| b.describe()),
                after_value: Some(agreement.describe()),
                detail: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The distribution agreements in force for a financial year: the latest
    /// recorded for each network.
    pub async fn distribution_agreements(
        &self,
        financial_year: &str,
    ) -> Result<Vec<DistributionAgreement>> {
        let rows = sqlx::query(
            "SELECT pcn_code, financial_year, method, top_slice_percent, shares FROM distribution_agreement \
             WHERE financial_year = $1 ORDER BY id",
        )
        .bind(financial_year)
        .fetch_all(&self.pool)
        .await?;
        let mut latest: std::collections::BTreeMap<String, DistributionAgreement> =
            std::collections::BTreeMap::new();
        for row in &rows {
            let agreement = distribution_row(row)?;
            latest.insert(agreement.pcn.to_string(), agreement);
        }
        Ok(latest.into_values().collect())
    }

    /// Records a commissioner's assessment of how much of a stream a network
    /// earned in a year, audited before/after, in one transaction.
    pub async fn record_assessment(
        &self,
        assessment: &Assessment,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let before: Option<String> = sqlx::query(
            "SELECT earned FROM assessment WHERE pcn_code = $1 AND financial_year = $2 AND stream_id = $3 \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(assessment.pcn.to_string())
        .bind(&assessment.financial_year)
        .bind(&assessment.stream_id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("earned"))
        .transpose()?;
        let id = next_id(&mut tx, "assessment").await?;
        sqlx::query(
            "INSERT INTO assessment (id, pcn_code, financial_year, stream_id, earned, note, recorded_at, recorded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(assessment.pcn.to_string())
        .bind(&assessment.financial_year)
        .bind(&assessment.stream_id)
        .bind(assessment.earned.to_string())
        .bind(&assessment.note)
        .bind(at.to_rfc3339())
        .bind(actor)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            at,
            actor,
            &AuditChange {
                action: "assess".into(),
                entity: "network".into(),
                entity_key: format!(
                    "{} {} {}",
                    assessment.pcn, assessment.stream_id, assessment.financial_year
                ),
                before_value: before.map(|b| format!("earned {b}")),
                after_value: Some(format!("earned {}", assessment.earned)),
                detail: assessment.note.clone(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The assessments in force for a financial year: the latest recorded for
    /// each network and stream.
    pub async fn assessments(&self, financial_year: &str) -> Result<Vec<Assessment>> {
        let rows = sqlx::query(
            "SELECT pcn_code, financial_year, stream_id, earned, note FROM assessment WHERE financial_year = $1 ORDER BY id",
        )
        .bind(financial_year)
        .fetch_all(&self.pool)
        .await?;
        let mut latest: std::collections::BTreeMap<(String, String), Assessment> =
            std::collections::BTreeMap::new();
        for row in &rows {
            let a = Assessment {
                pcn: code(row, "pcn_code")?,
                financial_year: row.try_get("financial_year")?,
                stream_id: row.try_get("stream_id")?,
                earned: {
                    // Written as "2/3" (exact); older rows as "0.666667".
                    let text: String = row.try_get("earned")?;
                    text.parse::<pcn_core::money::Fraction>()
                        .with_context(|| format!("assessment.earned {text:?}"))?
                },
                note: row.try_get("note")?,
            };
            latest.insert((a.pcn.to_string(), a.stream_id.clone()), a);
        }
        Ok(latest.into_values().collect())
    }

    /// Records governance facts entered by hand, with an audit entry for each
    /// showing the value before and after, in one transaction.
    pub async fn record_governance(
        &self,
        facts: &[GovernanceFact],
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        write_governance(&mut tx, None, facts, at, actor).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every fact the registry is built from, in import order. Served from
    /// `registry_cache` when it is current, else read from the fact tables
    /// and cached.
    pub async fn load_facts(&self) -> Result<FactBatch> {
        let key = self.cache_key().await?;
        if let Some(row) =
            sqlx::query("SELECT payload FROM registry_cache WHERE id = 1 AND cache_key = $1")
                .bind(&key)
                .fetch_optional(&self.pool)
                .await?
        {
            let payload: Vec<u8> = row.try_get("payload")?;
            // An unreadable cache (say, from another version of pcn) is rebuilt.
            if let Ok(facts) = postcard::from_bytes::<FactBatch>(&payload) {
                return Ok(facts);
            }
        }
        let facts = self.load_facts_from_tables().await?;
        let payload = postcard::to_stdvec(&facts).context("encoding the registry cache")?;
        sqlx::query(
            "INSERT INTO registry_cache (id, cache_key, payload) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET cache_key = excluded.cache_key, payload = excluded.payload",
        )
        .bind(&key)
        .bind(payload)
        .execute(&self.pool)
        .await?;
        Ok(facts)
    }

    /// Names the state of the fact tables: changes whenever an import or a
    /// governance fact is written, and with the cache's format (`v2`: with
    /// the funding inputs; bump it whenever `FactBatch` changes shape).
    async fn cache_key(&self) -> Result<String> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS imports, \
             CAST((SELECT COALESCE(MAX(id), 0) FROM governance_fact) AS BIGINT) AS governance FROM import_log",
        )
        .fetch_one(&self.pool)
        .await?;
        let (imports, governance): (i64, i64) =
            (row.try_get("imports")?, row.try_get("governance")?);
        Ok(format!(
            "v2 {} imports {imports} governance {governance}",
            env!("CARGO_PKG_VERSION")
        ))
    }

    /// Every fact the registry is built from, read from the fact tables.
    async fn load_facts_from_tables(&self) -> Result<FactBatch> {
        let mut facts = FactBatch::default();
        for row in sqlx::query(
            "SELECT practice_code, as_at, name, postcode, sub_icb, sub_icb_name, icb, icb_name, region, region_name, \
             open_date, close_date, status, prescribing_setting, supplier, lat_e6, lon_e6 FROM practice_fact ORDER BY import_id",
        )
        .fetch_all(&self.pool)
        .await?
        {
            let mut f = PracticeFact::new(code(&row, "practice_code")?, date(&row, "as_at")?);
            f.name = row.try_get("name")?;
            f.postcode = row.try_get("postcode")?;
            f.sub_icb = opt_code::<SubIcbCode>(&row, "sub_icb")?;
            f.sub_icb_name = row.try_get("sub_icb_name")?;
            f.icb = opt_code::<IcbCode>(&row, "icb")?;
            f.icb_name = row.try_get("icb_name")?;
            f.region = opt_code::<RegionCode>(&row, "region")?;
            f.region_name = row.try_get("region_name")?;
            f.open_date = opt_date(&row, "open_date")?;
            f.close_date = opt_date(&row, "close_date")?;
            f.status = row.try_get::<Option<String>, _>("status")?.and_then(|s| PracticeStatus::parse(&s));
            f.prescribing_setting = row.try_get::<Option<i64>, _>("prescribing_setting")?.and_then(|s| u8::try_from(s).ok());
            f.supplier = row.try_get("supplier")?;
            let lat: Option<i64> = row.try_get("lat_e6")?;
            let lon: Option<i64> = row.try_get("lon_e6")?;
            f.location = lat
                .zip(lon)
                .and_then(|(lat, lon)| LatLon::new_in_uk(lat as f64 / 1e6, lon as f64 / 1e6));
            facts.practices.push(f);
        }
        for row in sqlx::query("SELECT pcn_code, as_at, name, sub_icb, open_date, close_date, postcode FROM network_fact ORDER BY import_id")
            .fetch_all(&self.pool)
            .await?
        {
            let mut f = NetworkFact::new(code(&row, "pcn_code")?, date(&row, "as_at")?);
            f.name = row.try_get("name")?;
            f.sub_icb = opt_code::<SubIcbCode>(&row, "sub_icb")?;
            f.open_date = opt_date(&row, "open_date")?;
            f.close_date = opt_date(&row, "close_date")?;
            f.postcode = row.try_get("postcode")?;
            facts.networks.push(f);
        }
        for row in sqlx::query("SELECT practice_code, pcn_code, start_date, end_date FROM membership_interval ORDER BY import_id")
            .fetch_all(&self.pool)
            .await?
        {
            facts.intervals.push(MembershipInterval {
                practice: code(&row, "practice_code")?,
                pcn: code(&row, "pcn_code")?,
                start: date(&row, "start_date")?,
                end: opt_date(&row, "end_date")?,
            });
        }
        for row in sqlx::query(
            "SELECT practice_code, pcn_code, as_at FROM membership_observation ORDER BY import_id",
        )
        .fetch_all(&self.pool)
        .await?
        {
            facts.observations.push(MembershipObservation {
                practice: code(&row, "practice_code")?,
                pcn: code(&row, "pcn_code")?,
                as_at: date(&row, "as_at")?,
            });
        }
        // The registry needs totals only; the bands stay in the database.
        for row in sqlx::query("SELECT practice_code, as_at, total FROM list_size WHERE sex = 'ALL' ORDER BY import_id")
            .fetch_all(&self.pool)
            .await?
        {
            facts.list_sizes.push(ListSizeFact {
                practice: code(&row, "practice_code")?,
                as_at: date(&row, "as_at")?,
                sex: Sex::All,
                total: u64::try_from(row.try_get::<i64, _>("total")?).context("negative list size in the database")?,
                bands: None,
            });
        }
        self.load_funding_inputs(&mut facts).await?;
        facts.governance = self
            .governance_rows(None)
            .await?
            .into_iter()
            .map(|(fact, _, _)| fact)
            .collect();
        Ok(facts)
    }

    /// The funding inputs (populations, care homes, alignments, IIF, payments made).
    async fn load_funding_inputs(&self, facts: &mut FactBatch) -> Result<()> {
        for row in sqlx::query(
            "SELECT subject_type, subject_code, kind, as_at, value FROM population_fact \
             ORDER BY import_id, subject_type, subject_code, kind, as_at",
        )
        .fetch_all(&self.pool)
        .await?
        {
            let subject_type: String = row.try_get("subject_type")?;
            let subject = match subject_type.as_str() {
                "practice" => PopulationSubject::Practice(code(&row, "subject_code")?),
                "network" => PopulationSubject::Network(code(&row, "subject_code")?),
                other => bail!("unknown population subject type {other:?} in the database"),
            };
            let kind: String = row.try_get("kind")?;
            facts.populations.push(PopulationFact {
                subject,
                kind: PopulationKind::from_name(&kind)
                    .with_context(|| format!("unknown population kind {kind:?} in the database"))?,
                as_at: date(&row, "as_at")?,
                value: decimal(&row, "value")?,
            });
        }
        for row in sqlx::query(
            "SELECT location_id, as_at, name, postcode, beds, lat_e6, lon_e6, local_authority, ods_code, dormant \
             FROM care_home_fact ORDER BY import_id, location_id",
        )
        .fetch_all(&self.pool)
        .await?
        {
            let lat: Option<i64> = row.try_get("lat_e6")?;
            let lon: Option<i64> = row.try_get("lon_e6")?;
            facts.care_homes.push(CareHomeFact {
                location_id: row.try_get("location_id")?,
                name: row.try_get("name")?,
                postcode: row.try_get("postcode")?,
                beds: u32::try_from(row.try_get::<i64, _>("beds")?)
                    .context("bad bed count in the database")?,
                location: lat
                    .zip(lon)
                    .and_then(|(lat, lon)| LatLon::new_in_uk(lat as f64 / 1e6, lon as f64 / 1e6)),
                local_authority: row.try_get("local_authority")?,
                ods_code: row.try_get("ods_code")?,
                dormant: row.try_get::<i64, _>("dormant")? != 0,
                as_at: date(&row, "as_at")?,
            });
        }
        for row in sqlx::query(
            "SELECT location_id, pcn_code, aligned_from, aligned_to FROM care_home_alignment \
             ORDER BY import_id, location_id, aligned_from",
        )
        .fetch_all(&self.pool)
        .await?
        {
            facts.care_home_alignments.push(CareHomeAlignment {
                location_id: row.try_get("location_id")?,
                pcn: code(&row, "pcn_code")?,
                from: date(&row, "aligned_from")?,
                to: opt_date(&row, "aligned_to")?,
            });
        }
        for row in sqlx::query(
            "SELECT organisation_type, organisation_code, financial_year, indicator, measure, value, achievement_date \
             FROM iif_achievement ORDER BY import_id, organisation_type, organisation_code, indicator, measure, achievement_date",
        )
        .fetch_all(&self.pool)
        .await?
        {
            let organisation_type: String = row.try_get("organisation_type")?;
            let organisation = match organisation_type.as_str() {
                "practice" => IifOrganisation::Practice(code(&row, "organisation_code")?),
                "pcn" => IifOrganisation::Pcn(code(&row, "organisation_code")?),
                other => bail!("unknown IIF organisation type {other:?} in the database"),
            };
            facts.iif_achievements.push(IifAchievementFact {
                organisation,
                financial_year: row.try_get("financial_year")?,
                indicator: row.try_get("indicator")?,
                measure: row.try_get("measure")?,
                value: decimal(&row, "value")?,
                achievement_date: date(&row, "achievement_date")?,
            });
        }
        for row in sqlx::query(
            "SELECT pcn_code, financial_year, points, recorded, indicator, pcn_prevalence, national_prevalence \
             FROM iif_points ORDER BY import_id, pcn_code, financial_year, indicator",
        )
        .fetch_all(&self.pool)
        .await?
        {
            facts.iif_points.push(IifPointsFact {
                pcn: code(&row, "pcn_code")?,
                financial_year: row.try_get("financial_year")?,
                points: decimal(&row, "points")?,
                recorded: date(&row, "recorded")?,
                indicator: Some(row.try_get::<String, _>("indicator")?).filter(|i| !i.is_empty()),
                pcn_prevalence: opt_decimal(&row, "pcn_prevalence")?,
                national_prevalence: opt_decimal(&row, "national_prevalence")?,
            });
        }
        for row in sqlx::query(
            "SELECT practice_code, pcn_code, financial_year, stream, amount_pence FROM payment_actual \
             ORDER BY import_id, practice_code, financial_year, stream",
        )
        .fetch_all(&self.pool)
        .await?
        {
            facts.payment_actuals.push(PaymentActualFact {
                practice: code(&row, "practice_code")?,
                pcn: opt_code(&row, "pcn_code")?,
                financial_year: row.try_get("financial_year")?,
                stream: row.try_get("stream")?,
                amount: row.try_get("amount_pence")?,
            });
        }
        Ok(())
    }

    /// Governance facts with who recorded them and when, oldest first; for one network or all.
    pub async fn governance_rows(
        &self,
        pcn: Option<&PcnCode>,
    ) -> Result<Vec<(GovernanceFact, String, String)>> {
        let rows = sqlx::query(
            "SELECT pcn_code, field, value, effective_from, recorded_at, recorded_by FROM governance_fact \
             WHERE $1 = '' OR pcn_code = $1 ORDER BY id",
        )
        .bind(pcn.map(|p| p.to_string()).unwrap_or_default())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let field: String = row.try_get("field")?;
                let fact = GovernanceFact {
                    pcn: code(row, "pcn_code")?,
                    field: GovernanceField::from_name(&field).with_context(|| {
                        format!("unknown governance field {field:?} in the database")
                    })?,
                    value: row.try_get("value")?,
                    effective_from: date(row, "effective_from")?,
                };
                Ok((
                    fact,
                    row.try_get("recorded_at")?,
                    row.try_get("recorded_by")?,
                ))
            })
            .collect()
    }

    /// The audit log, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, entity, entity_key, before_value, after_value, detail FROM audit_log ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    entity: r.try_get("entity")?,
                    entity_key: r.try_get("entity_key")?,
                    before_value: r.try_get("before_value")?,
                    after_value: r.try_get("after_value")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    /// Row counts of the fact tables, for `pcn status`.
    pub async fn table_counts(&self) -> Result<Vec<(&'static str, i64)>> {
        let mut counts = Vec::new();
        for table in TABLES {
            let n: i64 = sqlx::query(&format!(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"
            ))
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
            counts.push((table, n));
        }
        Ok(counts)
    }
}

/// The tables of facts and logs (`registry_cache` is derived, so not listed).
const TABLES: [&str; 23] = [
    "import_log",
    "practice_fact",
    "network_fact",
    "membership_interval",
    "membership_observation",
    "list_size",
    "governance_fact",
    "population_fact",
    "care_home_fact",
    "care_home_alignment",
    "iif_achievement",
    "iif_points",
    "distribution_agreement",
    "assessment",
    "payment_actual",
    "arrs_post",
    "arrs_terms",
    "arrs_cost",
    "arrs_claim",
    "web_user",
    "web_session",
    "login_attempt",
    "audit_log",
];

const IMPORT_SELECT: &str =
    "SELECT id, sha256, file_name, kind, data_date, rows_read, facts, imported_at, imported_by FROM import_log";

/// A commissioner's assessment: the fraction (0 to 1) of a stream paid on
/// achievement that a network earned in a year, exact (stored as `2/3`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Assessment {
    pub pcn: PcnCode,
    pub financial_year: String,
    pub stream_id: String,
    pub earned: pcn_core::money::Fraction,
    pub note: Option<String>,
}

/// A network's distribution agreement for a year, as stored. The method and
/// shares are validated by the caller (`pcn network distribution`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DistributionAgreement {
    pub pcn: PcnCode,
    pub financial_year: String,
    /// `registered-list`, `weighted-list`, `equal`, `percentages` or `fixed`.
    pub method: String,
    /// An exact decimal, such as `5` or `2.5`.
    pub top_slice_percent: String,
    /// For `percentages`: `A81001=40;A81002=60`; for `fixed`: pounds, `A81001=12000`.
    pub shares: Option<String>,
}

impl DistributionAgreement {
    fn describe(&self) -> String {
        let mut text = format!("{}, top-slice {}%", self.method, self.top_slice_percent);
        if let Some(shares) = &self.shares {
            text.push_str(&format!(", shares {shares}"));
        }
        text
    }
}

fn distribution_row(row: &AnyRow) -> Result<DistributionAgreement> {
    Ok(DistributionAgreement {
        pcn: code(row, "pcn_code")?,
        financial_year: row.try_get("financial_year")?,
        method: row.try_get("method")?,
        top_slice_percent: row.try_get("top_slice_percent")?,
        shares: row.try_get("shares")?,
    })
}

async fn latest_distribution(
    tx: &mut Transaction<'_, Any>,
    pcn: &PcnCode,
    year: &str,
) -> Result<Option<DistributionAgreement>> {
    let row = sqlx::query(
        "SELECT pcn_code, financial_year, method, top_slice_percent, shares FROM distribution_agreement \
         WHERE pcn_code = $1 AND financial_year = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(pcn.to_string())
    .bind(year)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| distribution_row(&r)).transpose()
}

/// Hides a password in a connection string before it reaches a message.
fn redact(spec: &str) -> String {
    match (spec.find("://"), spec.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &spec[scheme + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &spec[..scheme + 3],
                    &credentials[..colon],
                    &spec[at..]
                ),
                None => spec.to_string(),
            }
        }
        _ => spec.to_string(),
    }
}

fn import_record(row: &AnyRow) -> Result<ImportRecord> {
    Ok(ImportRecord {
        id: row.try_get("id")?,
        sha256: row.try_get("sha256")?,
        file_name: row.try_get("file_name")?,
        kind: row.try_get("kind")?,
        data_date: date(row, "data_date")?,
        rows_read: row.try_get("rows_read")?,
        facts: row.try_get("facts")?,
        imported_at: row.try_get("imported_at")?,
        imported_by: row.try_get("imported_by")?,
    })
}

fn code<T: FromStr>(row: &AnyRow, column: &str) -> Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let raw: String = row.try_get(column)?;
    T::from_str(&raw).with_context(|| format!("bad {column} {raw:?} in the database"))
}

fn opt_code<T: FromStr>(row: &AnyRow, column: &str) -> Result<Option<T>>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let raw: Option<String> = row.try_get(column)?;
    raw.map(|raw| {
        T::from_str(&raw).with_context(|| format!("bad {column} {raw:?} in the database"))
    })
    .transpose()
}

fn date(row: &AnyRow, column: &str) -> Result<NaiveDate> {
    let raw: String = row.try_get(column)?;
    NaiveDate::from_str(&raw).with_context(|| format!("bad date {raw:?} in column {column}"))
}

/// An exact decimal stored as text.
fn decimal(row: &AnyRow, column: &str) -> Result<Decimal> {
    let raw: String = row.try_get(column)?;
    Decimal::from_str(&raw).with_context(|| format!("bad decimal {raw:?} in column {column}"))
}

/// An optional exact decimal stored as text.
fn opt_decimal(row: &AnyRow, column: &str) -> Result<Option<Decimal>> {
    let raw: Option<String> = row.try_get(column)?;
    raw.map(|raw| {
        Decimal::from_str(&raw).with_context(|| format!("bad decimal {raw:?} in column {column}"))
    })
    .transpose()
}

fn opt_date(row: &AnyRow, column: &str) -> Result<Option<NaiveDate>> {
    let raw: Option<String> = row.try_get(column)?;
    raw.map(|raw| {
        NaiveDate::from_str(&raw).with_context(|| format!("bad date {raw:?} in column {column}"))
    })
    .transpose()
}

async fn next_id(tx: &mut Transaction<'_, Any>, table: &str) -> Result<i64> {
    let row = sqlx::query(&format!(
        "SELECT CAST(COALESCE(MAX(id), 0) + 1 AS BIGINT) AS next FROM {table}"
    ))
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("next")?)
}

async fn audit(
    tx: &mut Transaction<'_, Any>,
    at: DateTime<Utc>,
    actor: &str,
    change: &AuditChange,
) -> Result<()> {
    let id = next_id(tx, "audit_log").await?;
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, action, entity, entity_key, before_value, after_value, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(at.to_rfc3339())
    .bind(actor)
    .bind(&change.action)
    .bind(&change.entity)
    .bind(&change.entity_key)
    .bind(&change.before_value)
    .bind(&change.after_value)
    .bind(&change.detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts rows in multi-row statements, staying under both engines' limit
/// on bound parameters (SQLite 32,766; PostgreSQL 65,535). SQLite gets
/// anonymous `?` placeholders: binding numbered ones makes SQLite look each
/// name up in a list, which is quadratic in a statement this long.
async fn bulk_insert(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<()> {
    const MAX_PARAMETERS: usize = 30_000;
    let per_statement = (MAX_PARAMETERS / columns.len()).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
            if row.len() != columns.len() {
                bail!(
                    "internal error: {} values for {} columns of {table}",
                    row.len(),
                    columns.len()
                );
            }
            sql.push_str(if i == 0 { "(" } else { ", (" });
            for j in 0..row.len() {
                n += 1;
                if j > 0 {
                    sql.push_str(", ");
                }
                match backend {
                    Backend::Sqlite => sql.push('?'),
                    Backend::Postgres => {
                        sql.push('$');
                        sql.push_str(&n.to_string());
                    }
                }
            }
            sql.push(')');
        }
        let mut query = sqlx::query(&sql);
        for value in chunk.into_iter().flatten() {
            query = match value {
                Value::Int(v) => query.bind(v),
                Value::Text(v) => query.bind(v),
            };
        }
        query
            .execute(&mut **tx)
            .await
            .with_context(|| format!("writing {table}"))?;
    }
    Ok(())
}

async fn write_facts(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    import_id: i64,
    facts: &FactBatch,
    at: DateTime<Utc>,
    actor: &str,
) -> Result<()> {
    let id = || Value::Int(Some(import_id));
    let rows = facts
        .practices
        .iter()
        .map(|f| {
            vec![
                id(),
                Value::Text(Some(f.code.to_string())),
                Value::Text(Some(f.as_at.to_string())),
                text(&f.name),
                text(&f.postcode),
                text(&f.sub_icb),
                text(&f.sub_icb_name),
                text(&f.icb),
                text(&f.icb_name),
                text(&f.region),
                text(&f.region_name),
                text(&f.open_date),
                text(&f.close_date),
                Value::Text(f.status.map(|s| s.code().to_string())),
                Value::Int(f.prescribing_setting.map(i64::from)),
                text(&f.supplier),
                Value::Int(f.location.map(|l| micro_degrees(l.lat))),
                Value::Int(f.location.map(|l| micro_degrees(l.lon))),
            ]
        })
        .collect();
    bulk_insert(
        tx,
        backend,
        "practice_fact",
        &[
            "import_id",
            "practice_code",
            "as_at",
            "name",
            "postcode",
            "sub_icb",
            "sub_icb_name",
            "icb",
            "icb_name",
            "region",
            "region_name",
            "open_date",
            "close_date",
            "status",
            "prescribing_setting",
            "supplier",
            "lat_e6",
            "lon_e6",
        ],
        rows,
    )
    .await?;

    let rows = facts
        .networks
        .iter()
        .map(|f| {
            vec![
                id(),
                Value::Text(Some(f.code.to_string())),
                Value::Text(Some(f.as_at.to_string())),
                text(&f.name),
                text(&f.sub_icb),
                text(&f.open_date),
                text(&f.close_date),
                text(&f.postcode),
            ]
        })
        .collect();
    bulk_insert(
        tx,
        backend,
        "network_fact",
        &[
            "import_id",
            "pcn_code",
            "as_at",
            "name",
            "sub_icb",
            "open_date",
            "close_date",
            "postcode",
        ],
        rows,
    )
    .await?;

    let rows = facts
        .intervals
        .iter()
        .map(|f| {
            vec![
                id(),
                Value::Text(Some(f.practice.to_string())),
                Value::Text(Some(f.pcn.to_string())),
                Value::Text(Some(f.start.to_string())),
                text(&f.end),
            ]
        })
        .collect();
    bulk_insert(
        tx,
        backend,
        "membership_interval",
        &[
            "import_id",
            "practice_code",
            "pcn_code",
            "start_date",
            "end_date",
        ],
        rows,
    )
    .await?;

    let rows = facts
        .observations
        .iter()
        .map(|f| {
            vec![
                id(),
                Value::Text(Some(f.practice.to_string())),
                Value::Text(Some(f.pcn.to_string())),
                Value::Text(Some(f.as_at.to_string())),
            ]
        })
        .collect();
    bulk_insert(
        tx,
        backend,
        "membership_observation",
        &["import_id", "practice_code", "pcn_code", "as_at"],
        rows,
    )
    .await?;

    let mut rows = Vec::with_capacity(facts.list_sizes.len());
    for f in &facts.list_sizes {
        let mut row = vec![
            id(),
            Value::Text(Some(f.practice.to_string())),
            Value::Text(Some(f.as_at.to_string())),
            Value::Text(Some(f.sex.code().to_string())),
            int(f.total)?,
        ];
        for band in 0..AGE_BANDS.len() {
            row.push(match &f.bands {
                Some(bands) => int(bands[band])?,
                None => Value::Int(None),
            });
        }
        rows.push(row);
    }
    let band_columns: Vec<String> = (0..AGE_BANDS.len()).map(|b| format!("b{b:02}")).collect();
    let mut columns = vec!["import_id", "practice_code", "as_at", "sex", "total"];
    columns.extend(band_columns.iter().map(String::as_str));
    bulk_insert(tx, backend, "list_size", &columns, rows).await?;

    write_funding_inputs(tx, backend, import_id, facts).await?;
    arrs::seed_census(tx, backend, import_id, &facts.workforce, at, actor).await?;
    write_governance(tx, Some(import_id), &facts.governance, at, actor).await
}

async fn write_funding_inputs(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    import_id: i64,
    facts: &FactBatch,
) -> Result<()> {
    let id = || Value::Int(Some(import_id));
    let some = |s: String| Value::Text(Some(s));
    let rows = facts
        .populations
        .iter()
        .map(|f| {
            let subject_type = match f.subject {
                PopulationSubject::Practice(_) => "practice",
                PopulationSubject::Network(_) => "network",
            };
            vec![
                id(),
                some(subject_type.to_string()),
                some(f.subject.code().to_string()),
                some(f.kind.name().to_string()),
                some(f.as_at.to_string()),
                some(f.value.to_string()),
            ]
        })
        .collect();
    bulk_insert(
        tx,
        backend,
        "population_fact",
        &[
            "import_id",
            "subject_type",
            "subject_code",
            "kind",
            "as_at",
            "value",
        ],
        rows,
    )
    .await?;

    let rows = facts
        .care_homes
        .iter()
        .map(|f| {
            vec![
                id(),
                some(f.location_id.clone()),
                some(f.as_at.to_string()),
                some(f.name.clone()),
                text(&f.postcode),
                Value::Int(Some(i64::from(f.beds))),
                Value::Int(f.location.map(|l| micro_degrees(l.lat))),
                Value::Int(f.location.map(|l| micro_degrees(l.lon))),
                text(&f.local_authority),
                text(&f.ods_code),
                Value::Int(Some(i64::from(f.dormant))),
            ]
        })
        .collect();
    bulk_insert(
        tx,
        backend,
        "care_home_fact",
        &[
            "import_id",
            "location_id",
            "as_at",
            "name",
            "postcode",
            "beds",
            "lat_e6",
            "lon_e6",
            "local_authority",
            "ods_code",
            "dormant",
        ],
        rows,
    )
    .await?;

    let rows = facts
        .care_home_alignments
        .iter()
        .map(|f| {
            vec![
                id(),
                some(f.location_id.clone()),
                some(f.pcn.to_string()),
                some(f.from.to_string()),
                text(&f.to),
            ]
        })
        .collect();
    bulk_insert(
        tx,
        backend,
        "care_home_alignment",
        &[
            "import_id",
            "location_id",
            "pcn_code",
            "aligned_from",
            "aligned_to",
        ],
        rows,
    )
    .await?;

    let rows = facts
        .iif_achievements
        .iter()
        .map(|f| {
            let organisation_type = match f.organisation {
                IifOrganisation::Practice(_) => "practice",
                IifOrganisation::Pcn(_) => "pcn",
            };
            vec![
                id(),
                some(organisation_type.to_string()),
                some(f.organisation.code().to_string()),
                some(f.financial_year.clone()),
                some(f.indicator.clone()),
                some(f.measure.clone()),
                some(f.value.to_string()),
                some(f.achievement_date.to_string()),
            ]
        })
        .collect();
    bulk_insert(
        tx,
        backend,
        "iif_achievement",
        &[
            "import_id",
            "organisation_type",
            "organisation_code",
            "financial_year",
            "indicator",
            "measure",
            "value",
            "achievement_date",
        ],
        rows,
    )
    .await?;

    let rows = facts
        .iif_points
        .iter()
        .map(|f| {
            vec![
                id(),
                some(f.pcn.to_string()),
                some(f.financial_year.clone()),
                some(f.points.to_string()),
                some(f.recorded.to_string()),
                some(f.indicator.clone().unwrap_or_default()),
                Value::Text(f.pcn_prevalence.map(|d| d.to_string())),
                Value::Text(f.national_prevalence.map(|d| d.to_string())),
            ]
        })
        .collect();
    bulk_insert(
        tx,
        backend,
        "iif_points",
        &[
            "import_id",
            "pcn_code",
            "financial_year",
            "points",
            "recorded",
            "indicator",
            "pcn_prevalence",
            "national_prevalence",
        ],
        rows,
    )
    .await?;

    let rows = facts
        .payment_actuals
        .iter()
        .map(|f| {
            vec![
                id(),
                some(f.practice.to_string()),
                text(&f.pcn),
                some(f.financial_year.clone()),
                some(f.stream.clone()),
                Value::Int(Some(f.amount)),
            ]
        })
        .collect();
    bulk_insert(
        tx,
        backend,
        "payment_actual",
        &[
            "import_id",
            "practice_code",
            "pcn_code",
            "financial_year",
            "stream",
            "amount_pence",
        ],
        rows,
    )
    .await
}

async fn write_governance(
    tx: &mut Transaction<'_, Any>,
    import_id: Option<i64>,
    facts: &[GovernanceFact],
    at: DateTime<Utc>,
    actor: &str,
) -> Result<()> {
    for fact in facts {
        // The value in force on the effective date before this change, for the audit log.
        let before: Option<String> = sqlx::query(
            "SELECT value FROM governance_fact WHERE pcn_code = $1 AND field = $2 AND effective_from <= $3 \
             ORDER BY effective_from DESC, id DESC LIMIT 1",
        )
        .bind(fact.pcn.to_string())
        .bind(fact.field.name())
        .bind(fact.effective_from.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get("value"))
        .transpose()?;
        let id = next_id(tx, "governance_fact").await?;
        sqlx::query(
            "INSERT INTO governance_fact (id, import_id, pcn_code, field, value, effective_from, recorded_at, recorded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(import_id)
        .bind(fact.pcn.to_string())
        .bind(fact.field.name())
        .bind(&fact.value)
        .bind(fact.effective_from.to_string())
        .bind(at.to_rfc3339())
        .bind(actor)
        .execute(&mut **tx)
        .await?;
        audit(
            tx,
            at,
            actor,
            &AuditChange {
                action: "set".into(),
                entity: "network".into(),
                entity_key: format!("{} {}", fact.pcn, fact.field.name()),
                before_value: before.filter(|v| !v.is_empty()),
                after_value: Some(fact.value.clone()).filter(|v| !v.is_empty()),
                detail: Some(format!("effective from {}", fact.effective_from)),
            },
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(database_url("pcn.sqlite"), "sqlite://pcn.sqlite?mode=rwc");
        assert_eq!(
            database_url("postgres://u:p@localhost/db"),
            "postgres://u:p@localhost/db"
        );
        assert_eq!(
            redact("postgres://user:secret@localhost/db"),
            "postgres://user:***@localhost/db"
        );
        assert_eq!(redact("pcn.sqlite"), "pcn.sqlite");
    }
}

/// Helpers for tests that need a database of their own on a shared server.
#[doc(hidden)]
pub mod testing {
    use anyhow::{Context, Result};
    use sqlx::Connection;

    /// Creates an empty database on the PostgreSQL server at `base_url` (a URL
    /// of an existing database, such as `postgres://…/postgres`) and returns
    /// the URL of the new database. Each call gets a fresh name.
    pub async fn fresh_postgres_database(base_url: &str, label: &str) -> Result<String> {
        sqlx::any::install_default_drivers();
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("pcn_test_{label}_{}_{n}", std::process::id());
        let mut conn = sqlx::AnyConnection::connect(base_url)
            .await
            .context("connecting to the test PostgreSQL server")?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut conn)
            .await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        let (prefix, rest) = base_url
            .rsplit_once('/')
            .context("PostgreSQL URL has no database name")?;
        let query = rest
            .split_once('?')
            .map(|(_, q)| format!("?{q}"))
            .unwrap_or_default();
        Ok(format!("{prefix}/{name}{query}"))
    }
}
