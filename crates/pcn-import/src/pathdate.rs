//! The data date of a file that has none (GPAD `Mapping.csv`, NHS website
//! `GP.csv`): `--as-at`, else a month named in the path.
//!
//! A path component (folder or file name) names a month as `2025-08`,
//! `2025_08`, `Aug_25`, `Aug25`, `Aug-2025` or `August 2025`; the date is the
//! first of that month. The component nearest the file wins.

use chrono::NaiveDate;

use crate::ctx::Ctx;

/// The months' names in full, January first.
pub(crate) const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn month_of_name(token: &str) -> Option<u32> {
    let t = token.to_ascii_lowercase();
    let t = if t == "sept" { "sep".to_string() } else { t };
    MONTHS
        .iter()
        .position(|m| t == *m || (t.len() == 3 && m.starts_with(t.as_str())))
        .and_then(|i| u32::try_from(i + 1).ok())
}

fn year_of(token: &str) -> Option<i32> {
    if !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match token.len() {
        2 => token.parse::<i32>().ok().map(|y| 2000 + y),
        4 => token
            .parse::<i32>()
            .ok()
            .filter(|y| (1990..=2100).contains(y)),
        _ => None,
    }
}

/// Splits a component into letter runs and digit runs.
fn tokens(component: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let mut kind = 0u8; // 1 letters, 2 digits
    for (i, c) in component.char_indices() {
        let k = if c.is_ascii_alphabetic() {
            1
        } else if c.is_ascii_digit() {
            2
        } else {
            0
        };
        if k != kind {
            if let Some(s) = start.take() {
                out.push(&component[s..i]);
            }
            if k != 0 {
                start = Some(i);
            }
            kind = k;
        }
    }
    if let Some(s) = start {
        out.push(&component[s..]);
    }
    out
}

/// The month a single path component names.
fn month_in(component: &str) -> Option<NaiveDate> {
    let t = tokens(component);
    for pair in t.windows(2) {
        let [a, b] = pair else { continue };
        // 2025-08
        if a.len() == 4 && b.len() == 2 {
            if let (Some(y), Ok(m)) = (year_of(a), b.parse::<u32>()) {
                if let Some(d) = NaiveDate::from_ymd_opt(y, m, 1) {
                    return Some(d);
                }
            }
        }
        // Aug_25, August 2025
        if let (Some(m), Some(y)) = (month_of_name(a), year_of(b)) {
            if let Some(d) = NaiveDate::from_ymd_opt(y, m, 1) {
                return Some(d);
            }
        }
    }
    None
}

/// Every month named in a path: components nearest the file first, and
/// within a component the latest month first (`…2017-11-to-2023-10` gives
/// October 2023, then November 2017).
pub(crate) fn months_in_path(path: &str) -> Vec<(NaiveDate, String)> {
    let mut out = Vec::new();
    for component in path.rsplit(['/', '\\']).filter(|c| !c.is_empty()) {
        let t = tokens(component);
        let mut here: Vec<NaiveDate> = t
            .windows(2)
            .filter_map(|pair| {
                let [a, b] = pair else { return None };
                month_in(&format!("{a}-{b}"))
            })
            .collect();
        here.sort_unstable_by(|a, b| b.cmp(a));
        here.dedup();
        out.extend(here.into_iter().map(|d| (d, component.to_string())));
    }
    out
}

/// The month named by the path component nearest the file, with that component.
pub(crate) fn date_from_path(path: &str) -> Option<(NaiveDate, String)> {
    path.rsplit(['/', '\\'])
        .filter(|c| !c.is_empty())
        .find_map(|c| month_in(c).map(|d| (d, c.to_string())))
}

/// `--as-at`, else the path's month (with a note), else a problem.
pub(crate) fn as_at_or_path(ctx: &mut Ctx) -> Option<NaiveDate> {
    if let Some(d) = ctx.opts.as_at {
        ctx.notes.push(format!("date {d} taken from --as-at"));
        return Some(d);
    }
    if let Some((d, component)) = date_from_path(ctx.file) {
        ctx.notes.push(format!(
            "date {d} taken from the path component {component:?}"
        ));
        return Some(d);
    }
    ctx.problems.whole_file(
        "this file does not say what date its data describes, and no month (such as 2025-08 or \
         Aug_25) appears in its path; give the date with --as-at",
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, 1).unwrap()
    }

    #[test]
    fn months_in_paths() {
        let got = |p: &str| date_from_path(p).map(|(d, _)| d);
        assert_eq!(
            got("data/nhsd-gpad-mapping-2025-08/Mapping.csv"),
            Some(d(2025, 8))
        );
        assert_eq!(
            got("x/Practice_Level_Crosstab_Aug_25/Mapping.csv"),
            Some(d(2025, 8))
        );
        assert_eq!(got("Aug25/Mapping.csv"), Some(d(2025, 8)));
        assert_eq!(got("C:\\data\\August 2025\\Mapping.csv"), Some(d(2025, 8)));
        assert_eq!(got("gp-locations-2019-05/GP.csv"), Some(d(2019, 5)));
        assert_eq!(got("sept-2024/GP.csv"), Some(d(2024, 9)));
        assert_eq!(got("Mapping.csv"), None);
        assert_eq!(got("2025-13/Mapping.csv"), None);
        // The component nearest the file wins.
        assert_eq!(got("2024-01/Mar_25/Mapping.csv"), Some(d(2025, 3)));
    }

    #[test]
    fn every_month_in_a_path() {
        let got: Vec<NaiveDate> = months_in_path(
            "nhsd-gpad-subicb-daily-2023-10/gpad-daily-03R-2017-11-to-2023-10.csv.gz",
        )
        .into_iter()
        .map(|(d, _)| d)
        .collect();
        assert_eq!(got, vec![d(2023, 10), d(2017, 11), d(2023, 10)]);
        let got: Vec<NaiveDate> = months_in_path("regional_tabs_aug2025/Regional_CSV_WYorks.csv")
            .into_iter()
            .map(|(d, _)| d)
            .collect();
        assert_eq!(got, vec![d(2025, 8)]);
        assert!(months_in_path("Regional_CSV_WYorks.csv").is_empty());
    }
}
