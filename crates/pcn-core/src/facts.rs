//! Facts: what one source said about the registry on one date.
//!
//! Importers turn official files into facts; the store keeps every fact with
//! the import it came from (so history is never overwritten); the registry
//! (`crate::registry`) combines the facts into the state as at any date.
//! Every fact carries the date its source describes (`as_at`), which decides
//! which of two disagreeing sources is newer.

use chrono::NaiveDate;
pub use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::codes::{IcbCode, PcnCode, PracticeCode, RegionCode, SubIcbCode};

/// The kinds of file pcn reads. The name is what `pcn import` prints and what
/// the import log stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// ODS ePCN.xlsx, or its CSV report `epcn` (the PCNDetails table).
    EpcnDetails,
    /// ODS ePCN.xlsx sheet or CSV report `epcncorepartnerdetails`.
    EpcnPartners,
    /// ODS ePCN.xlsx with both sheets, read as one file.
    EpcnWorkbook,
    /// ODS epraccur.csv: GP practices, no header.
    Epraccur,
    /// Patients Registered at a GP Practice: practice → PCN → sub-ICB map.
    RegistrationMap,
    /// Patients Registered at a GP Practice: five-year age bands.
    RegistrationQuinaryAge,
    /// Patients Registered at a GP Practice: single years of age.
    RegistrationSingleAge,
    /// Patients Registered at a GP Practice: totals (the `all` file).
    RegistrationTotals,
    /// Appointments in General Practice (GPAD) Mapping.csv.
    GpadMapping,
    /// NHS website GP.csv (practice coordinates).
    NhsWebsiteGp,
    /// pcn's own CSV of network governance facts.
    Governance,
    /// NHS Payments to General Practice, practice-level CSV: weighted
    /// populations and the PCN payments actually made.
    NhsPaymentsPractice,
    /// pcn's own population CSV (weighted per practice, adjusted per network).
    Populations,
    /// CQC HSCA Active Locations (care homes and their beds).
    CqcCareHomes,
    /// pcn's own care-home alignment CSV (care home → network).
    CareHomeAlignment,
    /// NHS England Digital's IIF indicators (raw achievement measures).
    IifIndicators,
    /// pcn's own CSV of IIF points achieved, as entered by a commissioner.
    IifPoints,
    /// Facts entered at the command line (`pcn network set`).
    Manual,
    /// The synthetic demo commissioner.
    Demo,
    /// NHS England Digital's Primary Care Network Workforce, individual-level CSV.
    PcnWorkforce,
    /// GPAD practice-level crosstab (`Practice_Level_Crosstab_*.csv`).
    GpadPracticeAppointments,
    /// GPAD monthly counts by sub-ICB location or CCG (the "Regional CSV").
    GpadSubIcbMonthly,
    /// GPAD daily counts by sub-ICB location or CCG (`SUB_ICB_LOCATION_CSV_*`, `CCG_CSV_*`).
    GpadSubIcbDaily,
    /// GPAD appointments delivered by networks, by sub-ICB location (the PCN-level file).
    GpadPcnAppointments,
    /// GPAD summary workbook, Table 1 (national by month, coverage, estimate), or that table as CSV.
    GpadNationalSummary,
    /// A national monthly GPAD series by one split (such as booking interval) as CSV.
    GpadNationalMonthly,
    /// pcn's own CSV of care home rounds (Enhanced Health in Care Homes).
    CareHomeRounds,
    /// pcn's own CSV of new residents' care plans.
    CarePlans,
    /// pcn's own CSV of a network's planned enhanced access sessions.
    AccessSessionsPlanned,
    /// pcn's own CSV of enhanced access sessions delivered.
    AccessSessionsDelivered,
    /// NHS England's PCN adjusted populations by practice (raw list,
    /// adjusted and weighted populations).
    PcnAdjustedPopulations,
    /// pcn's own CSV of a network's remittances (`pcn_code, month, stream,
    /// amount`): what it was paid, month by month.
    Remittances,
}

impl SourceKind {
    pub const ALL: [SourceKind; 32] = [
        SourceKind::EpcnDetails,
        SourceKind::EpcnPartners,
        SourceKind::EpcnWorkbook,
        SourceKind::Epraccur,
        SourceKind::RegistrationMap,
        SourceKind::RegistrationQuinaryAge,
        SourceKind::RegistrationSingleAge,
        SourceKind::RegistrationTotals,
        SourceKind::GpadMapping,
        SourceKind::NhsWebsiteGp,
        SourceKind::Governance,
        SourceKind::NhsPaymentsPractice,
        SourceKind::Populations,
        SourceKind::CqcCareHomes,
        SourceKind::CareHomeAlignment,
        SourceKind::IifIndicators,
        SourceKind::IifPoints,
        SourceKind::Manual,
        SourceKind::Demo,
        SourceKind::PcnWorkforce,
        SourceKind::GpadPracticeAppointments,
        SourceKind::GpadSubIcbMonthly,
        SourceKind::GpadSubIcbDaily,
        SourceKind::GpadPcnAppointments,
        SourceKind::GpadNationalSummary,
        SourceKind::GpadNationalMonthly,
        SourceKind::CareHomeRounds,
        SourceKind::CarePlans,
        SourceKind::AccessSessionsPlanned,
        SourceKind::AccessSessionsDelivered,
        SourceKind::PcnAdjustedPopulations,
        SourceKind::Remittances,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SourceKind::EpcnDetails => "epcn-details",
            SourceKind::EpcnPartners => "epcn-partners",
            SourceKind::EpcnWorkbook => "epcn-workbook",
            SourceKind::Epraccur => "epraccur",
            SourceKind::RegistrationMap => "registration-map",
            SourceKind::RegistrationQuinaryAge => "registration-quinary-age",
            SourceKind::RegistrationSingleAge => "registration-single-age",
            SourceKind::RegistrationTotals => "registration-totals",
            SourceKind::GpadMapping => "gpad-mapping",
            SourceKind::NhsWebsiteGp => "nhs-website-gp",
            SourceKind::Governance => "governance",
            SourceKind::NhsPaymentsPractice => "nhs-payments-practice",
            SourceKind::Populations => "populations",
            SourceKind::CqcCareHomes => "cqc-care-homes",
            SourceKind::CareHomeAlignment => "care-home-alignment",
            SourceKind::IifIndicators => "iif-indicators",
            SourceKind::IifPoints => "iif-points",
            SourceKind::Manual => "manual",
            SourceKind::Demo => "demo",
            SourceKind::PcnWorkforce => "pcn-workforce",
            SourceKind::GpadPracticeAppointments => "gpad-practice-appointments",
            SourceKind::GpadSubIcbMonthly => "gpad-sub-icb-monthly",
            SourceKind::GpadSubIcbDaily => "gpad-sub-icb-daily",
            SourceKind::GpadPcnAppointments => "gpad-pcn-appointments",
            SourceKind::GpadNationalSummary => "gpad-national-summary",
            SourceKind::GpadNationalMonthly => "gpad-national-monthly",
            SourceKind::CareHomeRounds => "care-home-rounds",
            SourceKind::CarePlans => "care-plans",
            SourceKind::AccessSessionsPlanned => "access-sessions-planned",
            SourceKind::AccessSessionsDelivered => "access-sessions-delivered",
            SourceKind::PcnAdjustedPopulations => "pcn-adjusted-populations",
            SourceKind::Remittances => "remittances",
        }
    }

    pub fn from_name(name: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// ODS status of a practice (epraccur column 13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PracticeStatus {
    Active,
    Closed,
    Dormant,
    Proposed,
}

impl PracticeStatus {
    pub fn parse(code: &str) -> Option<Self> {
        match code.trim() {
            "A" => Some(Self::Active),
            "C" => Some(Self::Closed),
            "D" => Some(Self::Dormant),
            "P" => Some(Self::Proposed),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Active => "A",
            Self::Closed => "C",
            Self::Dormant => "D",
            Self::Proposed => "P",
        }
    }
}

/// A point in WGS84 degrees. Coordinates are not money, so floats are right here.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl LatLon {
    /// Accepts only points that could be in or near England, so a swapped or
    /// zeroed pair is caught at the edge.
    pub fn new_in_uk(lat: f64, lon: f64) -> Option<Self> {
        ((49.0..=61.5).contains(&lat) && (-9.0..=2.5).contains(&lon)).then_some(Self { lat, lon })
    }
}

/// What one source says about a practice. `None` means "this source does not say".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PracticeFact {
    pub code: PracticeCode,
    pub as_at: NaiveDate,
    pub name: Option<String>,
    pub postcode: Option<String>,
    pub sub_icb: Option<SubIcbCode>,
    pub sub_icb_name: Option<String>,
    pub icb: Option<IcbCode>,
    pub icb_name: Option<String>,
    pub region: Option<RegionCode>,
    pub region_name: Option<String>,
    pub open_date: Option<NaiveDate>,
    pub close_date: Option<NaiveDate>,
    pub status: Option<PracticeStatus>,
    pub prescribing_setting: Option<u8>,
    pub supplier: Option<String>,
    pub location: Option<LatLon>,
}

impl PracticeFact {
    /// A fact that says nothing but the code and date; importers fill in what
    /// their file has.
    pub fn new(code: PracticeCode, as_at: NaiveDate) -> Self {
        Self {
            code,
            as_at,
            name: None,
            postcode: None,
            sub_icb: None,
            sub_icb_name: None,
            icb: None,
            icb_name: None,
            region: None,
            region_name: None,
            open_date: None,
            close_date: None,
            status: None,
            prescribing_setting: None,
            supplier: None,
            location: None,
        }
    }
}

/// What one source says about a network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkFact {
    pub code: PcnCode,
    pub as_at: NaiveDate,
    pub name: Option<String>,
    pub sub_icb: Option<SubIcbCode>,
    pub open_date: Option<NaiveDate>,
    pub close_date: Option<NaiveDate>,
    pub postcode: Option<String>,
}

impl NetworkFact {
    pub fn new(code: PcnCode, as_at: NaiveDate) -> Self {
        Self {
            code,
            as_at,
            name: None,
            sub_icb: None,
            open_date: None,
            close_date: None,
            postcode: None,
        }
    }
}

/// A practice-to-network relationship with its own dates, as ODS records it
/// (ePCN "PCN Core Partner Details"). `end` is the last day of membership;
/// `None` is a current relationship.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipInterval {
    pub practice: PracticeCode,
    pub pcn: PcnCode,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
}

/// A snapshot source (the registration map, GPAD mapping) saw `practice` in
/// `pcn` on `as_at`. `pcn` may be the `U` placeholder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipObservation {
    pub practice: PracticeCode,
    pub pcn: PcnCode,
    pub as_at: NaiveDate,
}

/// A membership change recorded by hand: from `effective_from`, `practice`
/// is in `pcn` alone, or in no network when `pcn` is the `U` placeholder (it
/// left). This is how a network or commissioner records a move the official
/// files do not show yet. The registry weighs it as dated evidence, like any
/// other; it wins a tie of dates (see [`crate::registry`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipChange {
    pub practice: PracticeCode,
    pub pcn: PcnCode,
    pub effective_from: NaiveDate,
}

/// Sex as the registration files give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Sex {
    All,
    Female,
    Male,
}

impl Sex {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "ALL" | "PERSONS" => Some(Self::All),
            "FEMALE" | "F" => Some(Self::Female),
            "MALE" | "M" => Some(Self::Male),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::All => "ALL",
            Self::Female => "FEMALE",
            Self::Male => "MALE",
        }
    }
}

/// The five-year age bands of the registration files: `0_4` … `90_94`, `95+`.
pub const AGE_BANDS: [&str; 20] = [
    "0_4", "5_9", "10_14", "15_19", "20_24", "25_29", "30_34", "35_39", "40_44", "45_49", "50_54",
    "55_59", "60_64", "65_69", "70_74", "75_79", "80_84", "85_89", "90_94", "95+",
];

/// The band index of an age in whole years (95 and over share the last band).
pub fn age_band_of_years(age: u32) -> usize {
    (age as usize / 5).min(AGE_BANDS.len() - 1)
}

/// The band index of a band label as published (`0_4`, `95+`; also `0-4`).
pub fn age_band_index(label: &str) -> Option<usize> {
    let norm = label.trim().replace('-', "_");
    AGE_BANDS.iter().position(|b| *b == norm)
}

/// Registered patients of a practice as at a date, for one sex: the total,
/// and the five-year bands when the file has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListSizeFact {
    pub practice: PracticeCode,
    pub as_at: NaiveDate,
    pub sex: Sex,
    pub total: u64,
    pub bands: Option<[u64; 20]>,
}

/// Everything one import (or one demo build) contributes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FactBatch {
    pub practices: Vec<PracticeFact>,
    pub networks: Vec<NetworkFact>,
    pub intervals: Vec<MembershipInterval>,
    pub observations: Vec<MembershipObservation>,
    pub list_sizes: Vec<ListSizeFact>,
    pub governance: Vec<GovernanceFact>,
    /// Membership changes recorded by hand, in the order recorded.
    #[serde(default)]
    pub membership_changes: Vec<MembershipChange>,
    /// Weighted (practice) and adjusted (network) populations.
    #[serde(default)]
    pub populations: Vec<PopulationFact>,
    /// CQC care homes (only locations that are care homes).
    #[serde(default)]
    pub care_homes: Vec<CareHomeFact>,
    #[serde(default)]
    pub care_home_alignments: Vec<CareHomeAlignment>,
    #[serde(default)]
    pub iif_achievements: Vec<IifAchievementFact>,
    #[serde(default)]
    pub iif_points: Vec<IifPointsFact>,
    #[serde(default)]
    pub payment_actuals: Vec<PaymentActualFact>,
    /// PCN workforce census records (seed the ARRS rosters; not part of the registry).
    #[serde(default)]
    pub workforce: Vec<WorkforceFact>,
    /// GPAD appointment counts at practice or sub-ICB level, one table per file.
    #[serde(default)]
    pub appointments: Vec<crate::gpad_facts::AppointmentTable>,
    /// GPAD national months (summary table, national monthly series).
    #[serde(default)]
    pub national_appointments: Vec<crate::gpad_facts::NationalAppointmentMonth>,
    /// Service delivery records: care home rounds and plans, access sessions.
    #[serde(default)]
    pub services: crate::services::ServiceRecords,
    /// Rows of networks' remittance CSVs. Not part of the registry: the
    /// store keeps them in their own table and reads them back for a
    /// reconciliation, so they stay out of the registry cache's encoding.
    #[serde(skip)]
    pub remittances: Vec<Remittance>,
}

impl FactBatch {
    pub fn len(&self) -> usize {
        self.practices.len()
            + self.networks.len()
            + self.intervals.len()
            + self.observations.len()
            + self.list_sizes.len()
            + self.governance.len()
            + self.membership_changes.len()
            + self.populations.len()
            + self.care_homes.len()
            + self.care_home_alignments.len()
            + self.iif_achievements.len()
            + self.iif_points.len()
            + self.payment_actuals.len()
            + self.workforce.len()
            + self
                .appointments
                .iter()
                .map(|t| t.rows.len())
                .sum::<usize>()
            + self.national_appointments.len()
            + self.services.len()
            + self.remittances.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn extend(&mut self, other: FactBatch) {
        self.practices.extend(other.practices);
        self.networks.extend(other.networks);
        self.intervals.extend(other.intervals);
        self.observations.extend(other.observations);
        self.list_sizes.extend(other.list_sizes);
        self.governance.extend(other.governance);
        self.membership_changes.extend(other.membership_changes);
        self.populations.extend(other.populations);
        self.care_homes.extend(other.care_homes);
        self.care_home_alignments.extend(other.care_home_alignments);
        self.iif_achievements.extend(other.iif_achievements);
        self.iif_points.extend(other.iif_points);
        self.payment_actuals.extend(other.payment_actuals);
        self.workforce.extend(other.workforce);
        self.appointments.extend(other.appointments);
        self.national_appointments
            .extend(other.national_appointments);
        self.services.extend(other.services);
        self.remittances.extend(other.remittances);
    }
}

// ---------------------------------------------------------------------------
// Funding inputs: populations, care homes, IIF achievement, payments made.
// ---------------------------------------------------------------------------

/// Whose population a [`PopulationFact`] gives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PopulationSubject {
    Practice(PracticeCode),
    Network(PcnCode),
}

impl PopulationSubject {
    /// The ODS code, for display and storage.
    pub fn code(&self) -> &str {
        match self {
            Self::Practice(c) => c.as_str(),
            Self::Network(c) => c.as_str(),
        }
    }
}

/// Which population a [`PopulationFact`] gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PopulationKind {
    /// Contractor weighted population (the Carr-Hill formula), per practice.
    Weighted,
    /// The PCN adjusted population NHS England publishes, per network.
    Adjusted,
}

impl PopulationKind {
    /// The name used in the database and in pcn's population CSV.
    pub fn name(self) -> &'static str {
        match self {
            Self::Weighted => "weighted",
            Self::Adjusted => "adjusted",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "weighted" => Some(Self::Weighted),
            "adjusted" => Some(Self::Adjusted),
            _ => None,
        }
    }
}

/// A population figure as at a date. Populations have decimals (they are
/// weighted), so the value is an exact decimal, never a float.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PopulationFact {
    pub subject: PopulationSubject,
    pub kind: PopulationKind,
    pub as_at: NaiveDate,
    pub value: Decimal,
}

/// A CQC-registered care home (a location whose "Care home?" is `Y`) as a
/// CQC extract described it on `as_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CareHomeFact {
    /// The CQC location id, such as `1-101234567`.
    pub location_id: String,
    pub name: String,
    pub postcode: Option<String>,
    pub beds: u32,
    pub location: Option<LatLon>,
    pub local_authority: Option<String>,
    /// The location's ODS code, when CQC records one.
    pub ods_code: Option<String>,
    /// CQC's "Dormant (Y/N)": registered but not currently providing care.
    pub dormant: bool,
    pub as_at: NaiveDate,
}

/// A care home aligned to a network (Enhanced Health in Care Homes: each
/// care home is aligned to one PCN) from `from` to `to` (inclusive; `None`
/// is open-ended).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareHomeAlignment {
    pub location_id: String,
    pub pcn: PcnCode,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

/// The organisation an IIF measure is published for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum IifOrganisation {
    Practice(PracticeCode),
    Pcn(PcnCode),
}

impl IifOrganisation {
    pub fn code(&self) -> &str {
        match self {
            Self::Practice(c) => c.as_str(),
            Self::Pcn(c) => c.as_str(),
        }
    }
}

/// One published IIF measure (a numerator, a denominator …) for one
/// organisation, indicator and year, as NHS England Digital publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IifAchievementFact {
    pub organisation: IifOrganisation,
    /// `2023-24`.
    pub financial_year: String,
    /// The indicator's `IND_CODE`, such as `NCD026`.
    pub indicator: String,
    /// The `MEASURE` as published, such as `ACC-08 Numerator`.
    pub measure: String,
    pub value: Decimal,
    pub achievement_date: NaiveDate,
}

/// IIF points a network achieved in a year, as recorded by a commissioner
/// (the published indicators file has raw measures, not points).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IifPointsFact {
    pub pcn: PcnCode,
    /// `2023-24`.
    pub financial_year: String,
    pub points: Decimal,
    /// The date the points were recorded (the data date of the import).
    pub recorded: NaiveDate,
    /// The indicator the points are for (such as `HI-03`); `None` for the
    /// network's total.
    #[serde(default)]
    pub indicator: Option<String>,
    /// For a prevalence-adjusted indicator: the network's prevalence and the
    /// national prevalence (IIF prevalence adjustment = their ratio).
    #[serde(default)]
    pub pcn_prevalence: Option<Decimal>,
    #[serde(default)]
    pub national_prevalence: Option<Decimal>,
}

/// One staff record of the PCN workforce census: a person in a role in a
/// network on the census date, with their FTE in that network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkforceFact {
    pub pcn: PcnCode,
    /// The last day of the census month.
    pub census: NaiveDate,
    /// `NWRS Staff` or `NWRS contracted services`.
    pub data_source: String,
    pub staff_group: String,
    pub staff_role: String,
    pub detailed_role: String,
    pub fte: Decimal,
    /// The census's unique identifier for the person.
    pub person: String,
    /// The NHS England region code (`Y56` is London).
    pub region: Option<String>,
}

/// What NHS Payments to General Practice says a practice was actually paid
/// for one PCN stream in a year (PCN streams are paid to the network's
/// payee practice, so sum them by `pcn`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentActualFact {
    pub practice: PracticeCode,
    /// The network the file names for the practice, if any.
    pub pcn: Option<PcnCode>,
    /// `2022-23`.
    pub financial_year: String,
    /// The column as published, such as `PCN Leadership`.
    pub stream: String,
    /// Pence, exact.
    pub amount: i64,
}

/// One row of a network's remittance CSV: an amount paid to the network for
/// a month and a rulebook stream (see `pcn_import::remittance`). Rows for the
/// same network, month and stream add up (a payment and a later adjustment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remittance {
    pub pcn: PcnCode,
    /// The first day of the month the payment is for.
    pub month: NaiveDate,
    /// A rulebook stream id, such as `core-pcn-funding`.
    pub stream: crate::rulebook::StreamId,
    pub amount: crate::money::Pence,
    /// The row of the file it was read from (the header is row 1), so a
    /// problem found later (an unknown network) can name it.
    pub row: u64,
}

/// The governance facts the official files lack, one field at a time, each
/// effective from a date. A later fact for the same field supersedes an
/// earlier one from its date on; nothing is overwritten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GovernanceFact {
    pub pcn: PcnCode,
    pub field: GovernanceField,
    /// Empty means "cleared from this date".
    pub value: String,
    pub effective_from: NaiveDate,
}

/// The governance fields a network records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GovernanceField {
    /// The named clinical director (a person's name).
    ClinicalDirector,
    /// The nominated payee: the ODS code of the member practice paid on the network's behalf.
    NominatedPayee,
    /// The date the network agreement was signed (ISO date).
    NetworkAgreementSigned,
    /// The date the data-sharing agreement was signed (ISO date).
    DataSharingAgreementSigned,
    /// A commissioner-approved exception to the 30,000 minimum, such as `rural-waiver`.
    SizeException,
    /// Partner organisations, `;`-separated.
    CommunityPartners,
    MentalHealthPartners,
    VoluntaryPartners,
}

impl GovernanceField {
    pub const ALL: [GovernanceField; 8] = [
        GovernanceField::ClinicalDirector,
        GovernanceField::NominatedPayee,
        GovernanceField::NetworkAgreementSigned,
        GovernanceField::DataSharingAgreementSigned,
        GovernanceField::SizeException,
        GovernanceField::CommunityPartners,
        GovernanceField::MentalHealthPartners,
        GovernanceField::VoluntaryPartners,
    ];

    /// The name used in the governance CSV header, the CLI and the database.
    pub fn name(self) -> &'static str {
        match self {
            Self::ClinicalDirector => "clinical_director",
            Self::NominatedPayee => "nominated_payee",
            Self::NetworkAgreementSigned => "network_agreement_signed",
            Self::DataSharingAgreementSigned => "data_sharing_agreement_signed",
            Self::SizeException => "size_exception",
            Self::CommunityPartners => "community_partners",
            Self::MentalHealthPartners => "mental_health_partners",
            Self::VoluntaryPartners => "voluntary_partners",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        let norm = name.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Self::ALL.into_iter().find(|f| f.name() == norm)
    }

    /// Checks a value for this field; returns it in canonical form.
    pub fn parse_value(self, raw: &str) -> Result<String, String> {
        let value = raw.trim();
        if value.is_empty() {
            return Ok(String::new());
        }
        match self {
            Self::NominatedPayee => PracticeCode::parse(value)
                .map(|c| c.to_string())
                .map_err(|e| e.to_string()),
            Self::NetworkAgreementSigned | Self::DataSharingAgreementSigned => {
                crate::dates::parse_date(value)
                    .map(|d| d.to_string())
                    .ok_or_else(|| format!("{value:?} is not a date (use YYYY-MM-DD)"))
            }
            Self::SizeException => {
                let norm = value.to_ascii_lowercase().replace([' ', '_'], "-");
                if SIZE_EXCEPTIONS.contains(&norm.as_str()) {
                    Ok(norm)
                } else {
                    Err(format!(
                        "{value:?} is not a size exception; use one of {}",
                        SIZE_EXCEPTIONS.join(", ")
                    ))
                }
            }
            Self::ClinicalDirector => crate::text::check_line("the clinical director", value, 100)
                .map(str::to_string)
                .map_err(|e| e.to_string()),
            Self::CommunityPartners | Self::MentalHealthPartners | Self::VoluntaryPartners => {
                crate::text::check_line("the partners", value, 1_000)
                    .map(str::to_string)
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// Exceptions a commissioner can record to the 30,000 minimum list size:
/// the rural waiver of DES 2019/20 para 3.2 (a natural community with low
/// population density across a large rural and remote area), geographic
/// isolation, and any other approved exception.
pub const SIZE_EXCEPTIONS: [&str; 3] = [
    "rural-waiver",
    "geographic-isolation",
    "commissioner-approved",
];
