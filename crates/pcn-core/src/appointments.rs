//! Appointments in general practice against the pledge of 50 million more a
//! year than in 2019: counts by month for a practice, a network, a
//! commissioner and England, the pledge year by year, and a network's ARRS
//! staff beside its appointments.
//!
//! Pure: GPAD facts (`crate::gpad_facts`), the registry and the ARRS roster
//! come in; figures go out.
//!
//! ## Which figure is used
//!
//! - **Editions.** GPAD revises the latest 18 months in every edition. For
//!   each area (practice or sub-ICB location, in one setting) and month, the
//!   table of the newest edition that has the area-month gives all of its
//!   figures; rows of older editions for that area-month are set aside
//!   whole, never mixed in. Of two tables of the same edition the later one
//!   given wins (the later import). For England each figure (the recorded
//!   total, each split, coverage, the estimate) is taken from the newest
//!   edition that gives it, so a month's estimate may come from an older
//!   edition than its recorded total; every figure says which edition.
//! - **Networks.** A practice's appointments in a month count for the
//!   network the registry places it in on the first day of that month
//!   (`Registry::networks_of`), so a practice that moved counts for each
//!   network in its own months. A practice in no network, or (against the
//!   rules) in two, counts for none and is listed.
//! - **Commissioners.** From the sub-ICB files where they have the month;
//!   otherwise the sum of the practices the practice-level file places in
//!   the sub-ICB (marked as such).
//! - **Per 1,000 registered patients**: a month's appointments over the
//!   registered patients of the same practices, each at the list extract
//!   latest on or before the month's first day (else the earliest after it,
//!   marked as an estimate). For a network, the practices counted that
//!   month; for a sub-ICB file, every practice the registry places in the
//!   sub-ICB that month (the file does not say which were included); for
//!   England, the patients at the practices included (Table 1's coverage).
//!
//! ## The pledge
//!
//! The baseline is 2019 (calendar year, or 2019-20 when asked for
//! financial years). For each later year: the appointments recorded, the
//! change against the baseline, and the gap to 50 million more (the target
//! less the change: positive is short of it). A year without all twelve
//! months is compared with the same months of the baseline and has no gap.
//! For England the estimated England total and coverage are given beside
//! the recorded count wherever an edition published them. For an area the
//! target is 50 million times the area's share of England's registered
//! patients (a national pledge has no local targets; this is the area's fair
//! share), rounded to a whole appointment. Where the data splits by staff,
//! the change is also given for GPs, other practice staff and unknown.
//!
//! ## The roster beside the trend
//!
//! A network's ARRS WTE by month from its roster (posts funded through the
//! ARRS, each month's WTE averaged over its days) and from the workforce
//! censuses (FTE of records in roles the scheme reimburses), set beside its
//! appointments and the same month of 2019. Side by side, not attributed:
//! GPAD does not say which appointments the additional roles gave.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::arrs::{census_role, Funding, Origin, Post, YearMonth};
use crate::codes::{PcnCode, PracticeCode, SubIcbCode};
use crate::facts::WorkforceFact;
use crate::gpad_facts::{
    AppointmentArea, AppointmentRow, AppointmentSetting, AppointmentTable, ApptMode, ApptStatus,
    BookingInterval, Coverage, GpadEdition, HcpType, NationalAppointmentMonth, NationalSeries,
};
use crate::registry::Registry;

/// The extra appointments a year the pledge promised, against 2019.
pub const PLEDGE_EXTRA_APPOINTMENTS: u64 = 50_000_000;

/// The pledge's baseline year.
pub const BASELINE_YEAR: i32 = 2019;

// ---------------------------------------------------------------------------
// Counts
// ---------------------------------------------------------------------------

/// Appointments and their splits. A split is `None` where the source does
/// not give it; the splits of practice and sub-ICB data are always there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub total: u64,
    pub by_status: Option<[u64; ApptStatus::COUNT]>,
    pub by_hcp: Option<[u64; HcpType::COUNT]>,
    pub by_mode: Option<[u64; ApptMode::COUNT]>,
    pub by_interval: Option<[u64; BookingInterval::COUNT]>,
}

fn add_arrays<const N: usize>(a: &mut Option<[u64; N]>, b: &Option<[u64; N]>) {
    match (a.as_mut(), b) {
        (Some(x), Some(y)) => {
            for (x, y) in x.iter_mut().zip(y) {
                *x = x.saturating_add(*y);
            }
        }
        _ => *a = None,
    }
}

fn split_of<T: Copy, const N: usize>(
    given: &Option<Vec<(T, u64)>>,
    index: impl Fn(T) -> usize,
) -> Option<[u64; N]> {
    let given = given.as_ref()?;
    let mut out = [0u64; N];
    for (k, v) in given {
        let slot = out.get_mut(index(*k))?;
        *slot = slot.saturating_add(*v);
    }
    Some(out)
}

impl Counts {
    /// No appointments, with every split present (and zero).
    pub fn zero() -> Counts {
        Counts {
            total: 0,
            by_status: Some([0; ApptStatus::COUNT]),
            by_hcp: Some([0; HcpType::COUNT]),
            by_mode: Some([0; ApptMode::COUNT]),
            by_interval: Some([0; BookingInterval::COUNT]),
        }
    }

    /// Adds one table row.
    pub fn add_row(&mut self, row: &AppointmentRow) {
        let n = u64::from(row.count);
        self.total = self.total.saturating_add(n);
        let bump = |slot: Option<&mut u64>| {
            if let Some(s) = slot {
                *s = s.saturating_add(n);
            }
        };
        bump(self.by_status.as_mut().map(|a| &mut a[row.status.index()]));
        bump(self.by_hcp.as_mut().map(|a| &mut a[row.hcp.index()]));
        bump(self.by_mode.as_mut().map(|a| &mut a[row.mode.index()]));
        bump(
            self.by_interval
                .as_mut()
                .map(|a| &mut a[row.interval.index()]),
        );
    }

    /// Adds another count; a split missing from either is missing from the sum.
    pub fn add(&mut self, other: &Counts) {
        self.total = self.total.saturating_add(other.total);
        add_arrays(&mut self.by_status, &other.by_status);
        add_arrays(&mut self.by_hcp, &other.by_hcp);
        add_arrays(&mut self.by_mode, &other.by_mode);
        add_arrays(&mut self.by_interval, &other.by_interval);
    }

    pub fn status(&self, s: ApptStatus) -> Option<u64> {
        self.by_status.map(|a| a[s.index()])
    }

    pub fn attended(&self) -> Option<u64> {
        self.status(ApptStatus::Attended)
    }

    pub fn dna(&self) -> Option<u64> {
        self.status(ApptStatus::Dna)
    }

    /// Status unknown: left as booked, not provided (early editions) or
    /// still booked (PCN-level files).
    pub fn unknown_status(&self) -> Option<u64> {
        self.by_status.map(|a| {
            a[ApptStatus::Unknown.index()]
                + a[ApptStatus::NotProvided.index()]
                + a[ApptStatus::Booked.index()]
        })
    }

    pub fn hcp(&self, h: HcpType) -> Option<u64> {
        self.by_hcp.map(|a| a[h.index()])
    }

    pub fn mode(&self, m: ApptMode) -> Option<u64> {
        self.by_mode.map(|a| a[m.index()])
    }

    pub fn interval(&self, i: BookingInterval) -> Option<u64> {
        self.by_interval.map(|a| a[i.index()])
    }
}

/// Appointments per 1,000 registered patients, to two decimal places
/// (half away from zero); `None` without patients.
pub fn per_thousand(appointments: u64, patients: u64) -> Option<Decimal> {
    if patients == 0 {
        return None;
    }
    let rate = Decimal::from(appointments) * Decimal::from(1000) / Decimal::from(patients);
    Some(rate.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero))
}

/// The registered patients behind a month's figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Patients {
    pub count: u64,
    /// The newest list extract used.
    pub as_at: NaiveDate,
    /// True when some list is from an extract after the month (none earlier was known).
    pub estimated: bool,
    /// Practices counted that have no registered list at all (their patients are missing).
    pub without_list: u32,
}

#[derive(Default)]
struct PatientsSum {
    count: u64,
    as_at: Option<NaiveDate>,
    estimated: bool,
    without_list: u32,
}

impl PatientsSum {
    fn add(&mut self, registry: &Registry, practice: &PracticeCode, month: YearMonth) {
        let on = month.first_day();
        match registry.list_size(practice, on) {
            Some((date, n)) => {
                self.count = self.count.saturating_add(n);
                self.as_at = self.as_at.max(Some(date));
                self.estimated |= date > on;
            }
            None => self.without_list = self.without_list.saturating_add(1),
        }
    }

    fn finish(self) -> Option<Patients> {
        Some(Patients {
            count: self.count,
            as_at: self.as_at?,
            estimated: self.estimated,
            without_list: self.without_list,
        })
    }
}

/// Where an area's month figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FigureBasis {
    /// One practice's rows in the practice-level file.
    Practice,
    /// The practice-level rows of the practices counted, summed.
    SumOfPractices,
    /// The sub-ICB files (Regional CSV, daily files, PCN-level file).
    SubIcbFile,
    /// England's national series (summary table, national monthly CSV).
    National,
}

/// One month of one area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthFigure {
    pub counts: Counts,
    /// The editions the figure was taken from, ascending (several when
    /// practices from different editions were summed).
    pub editions: Vec<YearMonth>,
    pub basis: FigureBasis,
    /// Practices summed (1 for a practice; 0 for a sub-ICB file).
    pub practices: u32,
    pub patients: Option<Patients>,
}

impl MonthFigure {
    /// Appointments per 1,000 registered patients.
    pub fn per_thousand(&self) -> Option<Decimal> {
        per_thousand(self.counts.total, self.patients?.count)
    }
}

/// A series of months.
pub type Series = BTreeMap<YearMonth, MonthFigure>;

// ---------------------------------------------------------------------------
// The index: newest edition per area and month
// ---------------------------------------------------------------------------

/// One area-month as the chosen edition gives it.
#[derive(Debug, Clone)]
struct Cell {
    counts: Counts,
    edition: GpadEdition,
    /// For practices: the commissioner the file names for the practice.
    published_sub_icb: Option<SubIcbCode>,
}

/// England in one month: each figure from the newest edition that gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnglandMonth {
    pub recorded: u64,
    pub recorded_edition: YearMonth,
    pub recorded_series: NationalSeries,
    pub by_status: Option<([u64; ApptStatus::COUNT], YearMonth)>,
    pub by_hcp: Option<([u64; HcpType::COUNT], YearMonth)>,
    pub by_mode: Option<([u64; ApptMode::COUNT], YearMonth)>,
    pub by_interval: Option<([u64; BookingInterval::COUNT], YearMonth)>,
    pub coverage: Option<(Coverage, YearMonth)>,
    pub estimated_england_total: Option<(u64, YearMonth)>,
    pub covid_vaccinations_by_practices: Option<(u64, YearMonth)>,
}

impl EnglandMonth {
    /// Registered patients at the practices included in the month's figures
    /// over those at all open practices, to four decimal places.
    pub fn patient_coverage(&self) -> Option<Decimal> {
        let (c, _) = self.coverage?;
        (c.patients_at_open_practices > 0).then(|| {
            (Decimal::from(c.patients_at_included_practices)
                / Decimal::from(c.patients_at_open_practices))
            .round_dp(4)
        })
    }

    /// Recorded appointments per 1,000 patients at the included practices.
    pub fn per_thousand(&self) -> Option<Decimal> {
        per_thousand(
            self.recorded,
            self.coverage?.0.patients_at_included_practices,
        )
    }
}

/// GPAD facts indexed for questions by area and month.
#[derive(Debug, Default)]
pub struct Appointments {
    practices: BTreeMap<PracticeCode, BTreeMap<YearMonth, Cell>>,
    sub_icbs: BTreeMap<(AppointmentSetting, SubIcbCode), BTreeMap<YearMonth, Cell>>,
    england: BTreeMap<YearMonth, EnglandMonth>,
    /// Area-months whose rows an older edition gave and a newer one replaced.
    replaced: usize,
}

/// Keeps, per key, the candidate of the newest edition; later candidates
/// win ties. Returns whether the candidate was taken.
fn newest<K: Ord, V>(
    map: &mut BTreeMap<K, V>,
    key: K,
    edition: GpadEdition,
    value: impl FnOnce() -> V,
    edition_of: impl Fn(&V) -> GpadEdition,
) -> (bool, bool) {
    match map.get(&key) {
        Some(existing) if edition_of(existing) > edition => (false, true),
        Some(_) => {
            map.insert(key, value());
            (true, true)
        }
        None => {
            map.insert(key, value());
            (true, false)
        }
    }
}

impl Appointments {
    /// Indexes the facts. Tables and national months may come in any order;
    /// among those of the same edition the later one wins.
    pub fn new(tables: &[AppointmentTable], national: &[NationalAppointmentMonth]) -> Appointments {
        let mut out = Appointments::default();
        for table in tables {
            out.add_table(table);
        }
        out.add_national(national);
        out
    }

    fn add_table(&mut self, table: &AppointmentTable) {
        // Rows are sorted by area then month; walk each area-month group.
        let mut start = 0usize;
        while start < table.rows.len() {
            let first = table.rows[start];
            let mut end = start + 1;
            while end < table.rows.len()
                && table.rows[end].area == first.area
                && table.rows[end].month == first.month
            {
                end += 1;
            }
            let rows = &table.rows[start..end];
            start = end;
            let Some(area) = table.areas.get(first.area as usize) else {
                continue;
            };
            let cell = || {
                let mut counts = Counts::zero();
                for r in rows {
                    counts.add_row(r);
                }
                Cell {
                    counts,
                    edition: table.edition,
                    published_sub_icb: match area {
                        AppointmentArea::Practice { sub_icb, .. } => sub_icb.clone(),
                        AppointmentArea::SubIcb(_) => None,
                    },
                }
            };
            let (_, had) = match area {
                AppointmentArea::Practice { code, .. } => newest(
                    self.practices.entry(code.clone()).or_default(),
                    first.month,
                    table.edition,
                    cell,
                    |c| c.edition,
                ),
                AppointmentArea::SubIcb(code) => newest(
                    self.sub_icbs
                        .entry((table.setting, code.clone()))
                        .or_default(),
                    first.month,
                    table.edition,
                    cell,
                    |c| c.edition,
                ),
            };
            if had {
                self.replaced += 1;
            }
        }
    }

    fn add_national(&mut self, national: &[NationalAppointmentMonth]) {
        // Per figure, the newest edition that gives it (later wins ties):
        // walk the facts oldest edition first, stably, and overwrite.
        let mut order: Vec<&NationalAppointmentMonth> = national.iter().collect();
        order.sort_by_key(|f| f.edition);
        for f in order {
            let e = f.edition.month;
            let entry = self.england.entry(f.month).or_insert(EnglandMonth {
                recorded: f.recorded,
                recorded_edition: e,
                recorded_series: f.series,
                by_status: None,
                by_hcp: None,
                by_mode: None,
                by_interval: None,
                coverage: None,
                estimated_england_total: None,
                covid_vaccinations_by_practices: None,
            });
            entry.recorded = f.recorded;
            entry.recorded_edition = e;
            entry.recorded_series = f.series;
            if let Some(s) = split_of(&f.by_status, ApptStatus::index) {
                entry.by_status = Some((s, e));
            }
            if let Some(s) = split_of(&f.by_hcp, HcpType::index) {
                entry.by_hcp = Some((s, e));
            }
            if let Some(s) = split_of(&f.by_mode, ApptMode::index) {
                entry.by_mode = Some((s, e));
            }
            if let Some(s) = split_of(&f.by_interval, BookingInterval::index) {
                entry.by_interval = Some((s, e));
            }
            if let Some(c) = f.coverage {
                entry.coverage = Some((c, e));
            }
            if let Some(t) = f.estimated_england_total {
                entry.estimated_england_total = Some((t, e));
            }
            if let Some(t) = f.covid_vaccinations_by_practices {
                entry.covid_vaccinations_by_practices = Some((t, e));
            }
        }
    }

    /// How many area-months more than one table gave (only the newest
    /// edition's, or the later table's of the same edition, is kept).
    pub fn replaced_area_months(&self) -> usize {
        self.replaced
    }

    /// Practices with practice-level data.
    pub fn practices(&self) -> impl Iterator<Item = &PracticeCode> {
        self.practices.keys()
    }

    /// Sub-ICB locations with sub-ICB data in a setting.
    pub fn sub_icbs(&self, setting: AppointmentSetting) -> Vec<&SubIcbCode> {
        self.sub_icbs
            .keys()
            .filter(|(s, _)| *s == setting)
            .map(|(_, c)| c)
            .collect()
    }

    /// England by month.
    pub fn england(&self) -> &BTreeMap<YearMonth, EnglandMonth> {
        &self.england
    }

    /// One practice by month; with a registry, per 1,000 registered patients too.
    pub fn practice(&self, code: &PracticeCode, registry: Option<&Registry>) -> Series {
        let Some(months) = self.practices.get(code) else {
            return Series::new();
        };
        months
            .iter()
            .map(|(m, cell)| {
                let patients = registry.and_then(|r| {
                    let mut sum = PatientsSum::default();
                    sum.add(r, code, *m);
                    sum.finish()
                });
                (
                    *m,
                    MonthFigure {
                        counts: cell.counts.clone(),
                        editions: vec![cell.edition.month],
                        basis: FigureBasis::Practice,
                        practices: 1,
                        patients,
                    },
                )
            })
            .collect()
    }

    /// Every network's months from the practice-level data, each practice in
    /// each month counted for the network the registry places it in on the
    /// month's first day.
    pub fn by_network(&self, registry: &Registry) -> NetworkAttribution {
        let mut acc: BTreeMap<PcnCode, BTreeMap<YearMonth, Acc>> = BTreeMap::new();
        let mut not_counted = Vec::new();
        for (practice, months) in &self.practices {
            for (month, cell) in months {
                let networks = registry.networks_of(practice, month.first_day());
                match networks.as_slice() {
                    [pcn] => acc
                        .entry(pcn.clone())
                        .or_default()
                        .entry(*month)
                        .or_default()
                        .add(registry, practice, *month, cell),
                    _ => not_counted.push(NotCounted {
                        practice: practice.clone(),
                        month: *month,
                        networks,
                        appointments: cell.counts.total,
                    }),
                }
            }
        }
        NetworkAttribution {
            networks: acc
                .into_iter()
                .map(|(pcn, months)| {
                    let series = months
                        .into_iter()
                        .map(|(m, a)| (m, a.finish(FigureBasis::SumOfPractices)))
                        .collect();
                    (pcn, series)
                })
                .collect(),
            not_counted,
        }
    }

    /// One network's months (see [`Appointments::by_network`]).
    pub fn network(&self, registry: &Registry, pcn: &PcnCode) -> Series {
        self.by_network(registry)
            .networks
            .remove(pcn)
            .unwrap_or_default()
    }

    /// A commissioner's months in a setting from the sub-ICB files alone.
    pub fn sub_icb_files(
        &self,
        setting: AppointmentSetting,
        code: &SubIcbCode,
        registry: Option<&Registry>,
    ) -> Series {
        let Some(months) = self.sub_icbs.get(&(setting, code.clone())) else {
            return Series::new();
        };
        let members = registry.map(|r| practices_of_sub_icb(r, code, months.keys()));
        months
            .iter()
            .map(|(m, cell)| {
                let patients = match (registry, &members) {
                    (Some(r), Some(members)) => {
                        let mut sum = PatientsSum::default();
                        for p in members.get(m).into_iter().flatten() {
                            sum.add(r, p, *m);
                        }
                        sum.finish()
                    }
                    _ => None,
                };
                (
                    *m,
                    MonthFigure {
                        counts: cell.counts.clone(),
                        editions: vec![cell.edition.month],
                        basis: FigureBasis::SubIcbFile,
                        practices: 0,
                        patients,
                    },
                )
            })
            .collect()
    }

    /// A commissioner's months from the practice-level data: the practices
    /// the file places in the sub-ICB (else those the registry does).
    pub fn sub_icb_from_practices(&self, code: &SubIcbCode, registry: Option<&Registry>) -> Series {
        let mut acc: BTreeMap<YearMonth, Acc> = BTreeMap::new();
        for (practice, months) in &self.practices {
            for (month, cell) in months {
                let sub_icb = cell
                    .published_sub_icb
                    .clone()
                    .or_else(|| registry.and_then(|r| r.sub_icb_of(practice, month.first_day())));
                if sub_icb.as_ref() == Some(code) {
                    let entry = acc.entry(*month).or_default();
                    match registry {
                        Some(r) => entry.add(r, practice, *month, cell),
                        None => entry.add_counts(cell),
                    }
                }
            }
        }
        acc.into_iter()
            .map(|(m, a)| (m, a.finish(FigureBasis::SumOfPractices)))
            .collect()
    }

    /// A commissioner's practice appointments by month: the sub-ICB files
    /// where they have the month, else the sum of its practices.
    pub fn commissioner(&self, code: &SubIcbCode, registry: Option<&Registry>) -> Series {
        let mut series = self.sub_icb_from_practices(code, registry);
        series.extend(self.sub_icb_files(AppointmentSetting::Practice, code, registry));
        series
    }
}

/// The practices the registry places in a sub-ICB in each month.
fn practices_of_sub_icb<'a>(
    registry: &'a Registry,
    code: &SubIcbCode,
    months: impl Iterator<Item = &'a YearMonth>,
) -> HashMap<YearMonth, Vec<&'a PracticeCode>> {
    let months: Vec<YearMonth> = months.copied().collect();
    let mut out: HashMap<YearMonth, Vec<&PracticeCode>> = HashMap::new();
    for practice in registry.practice_codes() {
        for m in &months {
            if registry.sub_icb_of(practice, m.first_day()).as_ref() == Some(code) {
                out.entry(*m).or_default().push(practice);
            }
        }
    }
    out
}

#[derive(Default)]
struct Acc {
    counts: Option<Counts>,
    editions: BTreeSet<YearMonth>,
    practices: u32,
    patients: PatientsSum,
}

impl Acc {
    fn add_counts(&mut self, cell: &Cell) {
        self.counts
            .get_or_insert_with(Counts::zero)
            .add(&cell.counts);
        self.editions.insert(cell.edition.month);
        self.practices += 1;
    }

    fn add(&mut self, registry: &Registry, practice: &PracticeCode, month: YearMonth, cell: &Cell) {
        self.add_counts(cell);
        self.patients.add(registry, practice, month);
    }

    fn finish(self, basis: FigureBasis) -> MonthFigure {
        MonthFigure {
            counts: self.counts.unwrap_or_else(Counts::zero),
            editions: self.editions.into_iter().collect(),
            basis,
            practices: self.practices,
            patients: self.patients.finish(),
        }
    }
}

/// A practice-month counted for no network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotCounted {
    pub practice: PracticeCode,
    pub month: YearMonth,
    /// The networks the registry gives (none, or more than one).
    pub networks: Vec<PcnCode>,
    pub appointments: u64,
}

/// Practice appointments attributed to networks.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NetworkAttribution {
    pub networks: BTreeMap<PcnCode, Series>,
    pub not_counted: Vec<NotCounted>,
}

// ---------------------------------------------------------------------------
// The pledge
// ---------------------------------------------------------------------------

/// Calendar years (the pledge's 2019) or financial years (2019-20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum YearBasis {
    Calendar,
    Financial,
}

impl YearBasis {
    /// The year a month belongs to, by its first calendar year.
    fn year_of(self, m: YearMonth) -> i32 {
        match self {
            YearBasis::Calendar => m.year,
            YearBasis::Financial if m.month >= 4 => m.year,
            YearBasis::Financial => m.year - 1,
        }
    }

    fn label(self, year: i32) -> String {
        match self {
            YearBasis::Calendar => year.to_string(),
            YearBasis::Financial => format!("{year}-{:02}", (year + 1).rem_euclid(100)),
        }
    }
}

/// What the pledge needs of one month of an area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PledgeMonth {
    pub recorded: u64,
    pub by_hcp: Option<[u64; HcpType::COUNT]>,
    pub estimated_england_total: Option<u64>,
    pub covid_vaccinations_by_practices: Option<u64>,
    pub coverage: Option<Coverage>,
    pub patients: Option<u64>,
    pub editions: Vec<YearMonth>,
}

impl From<&MonthFigure> for PledgeMonth {
    fn from(f: &MonthFigure) -> Self {
        PledgeMonth {
            recorded: f.counts.total,
            by_hcp: f.counts.by_hcp,
            estimated_england_total: None,
            covid_vaccinations_by_practices: None,
            coverage: None,
            patients: f.patients.map(|p| p.count),
            editions: f.editions.clone(),
        }
    }
}

impl From<&EnglandMonth> for PledgeMonth {
    fn from(m: &EnglandMonth) -> Self {
        let mut editions: BTreeSet<YearMonth> = [m.recorded_edition].into();
        editions.extend(m.by_hcp.map(|(_, e)| e));
        editions.extend(m.coverage.map(|(_, e)| e));
        editions.extend(m.estimated_england_total.map(|(_, e)| e));
        PledgeMonth {
            recorded: m.recorded,
            by_hcp: m.by_hcp.map(|(s, _)| s),
            estimated_england_total: m.estimated_england_total.map(|(t, _)| t),
            covid_vaccinations_by_practices: m.covid_vaccinations_by_practices.map(|(t, _)| t),
            coverage: m.coverage.map(|(c, _)| c),
            patients: m.coverage.map(|(c, _)| c.patients_at_included_practices),
            editions: editions.into_iter().collect(),
        }
    }
}

/// Converts a series for [`pledge`].
pub fn pledge_months(series: &Series) -> BTreeMap<YearMonth, PledgeMonth> {
    series.iter().map(|(m, f)| (*m, f.into())).collect()
}

/// Converts England's months for [`pledge`].
pub fn england_pledge_months(
    england: &BTreeMap<YearMonth, EnglandMonth>,
) -> BTreeMap<YearMonth, PledgeMonth> {
    england.iter().map(|(m, f)| (*m, f.into())).collect()
}

/// An area's share of England's registered patients, which scales the
/// national pledge to the area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Share {
    pub area_patients: u64,
    pub england_patients: u64,
    /// The list extract the two counts come from.
    pub as_at: NaiveDate,
}

/// An area's share of England's registered patients in one list extract:
/// the latest on or before `on`, else the earliest (the pledge's baseline
/// is 2019, before the first extract a registry may hold). England is every
/// practice in that extract; the area is those `in_area` says are in it on
/// the extract's date.
pub fn registered_share(
    registry: &Registry,
    on: NaiveDate,
    in_area: impl Fn(&PracticeCode, NaiveDate) -> bool,
) -> Option<Share> {
    let extracts = registry.list_extracts();
    let extract = extracts
        .iter()
        .rev()
        .find(|d| **d <= on)
        .or_else(|| extracts.first())
        .copied()?;
    let (mut area, mut england) = (0u64, 0u64);
    for practice in registry.practice_codes() {
        let Some((date, n)) = registry.list_size(practice, extract) else {
            continue;
        };
        if date != extract {
            continue;
        }
        england = england.saturating_add(n);
        if in_area(practice, extract) {
            area = area.saturating_add(n);
        }
    }
    Some(Share {
        area_patients: area,
        england_patients: england,
        as_at: extract,
    })
}

/// A commissioner's share of England's registered patients (see [`registered_share`]).
pub fn sub_icb_share(registry: &Registry, code: &SubIcbCode, on: NaiveDate) -> Option<Share> {
    registered_share(registry, on, |p, d| {
        registry.sub_icb_of(p, d).as_ref() == Some(code)
    })
}

/// A network's share of England's registered patients (see [`registered_share`]).
pub fn network_share(registry: &Registry, pcn: &PcnCode, on: NaiveDate) -> Option<Share> {
    registered_share(registry, on, |p, d| {
        registry.networks_of(p, d).as_slice() == std::slice::from_ref(pcn)
    })
}

/// One year against the baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PledgeYear {
    /// `2023`, or `2023-24` for financial years.
    pub label: String,
    pub start_year: i32,
    /// Months with data, of twelve.
    pub months: u32,
    /// Appointments recorded (at the practices included in each month).
    pub recorded: u64,
    /// Recorded appointments per 1,000 registered patients (months with a
    /// known denominator only; `None` unless every month has one).
    pub per_thousand: Option<Decimal>,
    /// NHS Digital's estimate for all of England, when every month has one.
    pub estimated_england_total: Option<u64>,
    /// The estimate plus COVID-19 vaccinations by practices and networks,
    /// when every month has both.
    pub estimated_including_covid_vaccinations: Option<u64>,
    /// Lowest and highest monthly patient coverage (four decimal places).
    pub patient_coverage: Option<(Decimal, Decimal)>,
    /// The change in recorded appointments against the baseline (the same
    /// months of it for a part year).
    pub change: Option<i64>,
    /// The change as a percentage of the baseline, one decimal place.
    pub change_percent: Option<Decimal>,
    /// The target less the change; positive is short of the pledge. Only
    /// for a whole year.
    pub gap: Option<i64>,
    /// The change in the estimated England total and its gap, when both
    /// years have estimates.
    pub estimated_change: Option<i64>,
    pub estimated_gap: Option<i64>,
    /// Recorded appointments by staff (GP, other practice staff, unknown,
    /// not provided) when every month splits them.
    pub by_hcp: Option<[u64; HcpType::COUNT]>,
    /// The editions the year's figures came from.
    pub editions: Vec<YearMonth>,
}

/// The change for one staff group between the baseline and a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffChange {
    pub label: String,
    /// Months compared (a part year is compared with the same months of the baseline).
    pub months: u32,
    pub hcp: HcpType,
    pub baseline: u64,
    pub year: u64,
    pub change: i64,
    /// The group's part of the change in appointments split by staff, as
    /// a percentage (one decimal place); `None` when that did not change.
    pub share_of_change_percent: Option<Decimal>,
}

/// The pledge for an area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pledge {
    pub basis: YearBasis,
    /// The extra appointments a year the area is measured against: 50
    /// million, or the area's share of it.
    pub target: u64,
    pub share: Option<Share>,
    pub baseline: Option<PledgeYear>,
    /// Years after the baseline with any data.
    pub years: Vec<PledgeYear>,
    /// Staff groups' changes for each year whose months and the baseline's
    /// (the same months of it, for a part year) all split by staff.
    pub staff: Vec<StaffChange>,
    pub notes: Vec<String>,
}

/// The area's target: 50 million, or its share of 50 million by registered
/// patients, rounded half away from zero to a whole appointment.
pub fn target_for(share: Option<&Share>) -> Option<u64> {
    let Some(share) = share else {
        return Some(PLEDGE_EXTRA_APPOINTMENTS);
    };
    if share.england_patients == 0 {
        return None;
    }
    let t = Decimal::from(PLEDGE_EXTRA_APPOINTMENTS) * Decimal::from(share.area_patients)
        / Decimal::from(share.england_patients);
    t.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .to_u64()
}

fn diff(a: u64, b: u64) -> i64 {
    i64::try_from(a).unwrap_or(i64::MAX) - i64::try_from(b).unwrap_or(i64::MAX)
}

fn percent(change: i64, of: u64) -> Option<Decimal> {
    (of > 0).then(|| {
        (Decimal::from(change) * Decimal::from(100) / Decimal::from(of))
            .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    })
}

/// Sums the months of one year (all of them, or only `only` months).
fn year_of(
    basis: YearBasis,
    start_year: i32,
    months: &BTreeMap<YearMonth, PledgeMonth>,
    only: Option<&BTreeSet<u32>>,
) -> Option<PledgeYear> {
    let chosen: Vec<(&YearMonth, &PledgeMonth)> = months
        .iter()
        .filter(|(m, _)| basis.year_of(**m) == start_year)
        .filter(|(m, _)| only.is_none_or(|o| o.contains(&m.month)))
        .collect();
    if chosen.is_empty() {
        return None;
    }
    let n = chosen.len() as u32;
    let all_have = |f: &dyn Fn(&PledgeMonth) -> Option<u64>| -> Option<u64> {
        chosen
            .iter()
            .map(|(_, p)| f(p))
            .try_fold(0u64, |acc, v| v.map(|v| acc.saturating_add(v)))
    };
    let recorded = chosen.iter().map(|(_, p)| p.recorded).sum::<u64>();
    let estimate = all_have(&|p| p.estimated_england_total);
    let estimate_incl = all_have(&|p| {
        p.estimated_england_total
            .zip(p.covid_vaccinations_by_practices)
            .map(|(a, b)| a + b)
    });
    let patients_recorded: Option<(u64, u64)> =
        chosen.iter().try_fold((0u64, 0u64), |acc, (_, p)| {
            p.patients.map(|pat| (acc.0 + p.recorded, acc.1 + pat))
        });
    // A yearly rate: the year's appointments per 1,000 patients, taking the
    // patients as the mean of the months' denominators.
    let per_thousand_year = patients_recorded.and_then(|(appointments, patient_months)| {
        let mean_patients = Decimal::from(patient_months) / Decimal::from(n);
        (!mean_patients.is_zero()).then(|| {
            (Decimal::from(appointments) * Decimal::from(1000) / mean_patients)
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        })
    });
    let coverages: Vec<Decimal> = chosen
        .iter()
        .filter_map(|(_, p)| p.coverage)
        .filter(|c| c.patients_at_open_practices > 0)
        .map(|c| {
            (Decimal::from(c.patients_at_included_practices)
                / Decimal::from(c.patients_at_open_practices))
            .round_dp(4)
        })
        .collect();
    let patient_coverage = (coverages.len() == chosen.len())
        .then(|| {
            let lo = coverages.iter().min().copied()?;
            let hi = coverages.iter().max().copied()?;
            Some((lo, hi))
        })
        .flatten();
    let by_hcp = chosen
        .iter()
        .try_fold([0u64; HcpType::COUNT], |mut acc, (_, p)| {
            let s = p.by_hcp?;
            for (a, b) in acc.iter_mut().zip(s) {
                *a += b;
            }
            Some(acc)
        });
    let editions: BTreeSet<YearMonth> = chosen
        .iter()
        .flat_map(|(_, p)| p.editions.iter().copied())
        .collect();
    Some(PledgeYear {
        label: basis.label(start_year),
        start_year,
        months: n,
        recorded,
        per_thousand: per_thousand_year,
        estimated_england_total: estimate,
        estimated_including_covid_vaccinations: estimate_incl,
        patient_coverage,
        change: None,
        change_percent: None,
        gap: None,
        estimated_change: None,
        estimated_gap: None,
        by_hcp,
        editions: editions.into_iter().collect(),
    })
}

/// The pledge for an area from its months: the baseline year, each later
/// year, the change and the gap, and where the growth came from by staff.
/// `share` scales the target to an area (`None` for England).
pub fn pledge(
    months: &BTreeMap<YearMonth, PledgeMonth>,
    basis: YearBasis,
    share: Option<Share>,
) -> Pledge {
    let mut notes = Vec::new();
    let target = target_for(share.as_ref());
    if target.is_none() {
        notes.push("England's registered patients are zero: no share can be worked out".into());
    }
    let target_i = target.map(|t| i64::try_from(t).unwrap_or(i64::MAX));
    let baseline = year_of(basis, BASELINE_YEAR, months, None);
    let baseline_label = basis.label(BASELINE_YEAR);
    match &baseline {
        None => notes.push(format!(
            "no data for the baseline year {baseline_label}: no change can be worked out"
        )),
        Some(b) if b.months < 12 => notes.push(format!(
            "the baseline year {baseline_label} has {} of 12 months; each year is compared \
             with the same months of it",
            b.months
        )),
        _ => {}
    }
    let last_year = months.keys().map(|m| basis.year_of(*m)).max();
    let mut years = Vec::new();
    let mut staff = Vec::new();
    for y in (BASELINE_YEAR + 1)..=last_year.unwrap_or(BASELINE_YEAR) {
        let Some(mut year) = year_of(basis, y, months, None) else {
            continue;
        };
        if let Some(b) = &baseline {
            let whole = year.months == 12 && b.months == 12;
            // Compare like with like: the same months of the baseline.
            let these: BTreeSet<u32> = months
                .keys()
                .filter(|m| basis.year_of(**m) == y)
                .map(|m| m.month)
                .collect();
            let same = if whole {
                Some(b.clone())
            } else {
                year_of(basis, BASELINE_YEAR, months, Some(&these))
            };
            if let Some(same) = same.filter(|s| s.months == year.months) {
                let change = diff(year.recorded, same.recorded);
                year.change = Some(change);
                year.change_percent = percent(change, same.recorded);
                if whole {
                    year.gap = target_i.map(|t| t - change);
                    if let (Some(a), Some(bt)) =
                        (year.estimated_england_total, same.estimated_england_total)
                    {
                        let ec = diff(a, bt);
                        year.estimated_change = Some(ec);
                        year.estimated_gap = target_i.map(|t| t - ec);
                    }
                } else {
                    notes.push(format!(
                        "{} has {} of 12 months: compared with the same months of {baseline_label}, \
                         no gap to the pledge",
                        year.label, year.months
                    ));
                }
                if let (Some(ys), Some(bs)) = (year.by_hcp, same.by_hcp) {
                    // Shares of the change in the split itself: for England
                    // the split may come from another edition than the
                    // recorded total, and need not add up to its change.
                    let split_change = diff(ys.iter().sum(), bs.iter().sum());
                    for hcp in HcpType::ALL {
                        let i = hcp.index();
                        if ys[i] == 0 && bs[i] == 0 {
                            continue;
                        }
                        let c = diff(ys[i], bs[i]);
                        staff.push(StaffChange {
                            label: year.label.clone(),
                            months: year.months,
                            hcp: *hcp,
                            baseline: bs[i],
                            year: ys[i],
                            change: c,
                            share_of_change_percent: (split_change != 0).then(|| {
                                (Decimal::from(c) * Decimal::from(100)
                                    / Decimal::from(split_change))
                                .round_dp_with_strategy(
                                    1,
                                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                                )
                            }),
                        });
                    }
                }
            }
        }
        years.push(year);
    }
    Pledge {
        basis,
        target: target.unwrap_or(0),
        share,
        baseline,
        years,
        staff,
        notes,
    }
}

// ---------------------------------------------------------------------------
// The roster beside the trend
// ---------------------------------------------------------------------------

/// A network's WTE funded through the ARRS in each month: each post's WTE on
/// each day it is in post, summed over the month's days and divided by them
/// (a post that starts on the 16th of a 30-day month counts half its WTE).
/// Four decimal places. A network with no ARRS post in the roster at all
/// gets no months: pcn does not know its staff, which is not the same as
/// knowing it has none.
pub fn roster_wte_by_month(
    posts: &[Post],
    pcn: &PcnCode,
    months: impl IntoIterator<Item = YearMonth>,
) -> BTreeMap<YearMonth, Decimal> {
    let posts: Vec<&Post> = posts
        .iter()
        .filter(|p| &p.pcn == pcn && p.funding == Funding::Arrs)
        .collect();
    if posts.is_empty() {
        return BTreeMap::new();
    }
    months
        .into_iter()
        .map(|m| {
            let mut wte_days = Decimal::ZERO;
            let mut day = m.first_day();
            let last = m.last_day();
            while day <= last {
                for p in &posts {
                    if p.covers(day) {
                        if let Some(t) = p.terms_at(day) {
                            wte_days += t.wte;
                        }
                    }
                }
                match day.succ_opt() {
                    Some(next) => day = next,
                    None => break,
                }
            }
            (m, (wte_days / Decimal::from(m.days())).round_dp(4))
        })
        .collect()
}

/// A network's staff in ARRS roles at one workforce census.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CensusWte {
    /// The census date (the last day of its month).
    pub census: NaiveDate,
    /// FTE of records in roles the scheme reimburses.
    pub arrs_fte: Decimal,
    /// That FTE by ARRS role id.
    pub by_role: BTreeMap<String, Decimal>,
    /// FTE of every record (ARRS roles and others).
    pub all_fte: Decimal,
}

/// A network's ARRS-role FTE at each census (`crate::arrs::census_role`).
pub fn census_wte(facts: &[WorkforceFact], pcn: &PcnCode) -> BTreeMap<YearMonth, CensusWte> {
    let mut out: BTreeMap<YearMonth, CensusWte> = BTreeMap::new();
    for f in facts.iter().filter(|f| &f.pcn == pcn) {
        let entry = out.entry(YearMonth::of(f.census)).or_insert(CensusWte {
            census: f.census,
            arrs_fte: Decimal::ZERO,
            by_role: BTreeMap::new(),
            all_fte: Decimal::ZERO,
        });
        entry.all_fte += f.fte;
        if let Some(role) = census_role(&f.staff_role, &f.detailed_role) {
            entry.arrs_fte += f.fte;
            *entry.by_role.entry(role.to_string()).or_default() += f.fte;
        }
    }
    out
}

/// A network's staff at each census as its roster keeps them: the posts a
/// census seeded (`Origin::Census`), each census's posts at their first
/// terms. ARRS FTE is that of posts seeded as ARRS-funded (roles the
/// rulebook reimbursed in the census's year); the store keeps the posts a
/// census seeds rather than its records, and a record over 1 FTE became
/// posts adding up to it, so the sums are the records'.
pub fn census_wte_of_posts(posts: &[Post], pcn: &PcnCode) -> BTreeMap<YearMonth, CensusWte> {
    let mut out: BTreeMap<YearMonth, CensusWte> = BTreeMap::new();
    for p in posts.iter().filter(|p| &p.pcn == pcn) {
        let Origin::Census(census) = p.origin else {
            continue;
        };
        let Some(first) = p
            .terms
            .iter()
            .min_by_key(|t| (t.effective_from, t.recorded))
        else {
            continue;
        };
        let entry = out.entry(YearMonth::of(census)).or_insert(CensusWte {
            census,
            arrs_fte: Decimal::ZERO,
            by_role: BTreeMap::new(),
            all_fte: Decimal::ZERO,
        });
        entry.all_fte += first.wte;
        if p.funding == Funding::Arrs {
            entry.arrs_fte += first.wte;
            *entry.by_role.entry(p.role.clone()).or_default() += first.wte;
        }
    }
    out
}

/// England's months as a series, for the trend: the recorded total and
/// whatever splits the newest editions give, per 1,000 patients at the
/// practices included (Table 1's coverage).
pub fn england_series(england: &BTreeMap<YearMonth, EnglandMonth>) -> Series {
    england
        .iter()
        .map(|(m, e)| {
            let mut editions: BTreeSet<YearMonth> = [e.recorded_edition].into();
            editions.extend(e.by_status.map(|(_, ed)| ed));
            editions.extend(e.by_hcp.map(|(_, ed)| ed));
            editions.extend(e.by_mode.map(|(_, ed)| ed));
            editions.extend(e.by_interval.map(|(_, ed)| ed));
            editions.extend(e.coverage.map(|(_, ed)| ed));
            (
                *m,
                MonthFigure {
                    counts: Counts {
                        total: e.recorded,
                        by_status: e.by_status.map(|(s, _)| s),
                        by_hcp: e.by_hcp.map(|(s, _)| s),
                        by_mode: e.by_mode.map(|(s, _)| s),
                        by_interval: e.by_interval.map(|(s, _)| s),
                    },
                    editions: editions.into_iter().collect(),
                    basis: FigureBasis::National,
                    practices: e.coverage.map_or(0, |(c, _)| c.included_practices),
                    patients: e.coverage.map(|(c, _)| Patients {
                        count: c.patients_at_included_practices,
                        as_at: m.first_day(),
                        estimated: false,
                        without_list: 0,
                    }),
                },
            )
        })
        .collect()
}

/// A month as `2025-08` in JSON.
fn month_text<S: serde::Serializer>(m: &YearMonth, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(m)
}

/// One month of a network's trend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrendRow {
    #[serde(serialize_with = "month_text")]
    pub month: YearMonth,
    pub appointments: Option<u64>,
    pub per_thousand: Option<Decimal>,
    /// The same calendar month of 2019.
    pub same_month_2019: Option<u64>,
    pub change_on_2019: Option<i64>,
    /// Staff with other practice staff (where ARRS roles are booked in practice systems).
    pub other_practice_staff: Option<u64>,
    pub roster_arrs_wte: Option<Decimal>,
    pub census_arrs_fte: Option<Decimal>,
}

/// Appointments by month beside the ARRS WTE of the roster and the
/// censuses, every month from the earliest to the latest of any of them.
pub fn trend(
    series: &Series,
    roster: &BTreeMap<YearMonth, Decimal>,
    census: &BTreeMap<YearMonth, CensusWte>,
) -> Vec<TrendRow> {
    let months = || {
        series
            .keys()
            .chain(roster.keys())
            .chain(census.keys())
            .copied()
    };
    let (Some(first), Some(last)) = (months().min(), months().max()) else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    let mut m = first;
    while m <= last {
        let figure = series.get(&m);
        let base = YearMonth::new(BASELINE_YEAR, m.month)
            .and_then(|b| series.get(&b))
            .map(|f| f.counts.total);
        let appointments = figure.map(|f| f.counts.total);
        rows.push(TrendRow {
            month: m,
            appointments,
            per_thousand: figure.and_then(MonthFigure::per_thousand),
            same_month_2019: base,
            change_on_2019: appointments.zip(base).map(|(a, b)| diff(a, b)),
            other_practice_staff: figure.and_then(|f| f.counts.hcp(HcpType::OtherPracticeStaff)),
            roster_arrs_wte: roster.get(&m).copied(),
            census_arrs_fte: census.get(&m).map(|c| c.arrs_fte),
        });
        m = m.next();
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrs::{Employer, Origin, Terms};
    use crate::facts::{FactBatch, ListSizeFact, MembershipInterval, PracticeFact, Sex};
    use crate::gpad_facts::{EditionBasis, Granularity};
    use crate::rulebook::Region;

    fn ym(y: i32, m: u32) -> YearMonth {
        YearMonth::new(y, m).unwrap()
    }
    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn prac(s: &str) -> PracticeCode {
        PracticeCode::parse(s).unwrap()
    }
    fn pcn(s: &str) -> PcnCode {
        PcnCode::parse(s).unwrap()
    }
    fn sub(s: &str) -> SubIcbCode {
        SubIcbCode::parse(s).unwrap()
    }
    /// A pledge month with `recorded` appointments and nothing else known.
    fn recorded(recorded: u64) -> PledgeMonth {
        PledgeMonth {
            recorded,
            by_hcp: None,
            estimated_england_total: None,
            covid_vaccinations_by_practices: None,
            coverage: None,
            patients: None,
            editions: vec![],
        }
    }
    fn edition(y: i32, m: u32) -> GpadEdition {
        GpadEdition {
            month: ym(y, m),
            basis: EditionBasis::NewestMonth,
        }
    }

    /// A row: (area index, month, status, hcp, mode, interval, count).
    type R = (
        u32,
        YearMonth,
        ApptStatus,
        HcpType,
        ApptMode,
        BookingInterval,
        u32,
    );

    fn table(ed: GpadEdition, areas: Vec<AppointmentArea>, rows: &[R]) -> AppointmentTable {
        let mut rows: Vec<AppointmentRow> = rows
            .iter()
            .map(
                |&(area, month, status, hcp, mode, interval, count)| AppointmentRow {
                    area,
                    month,
                    status,
                    hcp,
                    mode,
                    interval,
                    category: None,
                    count,
                },
            )
            .collect();
        rows.sort_by_key(|r| (r.area, r.month));
        AppointmentTable {
            edition: ed,
            setting: AppointmentSetting::Practice,
            granularity: Granularity::Monthly,
            areas,
            categories: Vec::new(),
            rows,
        }
    }

    fn practice_area(code: &str, sub_icb: &str) -> AppointmentArea {
        AppointmentArea::Practice {
            code: prac(code),
            pcn: None,
            sub_icb: Some(sub(sub_icb)),
        }
    }

    use ApptMode::{FaceToFace as F2F, Telephone as Tel};
    use ApptStatus::{Attended as Att, Dna, Unknown as Unk};
    use BookingInterval::{OneDay, SameDay};
    use HcpType::{Gp, OtherPracticeStaff as Other};

    #[test]
    fn the_newest_edition_of_an_area_month_replaces_the_older_whole() {
        let old = table(
            edition(2023, 6),
            vec![practice_area("A81001", "16C")],
            &[
                (0, ym(2023, 1), Att, Gp, F2F, SameDay, 60),
                (0, ym(2023, 1), Dna, Gp, Tel, OneDay, 40),
                // Only the old edition has December 2022.
                (0, ym(2022, 12), Att, Gp, F2F, SameDay, 7),
            ],
        );
        let new = table(
            edition(2023, 12),
            vec![practice_area("A81001", "16C")],
            &[
                (0, ym(2023, 1), Att, Gp, F2F, SameDay, 70),
                (0, ym(2023, 1), Unk, Other, F2F, SameDay, 40),
            ],
        );
        // Order of the facts does not matter.
        for tables in [vec![old.clone(), new.clone()], vec![new, old]] {
            let a = Appointments::new(&tables, &[]);
            let s = a.practice(&prac("A81001"), None);
            let jan = &s[&ym(2023, 1)];
            assert_eq!(jan.counts.total, 110);
            assert_eq!(jan.editions, vec![ym(2023, 12)]);
            // The old edition's DNA row is not mixed in.
            assert_eq!(jan.counts.dna(), Some(0));
            assert_eq!(jan.counts.unknown_status(), Some(40));
            assert_eq!(jan.counts.mode(Tel), Some(0));
            assert_eq!(jan.counts.hcp(Other), Some(40));
            let dec = &s[&ym(2022, 12)];
            assert_eq!(dec.counts.total, 7);
            assert_eq!(dec.editions, vec![ym(2023, 6)]);
            assert_eq!(a.replaced_area_months(), 1);
        }
    }

    #[test]
    fn of_two_tables_of_one_edition_the_later_wins() {
        let first = table(
            edition(2023, 6),
            vec![practice_area("A81001", "16C")],
            &[(0, ym(2023, 1), Att, Gp, F2F, SameDay, 5)],
        );
        let second = table(
            edition(2023, 6),
            vec![practice_area("A81001", "16C")],
            &[(0, ym(2023, 1), Att, Gp, F2F, SameDay, 9)],
        );
        let a = Appointments::new(&[first, second], &[]);
        assert_eq!(
            a.practice(&prac("A81001"), None)[&ym(2023, 1)].counts.total,
            9
        );
    }

    fn registry_with_a_move() -> Registry {
        let list = |p: &str, at: &str, n: u64| ListSizeFact {
            practice: prac(p),
            as_at: d(at),
            sex: Sex::All,
            total: n,
            bands: None,
        };
        let interval = |p: &str, n: &str, start: &str, end: Option<&str>| MembershipInterval {
            practice: prac(p),
            pcn: pcn(n),
            start: d(start),
            end: end.map(d),
        };
        let mut a = PracticeFact::new(prac("A81001"), d("2022-01-01"));
        a.sub_icb = Some(sub("16C"));
        let mut b = PracticeFact::new(prac("A81002"), d("2022-01-01"));
        b.sub_icb = Some(sub("16C"));
        let mut c = PracticeFact::new(prac("A81003"), d("2022-01-01"));
        c.sub_icb = Some(sub("00L"));
        Registry::new(FactBatch {
            practices: vec![a, b, c],
            intervals: vec![
                // A81001 moves from U00001 to U00002 on 1 March 2023.
                interval("A81001", "U00001", "2019-07-01", Some("2023-02-28")),
                interval("A81001", "U00002", "2023-03-01", None),
                interval("A81003", "U00002", "2019-07-01", None),
            ],
            list_sizes: vec![
                list("A81001", "2023-01-01", 10_000),
                list("A81002", "2023-01-01", 4_000),
                list("A81003", "2023-01-01", 6_000),
                list("A81003", "2023-04-01", 6_500),
            ],
            ..FactBatch::default()
        })
    }

    #[test]
    fn a_practice_that_moved_counts_for_each_network_in_its_own_months() {
        let registry = registry_with_a_move();
        let t = table(
            edition(2023, 4),
            vec![
                practice_area("A81001", "16C"),
                practice_area("A81002", "16C"),
                practice_area("A81003", "00L"),
            ],
            &[
                (0, ym(2023, 1), Att, Gp, F2F, SameDay, 300),
                (0, ym(2023, 2), Att, Gp, F2F, SameDay, 200),
                (0, ym(2023, 3), Att, Gp, F2F, SameDay, 250),
                (0, ym(2023, 3), Dna, Other, Tel, OneDay, 50),
                // A81002 is in no network.
                (1, ym(2023, 3), Att, Gp, F2F, SameDay, 80),
                (2, ym(2023, 3), Att, Other, F2F, SameDay, 120),
                (2, ym(2023, 4), Att, Other, F2F, SameDay, 130),
            ],
        );
        let a = Appointments::new(&[t], &[]);
        let all = a.by_network(&registry);
        let one = &all.networks[&pcn("U00001")];
        assert_eq!(
            one.iter()
                .map(|(m, f)| (*m, f.counts.total))
                .collect::<Vec<_>>(),
            vec![(ym(2023, 1), 300), (ym(2023, 2), 200)]
        );
        // 300 appointments over 10,000 patients: 30 per 1,000.
        assert_eq!(one[&ym(2023, 1)].per_thousand(), Some(Decimal::from(30)));
        let two = &all.networks[&pcn("U00002")];
        let march = &two[&ym(2023, 3)];
        assert_eq!(march.counts.total, 250 + 50 + 120);
        assert_eq!(march.practices, 2);
        assert_eq!(march.counts.dna(), Some(50));
        // 420 over 10,000 + 6,000 patients = 26.25 per 1,000.
        assert_eq!(march.patients.unwrap().count, 16_000);
        assert_eq!(march.per_thousand(), Some("26.25".parse().unwrap()));
        // April: A81003's list of 1 April 2023; 130 / 6,500 × 1,000 = 20.
        assert_eq!(two[&ym(2023, 4)].per_thousand(), Some(Decimal::from(20)));
        assert_eq!(all.not_counted.len(), 1);
        assert_eq!(all.not_counted[0].practice, prac("A81002"));
        assert_eq!(all.not_counted[0].appointments, 80);
        // The network function is the same attribution.
        assert_eq!(a.network(&registry, &pcn("U00001")), *one);

        // The commissioner from the practices the file places in it.
        let c = a.sub_icb_from_practices(&sub("16C"), Some(&registry));
        assert_eq!(c[&ym(2023, 3)].counts.total, 250 + 50 + 80);
        assert_eq!(c[&ym(2023, 3)].basis, FigureBasis::SumOfPractices);
        assert_eq!(c[&ym(2023, 3)].patients.unwrap().count, 14_000);
    }

    #[test]
    fn shares_of_england_come_from_one_list_extract() {
        let registry = registry_with_a_move();
        // Before any extract: the earliest, 1 January 2023 (20,000 patients).
        let s = sub_icb_share(&registry, &sub("16C"), d("2019-06-01")).unwrap();
        assert_eq!(
            (s.area_patients, s.england_patients, s.as_at),
            (14_000, 20_000, d("2023-01-01"))
        );
        let n = network_share(&registry, &pcn("U00001"), d("2023-02-01")).unwrap();
        assert_eq!((n.area_patients, n.england_patients), (10_000, 20_000));
        // 1 April 2023's extract has only A81003.
        let n = network_share(&registry, &pcn("U00002"), d("2023-05-01")).unwrap();
        assert_eq!(
            (n.area_patients, n.england_patients, n.as_at),
            (6_500, 6_500, d("2023-04-01"))
        );
        assert!(sub_icb_share(
            &Registry::new(FactBatch::default()),
            &sub("16C"),
            d("2023-01-01")
        )
        .is_none());
    }

    #[test]
    fn lists_from_after_the_month_are_marked_as_estimates() {
        let registry = registry_with_a_move();
        let t = table(
            edition(2022, 12),
            vec![practice_area("A81001", "16C")],
            &[(0, ym(2022, 12), Att, Gp, F2F, SameDay, 100)],
        );
        let a = Appointments::new(&[t], &[]);
        let s = a.practice(&prac("A81001"), Some(&registry));
        let p = s[&ym(2022, 12)].patients.unwrap();
        assert_eq!(p.count, 10_000);
        assert!(p.estimated);
        assert_eq!(p.as_at, d("2023-01-01"));
    }

    #[test]
    fn a_commissioner_prefers_its_sub_icb_file_and_falls_back_to_practices() {
        let registry = registry_with_a_move();
        let practices = table(
            edition(2023, 4),
            vec![practice_area("A81001", "16C")],
            &[
                (0, ym(2023, 3), Att, Gp, F2F, SameDay, 11),
                (0, ym(2023, 4), Att, Gp, F2F, SameDay, 13),
            ],
        );
        let sub_icb = table(
            edition(2023, 3),
            vec![AppointmentArea::SubIcb(sub("16C"))],
            &[
                (0, ym(2023, 2), Att, Gp, F2F, SameDay, 1_000),
                (0, ym(2023, 3), Dna, Gp, F2F, SameDay, 1_100),
            ],
        );
        let a = Appointments::new(&[practices, sub_icb], &[]);
        let c = a.commissioner(&sub("16C"), Some(&registry));
        assert_eq!(c[&ym(2023, 2)].counts.total, 1_000);
        assert_eq!(c[&ym(2023, 3)].counts.total, 1_100);
        assert_eq!(c[&ym(2023, 3)].basis, FigureBasis::SubIcbFile);
        assert_eq!(c[&ym(2023, 4)].counts.total, 13);
        assert_eq!(c[&ym(2023, 4)].basis, FigureBasis::SumOfPractices);
        // The sub-ICB file's denominator: both practices the registry
        // places in 16C (10,000 + 4,000), whether or not they had data.
        assert_eq!(c[&ym(2023, 3)].patients.unwrap().count, 14_000);
        assert_eq!(a.sub_icbs(AppointmentSetting::Practice), vec![&sub("16C")]);
    }

    fn national(
        month: YearMonth,
        ed: GpadEdition,
        series: NationalSeries,
        recorded: u64,
    ) -> NationalAppointmentMonth {
        NationalAppointmentMonth::recorded(month, ed, series, recorded)
    }

    #[test]
    fn england_takes_each_figure_from_the_newest_edition_that_gives_it() {
        let mut table1 = national(
            ym(2020, 1),
            edition(2021, 4),
            NationalSeries::SummaryTable,
            100,
        );
        table1.estimated_england_total = Some(110);
        table1.coverage = Some(Coverage {
            open_practices: 10,
            included_practices: 9,
            patients_at_open_practices: 1_000,
            patients_at_included_practices: 950,
        });
        table1.by_hcp = Some(vec![(Gp, 60), (Other, 40)]);
        let mut monthly = national(
            ym(2020, 1),
            edition(2024, 1),
            NationalSeries::MonthlyCsv,
            101,
        );
        monthly.by_interval = Some(vec![(SameDay, 51), (OneDay, 50)]);
        let a = Appointments::new(&[], &[monthly, table1]);
        let m = &a.england()[&ym(2020, 1)];
        assert_eq!(m.recorded, 101);
        assert_eq!(m.recorded_edition, ym(2024, 1));
        assert_eq!(m.recorded_series, NationalSeries::MonthlyCsv);
        assert_eq!(m.estimated_england_total, Some((110, ym(2021, 4))));
        assert_eq!(m.by_hcp.unwrap().0[Gp.index()], 60);
        assert_eq!(m.by_interval.unwrap().0[SameDay.index()], 51);
        assert_eq!(m.patient_coverage(), Some("0.95".parse().unwrap()));
        // 101 over 950 patients at included practices.
        assert_eq!(m.per_thousand(), Some("106.32".parse().unwrap()));
    }

    fn england_year(
        year: i32,
        recorded: u64,
        gp: u64,
        other: u64,
        estimate: Option<u64>,
    ) -> Vec<NationalAppointmentMonth> {
        (1..=12)
            .map(|mo| {
                let mut f = national(
                    ym(year, mo),
                    edition(year, 12),
                    NationalSeries::SummaryTable,
                    recorded,
                );
                f.by_hcp = Some(vec![
                    (Gp, gp),
                    (Other, other),
                    (HcpType::Unknown, recorded - gp - other),
                ]);
                f.estimated_england_total = estimate;
                f.coverage = Some(Coverage {
                    open_practices: 100,
                    included_practices: 95,
                    patients_at_open_practices: 60_000_000,
                    patients_at_included_practices: 57_000_000 + u64::from(mo) * 100_000,
                });
                f
            })
            .collect()
    }

    #[test]
    fn the_pledge_for_england() {
        let mut facts = england_year(2019, 25_000_000, 13_000_000, 11_000_000, Some(26_000_000));
        facts.extend(england_year(2023, 29_000_000, 14_000_000, 14_000_000, None));
        // Three months of 2024.
        facts.extend(
            england_year(2024, 30_000_000, 15_000_000, 14_000_000, None)
                .into_iter()
                .take(3),
        );
        let a = Appointments::new(&[], &facts);
        let p = pledge(
            &england_pledge_months(a.england()),
            YearBasis::Calendar,
            None,
        );
        assert_eq!(p.target, 50_000_000);
        let base = p.baseline.as_ref().unwrap();
        assert_eq!(base.recorded, 300_000_000);
        assert_eq!(base.estimated_england_total, Some(312_000_000));
        assert_eq!(
            base.patient_coverage,
            Some(("0.9517".parse().unwrap(), "0.9700".parse().unwrap()))
        );
        assert_eq!(p.years.len(), 2);
        let y23 = &p.years[0];
        assert_eq!(y23.label, "2023");
        assert_eq!(y23.recorded, 348_000_000);
        assert_eq!(y23.change, Some(48_000_000));
        assert_eq!(y23.change_percent, Some("16.0".parse().unwrap()));
        assert_eq!(y23.gap, Some(2_000_000));
        assert_eq!(y23.estimated_england_total, None);
        assert_eq!(y23.estimated_change, None);
        // Where the growth came from: GPs +12m (25%), other staff +36m (75%);
        // in January–March 2024 against the same months of 2019, GPs +6m
        // (40%), other staff +9m (60%).
        let staff: Vec<(&str, u32, HcpType, i64, Option<Decimal>)> = p
            .staff
            .iter()
            .map(|s| {
                (
                    s.label.as_str(),
                    s.months,
                    s.hcp,
                    s.change,
                    s.share_of_change_percent,
                )
            })
            .collect();
        let pc = |s: &str| Some(s.parse::<Decimal>().unwrap());
        assert_eq!(
            staff,
            vec![
                ("2023", 12, Gp, 12_000_000, pc("25.0")),
                ("2023", 12, Other, 36_000_000, pc("75.0")),
                ("2023", 12, HcpType::Unknown, 0, pc("0.0")),
                ("2024", 3, Gp, 6_000_000, pc("40.0")),
                ("2024", 3, Other, 9_000_000, pc("60.0")),
                ("2024", 3, HcpType::Unknown, 0, pc("0.0")),
            ]
        );
        // 2024 has three months: compared with January–March 2019, no gap.
        let y24 = &p.years[1];
        assert_eq!(y24.months, 3);
        assert_eq!(y24.change, Some(15_000_000));
        assert_eq!(y24.gap, None);
        assert!(p
            .notes
            .iter()
            .any(|n| n.contains("2024 has 3 of 12 months")));
    }

    #[test]
    fn an_area_is_measured_against_its_share_of_the_pledge() {
        // Wakefield's 383,954 of England's 60,606,345 patients (1 Jan 2021):
        // 50,000,000 × 383,954 / 60,606,345 = 316,760.56 → 316,761.
        let share = Share {
            area_patients: 383_954,
            england_patients: 60_606_345,
            as_at: d("2021-01-01"),
        };
        assert_eq!(target_for(Some(&share)), Some(316_761));
        let months: BTreeMap<YearMonth, PledgeMonth> = (1..=12)
            .map(|m| (ym(2019, m), 190_000))
            .chain((1..=12).map(|m| (ym(2022, m), 215_000)))
            .map(|(month, n)| {
                (
                    month,
                    PledgeMonth {
                        patients: Some(380_000),
                        editions: vec![ym(2023, 10)],
                        ..recorded(n)
                    },
                )
            })
            .collect();
        let p = pledge(&months, YearBasis::Calendar, Some(share));
        assert_eq!(p.target, 316_761);
        let y = &p.years[0];
        assert_eq!(y.label, "2022");
        // 12 × 25,000 more a month = 300,000; 16,761 short.
        assert_eq!(y.change, Some(300_000));
        assert_eq!(y.gap, Some(16_761));
        // 2,580,000 a year over 380,000 patients: 6,789.47 per 1,000.
        assert_eq!(y.per_thousand, Some("6789.47".parse().unwrap()));
        assert!(p.staff.is_empty());
    }

    #[test]
    fn financial_years_start_in_april() {
        let months: BTreeMap<YearMonth, PledgeMonth> = (0..24)
            .map(|i| {
                let m = ym(2019 + (3 + i) / 12, ((3 + i) % 12 + 1) as u32);
                (m, recorded(if m < ym(2020, 4) { 10 } else { 12 }))
            })
            .collect();
        let p = pledge(&months, YearBasis::Financial, None);
        assert_eq!(p.baseline.as_ref().unwrap().label, "2019-20");
        assert_eq!(p.baseline.as_ref().unwrap().recorded, 120);
        assert_eq!(p.years[0].label, "2020-21");
        assert_eq!(p.years[0].change, Some(24));
        assert_eq!(p.years[0].gap, Some(50_000_000 - 24));
    }

    #[test]
    fn no_baseline_no_change() {
        let months: BTreeMap<YearMonth, PledgeMonth> = [(ym(2023, 1), recorded(5))].into();
        let p = pledge(&months, YearBasis::Calendar, None);
        assert!(p.baseline.is_none());
        assert_eq!(p.years[0].change, None);
        assert!(p.notes[0].contains("no data for the baseline year 2019"));
    }

    fn post(id: i64, funding: Funding, start: &str, terms: &[(&str, &str)]) -> Post {
        Post {
            id,
            pcn: pcn("U00001"),
            person: format!("P{id}"),
            name: None,
            role: "paramedic".into(),
            employer: Employer::Network,
            funding,
            region: Region::England,
            start: d(start),
            end: None,
            terms: terms
                .iter()
                .enumerate()
                .map(|(i, (from, wte))| Terms {
                    effective_from: d(from),
                    band: "7".into(),
                    wte: wte.parse().unwrap(),
                    salary: None,
                    on_costs: None,
                    levy: false,
                    recorded: i as u64,
                })
                .collect(),
            origin: Origin::Entered,
        }
    }

    #[test]
    fn roster_wte_is_averaged_over_the_days_of_the_month() {
        let posts = vec![
            // Starts on 16 June: 15 of June's 30 days at 1 WTE = 0.5.
            post(1, Funding::Arrs, "2024-06-16", &[("2024-06-16", "1")]),
            // 0.6 WTE, 0.8 from 11 June: (10 × 0.6 + 20 × 0.8) / 30 = 0.7333.
            post(
                2,
                Funding::Arrs,
                "2024-01-01",
                &[("2024-01-01", "0.6"), ("2024-06-11", "0.8")],
            ),
            // Not funded through the ARRS: left out.
            post(3, Funding::Other, "2024-01-01", &[("2024-01-01", "1")]),
        ];
        let wte = roster_wte_by_month(
            &posts,
            &pcn("U00001"),
            [ym(2024, 5), ym(2024, 6), ym(2024, 7)],
        );
        assert_eq!(wte[&ym(2024, 5)], "0.6".parse::<Decimal>().unwrap());
        assert_eq!(wte[&ym(2024, 6)], "1.2333".parse::<Decimal>().unwrap());
        assert_eq!(wte[&ym(2024, 7)], "1.8".parse::<Decimal>().unwrap());
        // Before its first post a network has none; with no post at all
        // pcn does not know its staff.
        assert!(
            roster_wte_by_month(&posts, &pcn("U00001"), [ym(2023, 12)])[&ym(2023, 12)].is_zero()
        );
        assert!(roster_wte_by_month(&posts, &pcn("U00002"), [ym(2024, 6)]).is_empty());
    }

    #[test]
    fn census_fte_in_arrs_roles_and_the_trend_beside_it() {
        let fact = |role: &str, fte: &str| WorkforceFact {
            pcn: pcn("U00001"),
            census: d("2019-09-30"),
            data_source: "NWRS Staff".into(),
            staff_group: "Direct Patient Care".into(),
            staff_role: role.into(),
            detailed_role: role.into(),
            fte: fte.parse().unwrap(),
            person: role.into(),
            region: None,
        };
        let census = census_wte(
            &[
                fact("Pharmacists", "1.0"),
                fact("Managers", "0.5"),
                fact("Paramedics", "0.4"),
            ],
            &pcn("U00001"),
        );
        let c = &census[&ym(2019, 9)];
        assert_eq!(c.arrs_fte, "1.4".parse::<Decimal>().unwrap());
        assert_eq!(c.all_fte, "1.9".parse::<Decimal>().unwrap());
        assert_eq!(c.by_role["clinical-pharmacist"], Decimal::ONE);

        let mut series = Series::new();
        for (m, n) in [(ym(2019, 9), 1_000u64), (ym(2020, 9), 1_100)] {
            let mut counts = Counts::zero();
            counts.total = n;
            series.insert(
                m,
                MonthFigure {
                    counts,
                    editions: vec![],
                    basis: FigureBasis::SumOfPractices,
                    practices: 2,
                    patients: None,
                },
            );
        }
        let roster: BTreeMap<YearMonth, Decimal> = [(ym(2020, 9), Decimal::from(3))].into();
        let rows = trend(&series, &roster, &census);
        assert_eq!(rows.len(), 13);
        assert_eq!(rows[0].census_arrs_fte, Some("1.4".parse().unwrap()));
        assert_eq!(rows[0].change_on_2019, Some(0));
        assert_eq!(rows[1].appointments, None);
        let last = rows.last().unwrap();
        assert_eq!(last.month, ym(2020, 9));
        assert_eq!(last.same_month_2019, Some(1_000));
        assert_eq!(last.change_on_2019, Some(100));
        assert_eq!(last.roster_arrs_wte, Some(Decimal::from(3)));
    }

    #[test]
    fn per_thousand_rounds_half_away_from_zero() {
        assert_eq!(per_thousand(1, 8), Some("125".parse().unwrap()));
        assert_eq!(per_thousand(1, 80_000), Some("0.01".parse().unwrap()));
        assert_eq!(per_thousand(1, 0), None);
    }
}
