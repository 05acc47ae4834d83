//! Embeds every `rules/*.toml` file in the binary, so a new financial year is
//! a new data file and nothing else: the list is generated from the folder,
//! never kept by hand. (A test in `tests/rulebook.rs` also compares the
//! embedded list with the folder.)
//!
//! A build script runs on the developer's machine at compile time, not in
//! the core: reading the rules folder here is what keeps the core itself free
//! of I/O, so the core's ban on files and environment does not apply.
#![allow(clippy::disallowed_methods)]

use std::path::PathBuf;

fn main() {
    let rules = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    println!("cargo:rerun-if-changed={}", rules.display());
    let mut names: Vec<String> = std::fs::read_dir(&rules)
        .expect("the rules folder beside the crates")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml"))
        .collect();
    names.sort();
    let mut out = String::from("&[\n");
    for name in &names {
        let path = rules.join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        out.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            format!("rules/{name}"),
            path.canonicalize().expect("a readable rule file")
        ));
    }
    out.push_str("]\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("embedded_rules.rs");
    std::fs::write(dest, out).expect("writing the embedded rules list");
}
