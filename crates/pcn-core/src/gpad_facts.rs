//! Facts from Appointments in General Practice (GPAD): what one edition of
//! the publication said about appointments in one month.
//!
//! GPAD is published monthly; each edition carries the latest 30 months and
//! revises the latest 18, so the same month appears in many editions with
//! slightly different counts. Every figure here therefore carries the
//! [`GpadEdition`] it came from, and the core (`crate::appointments`) keeps,
//! for each area and month, the figures of the newest edition only.
//!
//! Two shapes of fact:
//!
//! - [`AppointmentTable`]: the rows of one file read at practice or sub-ICB
//!   level (the practice-level crosstab, the sub-ICB "Regional CSV", the
//!   daily sub-ICB files summed to months, the PCN-level file), kept compact
//!   because a national practice month has about 1.5 million rows: areas and
//!   national categories are listed once per table and rows point at them.
//! - [`NationalAppointmentMonth`]: one month of England as the summary table
//!   (Table 1) or a national monthly series gives it: the recorded total,
//!   whatever splits the source has, and, from Table 1 only, coverage and
//!   NHS Digital's estimate for all of England.
//!
//! The labels of the status, staff (HCP type), mode and booking-interval
//! columns changed between editions (`Video/Online` became `Video
//! Conference/Online`, `Unknown / Data Issue` became `Unknown / Data
//! Quality`, the bands are written with double spaces as in `8  to 14
//! Days`); each enum's `parse` accepts every published label and its
//! `label` gives the current one.

use serde::{Deserialize, Serialize};

use crate::arrs::YearMonth;
use crate::codes::{PcnCode, PracticeCode, SubIcbCode};

/// Collapses runs of white space and lower-cases, so `8  to 14 Days` and
/// `8 to 14 days` compare equal.
fn label_key(raw: &str) -> String {
    raw.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

macro_rules! label_enum {
    (
        $(#[$doc:meta])* $name:ident, $what:literal {
            $( $(#[$vdoc:meta])* $variant:ident = $label:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vdoc])* $variant ),+
        }

        impl $name {
            /// Every value, in the order the publication lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// How many values there are (the length of a split by this field).
            pub const COUNT: usize = $name::ALL.len();
            /// What the column is called in messages.
            pub const WHAT: &'static str = $what;

            /// The label as the current edition publishes it.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// The position in [`Self::ALL`].
            pub fn index(self) -> usize {
                self as usize
            }

            /// Reads a label of any edition: white space and case are not
            /// significant; older labels are accepted as their current value.
            pub fn parse(raw: &str) -> Option<$name> {
                // Exact matches first: the label as published is by far the
                // commonest input, and this avoids an allocation per row.
                let trimmed = raw.trim();
                $(
                    if trimmed == $label $(|| trimmed == $alias)* {
                        return Some($name::$variant);
                    }
                )+
                let key = label_key(trimmed);
                $(
                    if key == label_key($label) $(|| key == label_key($alias))* {
                        return Some($name::$variant);
                    }
                )+
                None
            }

            /// Every accepted label, for messages.
            pub fn accepted() -> String {
                let all: &[&[&str]] = &[$(&[$label $(, $alias)*]),+];
                all.iter().flat_map(|v| v.iter()).copied().collect::<Vec<_>>().join(", ")
            }
        }
    };
}

label_enum!(
    /// `APPT_STATUS`.
    ApptStatus, "appointment status" {
        Attended = "Attended",
        /// Did not attend.
        Dna = "DNA" | "Did Not Attend",
        /// The status was left as booked (GPAD reports these as unknown).
        Unknown = "Unknown",
        /// Early editions (to November 2018) for practices whose system sent no status.
        NotProvided = "Appt Status Not Provided",
        /// Only in the PCN-level files: still booked when extracted.
        Booked = "Booked",
    }
);

label_enum!(
    /// `HCP_TYPE`: who the appointment was with.
    HcpType, "HCP type" {
        Gp = "GP",
        /// Everyone else in the practice's books: nurses, pharmacists,
        /// physiotherapists, paramedics and other additional roles.
        OtherPracticeStaff = "Other Practice staff",
        Unknown = "Unknown",
        /// Early editions (November and December 2017).
        NotProvided = "HCP Type Not Provided",
    }
);

label_enum!(
    /// `APPT_MODE`.
    ApptMode, "appointment mode" {
        FaceToFace = "Face-to-Face",
        Telephone = "Telephone",
        HomeVisit = "Home Visit",
        /// `Video/Online` until September 2018 and in the summary tables.
        VideoOnline = "Video Conference/Online" | "Video/Online",
        Unknown = "Unknown",
    }
);

label_enum!(
    /// `TIME_BETWEEN_BOOK_AND_APPT`: days from booking to the appointment.
    BookingInterval, "booking interval" {
        SameDay = "Same Day",
        OneDay = "1 Day",
        TwoToSevenDays = "2 to 7 Days",
        EightToFourteenDays = "8  to 14 Days",
        FifteenToTwentyOneDays = "15  to 21 Days",
        TwentyTwoToTwentyEightDays = "22  to 28 Days",
        MoreThanTwentyEightDays = "More than 28 Days",
        /// `Unknown / Data Issue` until December 2020.
        Unknown = "Unknown / Data Quality" | "Unknown / Data Issue",
    }
);

/// How the publication month of a file was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EditionBasis {
    /// Given by the user (`--as-at`).
    Given,
    /// Named in the file itself (the summary workbook's title sheet).
    Stated,
    /// Named in the file's path (`Practice_Level_Crosstab_Aug_25.csv`,
    /// `regional_tabs_aug2025/`), and not earlier than its newest month.
    Path,
    /// The newest month of data in the file: an edition is named for its
    /// newest month, so this is the edition unless the file was cut from a
    /// later one (a third-party compilation of several editions gets the
    /// newest of them).
    NewestMonth,
}

/// An edition of GPAD: the month it is named for ("Appointments in General
/// Practice, April 2021"), which is the newest month of data it carries.
/// Editions compare by month alone.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct GpadEdition {
    pub month: YearMonth,
    pub basis: EditionBasis,
}

impl PartialEq for GpadEdition {
    fn eq(&self, other: &Self) -> bool {
        self.month == other.month
    }
}

impl Eq for GpadEdition {}

impl PartialOrd for GpadEdition {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for GpadEdition {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.month.cmp(&other.month)
    }
}

/// Whose appointment books a table counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppointmentSetting {
    /// Practices' own appointment books: every GPAD file but the PCN-level one.
    Practice,
    /// Appointments delivered by networks in their own books (the PCN-level
    /// file), published separately and not in the practice figures.
    Network,
}

/// How finely the source counted: a table from daily files is summed to
/// months when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Granularity {
    Monthly,
    DailySummedToMonths,
}

/// The area a table row counts: a practice (with the network and
/// commissioner the file names for it) or a sub-ICB location (a CCG before
/// July 2022).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AppointmentArea {
    Practice {
        code: PracticeCode,
        /// The practice's network as the file publishes it (`U` for none).
        pcn: Option<PcnCode>,
        /// The practice's commissioner as the file publishes it.
        sub_icb: Option<SubIcbCode>,
    },
    SubIcb(SubIcbCode),
}

impl AppointmentArea {
    /// The ODS code of the area.
    pub fn code(&self) -> &str {
        match self {
            Self::Practice { code, .. } => code.as_str(),
            Self::SubIcb(code) => code.as_str(),
        }
    }
}

/// One combination of status, staff, mode, booking interval and (in the
/// practice-level crosstab) national category for one area and month, with
/// its count. Twenty-four bytes, so a national month fits in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppointmentRow {
    /// Index into [`AppointmentTable::areas`].
    pub area: u32,
    pub month: YearMonth,
    pub status: ApptStatus,
    pub hcp: HcpType,
    pub mode: ApptMode,
    pub interval: BookingInterval,
    /// Index into [`AppointmentTable::categories`]; `None` where the file
    /// has no national category.
    pub category: Option<u16>,
    pub count: u32,
}

/// The appointment counts one GPAD file gives at practice or sub-ICB
/// level. Rows of the same combination (a practice listed once per GP
/// system supplier, the days of a month in a daily file) are summed when
/// read, so each (area, month, combination) appears once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppointmentTable {
    pub edition: GpadEdition,
    pub setting: AppointmentSetting,
    pub granularity: Granularity,
    /// All of one level: practices or sub-ICB locations.
    pub areas: Vec<AppointmentArea>,
    /// National categories as published, in order of first appearance.
    pub categories: Vec<String>,
    /// Sorted by area, then month, then combination.
    pub rows: Vec<AppointmentRow>,
}

impl AppointmentTable {
    /// The appointments in the table.
    pub fn total(&self) -> u64 {
        self.rows.iter().map(|r| u64::from(r.count)).sum()
    }

    /// The months the table covers, ascending.
    pub fn months(&self) -> Vec<YearMonth> {
        let mut months: Vec<YearMonth> = self.rows.iter().map(|r| r.month).collect();
        months.sort_unstable();
        months.dedup();
        months
    }
}

/// Practices and registered patients behind a month's figures: all open
/// practices, and those whose data the month includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub open_practices: u32,
    pub included_practices: u32,
    pub patients_at_open_practices: u64,
    pub patients_at_included_practices: u64,
}

/// Which national series a month comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NationalSeries {
    /// Table 1 of the summary workbook ("Summary of appointments by month,
    /// England"), or that table as a CSV: coverage, the estimate, splits.
    SummaryTable,
    /// A national monthly CSV summed from the published daily files, split
    /// by one field (the booking interval in the series pcn reads).
    MonthlyCsv,
}

/// One month of England as one edition gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NationalAppointmentMonth {
    pub month: YearMonth,
    pub edition: GpadEdition,
    pub series: NationalSeries,
    /// Appointments recorded at the included practices (all statuses, all staff).
    pub recorded: u64,
    pub coverage: Option<Coverage>,
    /// NHS Digital's estimate for all of England (attended and DNA
    /// appointments scaled up for patients at practices not included,
    /// rounded to 10,000).
    pub estimated_england_total: Option<u64>,
    pub working_days: Option<u32>,
    /// COVID-19 vaccination appointments taken out of the return (from December 2020).
    pub covid_vaccinations_removed: Option<u64>,
    /// COVID-19 vaccinations given by practices and networks (NIMS).
    pub covid_vaccinations_by_practices: Option<u64>,
    /// Splits of `recorded`; `None` where the source does not give them or
    /// suppressed them (`.z`).
    pub by_status: Option<Vec<(ApptStatus, u64)>>,
    pub by_hcp: Option<Vec<(HcpType, u64)>>,
    pub by_mode: Option<Vec<(ApptMode, u64)>>,
    pub by_interval: Option<Vec<(BookingInterval, u64)>>,
}

impl NationalAppointmentMonth {
    /// A month known only by its recorded total: no coverage, estimate,
    /// working days, vaccinations or splits.
    pub fn recorded(
        month: YearMonth,
        edition: GpadEdition,
        series: NationalSeries,
        recorded: u64,
    ) -> NationalAppointmentMonth {
        NationalAppointmentMonth {
            month,
            edition,
            series,
            recorded,
            coverage: None,
            estimated_england_total: None,
            working_days: None,
            covid_vaccinations_removed: None,
            covid_vaccinations_by_practices: None,
            by_status: None,
            by_hcp: None,
            by_mode: None,
            by_interval: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_of_every_edition() {
        assert_eq!(ApptStatus::parse("DNA"), Some(ApptStatus::Dna));
        assert_eq!(ApptStatus::parse("Did Not Attend"), Some(ApptStatus::Dna));
        assert_eq!(
            ApptStatus::parse("Appt Status Not Provided"),
            Some(ApptStatus::NotProvided)
        );
        assert_eq!(ApptStatus::parse("attended "), Some(ApptStatus::Attended));
        assert_eq!(ApptStatus::parse("Cancelled"), None);
        assert_eq!(
            HcpType::parse("Other Practice staff"),
            Some(HcpType::OtherPracticeStaff)
        );
        assert_eq!(ApptMode::parse("Video/Online"), Some(ApptMode::VideoOnline));
        assert_eq!(
            ApptMode::parse("Video Conference/Online"),
            Some(ApptMode::VideoOnline)
        );
        // Double spaces as published, and single spaces, read the same.
        assert_eq!(
            BookingInterval::parse("8  to 14 Days"),
            Some(BookingInterval::EightToFourteenDays)
        );
        assert_eq!(
            BookingInterval::parse("8 to 14 Days"),
            Some(BookingInterval::EightToFourteenDays)
        );
        assert_eq!(
            BookingInterval::parse("Unknown / Data Issue"),
            Some(BookingInterval::Unknown)
        );
        assert_eq!(
            BookingInterval::parse("Unknown / Data Quality"),
            Some(BookingInterval::Unknown)
        );
        assert_eq!(BookingInterval::parse("29 Days"), None);
        assert_eq!(BookingInterval::COUNT, 8);
        assert_eq!(BookingInterval::Unknown.index(), 7);
        assert!(ApptMode::accepted().contains("Video/Online"));
    }

    #[test]
    fn rows_are_compact() {
        assert_eq!(std::mem::size_of::<AppointmentRow>(), 24);
    }

    #[test]
    fn editions_compare_by_month() {
        let m = |y, mo| YearMonth::new(y, mo).unwrap();
        let a = GpadEdition {
            month: m(2021, 4),
            basis: EditionBasis::Stated,
        };
        let b = GpadEdition {
            month: m(2021, 4),
            basis: EditionBasis::Path,
        };
        let c = GpadEdition {
            month: m(2024, 1),
            basis: EditionBasis::NewestMonth,
        };
        assert_eq!(a, b);
        assert!(c > a);
    }
}
