//! What commissioners and networks agree per year (migrations 0004, 0005):
//! how a network divides its payments among its practices (distribution
//! agreements), and how much of a stream paid on achievement it earned
//! (assessments). Both are appended; the latest for a network and year is in
//! force, and each change is audited before and after.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pcn_core::PcnCode;

use crate::audit::AuditChange;
use crate::error::Result;
use crate::rows::from_columns;
use crate::write::{fetch_mapped, opt_text, text};
use crate::Store;

/// A commissioner's assessment: the fraction (0 to 1) of a stream paid on
/// achievement that a network earned in a year, exact (stored as written:
/// `2/3`, or `0.333333` for a decimal typed so).
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

const DISTRIBUTION_SELECT: &str =
    "SELECT pcn_code, financial_year, method, top_slice_percent, shares FROM distribution_agreement";
const ASSESSMENT_SELECT: &str =
    "SELECT pcn_code, financial_year, stream_id, earned, note FROM assessment";

fn distribution_row(c: &crate::rows::Columns) -> Result<DistributionAgreement> {
    Ok(from_columns!(c => DistributionAgreement {
        pcn: parse("pcn_code"), financial_year: text, method: text, top_slice_percent: text,
        shares: opt_text,
    }))
}

fn assessment_row(c: &crate::rows::Columns) -> Result<Assessment> {
    Ok(from_columns!(c => Assessment {
        pcn: parse("pcn_code"), financial_year: text, stream_id: text, earned: parse,
        note: opt_text,
    }))
}

impl Store {
    /// Records how a network divides its payments for a year, with an audit
    /// entry showing the agreement before and after, in one transaction.
    pub async fn record_distribution(
        &self,
        agreement: &DistributionAgreement,
        at: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let mut w = self.write(at, actor).await?;
        let sql = format!(
            "{DISTRIBUTION_SELECT} WHERE pcn_code = $1 AND financial_year = $2 ORDER BY id DESC LIMIT 1"
        );
        let query = sqlx::query(&sql)
            .bind(agreement.pcn.to_string())
            .bind(&agreement.financial_year);
        let before = fetch_mapped(w.conn(), query, "distribution_agreement", distribution_row)
            .await?
            .pop();
        w.insert(
            "distribution_agreement",
            "pcn_code, financial_year, method, top_slice_percent, shares, \
             recorded_at, recorded_by",
            vec![
                text(&agreement.pcn),
                text(&agreement.financial_year),
                text(&agreement.method),
                text(&agreement.top_slice_percent),
                opt_text(&agreement.shares),
                text(w.at_text()),
                text(actor),
            ],
        )
        .await?;
        let key = format!(
            "{} distribution {}",
            agreement.pcn, agreement.financial_year
        );
        w.audit(
            AuditChange::new("set", "network", key)
                .before(before.map(|b| b.describe()))
                .after(Some(agreement.describe())),
        )
        .await?;
        w.commit().await
    }

    /// The distribution agreements in force for a financial year: the latest
    /// recorded for each network.
    pub async fn distribution_agreements(
        &self,
        financial_year: &str,
    ) -> Result<Vec<DistributionAgreement>> {
        let sql = format!("{DISTRIBUTION_SELECT} WHERE financial_year = $1 ORDER BY id");
        let query = sqlx::query(&sql).bind(financial_year);
        let rows = self
            .fetch(query, "distribution_agreement", distribution_row)
            .await?;
        let latest: BTreeMap<String, DistributionAgreement> =
            rows.into_iter().map(|a| (a.pcn.to_string(), a)).collect();
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
        let mut w = self.write(at, actor).await?;
        let sql = format!(
            "{ASSESSMENT_SELECT} WHERE pcn_code = $1 AND financial_year = $2 AND stream_id = $3 \
             ORDER BY id DESC LIMIT 1"
        );
        let query = sqlx::query(&sql)
            .bind(assessment.pcn.to_string())
            .bind(&assessment.financial_year)
            .bind(&assessment.stream_id);
        let before = fetch_mapped(w.conn(), query, "assessment", assessment_row)
            .await?
            .pop();
        w.insert(
            "assessment",
            "pcn_code, financial_year, stream_id, earned, note, recorded_at, \
             recorded_by",
            vec![
                text(&assessment.pcn),
                text(&assessment.financial_year),
                text(&assessment.stream_id),
                text(assessment.earned),
                opt_text(&assessment.note),
                text(w.at_text()),
                text(actor),
            ],
        )
        .await?;
        let key = format!(
            "{} {} {}",
            assessment.pcn, assessment.stream_id, assessment.financial_year
        );
        w.audit(
            AuditChange::new("assess", "network", key)
                .before(before.map(|b| format!("earned {}", b.earned)))
                .after(Some(format!("earned {}", assessment.earned)))
                .detail(assessment.note.clone()),
        )
        .await?;
        w.commit().await
    }

    /// The assessments in force for a financial year: the latest recorded for
    /// each network and stream.
    pub async fn assessments(&self, financial_year: &str) -> Result<Vec<Assessment>> {
        let sql = format!("{ASSESSMENT_SELECT} WHERE financial_year = $1 ORDER BY id");
        let query = sqlx::query(&sql).bind(financial_year);
        let rows = self.fetch(query, "assessment", assessment_row).await?;
        let latest: BTreeMap<(String, String), Assessment> = rows
            .into_iter()
            .map(|a| ((a.pcn.to_string(), a.stream_id.clone()), a))
            .collect();
        Ok(latest.into_values().collect())
    }
}
