//! Appointments against the pledge of 50 million more a year than in 2019,
//! for England, a commissioner (sub-ICB location), a network or a practice:
//! the monthly trend against the same month of 2019, the pledge year by
//! year, and beside a network's trend its ARRS staff by month from the
//! roster and the workforce censuses.
//!
//! The rules are the core's (`pcn_core::appointments`); this module reads
//! from the store only the GPAD figures the area needs (the store keeps,
//! for each area and month, the newest edition's) and hands them over.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use pcn_core::appointments::{
    census_wte_of_posts, england_pledge_months, england_series, network_share, pledge,
    pledge_months, registered_share, roster_wte_by_month, sub_icb_share, trend, Appointments,
    NotCounted, Pledge, Series, TrendRow, YearBasis, BASELINE_YEAR,
};
use pcn_core::arrs::YearMonth;
use pcn_core::registry::Registry;
use pcn_core::{CommissionerCode, PcnCode, PracticeCode, SubIcbCode};
use pcn_store::AppointmentAreas;
use serde::Serialize;

use crate::governance::require_network;
use crate::{App, Error, Result};

/// Whose appointments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "code", rename_all = "kebab-case")]
pub enum Area {
    England,
    /// A sub-ICB location (a CCG before July 2022).
    Commissioner(SubIcbCode),
    Network(PcnCode),
    Practice(PracticeCode),
}

impl std::fmt::Display for Area {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Area::England => f.write_str("England"),
            Area::Commissioner(c) => write!(f, "sub-ICB location {c}"),
            Area::Network(c) => write!(f, "network {c}"),
            Area::Practice(c) => write!(f, "practice {c}"),
        }
    }
}

/// What to work out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentsQuery {
    pub area: Area,
    /// Calendar years (the pledge's 2019) or financial years (2019-20).
    pub years: YearBasis,
    /// The list extract an area's share of England's patients is taken from:
    /// the latest on or before this date, else the earliest held (default:
    /// 1 January 2019, the baseline).
    pub share_on: Option<NaiveDate>,
}

impl AppointmentsQuery {
    /// Calendar years, the share at the baseline.
    pub fn of(area: Area) -> AppointmentsQuery {
        AppointmentsQuery {
            area,
            years: YearBasis::Calendar,
            share_on: None,
        }
    }
}

/// An area's appointments: the months, the trend against 2019 (with the
/// roster beside it for a network) and the pledge.
#[derive(Debug, Clone, Serialize)]
pub struct AreaAppointments {
    pub area: Area,
    /// Each month's figure with its editions and per-1,000 denominator.
    #[serde(skip)]
    pub series: Series,
    pub trend: Vec<TrendRow>,
    pub pledge: Pledge,
    /// For a network: practice-months of its members that counted for no
    /// network (in none, or in two, on the month's first day).
    pub not_counted: Vec<NotCounted>,
}

impl AreaAppointments {
    /// Whether there is any appointment figure.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }
}

/// A commissioner code for appointments, as a sub-ICB location (GPAD
/// counts by sub-ICB location; an ICB code is refused by
/// [`App::appointments`], as pcn does not add up its locations yet).
pub fn sub_icb_of(code: &CommissionerCode) -> Result<SubIcbCode> {
    SubIcbCode::parse(code.as_str()).map_err(|e| Error::invalid(e.to_string()))
}

/// The practices the registry places in a sub-ICB at any list extract or
/// at its latest date.
fn practices_in(registry: &Registry, code: &SubIcbCode) -> Vec<PracticeCode> {
    let mut dates: Vec<NaiveDate> = registry.list_extracts().to_vec();
    dates.extend(registry.latest_date());
    registry
        .practice_codes()
        .filter(|p| {
            dates
                .iter()
                .any(|d| registry.sub_icb_of(p, *d).as_ref() == Some(code))
        })
        .cloned()
        .collect()
}

/// Every month from the first to the last of the keys given.
fn span(keys: impl Iterator<Item = YearMonth> + Clone) -> Vec<YearMonth> {
    let (Some(first), Some(last)) = (keys.clone().min(), keys.max()) else {
        return Vec::new();
    };
    let mut months = Vec::new();
    let mut m = first;
    while m <= last {
        months.push(m);
        m = m.next();
    }
    months
}

impl App {
    /// An area's appointments against the pledge. A commissioner, network
    /// or practice unknown both to the registry and to the GPAD figures
    /// held is refused (a typo).
    pub async fn appointments(
        &self,
        registry: &Registry,
        query: &AppointmentsQuery,
    ) -> Result<AreaAppointments> {
        let share_on = query.share_on.unwrap_or_else(|| {
            YearMonth::new(BASELINE_YEAR, 1).map_or(NaiveDate::MIN, |m| m.first_day())
        });
        match &query.area {
            Area::England => {
                let national = self.store.national_appointments().await?;
                let a = Appointments::new(&[], &national);
                let series = england_series(a.england());
                let pledge = pledge(&england_pledge_months(a.england()), query.years, None);
                Ok(plain(query, series, pledge))
            }
            Area::Commissioner(code) => {
                let areas = AppointmentAreas {
                    sub_icbs: vec![code.clone()],
                    practices: practices_in(registry, code),
                    ..AppointmentAreas::default()
                };
                let in_registry = !areas.practices.is_empty();
                let tables = self.store.appointment_tables(&areas).await?;
                if !in_registry && tables.is_empty() {
                    let as_commissioner = CommissionerCode::parse(code.as_str())
                        .is_ok_and(|c| registry.knows_commissioner(&c));
                    return Err(if as_commissioner {
                        Error::invalid(format!(
                            "{code} is an ICB: appointments are counted by sub-ICB location (e.g. 03R)"
                        ))
                    } else {
                        Error::NotFound(format!(
                            "there is no sub-ICB location {code} in the registry or the appointment figures"
                        ))
                    });
                }
                let a = Appointments::new(&tables, &[]);
                let series = a.commissioner(code, Some(registry));
                let share = sub_icb_share(registry, code, share_on);
                let pledge = pledge(&pledge_months(&series), query.years, share);
                Ok(plain(query, series, pledge))
            }
            Area::Network(pcn) => {
                self.network_appointments(registry, query, pcn, share_on)
                    .await
            }
            Area::Practice(code) => {
                let areas = AppointmentAreas {
                    practices: vec![code.clone()],
                    ..AppointmentAreas::default()
                };
                let tables = self.store.appointment_tables(&areas).await?;
                if !registry.knows_practice(code) && tables.is_empty() {
                    return Err(Error::NotFound(format!(
                        "there is no practice {code} in the registry or the appointment figures"
                    )));
                }
                let a = Appointments::new(&tables, &[]);
                let series = a.practice(code, Some(registry));
                let share = registered_share(registry, share_on, |p, _| p == code);
                let pledge = pledge(&pledge_months(&series), query.years, share);
                Ok(plain(query, series, pledge))
            }
        }
    }

    /// A network: its members' practice figures counted by the dated
    /// membership, with its ARRS staff by month beside them.
    async fn network_appointments(
        &self,
        registry: &Registry,
        query: &AppointmentsQuery,
        pcn: &PcnCode,
        share_on: NaiveDate,
    ) -> Result<AreaAppointments> {
        require_network(registry, pcn)?;
        let members: Vec<PracticeCode> = registry
            .practices_ever_in(pcn)
            .into_iter()
            .cloned()
            .collect();
        let areas = AppointmentAreas {
            practices: members.clone(),
            ..AppointmentAreas::default()
        };
        let tables = self.store.appointment_tables(&areas).await?;
        let a = Appointments::new(&tables, &[]);
        let attribution = a.by_network(registry);
        let series = attribution.networks.get(pcn).cloned().unwrap_or_default();
        let not_counted = attribution
            .not_counted
            .into_iter()
            .filter(|n| members.contains(&n.practice))
            .collect();
        let posts = self.store.posts(Some(pcn)).await?;
        let census = census_wte_of_posts(&posts, pcn);
        let months = span(series.keys().chain(census.keys()).copied());
        let roster = roster_wte_by_month(&posts, pcn, months);
        let share = network_share(registry, pcn, share_on);
        let pledge = pledge(&pledge_months(&series), query.years, share);
        Ok(AreaAppointments {
            area: query.area.clone(),
            trend: trend(&series, &roster, &census),
            series,
            pledge,
            not_counted,
        })
    }
}

/// An area without a roster beside it.
fn plain(query: &AppointmentsQuery, series: Series, pledge: Pledge) -> AreaAppointments {
    AreaAppointments {
        area: query.area.clone(),
        trend: trend(&series, &BTreeMap::new(), &BTreeMap::new()),
        series,
        pledge,
        not_counted: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
