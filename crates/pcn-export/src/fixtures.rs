//! Small payment runs for tests of every rendering (the export's, the
//! terminal's, the web app's): two networks of the 2025/26 rules, one with
//! complete figures and one resting on estimates.

use chrono::NaiveDate;
use pcn_core::funding::{
    distribute, statement, Distribution, Figure, MemberInputs, MissingInputs, NetworkInputs,
    NetworkPay, PayRun,
};
use pcn_core::money::Pence;
use pcn_core::rulebook::Rulebook;
use pcn_core::{PcnCode, PracticeCode, SubIcbCode};

pub fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub fn member(code: &str, name: &str, registered: u64, weighted: Option<u64>) -> MemberInputs {
    MemberInputs {
        code: PracticeCode::parse(code).unwrap(),
        name: Some(name.into()),
        registered: Some(Figure::exact(registered, Some(d("2025-01-01")))),
        weighted: weighted.map(|w| Figure::exact(w, Some(d("2025-01-01")))),
        membership_months: None,
    }
}

pub fn inputs(pcn: &str, members: Vec<MemberInputs>, complete: bool) -> NetworkInputs {
    let registered: u64 = members
        .iter()
        .map(|m| {
            m.registered
                .as_ref()
                .unwrap()
                .value
                .to_string()
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    NetworkInputs {
        name: Some(format!("{pcn} TEST PCN")),
        commissioner: Some(SubIcbCode::parse("00L").unwrap()),
        payee: Some(members[0].code.clone()),
        adjusted: complete.then(|| Figure::exact(registered + 1_000, Some(d("2025-01-01")))),
        care_home_beds: complete.then(|| Figure::exact(40, Some(d("2025-04-01")))),
        // A complete network's CAIP has been assessed (fully earned).
        assessments: if complete {
            vec![(
                "capacity-and-access-improvement".parse().unwrap(),
                pcn_core::money::Fraction::ONE,
            )]
        } else {
            Vec::new()
        },
        ..NetworkInputs::new(PcnCode::parse(pcn).unwrap(), members)
    }
}

pub fn network_pay(inputs: &NetworkInputs) -> NetworkPay {
    let rules = Rulebook::embedded().unwrap();
    let year = rules.year("2025-26").unwrap();
    let statement = statement(year, inputs, MissingInputs::Estimate).unwrap();
    let method = Distribution::ByRegisteredList;
    let distribution = distribute(
        statement.totals.scheduled_to_network,
        Pence(100_000),
        &inputs.members,
        &method,
    )
    .unwrap();
    NetworkPay {
        statement,
        members: inputs.members.clone(),
        distribution_method: Some(method),
        distribution_problem: None,
        at_risk: Vec::new(),
        distribution: Some(distribution),
    }
}

pub fn run_of(networks: Vec<NetworkPay>) -> PayRun {
    PayRun {
        financial_year: "2025-26".parse().unwrap(),
        membership_as_at: d("2025-04-01"),
        missing: MissingInputs::Estimate,
        networks: networks.into_iter().map(std::sync::Arc::new).collect(),
    }
}

/// Complete figures (not estimated) for U00001, and estimated ones for U00002.
pub fn two_networks() -> PayRun {
    run_of(vec![
        network_pay(&inputs(
            "U00001",
            vec![
                member("A81001", "ALPHA SURGERY", 20_000, Some(21_000)),
                member("A81002", "BETA SURGERY", 25_139, Some(24_000)),
            ],
            true,
        )),
        network_pay(&inputs(
            "U00002",
            vec![member("B82001", "GAMMA PRACTICE", 30_000, None)],
            false,
        )),
    ])
}

pub fn one(run: &PayRun, i: usize) -> PayRun {
    run_of(vec![(*run.networks[i]).clone()])
}
