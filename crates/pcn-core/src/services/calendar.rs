//! Weeks and working days. A week runs Monday to Sunday and is named by its
//! Monday. A working day is Monday to Friday and not an England and Wales
//! bank holiday; the bank holidays come from the rulebook's year files, so
//! a date outside the years the rulebook covers has unknown working days,
//! and every answer that relies on one says so.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Serialize;

use crate::rulebook::{FinancialYear, Rulebook};

/// A Monday-to-Sunday week, named by its Monday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Week(NaiveDate);

impl Week {
    /// The week containing `date`.
    pub fn of(date: NaiveDate) -> Week {
        let back = u64::from(date.weekday().num_days_from_monday());
        Week(date.checked_sub_days(Days::new(back)).unwrap_or(date))
    }

    pub fn monday(self) -> NaiveDate {
        self.0
    }

    pub fn sunday(self) -> NaiveDate {
        self.day(6)
    }

    /// The day `i` days after Monday (0 to 6).
    pub fn day(self, i: u64) -> NaiveDate {
        self.0.checked_add_days(Days::new(i)).unwrap_or(self.0)
    }

    pub fn days(self) -> impl Iterator<Item = NaiveDate> {
        (0..7).map(move |i| self.day(i))
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        self.0 <= date && date <= self.sunday()
    }

    pub fn next(self) -> Week {
        Week(self.day(7))
    }

    /// Every week with a day in `from..=to`, in order.
    pub fn span(from: NaiveDate, to: NaiveDate) -> Vec<Week> {
        let mut out = Vec::new();
        let mut w = Week::of(from);
        while w.monday() <= to {
            out.push(w);
            w = w.next();
        }
        out
    }
}

impl std::fmt::Display for Week {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "week of {}", self.0)
    }
}

/// England and Wales bank holidays for the years the rulebook covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
    /// The financial years whose bank holidays are known.
    known: BTreeSet<FinancialYear>,
}

impl Calendar {
    /// Every bank holiday of every year file that gives them.
    pub fn from_rulebook(rb: &Rulebook) -> Calendar {
        let mut cal = Calendar::default();
        for y in rb.years() {
            if y.services.has_calendar() {
                cal.known.insert(y.financial_year);
                cal.holidays
                    .extend(y.services.bank_holidays.iter().copied());
            }
        }
        cal
    }

    /// A calendar of the given holidays, known for the years they fall in
    /// and any listed in `known` (for tests and what-ifs).
    pub fn new(holidays: &[NaiveDate], known: &[FinancialYear]) -> Calendar {
        Calendar {
            holidays: holidays.iter().copied().collect(),
            known: known.iter().copied().collect(),
        }
    }

    pub fn is_known(&self, date: NaiveDate) -> bool {
        self.known.contains(&FinancialYear::containing(date))
    }

    pub fn is_bank_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.contains(&date)
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.is_bank_holiday(date)
    }

    /// The bank holidays in a week.
    pub fn holidays_in(&self, week: Week) -> Vec<NaiveDate> {
        self.holidays
            .range(week.monday()..=week.sunday())
            .copied()
            .collect()
    }

    /// The `n`th working day after `date` (the day itself not counted), and
    /// whether every day passed over had known bank holidays.
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> (NaiveDate, bool) {
        let mut d = date;
        let mut counted = 0;
        let mut known = true;
        while counted < n {
            d = d.succ_opt().unwrap_or(d);
            known &= self.is_known(d);
            if self.is_working_day(d) {
                counted += 1;
            }
        }
        (d, known)
    }

    /// Working days after `from` up to and including `to` (0 when `to` is
    /// not after `from`).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = d.succ_opt().unwrap_or(to);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weeks_run_monday_to_sunday() {
        // 2025-04-18 is Good Friday.
        let w = Week::of(d(2025, 4, 18));
        assert_eq!(w.monday(), d(2025, 4, 14));
        assert_eq!(w.sunday(), d(2025, 4, 20));
        assert_eq!(Week::of(d(2025, 4, 20)), w);
        assert_eq!(Week::of(d(2025, 4, 21)), w.next());
        assert_eq!(Week::span(d(2025, 4, 16), d(2025, 4, 28)).len(), 3);
    }

    #[test]
    fn working_days_skip_weekends_and_bank_holidays() {
        let cal = Calendar::new(
            &[d(2025, 4, 18), d(2025, 4, 21)],
            &[FinancialYear::starting(2025)],
        );
        // Admitted Thursday 17 April 2025: Good Friday and Easter Monday are
        // not working days, so the 7th working day after is Wednesday 30 April.
        assert_eq!(
            cal.add_working_days(d(2025, 4, 17), 7),
            (d(2025, 4, 30), true)
        );
        assert_eq!(cal.working_days_between(d(2025, 4, 17), d(2025, 4, 30)), 7);
        assert_eq!(cal.working_days_between(d(2025, 4, 17), d(2025, 5, 1)), 8);
        // Outside the known years the answer is flagged.
        assert!(!cal.add_working_days(d(2026, 3, 30), 7).1);
    }
}
