//! The rulebook: the copy built into the binary, or the `*.toml` files of a
//! folder (`--rules DIR`), one per financial year. One rulebook is loaded per
//! command or server and passed to every use case, so payments, ARRS roles
//! and census seeding never disagree about the rules.

use std::path::Path;

use pcn_core::rulebook::Rulebook;

use crate::{Error, Result};

/// The rulebook: built in, or read from every `*.toml` file in `dir`.
pub fn load(dir: Option<&Path>) -> Result<Rulebook> {
    let Some(dir) = dir else {
        return Ok(Rulebook::embedded()?);
    };
    let io = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            files.push((path.display().to_string(), text));
        }
    }
    if files.is_empty() {
        return Err(Error::invalid(format!(
            "no rulebook files (*.toml) in {}",
            dir.display()
        )));
    }
    files.sort();
    let sources: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    Ok(Rulebook::from_sources(&sources)?)
}
