//! Import errors: every problem found in a file, each pointing at the row,
//! column and value a user can find in the file.

use std::fmt;

/// How many problems an [`ImportError`] prints.
pub const SHOWN_PROBLEMS: usize = 50;

/// How many problems an [`ImportError`] keeps; beyond this only the count grows,
/// so a file that is wrong on every one of a million rows cannot exhaust memory.
pub const KEPT_PROBLEMS: usize = 1_000;

/// One thing wrong with a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line (CSV) or sheet row (xlsx) as a user sees it; the header
    /// is row 1 when there is one. `None` for whole-file problems.
    pub row: Option<u64>,
    /// The column's header as published (white space collapsed to single
    /// spaces), or `column 15 (Commissioner)` for the headerless epraccur.
    pub column: Option<String>,
    /// The offending value, as found.
    pub value: Option<String>,
    pub message: String,
}

impl Problem {
    /// A problem with the file as a whole.
    pub fn file(message: impl Into<String>) -> Self {
        Self {
            row: None,
            column: None,
            value: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(row) = self.row {
            parts.push(format!("row {row}"));
        }
        if let Some(column) = &self.column {
            parts.push(format!("column {column}"));
        }
        if let Some(value) = &self.value {
            parts.push(format!("value {value:?}"));
        }
        if parts.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", parts.join(", "), self.message)
        }
    }
}

/// A file that could not be imported, with every problem found in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    /// The file as the user named it.
    pub file: String,
    /// The first [`KEPT_PROBLEMS`] problems, in file order.
    pub problems: Vec<Problem>,
    /// All problems found, including those not kept.
    pub total_problems: usize,
}

impl ImportError {
    /// An error with a single whole-file problem.
    pub fn whole_file(file: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_string(),
            problems: vec![Problem::file(message)],
            total_problems: 1,
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for problem in self.problems.iter().take(SHOWN_PROBLEMS) {
            if !first {
                writeln!(f)?;
            }
            first = false;
            write!(f, "{}: {problem}", self.file)?;
        }
        let shown = self.problems.len().min(SHOWN_PROBLEMS);
        let more = self.total_problems.saturating_sub(shown);
        if more > 0 {
            if !first {
                writeln!(f)?;
            }
            write!(
                f,
                "{}: ... and {more} more problem{}",
                self.file,
                if more == 1 { "" } else { "s" }
            )?;
        }
        Ok(())
    }
}

/// Collects problems while a reader walks a file.
#[derive(Debug)]
pub(crate) struct Problems {
    file: String,
    list: Vec<Problem>,
    total: usize,
}

impl Problems {
    pub fn new(file: &str) -> Self {
        Self {
            file: file.to_string(),
            list: Vec::new(),
            total: 0,
        }
    }

    pub fn push(&mut self, problem: Problem) {
        self.total = self.total.saturating_add(1);
        if self.list.len() < KEPT_PROBLEMS {
            self.list.push(problem);
        }
    }

    /// A problem with one cell.
    pub fn cell(&mut self, row: u64, column: &str, value: &str, message: impl Into<String>) {
        self.push(Problem {
            row: Some(row),
            column: Some(column.to_string()),
            value: Some(value.to_string()),
            message: message.into(),
        });
    }

    /// A problem with a whole row.
    pub fn row(&mut self, row: u64, message: impl Into<String>) {
        self.push(Problem {
            row: Some(row),
            column: None,
            value: None,
            message: message.into(),
        });
    }

    pub fn whole_file(&mut self, message: impl Into<String>) {
        self.push(Problem::file(message));
    }

    /// A problem with the whole file that explains the rest (a limit
    /// reached), listed first.
    pub fn whole_file_first(&mut self, message: impl Into<String>) {
        self.total = self.total.saturating_add(1);
        self.list.insert(0, Problem::file(message));
        self.list.truncate(KEPT_PROBLEMS);
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// `Ok(value)` when nothing was wrong, else the error with every problem.
    pub fn finish<T>(self, value: T) -> Result<T, ImportError> {
        if self.total == 0 {
            Ok(value)
        } else {
            Err(self.into_error())
        }
    }

    pub fn into_error(self) -> ImportError {
        ImportError {
            file: self.file,
            problems: self.list,
            total_problems: self.total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_limits_problems() {
        let mut p = Problems::new("x.csv");
        for i in 0..60 {
            p.cell(i + 2, "PRACTICE_CODE", "X1", "not a valid practice code");
        }
        let err = p.into_error();
        let text = err.to_string();
        assert_eq!(text.lines().count(), 51);
        assert!(text.starts_with(
            "x.csv: row 2, column PRACTICE_CODE, value \"X1\": not a valid practice code"
        ));
        assert!(text.ends_with("x.csv: ... and 10 more problems"), "{text}");
    }
}
