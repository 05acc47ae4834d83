//! The rules of ARCHITECTURE.md, checked mechanically on the workspace's own
//! files, as rust-analyzer's tidy tests do:
//! - the crate graph: an edge calls the application layer; the application
//!   layer calls the core and the store; nothing depends on the command line;
//! - the core's purity: no files, network, environment, clock or async;
//! - no function outside tests over 150 lines;
//! - the command line is its grammar and renderers: `crates/pcn-cli/src`
//!   stays under 4,000 lines (a use case or a rule belongs lower down).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == "target") {
                    continue;
                }
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The workspace crates and the workspace crates each depends on (normal
/// dependencies, not dev-dependencies).
fn crate_graph() -> BTreeMap<String, Vec<String>> {
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(workspace().join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let manifest: toml::Table = text.parse().unwrap();
        let name = manifest["package"]["name"].as_str().unwrap().to_string();
        let deps: Vec<String> = manifest
            .get("dependencies")
            .and_then(|d| d.as_table())
            .map(|d| {
                d.keys()
                    .filter(|k| k.starts_with("pcn-"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        graph.insert(name, deps);
    }
    graph
}

#[test]
fn the_crate_graph_runs_one_way() {
    let graph = crate_graph();
    // What each crate may depend on among the workspace's crates.
    let allowed: &[(&str, &str)] = &[
        ("pcn-core", ""),
        ("pcn-import", "pcn-core"),
        ("pcn-store", "pcn-core"),
        ("pcn-export", "pcn-core"),
        ("pcn-app", "pcn-core pcn-import pcn-store"),
        (
            "pcn-web",
            "pcn-core pcn-import pcn-store pcn-app pcn-export",
        ),
        (
            "pcn-cli",
            "pcn-core pcn-import pcn-store pcn-app pcn-export pcn-web pcn-bench",
        ),
        (
            "pcn-bench",
            "pcn-core pcn-import pcn-store pcn-app pcn-export pcn-web",
        ),
        ("pcn-tidy", ""),
    ];
    for (name, deps) in &graph {
        let Some((_, may)) = allowed.iter().find(|(n, _)| n == name) else {
            panic!(
                "{name} is a new crate: say in this test and ARCHITECTURE.md what it may depend on"
            );
        };
        for dep in deps {
            assert!(
                may.split_whitespace().any(|m| m == dep),
                "{name} depends on {dep}, which the architecture does not allow"
            );
        }
    }
}

#[test]
fn no_front_end_reaches_into_the_command_line() {
    for file in rust_files(&workspace().join("crates")) {
        if file
            .components()
            .any(|c| c.as_os_str() == "pcn-cli" || c.as_os_str() == "pcn-tidy")
        {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            !text.contains("pcn_cli::"),
            "{} names pcn_cli: the command line is a front end, not a library",
            file.display()
        );
    }
}

/// What the core may not do: files, network, environment, processes, clocks,
/// async runtimes, printing.
const IMPURE: &[&str] = &[
    "std::fs",
    "std::net",
    "std::env",
    "std::process",
    "std::thread",
    "std::io::stdin",
    "std::io::stdout",
    "Instant::now",
    "SystemTime",
    "Utc::now",
    "Local::now",
    "tokio",
    "sqlx",
    "println!",
    "eprintln!",
    "print!(",
    "dbg!(",
];

#[test]
fn the_core_does_no_io() {
    let core = workspace().join("crates/pcn-core/src");
    for file in rust_files(&core) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in IMPURE {
                assert!(
                    !code.contains(word),
                    "{}:{}: {word} in the pure core: {line}",
                    file.display(),
                    n + 1
                );
            }
        }
    }
    let manifest: toml::Table =
        std::fs::read_to_string(workspace().join("crates/pcn-core/Cargo.toml"))
            .unwrap()
            .parse()
            .unwrap();
    for dep in manifest["dependencies"].as_table().unwrap().keys() {
        for impure in [
            "tokio", "sqlx", "reqwest", "axum", "hyper", "csv", "calamine",
        ] {
            assert_ne!(dep, impure, "pcn-core depends on {impure}");
        }
    }
}

/// Functions (and methods) of at most this many lines outside tests.
const LONGEST: usize = 150;

struct Functions<'a> {
    file: &'a Path,
    too_long: Vec<String>,
}

fn is_test_attr(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let text = quote_attr(a);
        text.starts_with("test") || text.contains("cfg(test") || text.starts_with("tokio::test")
    })
}

fn quote_attr(attr: &syn::Attribute) -> String {
    let path = attr
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::");
    match &attr.meta {
        syn::Meta::List(list) => format!("{path}({})", list.tokens),
        _ => path,
    }
}

impl Functions<'_> {
    fn check(&mut self, name: &syn::Ident, span: proc_macro2::Span) {
        let lines = span.end().line - span.start().line + 1;
        if lines > LONGEST {
            self.too_long.push(format!(
                "{}:{} {name}: {lines} lines",
                self.file.display(),
                span.start().line
            ));
        }
    }
}

impl<'ast> syn::visit::Visit<'ast> for Functions<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_test_attr(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !is_test_attr(&f.attrs) {
            self.check(&f.sig.ident, syn::spanned::Spanned::span(f));
            syn::visit::visit_item_fn(self, f);
        }
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if !is_test_attr(&f.attrs) {
            self.check(&f.sig.ident, syn::spanned::Spanned::span(f));
            syn::visit::visit_impl_item_fn(self, f);
        }
    }
}

#[test]
fn no_function_is_too_long_to_read() {
    let mut too_long = Vec::new();
    for file in rust_files(&workspace().join("crates")) {
        // Test code: `tests/`, benches and examples, and the `tests.rs`
        // files that are `#[cfg(test)] mod tests;` of their crate.
        let in_tests = file.components().any(|c| {
            let c = c.as_os_str();
            c == "tests" || c == "benches" || c == "examples"
        }) || file.file_name().is_some_and(|n| n == "tests.rs");
        if in_tests {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let parsed = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut visitor = Functions {
            file: &file,
            too_long: Vec::new(),
        };
        syn::visit::Visit::visit_file(&mut visitor, &parsed);
        too_long.extend(visitor.too_long);
    }
    assert!(
        too_long.is_empty(),
        "functions over {LONGEST} lines (split them by concern):\n{}",
        too_long.join("\n")
    );
}

/// The command line holds the grammar and the renderers; what both front
/// ends use lives in pcn-app, pcn-export or the core. Its size is the
/// tripwire for a use case growing in the wrong place.
#[test]
fn the_command_line_stays_thin() {
    const MOST: usize = 4_000;
    let lines: usize = rust_files(&workspace().join("crates/pcn-cli/src"))
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap().lines().count())
        .sum();
    assert!(
        lines < MOST,
        "crates/pcn-cli/src is {lines} lines (under {MOST} wanted): move what is not \
         command grammar or rendering to pcn-app, pcn-export or pcn-core"
    );
}
