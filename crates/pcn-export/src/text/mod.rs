//! Plain text reports for people, the same on a terminal, in a text file or
//! in a message: a payment run (a network's statement, or a summary of
//! several with totals by stream), a reconciliation and the DES checks' findings. The tables are
//! drawn with box characters, sized to their content (never wrapped to a
//! terminal's width); money is shown as pounds from the exact pence.

pub mod checks;
pub mod pay;
pub mod reconcile;

use comfy_table::presets::UTF8_BORDERS_ONLY;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};

/// A table with this header row.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    table
}

/// A two-column table of labels and values, with no header row.
pub fn key_value_table() -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Disabled);
    table
}

/// A two-column table of labels and their figures (aligned to the right),
/// with no header row.
pub fn figures_table<L: ToString, V: ToString>(rows: impl IntoIterator<Item = (L, V)>) -> Table {
    let mut table = key_value_table();
    for (label, value) in rows {
        table.add_row(vec![Cell::new(label), right(value)]);
    }
    table
}

/// A cell aligned to the right (figures).
pub fn right(text: impl ToString) -> Cell {
    Cell::new(text).set_alignment(CellAlignment::Right)
}
