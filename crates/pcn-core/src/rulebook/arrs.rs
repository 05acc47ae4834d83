//! The ARRS part of a year's rules: the reimbursable roles, the maximum
//! reimbursable amount per whole-time equivalent for each pay group, and the
//! employer on-cost rates used to cost a post.
//!
//! ```toml
//! [arrs]
//! note = "…"
//!
//! [[arrs.role]]
//! id = "clinical-pharmacist"
//! name = "Clinical pharmacist"
//! from = 2025-04-01               # first day reimbursable this year
//! reimbursed_fraction = "1"       # share of cost reimbursed (0.70 in 2019/20)
//! partner_share = "0.5"           # optional: share met by a partner (mental health trust)
//! bands = { "7" = "7-8a", "8a" = "7-8a" }   # Agenda for Change band → pay group
//! default_band = "8a"             # the band used when none is given
//! des = { document = "…", section = "Annex B" }   # where the DES makes it reimbursable
//! source = { … }                  # where that was read
//!
//! [[arrs.maximum]]
//! group = "7-8a"
//! effective_from = 2025-04-01
//! england = "66972"               # pounds per WTE a year; absent if unknown
//! outer_london = "…"              # optional (HCAS)
//! inner_london = "…"              # optional (HCAS)
//! des = { document = "…", section = "Table 2" }   # the DES table of maxima
//! source = { … }
//! verified = true
//! confidence = "seen"
//!
//! [[arrs.on_costs]]
//! effective_from = 2025-04-06
//! employer_ni_rate = "0.15"
//! employer_ni_threshold = "5000"  # pounds a year (secondary threshold)
//! employer_pension_rate = "0.1438"
//! apprenticeship_levy_rate = "0.005"
//! des = { document = "…", section = "not found", note = "…" }  # what the DES reimburses
//! source = { … }                  # the published rates (HMRC, NHS Pensions)
//! verified = false
//! confidence = "seen"
//! ```
//!
//! A pay group with no figure in a year takes the latest figure of an
//! earlier year, marked as carried ([`MaximumInForce::carried_from`]); the
//! rulebook refuses a role whose pay group has no figure in that year or any
//! earlier one, so every claim can be costed.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{
    array, check_from_to, check_missing_not_verified, citation, decimal, id_field, keyed_table,
    opt_str, parse_des, parse_provenance, parse_source, refuse_missing, req, req_date, req_str,
    type_name, Cited, Confidence, Cx, DesReference, FinancialYear, Keyword as _, RoleId, Source,
    Table, Value,
};

const ARRS_KEYS: &[&str] = &["note", "role", "maximum", "on_costs"];
const ROLE_KEYS: &[&str] = &[
    "id",
    "name",
    "from",
    "to",
    "reimbursed_fraction",
    "partner_share",
    "bands",
    "default_band",
    "des",
    "source",
    "note",
];
const MAXIMUM_KEYS: &[&str] = &[
    "group",
    "effective_from",
    "england",
    "outer_london",
    "inner_london",
    "revised_from",
    "des",
    "source",
    "verified",
    "confidence",
    "note",
];
const ON_COST_KEYS: &[&str] = &[
    "effective_from",
    "employer_ni_rate",
    "employer_ni_threshold",
    "employer_pension_rate",
    "apprenticeship_levy_rate",
    "des",
    "source",
    "verified",
    "confidence",
    "note",
];

/// Where a post is: the maxima have inner and outer London (HCAS) variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Region {
    England,
    OuterLondon,
    InnerLondon,
}

impl Region {
    pub const ALL: [Region; 3] = [Region::England, Region::OuterLondon, Region::InnerLondon];

    pub fn as_str(self) -> &'static str {
        match self {
            Region::England => "england",
            Region::OuterLondon => "outer-london",
            Region::InnerLondon => "inner-london",
        }
    }

    /// `england`, `outer-london`, `inner-london` (also `outer`, `inner`,
    /// spaces or underscores for hyphens).
    pub fn parse(s: &str) -> Option<Region> {
        let n = s.trim().to_ascii_lowercase().replace([' ', '_'], "-");
        match n.as_str() {
            "england" | "national" | "" => Some(Region::England),
            "outer-london" | "outer" => Some(Region::OuterLondon),
            "inner-london" | "inner" => Some(Region::InnerLondon),
            _ => None,
        }
    }
}

/// A reimbursable role in one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    pub id: RoleId,
    pub name: String,
    /// First day the role is reimbursable in this year.
    pub from: NaiveDate,
    /// Last day the role is reimbursable in this year.
    pub to: NaiveDate,
    /// The share of cost reimbursed (0.70 for clinical pharmacists in
    /// 2019/20, otherwise 1).
    pub reimbursed_fraction: Decimal,
    /// The share of the cost met by a partner organisation (the mental
    /// health trust's half of a mental health practitioner), not by the
    /// network's practices.
    pub partner_share: Decimal,
    /// Agenda for Change band (or grade) → the pay group whose maximum applies.
    pub bands: BTreeMap<String, String>,
    /// The band used when none is given (what-ifs, the workforce census).
    pub default_band: String,
    /// The DES document and section that make the role reimbursable.
    pub des: DesReference,
    /// Where that was read.
    pub source: Source,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Role {
    /// Whether the role is reimbursable on `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }

    /// The pay group for a band, if the role has that band.
    pub fn group(&self, band: &str) -> Option<&str> {
        self.bands.get(band).map(String::as_str)
    }

    /// `DES: …; read in: … (kind)`.
    pub fn citation(&self) -> String {
        citation(&self.des, &self.source)
    }
}

/// A published maximum reimbursable amount per WTE a year for a pay group,
/// from a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Maximum {
    pub group: String,
    pub effective_from: NaiveDate,
    /// Pounds per WTE a year; `None` when not known.
    pub england: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outer_london: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner_london: Option<Decimal>,
    /// The figure was later revised from this date (often backdated), but
    /// the revised figure is not in the rulebook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revised_from: Option<NaiveDate>,
    /// The DES document and section (usually a table of maxima) that set it.
    pub des: DesReference,
    /// Where the figure was read, and how far it can be trusted.
    #[serde(flatten)]
    pub cited: Cited,
}

impl Maximum {
    /// `DES: …; read in: … (kind)`.
    pub fn citation(&self) -> String {
        citation(&self.des, &self.cited.source)
    }

    /// The figure for a region, and whether the England figure stood in for
    /// a London one that is not known.
    pub fn for_region(&self, region: Region) -> Option<(Decimal, bool)> {
        let london = match region {
            Region::England => None,
            Region::OuterLondon => self.outer_london,
            Region::InnerLondon => self.inner_london,
        };
        match (region, london) {
            (Region::England, _) => self.england.map(|e| (e, false)),
            (_, Some(l)) => Some((l, false)),
            (_, None) => self.england.map(|e| (e, true)),
        }
    }
}

/// Employer on-cost rates from a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnCostRates {
    pub effective_from: NaiveDate,
    pub employer_ni_rate: Decimal,
    /// Pounds a year per employee.
    pub employer_ni_threshold: Decimal,
    pub employer_pension_rate: Decimal,
    pub apprenticeship_levy_rate: Decimal,
    /// What the DES says about the on-costs it reimburses.
    pub des: DesReference,
    /// Where the rates were read (HMRC, NHS Pensions), and how far they can
    /// be trusted.
    #[serde(flatten)]
    pub cited: Cited,
}

impl OnCostRates {
    /// `DES: …; read in: … (kind)`.
    pub fn citation(&self) -> String {
        citation(&self.des, &self.cited.source)
    }
}

/// A year's ARRS rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ArrsRules {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub roles: Vec<Role>,
    pub maxima: Vec<Maximum>,
    pub on_costs: Vec<OnCostRates>,
}

impl ArrsRules {
    /// The role with this id.
    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// The role a user typed: its id or name, case-insensitive, with spaces,
    /// hyphens and underscores alike, or a plural ("paramedics").
    pub fn find_role(&self, typed: &str) -> Option<&Role> {
        let norm = |s: &str| {
            s.trim()
                .to_ascii_lowercase()
                .replace([' ', '_', '/'], "-")
                .replace("--", "-")
        };
        let t = norm(typed);
        let t = t.trim_end_matches('s');
        self.roles.iter().find(|r| {
            let id = r.id.as_str().trim_end_matches('s');
            let name = norm(&r.name);
            id == t || name.trim_end_matches('s') == t
        })
    }

    /// The on-cost rates in force on `date`: the latest entry from on or
    /// before it (the first entry for a date before them all).
    pub fn on_costs_at(&self, date: NaiveDate) -> Option<&OnCostRates> {
        self.on_costs
            .iter()
            .filter(|o| o.effective_from <= date)
            .max_by_key(|o| o.effective_from)
            .or_else(|| self.on_costs.iter().min_by_key(|o| o.effective_from))
    }

    /// Every date inside the year at which a maximum or on-cost rate changes.
    pub fn change_dates(&self) -> Vec<NaiveDate> {
        let mut v: Vec<NaiveDate> = self
            .maxima
            .iter()
            .map(|m| m.effective_from)
            .chain(self.on_costs.iter().map(|o| o.effective_from))
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// The maximum that applies to a group, region and date, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaximumInForce {
    /// Pounds per WTE a year.
    pub amount: Decimal,
    pub group: String,
    pub region: Region,
    /// The entry's own date.
    pub effective_from: NaiveDate,
    /// The year the figure was carried from, when this year has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carried_from: Option<FinancialYear>,
    /// The England figure stood in for an unknown London one.
    pub london_not_known: bool,
    /// The figure changed from this date but the new figure is not known
    /// (a later entry with no figure, or a revision without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_unknown_from: Option<NaiveDate>,
    pub confidence: Confidence,
    pub verified: bool,
    pub des: DesReference,
    pub source: Source,
}

impl MaximumInForce {
    /// `DES: …; read in: … (kind)`.
    pub fn citation(&self) -> String {
        citation(&self.des, &self.source)
    }

    /// A short reason this figure is an estimate, if it is one.
    pub fn caveat(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(y) = self.carried_from {
            parts.push(format!(
                "no maximum for pay group {} is in the rulebook for this year: the {y} figure is carried",
                self.group
            ));
        }
        if let Some(d) = self.changed_unknown_from {
            parts.push(if d == self.effective_from {
                format!(
                    "the pay group {} maximum was revised from {d} (backdated) but the revised figure is not in the rulebook: the published figure is used",
                    self.group
                )
            } else {
                format!(
                    "the pay group {} maximum changed from {d} but the new figure is not in the rulebook: the figure from {} is used",
                    self.group, self.effective_from
                )
            });
        }
        if self.london_not_known {
            parts.push(format!(
                "no {} figure is known: the England maximum is used",
                self.region.as_str()
            ));
        }
        if parts.is_empty() {
            None
        } else {
            Some(parts.join("; "))
        }
    }
}

fn fraction(cx: &mut Cx, t: &Table, key: &str, path: &str, allow_zero: bool) -> Option<Decimal> {
    let f = decimal(cx, t, key, path)?;
    if f > Decimal::ONE || (!allow_zero && f.is_zero()) {
        cx.err(
            super::join(path, key),
            format!(
                "{f} is not a share; give a value {} 0 and at most 1, such as \"0.5\"",
                if allow_zero { "from" } else { "above" }
            ),
        );
        return None;
    }
    Some(f)
}

fn parse_role(cx: &mut Cx, v: &Value, path: &str, fy: Option<FinancialYear>) -> Option<Role> {
    let t = keyed_table(cx, v, path, ROLE_KEYS)?;
    let id = id_field(cx, t, path);
    let name = req_str(cx, t, "name", path);
    let from = req_date(cx, t, "from", path);
    let to = super::opt_date(cx, t, "to", path);
    req(cx, t, "reimbursed_fraction", path);
    let reimbursed_fraction = fraction(cx, t, "reimbursed_fraction", path, false);
    let partner_share = if t.contains_key("partner_share") {
        fraction(cx, t, "partner_share", path, true)
    } else {
        Some(Decimal::ZERO)
    };
    let mut bands = BTreeMap::new();
    let bp = super::join(path, "bands");
    match req(cx, t, "bands", path) {
        Some(Value::Table(bt)) if !bt.is_empty() => {
            for (band, group) in bt {
                match group {
                    Value::String(g) if !g.trim().is_empty() => {
                        bands.insert(band.clone(), g.clone());
                    }
                    other => cx.err(
                        super::join(&bp, band),
                        format!("expected the pay group's name, found {}", type_name(other)),
                    ),
                }
            }
        }
        Some(Value::Table(_)) => cx.err(bp, "is empty; give at least one band"),
        Some(other) => cx.err(
            bp,
            format!(
                "expected a table of band = \"pay group\", found {}",
                type_name(other)
            ),
        ),
        None => {}
    }
    let default_band = req_str(cx, t, "default_band", path);
    if let Some(db) = &default_band {
        if !bands.is_empty() && !bands.contains_key(db) {
            cx.err(
                super::join(path, "default_band"),
                format!("{db:?} is not one of the role's bands"),
            );
        }
    }
    let des = parse_des(cx, t, path);
    let source = parse_source(cx, t, path);
    let note = opt_str(cx, t, "note", path);
    let to = match (to, fy) {
        (Some(to), _) => Some(to),
        (None, Some(fy)) => Some(fy.end()),
        (None, None) => None,
    };
    check_from_to(cx, path, fy, from, to);
    Some(Role {
        id: RoleId::parse(&id?).ok()?,
        name: name?,
        from: from?,
        to: to?,
        reimbursed_fraction: reimbursed_fraction?,
        partner_share: partner_share?,
        bands,
        default_band: default_band?,
        des: des?,
        source: source?,
        note,
    })
}

fn parse_maximum(cx: &mut Cx, v: &Value, path: &str, fy: Option<FinancialYear>) -> Option<Maximum> {
    let t = keyed_table(cx, v, path, MAXIMUM_KEYS)?;
    let group = req_str(cx, t, "group", path);
    let effective_from = req_date(cx, t, "effective_from", path);
    let england = decimal(cx, t, "england", path);
    let outer_london = decimal(cx, t, "outer_london", path);
    let inner_london = decimal(cx, t, "inner_london", path);
    let revised_from = super::opt_date(cx, t, "revised_from", path);
    let des = parse_des(cx, t, path);
    let prov = parse_provenance(cx, t, path);
    match (t.contains_key("england"), prov.confidence) {
        (false, Some(c)) if c != Confidence::Missing => cx.err(
            super::join(path, "england"),
            format!(
                "missing while confidence is {:?}; give the figure, or mark confidence = \"missing\"",
                c.as_str()
            ),
        ),
        (true, Some(Confidence::Missing)) => cx.err(
            super::join(path, "confidence"),
            "is \"missing\" but a figure is given; use seen, inferred or weak",
        ),
        _ => {}
    }
    if !t.contains_key("england")
        && (t.contains_key("outer_london") || t.contains_key("inner_london"))
    {
        cx.err(
            super::join(path, "england"),
            "missing while a London figure is given; give the England figure too",
        );
    }
    for (key, value) in [
        ("england", england),
        ("outer_london", outer_london),
        ("inner_london", inner_london),
    ] {
        if value.is_some_and(|v| v.is_zero()) {
            cx.err(super::join(path, key), "is zero; a maximum must be above 0");
        }
    }
    if let (Some(fy), Some(d)) = (fy, effective_from) {
        if !fy.contains(d) {
            cx.err(
                super::join(path, "effective_from"),
                format!("{d} is outside the financial year {fy}"),
            );
        }
    }
    check_missing_not_verified(cx, path, prov.confidence, prov.verified);
    Some(Maximum {
        group: group?,
        effective_from: effective_from?,
        england,
        outer_london,
        inner_london,
        revised_from,
        des: des?,
        cited: prov.cited()?,
    })
}

fn parse_on_costs(cx: &mut Cx, v: &Value, path: &str) -> Option<OnCostRates> {
    let t = keyed_table(cx, v, path, ON_COST_KEYS)?;
    let effective_from = req_date(cx, t, "effective_from", path);
    let mut rate = |key: &str| {
        req(cx, t, key, path)?;
        fraction(cx, t, key, path, true)
    };
    let ni = rate("employer_ni_rate");
    let pension = rate("employer_pension_rate");
    let levy = rate("apprenticeship_levy_rate");
    req(cx, t, "employer_ni_threshold", path);
    let threshold = decimal(cx, t, "employer_ni_threshold", path);
    let des = parse_des(cx, t, path);
    let prov = parse_provenance(cx, t, path);
    refuse_missing(
        cx,
        path,
        prov.confidence,
        "on-cost rates cannot be missing; give the rates",
    );
    Some(OnCostRates {
        effective_from: effective_from?,
        employer_ni_rate: ni?,
        employer_ni_threshold: threshold?,
        employer_pension_rate: pension?,
        apprenticeship_levy_rate: levy?,
        des: des?,
        cited: prov.cited()?,
    })
}

/// Parses the `[arrs]` table of a year file. `None` when the file has none.
pub(super) fn parse(cx: &mut Cx, root: &Table, fy: Option<FinancialYear>) -> Option<ArrsRules> {
    let v = root.get("arrs")?;
    let t = keyed_table(cx, v, "arrs", ARRS_KEYS)?;
    let note = opt_str(cx, t, "note", "arrs");
    let mut rules = ArrsRules {
        note,
        ..ArrsRules::default()
    };
    for (i, item) in array(cx, t, "role", "arrs").iter().enumerate() {
        if let Some(role) = parse_role(cx, item, &format!("arrs.role[{i}]"), fy) {
            if rules.roles.iter().any(|r| r.id == role.id) {
                cx.err(
                    format!("arrs.role[{i}].id"),
                    format!("{:?} is given twice; give each role once a year", role.id),
                );
            }
            rules.roles.push(role);
        }
    }
    for (i, item) in array(cx, t, "maximum", "arrs").iter().enumerate() {
        if let Some(m) = parse_maximum(cx, item, &format!("arrs.maximum[{i}]"), fy) {
            if rules
                .maxima
                .iter()
                .any(|o| o.group == m.group && o.effective_from == m.effective_from)
            {
                cx.err(
                    format!("arrs.maximum[{i}]"),
                    format!(
                        "pay group {:?} from {} is given twice",
                        m.group, m.effective_from
                    ),
                );
            }
            rules.maxima.push(m);
        }
    }
    for (i, item) in array(cx, t, "on_costs", "arrs").iter().enumerate() {
        if let Some(o) = parse_on_costs(cx, item, &format!("arrs.on_costs[{i}]")) {
            rules.on_costs.push(o);
        }
    }
    if !rules.roles.is_empty() && rules.on_costs.is_empty() {
        cx.err(
            "arrs.on_costs",
            "missing; a year with roles needs the employer on-cost rates to cost posts",
        );
    }
    rules.maxima.sort_by(|a, b| {
        (a.group.as_str(), a.effective_from).cmp(&(b.group.as_str(), b.effective_from))
    });
    rules.on_costs.sort_by_key(|o| o.effective_from);
    Some(rules)
}

/// Looks up the maximum for a group on a date, carrying the latest earlier
/// figure forward (within the year, then from earlier years) when the entry
/// in force has no figure.
pub(super) fn maximum_in_force<'a>(
    years: impl DoubleEndedIterator<Item = (FinancialYear, &'a ArrsRules)>,
    fy: FinancialYear,
    group: &str,
    date: NaiveDate,
    region: Region,
) -> Option<MaximumInForce> {
    let mut changed_unknown_from = None;
    for (year, rules) in years.rev() {
        if year > fy {
            continue;
        }
        let entries = rules
            .maxima
            .iter()
            .filter(|m| m.group == group && (year < fy || m.effective_from <= date))
            .rev();
        for m in entries {
            if year == fy && m.england.is_none() && changed_unknown_from.is_none() {
                changed_unknown_from = Some(m.effective_from);
            }
            if let Some((amount, london_not_known)) = m.for_region(region) {
                if year == fy {
                    if let Some(r) = m.revised_from.filter(|r| *r <= date) {
                        changed_unknown_from.get_or_insert(r);
                    }
                }
                return Some(MaximumInForce {
                    amount,
                    group: group.to_string(),
                    region,
                    effective_from: m.effective_from,
                    carried_from: (year != fy).then_some(year),
                    london_not_known,
                    changed_unknown_from: if year == fy {
                        changed_unknown_from
                    } else {
                        None
                    },
                    confidence: m.cited.confidence,
                    verified: m.cited.verified,
                    des: m.des.clone(),
                    source: m.cited.source.clone(),
                });
            }
        }
    }
    None
}

/// Every (role, band) of every year must resolve to a figure on the role's
/// first day, in that year or carried from an earlier one.
pub(super) fn check_resolvable(
    years: &BTreeMap<FinancialYear, super::YearRules>,
    problems: &mut Vec<super::Problem>,
) {
    for (fy, y) in years {
        for (i, role) in y.arrs.roles.iter().enumerate() {
            for (band, group) in &role.bands {
                let found = maximum_in_force(
                    years.iter().map(|(k, v)| (*k, &v.arrs)),
                    *fy,
                    group,
                    role.to,
                    Region::England,
                );
                if found.is_none() {
                    problems.push(super::Problem {
                        file: y.file.clone(),
                        path: format!("arrs.role[{i}] ({}).bands.{band}", role.id),
                        message: format!(
                            "pay group {group:?} has no maximum in {fy} or any earlier year; add an [[arrs.maximum]] with its figure"
                        ),
                    });
                }
            }
        }
    }
}
