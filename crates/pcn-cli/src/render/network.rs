//! Networks and practices for a terminal: a network's facts, members and
//! governance history; the network list; a practice and its membership
//! history; the import and audit logs.

use comfy_table::Cell;
use pcn_core::facts::GovernanceFact;
use pcn_core::registry::{MembershipRecord, NetworkView, PracticeView, Snapshot};
use pcn_core::text::thousands;
use pcn_store::{AuditEntry, ImportRecord};

use crate::output::{key_value_table, right, table};

fn or_dash<T: ToString>(value: &Option<T>) -> String {
    value
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "—".to_string())
}

/// A network's facts, members and governance history.
pub fn network_text(
    network: &NetworkView,
    snapshot: &Snapshot,
    history: &[(GovernanceFact, String, String)],
) -> String {
    let g = &network.governance;
    let mut out = format!(
        "{} {}\n\n",
        network.code,
        network.name.as_deref().unwrap_or("")
    );
    let mut facts = key_value_table();
    for (label, value) in [
        ("As at", snapshot.as_at.to_string()),
        ("Commissioner (sub-ICB)", or_dash(&network.commissioner)),
        ("Recorded by ODS under", or_dash(&network.recorded_sub_icb)),
        ("ICB", or_dash(&network.icb)),
        (
            "Open / close",
            format!(
                "{} / {}",
                or_dash(&network.open_date),
                or_dash(&network.close_date)
            ),
        ),
        ("Registered patients", thousands(network.list_size)),
        ("Member practices", network.members.len().to_string()),
        ("Clinical director", or_dash(&g.clinical_director)),
        ("Nominated payee", or_dash(&g.nominated_payee)),
        (
            "Network agreement signed",
            or_dash(&g.network_agreement_signed),
        ),
        (
            "Data-sharing agreement signed",
            or_dash(&g.data_sharing_agreement_signed),
        ),
        ("Size exception", or_dash(&g.size_exception)),
        ("Community partners", g.community_partners.join("; ")),
        (
            "Mental health partners",
            g.mental_health_partners.join("; "),
        ),
        ("Voluntary partners", g.voluntary_partners.join("; ")),
    ] {
        facts.add_row(vec![Cell::new(label), Cell::new(value)]);
    }
    out.push_str(&facts.to_string());
    out.push_str("\n\nMembers\n");
    let mut members = table(&["practice", "name", "sub-ICB", "patients", "list as at"]);
    for code in &network.members {
        let p = &snapshot.practices[code];
        members.add_row(vec![
            Cell::new(code),
            Cell::new(p.name.as_deref().unwrap_or("")),
            Cell::new(or_dash(&p.sub_icb)),
            right(p.list_size.map(thousands).unwrap_or_else(|| "—".into())),
            Cell::new(or_dash(&p.list_as_at)),
        ]);
    }
    out.push_str(&members.to_string());
    if !history.is_empty() {
        out.push_str("\n\nGovernance history\n");
        let mut t = table(&[
            "field",
            "value",
            "effective from",
            "recorded at",
            "recorded by",
        ]);
        for (fact, at, by) in history {
            t.add_row(vec![
                Cell::new(fact.field.name()),
                Cell::new(if fact.value.is_empty() {
                    "(cleared)"
                } else {
                    &fact.value
                }),
                Cell::new(fact.effective_from),
                Cell::new(at),
                Cell::new(by),
            ]);
        }
        out.push_str(&t.to_string());
    }
    out.push('\n');
    out
}

/// The networks, one a row.
pub fn networks_table(networks: &[&NetworkView], as_at: chrono::NaiveDate) -> String {
    let mut t = table(&["network", "name", "commissioner", "members", "patients"]);
    for n in networks {
        t.add_row(vec![
            Cell::new(&n.code),
            Cell::new(n.name.as_deref().unwrap_or("")),
            Cell::new(or_dash(&n.commissioner)),
            right(n.members.len()),
            right(thousands(n.list_size)),
        ]);
    }
    format!("{t}\n{} networks as at {as_at}\n", networks.len())
}

/// A practice's facts as at a date.
pub fn practice_text(p: &PracticeView, as_at: chrono::NaiveDate) -> String {
    let mut out = format!("{} {}\n\n", p.code, p.name.as_deref().unwrap_or(""));
    let with_name =
        |code: String, name: &Option<String>| format!("{code} {}", name.as_deref().unwrap_or(""));
    let mut t = key_value_table();
    for (label, value) in [
        ("As at", as_at.to_string()),
        ("Postcode", or_dash(&p.postcode)),
        (
            "Commissioner (sub-ICB)",
            with_name(or_dash(&p.sub_icb), &p.sub_icb_name),
        ),
        ("ICB", with_name(or_dash(&p.icb), &p.icb_name)),
        ("Region", with_name(or_dash(&p.region), &p.region_name)),
        (
            "ODS status",
            p.status
                .map(|s| s.code().to_string())
                .unwrap_or_else(|| "—".into()),
        ),
        (
            "Open / close",
            format!("{} / {}", or_dash(&p.open_date), or_dash(&p.close_date)),
        ),
        (
            "Registered patients",
            format!(
                "{} (as at {})",
                p.list_size.map(thousands).unwrap_or_else(|| "—".into()),
                or_dash(&p.list_as_at)
            ),
        ),
        (
            "Network",
            if p.unallocated {
                "U (Unallocated)".to_string()
            } else {
                p.networks
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ),
        (
            "Location",
            p.location
                .map(|l| format!("{:.5}, {:.5}", l.lat, l.lon))
                .unwrap_or_else(|| "—".into()),
        ),
        ("GP system supplier", or_dash(&p.supplier)),
    ] {
        t.add_row(vec![Cell::new(label), Cell::new(value)]);
    }
    out.push_str(&t.to_string());
    out
}

/// A practice's network membership history.
pub fn membership_history_text(history: &[MembershipRecord]) -> String {
    let mut t = table(&["network", "from", "to", "basis"]);
    for r in history {
        t.add_row(vec![
            Cell::new(&r.pcn),
            Cell::new(r.from),
            Cell::new(r.to.map(|d| d.to_string()).unwrap_or_else(|| "open".into())),
            Cell::new(r.basis),
        ]);
    }
    format!("\n\nNetwork membership history\n{t}\n")
}

/// What was imported, when and by whom.
pub fn imports_table(imports: &[ImportRecord]) -> String {
    let mut t = table(&[
        "id",
        "file",
        "kind",
        "data date",
        "rows",
        "facts",
        "imported at",
        "by",
        "sha256",
    ]);
    for r in imports {
        t.add_row(vec![
            right(r.id),
            Cell::new(&r.file_name),
            Cell::new(&r.kind),
            Cell::new(r.data_date),
            right(thousands(r.rows_read.max(0) as u64)),
            right(thousands(r.facts.max(0) as u64)),
            Cell::new(&r.imported_at),
            Cell::new(&r.imported_by),
            Cell::new(&r.sha256[..r.sha256.len().min(12)]),
        ]);
    }
    format!("{t}\n")
}

/// The audit log, newest first.
pub fn audit_table(entries: Vec<AuditEntry>) -> String {
    let mut t = table(&["when", "who", "action", "what", "before", "after", "detail"]);
    for e in entries {
        t.add_row(vec![
            Cell::new(e.at),
            Cell::new(e.actor),
            Cell::new(e.change.action),
            Cell::new(format!("{} {}", e.change.entity, e.change.entity_key)),
            Cell::new(e.change.before_value.unwrap_or_default()),
            Cell::new(e.change.after_value.unwrap_or_default()),
            Cell::new(e.change.detail.unwrap_or_default()),
        ]);
    }
    format!("{t}\n")
}
