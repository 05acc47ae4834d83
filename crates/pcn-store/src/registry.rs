//! Reading the registry's facts back: from `registry_cache` when it is
//! current, else from the fact tables (then cached).

use pcn_core::facts::*;
use sqlx::{AnyConnection, Row};

use crate::error::{Doing, Result};
use crate::write::fetch_mapped;
use crate::{cache, Store};

impl Store {
    /// Every fact the registry is built from, in import order. Served from
    /// `registry_cache` when it is current, else read from the fact tables
    /// and cached.
    pub async fn load_facts(&self) -> Result<FactBatch> {
        let mut conn = self.pool.acquire().await?;
        let key = cache_key(&mut conn).await?;
        if let Some(row) =
            sqlx::query("SELECT payload FROM registry_cache WHERE id = 1 AND cache_key = $1")
                .bind(&key)
                .fetch_optional(&mut *conn)
                .await
                .doing("reading the registry cache")?
        {
            let payload: Vec<u8> = row.try_get("payload")?;
            if let Some(facts) = cache::decode(&payload) {
                return Ok(facts);
            }
        }
        let facts = load_facts_from_tables(&mut conn).await?;
        sqlx::query(
            "INSERT INTO registry_cache (id, cache_key, payload) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET cache_key = excluded.cache_key, payload = excluded.payload",
        )
        .bind(&key)
        .bind(cache::encode(&facts)?)
        .execute(&mut *conn)
        .await
        .doing("writing the registry cache")?;
        Ok(facts)
    }
}

/// Names the state of the fact tables: changes whenever an import or a
/// governance fact is written, and with the cache's format.
async fn cache_key(conn: &mut AnyConnection) -> Result<String> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS imports, \
         CAST((SELECT COALESCE(MAX(id), 0) FROM governance_fact) AS BIGINT) AS governance FROM import_log",
    )
    .fetch_one(&mut *conn)
    .await?;
    let (imports, governance): (i64, i64) = (row.try_get("imports")?, row.try_get("governance")?);
    Ok(format!(
        "{} {} imports {imports} governance {governance}",
        cache::FORMAT,
        env!("CARGO_PKG_VERSION")
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
    facts.governance = crate::governance::governance_rows_of(conn, None)
        .await?
        .into_iter()
        .map(|(fact, _, _)| fact)
        .collect();
    Ok(facts)
}

/// Membership intervals and observations, and list-size totals.
async fn load_memberships_and_lists(conn: &mut AnyConnection, facts: &mut FactBatch) -> Result<()> {
    let query = sqlx::query(
        "SELECT practice_code, pcn_code, start_date, end_date FROM membership_interval ORDER BY import_id",
    );
    facts.intervals = fetch_mapped(conn, query, "membership_interval", |c| {
        Ok(MembershipInterval {
            practice: c.parse("practice_code")?,
            pcn: c.parse("pcn_code")?,
            start: c.parse("start_date")?,
            end: c.opt_parse("end_date")?,
        })
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
        Ok(ListSizeFact {
            practice: c.parse("practice_code")?,
            as_at: c.parse("as_at")?,
            sex: Sex::All,
            total: c.count("total")?,
            bands: None,
        })
    })
    .await?;
    Ok(())
}
