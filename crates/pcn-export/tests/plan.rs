//! A network plan's files: each CSV table read back, the money table's
//! exact pounds and its totals, and the workbook's sheets.

use std::collections::{BTreeMap, BTreeSet};

use pcn_core::money::Pence;
use pcn_core::plan::money::{Income, MoneyComparison, NetworkMoney};
use pcn_core::plan::{plan, GroupCode, GroupInput, Plan, PlanConfig, PracticeInput};
use pcn_core::rulebook::FinancialYear;
use pcn_core::{IcbCode, LatLon, PcnCode, PracticeCode};
use pcn_export::plan::*;

/// A 55,000-patient network beside a 36,000 one, and a practice in U with
/// no coordinates: one border practice must move, the U one is placed.
fn small_plan() -> Plan {
    let at = |code: &str, x: f64, list: u64, network: &str| PracticeInput {
        code: PracticeCode::parse(code).unwrap(),
        location: Some(LatLon {
            lat: 52.6,
            lon: -1.1 + x / 67.5,
        }),
        list_size: list,
        current: Some(PcnCode::parse(network).unwrap()),
        partners: Vec::new(),
    };
    let mut practices = vec![
        at("A00001", 0.0, 11_000, "U00001"),
        at("A00002", 1.0, 11_000, "U00001"),
        at("A00003", 2.0, 11_000, "U00001"),
        at("A00004", 3.0, 11_000, "U00001"),
        at("A00005", 4.0, 11_000, "U00001"),
        at("A00006", 5.0, 12_000, "U00002"),
        at("A00007", 6.0, 12_000, "U00002"),
        at("A00008", 7.0, 12_000, "U00002"),
    ];
    practices.push(PracticeInput {
        location: None,
        current: Some(PcnCode::unallocated()),
        ..at("A00009", 0.0, 2_000, "U")
    });
    let group = GroupInput {
        group: GroupCode::Icb(IcbCode::parse("QK1").unwrap()),
        name: Some("Test ICB".into()),
        practices,
        waivers: BTreeMap::new(),
        pins: BTreeSet::new(),
    };
    plan(&[group], &PlanConfig::default()).unwrap()
}

fn read(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

#[test]
fn members_networks_groups_and_exceptions_read_back() {
    let plan = small_plan();
    let (header, rows) = read(&plan_csv(&plan, PlanTable::Members).unwrap());
    assert_eq!(header, MEMBER_COLUMNS);
    assert_eq!(rows.len(), 9);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    // Every practice once, in a network whose list is the sum of its members'.
    let mut lists: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for row in &rows {
        let entry = lists.entry(&row[col("network")]).or_default();
        entry.0 += row[col("list_size")].parse::<u64>().unwrap();
        entry.1 = row[col("network_list_size")].parse().unwrap();
    }
    assert!(lists.values().all(|(sum, list)| sum == list), "{lists:?}");
    let placed = rows
        .iter()
        .find(|r| r[col("practice")] == "A00009")
        .unwrap();
    assert_eq!(&placed[col("from")], "U");
    assert_eq!(&placed[col("moved")], "yes");
    assert_eq!(&placed[col("lat")], "");
    assert!(
        placed[col("exception")].starts_with("no coordinates"),
        "{placed:?}"
    );
    assert_eq!(
        rows.iter().filter(|r| r[col("moved")] == "yes").count(),
        plan.changes.practices_moved + plan.changes.practices_placed
    );

    let (header, rows) = read(&plan_csv(&plan, PlanTable::Networks).unwrap());
    assert_eq!(header, NETWORK_COLUMNS);
    assert_eq!(rows.len(), plan.after.networks);
    assert!(rows
        .iter()
        .all(|r| r[header.iter().position(|h| h == "band").unwrap()] == "in band"));

    let (header, rows) = read(&plan_csv(&plan, PlanTable::Groups).unwrap());
    assert_eq!(header, GROUP_COLUMNS);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][0], "QK1");
    assert_eq!(rows[0][1], "Test ICB");
    assert_eq!(rows[1][0], "all");
    assert_eq!(rows[0][2..], rows[1][2..]);
    assert_eq!(rows[0][3], "2"); // networks before

    let (header, rows) = read(&plan_csv(&plan, PlanTable::Exceptions).unwrap());
    assert_eq!(header, EXCEPTION_COLUMNS);
    assert_eq!(rows.len(), plan.exceptions);
    assert_eq!(rows[0][2], "A00009");
    assert_eq!(rows[0][3], "no_location");
}

fn income(core: i64, participation: i64, arrs: i64) -> Income {
    Income {
        core_funding: Pence(core),
        participation: Pence(participation),
        arrs_sum: Pence(arrs),
    }
}

fn money() -> MoneyComparison {
    let row =
        |network: &str, new: bool, before: Option<Income>, after: Option<Income>| NetworkMoney {
            network: network.into(),
            new,
            members_before: before.map_or(0, |_| 3),
            members_after: after.map_or(0, |_| 2),
            before,
            after,
            difference: after.unwrap_or_default().minus(before.unwrap_or_default()),
            estimated: new,
        };
    let networks = vec![
        row(
            "U00001",
            false,
            Some(income(100_001, 50_000, 9_999_999)),
            Some(income(60_000, 30_000, 6_000_000)),
        ),
        row(
            "QK1-new-1",
            true,
            None,
            Some(income(40_001, 20_000, 3_999_999)),
        ),
    ];
    MoneyComparison {
        financial_year: FinancialYear::starting(2026),
        start: chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
        before: income(100_001, 50_000, 9_999_999),
        after: income(100_001, 50_000, 9_999_999),
        difference: income(0, 0, 0),
        networks,
    }
}

#[test]
fn money_is_exact_pounds_with_a_total() {
    let (header, rows) = read(&money_csv(&money()).unwrap());
    assert_eq!(header, MONEY_COLUMNS);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0][col("core_funding_before")], "1000.01");
    assert_eq!(rows[0][col("core_funding_difference")], "-400.01");
    assert_eq!(rows[0][col("arrs_sum_difference")], "-39999.99");
    assert_eq!(rows[1][col("core_funding_before")], "");
    assert_eq!(rows[1][col("new")], "yes");
    assert_eq!(rows[1][col("estimated")], "yes");
    assert_eq!(rows[2][col("network")], "all");
    assert_eq!(rows[2][col("arrs_sum_difference")], "0.00");
    assert_eq!(rows[2][col("financial_year")], "2026-27");
    // The rows' differences add up to the total's.
    let sum: i64 = rows[..2]
        .iter()
        .map(|r| {
            r[col("core_funding_difference")]
                .replace('.', "")
                .parse::<i64>()
                .unwrap()
        })
        .sum();
    assert_eq!(sum, 0);
}

#[test]
fn the_workbook_has_a_sheet_per_table() {
    use calamine::{Data, Reader, Xlsx};
    let plan = small_plan();
    let bytes = plan_xlsx("pcn plan: QK1 as at 2026-07-01", &plan, Some(&money())).unwrap();
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        workbook.sheet_names(),
        ["Summary", "Networks", "Members", "Exceptions", "Money"]
    );
    let members = workbook.worksheet_range("Members").unwrap();
    assert_eq!(members.get((3, 0)), Some(&Data::String("group".into())));
    assert_eq!(members.height(), 4 + 9);
    let money = workbook.worksheet_range("Money").unwrap();
    assert_eq!(money.get((4, 4)), Some(&Data::Float(1000.01)));
    assert_eq!(money.get((4, 0)), Some(&Data::String("U00001".into())));
    let without = plan_xlsx("t", &plan, None).unwrap();
    let workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(without)).unwrap();
    assert_eq!(workbook.sheet_names().len(), 4);
}
