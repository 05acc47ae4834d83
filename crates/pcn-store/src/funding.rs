//! The funding engine's inputs (migration 0003): populations, care homes
//! and their alignments, IIF measures and points, and the payments actually
//! made. Written with their import; read back in a stable order (by import,
//! then key) so the registry sees them as they went in.

use pcn_core::facts::*;
use pcn_core::{PcnCode, PracticeCode};
use sqlx::AnyConnection;

use crate::error::Result;
use crate::rows::micro_degrees;
use crate::rows::{from_columns, Columns};
use crate::write::{fetch_mapped, int, opt_text, text, Value, Write};

/// Writes the funding inputs of an import.
pub(crate) async fn write_funding_inputs(
    w: &mut Write<'_>,
    id: i64,
    facts: &FactBatch,
) -> Result<()> {
    let columns = "subject_type, subject_code, kind, as_at, value";
    w.insert_facts(id, "population_fact", columns, &facts.populations, |f| {
        let subject_type = match f.subject {
            PopulationSubject::Practice(_) => "practice",
            PopulationSubject::Network(_) => "network",
        };
        Ok(vec![
            text(subject_type),
            text(f.subject.code()),
            text(f.kind.name()),
            text(f.as_at),
            text(f.value),
        ])
    })
    .await?;
    let columns = "location_id, as_at, name, postcode, beds, lat_e6, lon_e6, \
             local_authority, ods_code, dormant";
    w.insert_facts(id, "care_home_fact", columns, &facts.care_homes, |f| {
        Ok(vec![
            text(&f.location_id),
            text(f.as_at),
            text(&f.name),
            opt_text(&f.postcode),
            int(i64::from(f.beds)),
            Value::Int(f.location.map(|l| micro_degrees(l.lat))),
            Value::Int(f.location.map(|l| micro_degrees(l.lon))),
            opt_text(&f.local_authority),
            opt_text(&f.ods_code),
            int(i64::from(f.dormant)),
        ])
    })
    .await?;
    let columns = "location_id, pcn_code, aligned_from, aligned_to";
    w.insert_facts(
        id,
        "care_home_alignment",
        columns,
        &facts.care_home_alignments,
        |f| {
            Ok(vec![
                text(&f.location_id),
                text(&f.pcn),
                text(f.from),
                opt_text(&f.to),
            ])
        },
    )
    .await?;
    write_iif_and_payments(w, id, facts).await
}

/// IIF measures and points, and the payments made.
async fn write_iif_and_payments(w: &mut Write<'_>, id: i64, facts: &FactBatch) -> Result<()> {
    let columns = "organisation_type, organisation_code, financial_year, indicator, \
             measure, value, achievement_date";
    w.insert_facts(
        id,
        "iif_achievement",
        columns,
        &facts.iif_achievements,
        |f| {
            let organisation_type = match f.organisation {
                IifOrganisation::Practice(_) => "practice",
                IifOrganisation::Pcn(_) => "pcn",
            };
            Ok(vec![
                text(organisation_type),
                text(f.organisation.code()),
                text(&f.financial_year),
                text(&f.indicator),
                text(&f.measure),
                text(f.value),
                text(f.achievement_date),
            ])
        },
    )
    .await?;
    let columns = "pcn_code, financial_year, points, recorded, indicator, \
             pcn_prevalence, national_prevalence";
    w.insert_facts(id, "iif_points", columns, &facts.iif_points, |f| {
        Ok(vec![
            text(&f.pcn),
            text(&f.financial_year),
            text(f.points),
            text(f.recorded),
            text(f.indicator.clone().unwrap_or_default()),
            opt_text(&f.pcn_prevalence),
            opt_text(&f.national_prevalence),
        ])
    })
    .await?;
    let columns = "practice_code, pcn_code, financial_year, stream, amount_pence";
    w.insert_facts(id, "payment_actual", columns, &facts.payment_actuals, |f| {
        Ok(vec![
            text(&f.practice),
            opt_text(&f.pcn),
            text(&f.financial_year),
            text(&f.stream),
            int(f.amount),
        ])
    })
    .await
}

/// A practice or a network, by the kind in the first of `columns`
/// (`practice`, or `network_kind`) and the code in the second.
fn practice_or_network<T>(
    c: &Columns,
    [kind_column, code_column]: [&'static str; 2],
    network_kind: &str,
    practice: fn(PracticeCode) -> T,
    network: fn(PcnCode) -> T,
) -> Result<T> {
    c.by_kind(kind_column, |kind| {
        Ok(if kind == "practice" {
            Some(practice(c.parse(code_column)?))
        } else if kind == network_kind {
            Some(network(c.parse(code_column)?))
        } else {
            None
        })
    })
}

/// Reads every funding input into `facts`.
pub(crate) async fn load_funding_inputs(
    conn: &mut AnyConnection,
    facts: &mut FactBatch,
) -> Result<()> {
    let query = sqlx::query(
        "SELECT subject_type, subject_code, kind, as_at, value FROM population_fact \
         ORDER BY import_id, subject_type, subject_code, kind, as_at",
    );
    facts.populations = fetch_mapped(conn, query, "population_fact", |c| {
        let subject = practice_or_network(
            c,
            ["subject_type", "subject_code"],
            "network",
            PopulationSubject::Practice,
            PopulationSubject::Network,
        )?;
        Ok(from_columns!(c => PopulationFact {
            subject => subject, kind => c.named("kind", PopulationKind::from_name)?, as_at: parse,
            value: parse,
        }))
    })
    .await?;
    let query = sqlx::query(
        "SELECT location_id, as_at, name, postcode, beds, lat_e6, lon_e6, local_authority, ods_code, dormant \
         FROM care_home_fact ORDER BY import_id, location_id",
    );
    facts.care_homes = fetch_mapped(conn, query, "care_home_fact", |c| {
        Ok(from_columns!(c => CareHomeFact {
            location_id: text, name: text, postcode: opt_text, beds: count,
            location => c.location()?, local_authority: opt_text, ods_code: opt_text, dormant: flag,
            as_at: parse,
        }))
    })
    .await?;
    // Imported and entered alignments together, in the order recorded.
    facts.care_home_alignments = crate::services::load_alignments(conn).await?;
    load_iif_and_payments(conn, facts).await
}

/// Reads the IIF measures and points, and the payments made.
async fn load_iif_and_payments(conn: &mut AnyConnection, facts: &mut FactBatch) -> Result<()> {
    let query = sqlx::query(
        "SELECT organisation_type, organisation_code, financial_year, indicator, measure, value, achievement_date \
         FROM iif_achievement ORDER BY import_id, organisation_type, organisation_code, indicator, measure, achievement_date",
    );
    facts.iif_achievements = fetch_mapped(conn, query, "iif_achievement", |c| {
        let organisation = practice_or_network(
            c,
            ["organisation_type", "organisation_code"],
            "pcn",
            IifOrganisation::Practice,
            IifOrganisation::Pcn,
        )?;
        Ok(from_columns!(c => IifAchievementFact {
            organisation => organisation, financial_year: text, indicator: text, measure: text,
            value: parse, achievement_date: parse,
        }))
    })
    .await?;
    let query = sqlx::query(
        "SELECT pcn_code, financial_year, points, recorded, indicator, pcn_prevalence, national_prevalence \
         FROM iif_points ORDER BY import_id, pcn_code, financial_year, indicator",
    );
    facts.iif_points = fetch_mapped(conn, query, "iif_points", |c| {
        Ok(from_columns!(c => IifPointsFact {
            pcn: parse("pcn_code"), financial_year: text, points: parse, recorded: parse,
            indicator => Some(c.text("indicator")?).filter(|i| !i.is_empty()),
            pcn_prevalence: opt_parse, national_prevalence: opt_parse,
        }))
    })
    .await?;
    let query = sqlx::query(
        "SELECT practice_code, pcn_code, financial_year, stream, amount_pence FROM payment_actual \
         ORDER BY import_id, practice_code, financial_year, stream",
    );
    facts.payment_actuals = fetch_mapped(conn, query, "payment_actual", |c| {
        Ok(from_columns!(c => PaymentActualFact {
            practice: parse("practice_code"), pcn: opt_parse("pcn_code"), financial_year: text,
            stream: text, amount: int("amount_pence"),
        }))
    })
    .await?;
    Ok(())
}
