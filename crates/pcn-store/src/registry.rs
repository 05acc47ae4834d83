//! Reading the registry's facts back: from `registry_cache` when it is
//! current, else from the fact tables (then cached).

use pcn_core::facts::*;
use sqlx::{AnyConnection, Row};

use crate::error::{Doing, Result};
use crate::rows::from_columns;
use crate::rows::Columns;
use crate::write::fetch_mapped;
use crate::{cache, Backend, Store};

impl Store {
    /// Every fact the registry is built from, in import order. Served from
    /// `registry_cache` when it is current, else read from the fact tables
    /// and cached.
    pub async fn load_facts(&self) -> Result<FactBatch> {
        // One read transaction, so the key and the facts are of one moment
        // even while another process imports (PostgreSQL needs REPEATABLE
        // READ for one snapshot across statements; SQLite's WAL gives each
        // read transaction one).
        let mut tx = match self.backend {
            Backend::Sqlite => self.pool.begin().await,
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await
            }
        }
        .doing("starting to read the registry")?;
        let key = cache_key(&mut tx).await?;
        let cached =
            sqlx::query("SELECT payload FROM registry_cache WHERE id = 1 AND cache_key = $1")
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await
                .doing("reading the registry cache")?;
        if let Some(row) = cached {
            let payload: Vec<u8> = row.try_get("payload")?;
            // A cache that does not decode (another format) is rebuilt.
            if let Ok(facts) = cache::decode(&payload) {
                tx.commit().await?;
                return Ok(facts);
            }
        }
        let facts = load_facts_from_tables(&mut tx).await?;
        tx.commit().await?;
        // Written after the read ends: a read transaction cannot take the
        // write lock on SQLite, and REPEATABLE READ is read-only here.
        sqlx::query(
            "INSERT INTO registry_cache (id, cache_key, payload) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET cache_key = excluded.cache_key, payload = excluded.payload",
        )
        .bind(&key)
        .bind(cache::encode(&facts)?)
        .execute(&self.pool)
        .await
        .doing("writing the registry cache")?;
        Ok(facts)
    }
}

/// Names the state of the fact tables and the cache's format. Imports and
/// governance facts are only ever added, so their counts change with every
/// commit; the largest id alone would not, since ids are given when a row
/// is written and transactions can commit in another order. Membership
/// changes, service records and alignments entered one at a time are
/// counted too.
async fn cache_key(conn: &mut AnyConnection) -> Result<String> {
    let row = sqlx::query(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS imports, CAST(COALESCE(MAX(id), 0) AS BIGINT) AS last_import, \
         CAST((SELECT COUNT(*) FROM governance_fact) AS BIGINT) AS governance, \
         CAST((SELECT COALESCE(MAX(id), 0) FROM governance_fact) AS BIGINT) AS last_governance, \
         CAST((SELECT COUNT(*) FROM membership_change) AS BIGINT) AS moves, \
         CAST({} AS BIGINT) AS entries FROM import_log",
        crate::services::ENTRIES_COUNT
    ))
    .fetch_one(&mut *conn)
    .await?;
    let c = Columns::new(&row, "import_log");
    Ok(format!(
        "format {} imports {} (last {}) governance {} (last {}) moves {} entries {}",
        cache::FORMAT,
        c.int("imports")?,
        c.int("last_import")?,
        c.int("governance")?,
        c.int("last_governance")?,
        c.int("moves")?,
        c.int("entries")?
    ))
}

/// Every fact the registry is built from, read from the fact tables.
async fn load_facts_from_tables(conn: &mut AnyConnection) -> Result<FactBatch> {
    let mut facts = FactBatch::default();
    let query = sqlx::query(
        "SELECT practice_code, as_at, name, postcode, sub_icb, sub_icb_name, icb, icb_name, region, region_name, \
         open_date, close_date, status, prescribing_setting, supplier, lat_e6, lon_e6 FROM practice_fact ORDER BY import_id",
    );
    facts.practices = fetch_mapped(conn, query, "practice_fact", |c| {
        let mut f = PracticeFact::new(c.parse("practice_code")?, c.parse("as_at")?);
        f.name = c.opt_text("name")?;
        f.postcode = c.opt_text("postcode")?;
        f.sub_icb = c.opt_parse("sub_icb")?;
        f.sub_icb_name = c.opt_text("sub_icb_name")?;
        f.icb = c.opt_parse("icb")?;
        f.icb_name = c.opt_text("icb_name")?;
        f.region = c.opt_parse("region")?;
        f.region_name = c.opt_text("region_name")?;
        f.open_date = c.opt_parse("open_date")?;
        f.close_date = c.opt_parse("close_date")?;
        f.status = c
            .opt_text("status")?
            .and_then(|s| PracticeStatus::parse(&s));
        f.prescribing_setting = c
            .opt_int("prescribing_setting")?
            .and_then(|s| u8::try_from(s).ok());
        f.supplier = c.opt_text("supplier")?;
        f.location = c.location()?;
        Ok(f)
    })
    .await?;
    let query = sqlx::query(
        "SELECT pcn_code, as_at, name, sub_icb, open_date, close_date, postcode FROM network_fact ORDER BY import_id",
    );
    facts.networks = fetch_mapped(conn, query, "network_fact", |c| {
        let mut f = NetworkFact::new(c.parse("pcn_code")?, c.parse("as_at")?);
        f.name = c.opt_text("name")?;
        f.sub_icb = c.opt_parse("sub_icb")?;
        f.open_date = c.opt_parse("open_date")?;
        f.close_date = c.opt_parse("close_date")?;
        f.postcode = c.opt_text("postcode")?;
        Ok(f)
    })
    .await?;
    load_memberships_and_lists(conn, &mut facts).await?;
    crate::funding::load_funding_inputs(conn, &mut facts).await?;
    facts.services = crate::services::load_services(conn).await?;
    facts.governance = crate::governance::governance_rows_of(conn, None)
        .await?
        .into_iter()
        .map(|(fact, _, _)| fact)
        .collect();
    facts.membership_changes = crate::membership::membership_changes_of(conn, None)
        .await?
        .into_iter()
        .map(|r| r.change)
        .collect();
    Ok(facts)
}

/// Membership intervals and observations, and list-size totals.
async fn load_memberships_and_lists(conn: &mut AnyConnection, facts: &mut FactBatch) -> Result<()> {
    let query = sqlx::query(
        "SELECT practice_code, pcn_code, start_date, end_date FROM membership_interval ORDER BY import_id",
    );
    facts.intervals = fetch_mapped(conn, query, "membership_interval", |c| {
        Ok(from_columns!(c => MembershipInterval {
            practice: parse("practice_code"), pcn: parse("pcn_code"), start: parse("start_date"),
            end: opt_parse("end_date"),
        }))
    })
    .await?;
    let query = sqlx::query(
        "SELECT practice_code, pcn_code, as_at FROM membership_observation ORDER BY import_id",
    );
    facts.observations = fetch_mapped(conn, query, "membership_observation", |c| {
        Ok(MembershipObservation {
            practice: c.parse("practice_code")?,
            pcn: c.parse("pcn_code")?,
            as_at: c.parse("as_at")?,
        })
    })
    .await?;
    // The registry needs totals only; the bands stay in the database.
    let query = sqlx::query(
        "SELECT practice_code, as_at, total FROM list_size WHERE sex = 'ALL' ORDER BY import_id",
    );
    facts.list_sizes = fetch_mapped(conn, query, "list_size", |c| {
        Ok(from_columns!(c => ListSizeFact {
            practice: parse("practice_code"), as_at: parse, sex => Sex::All, total: count,
            bands => None,
        }))
    })
    .await?;
    Ok(())
}
