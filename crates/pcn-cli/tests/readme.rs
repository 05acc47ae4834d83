//! Every `pcn` command the README shows, run in order as written, on the data
//! the README names: the national files in `../shared/data`.
//!
//! The README's shell blocks are read as a reader would type them: lines
//! joined at a trailing `\`, `;` separating commands, `# …` comments
//! dropped, `D=…` setting a variable that `$D` then stands for. Each command
//! whose first word is `pcn` runs in a folder of its own (so its database
//! and any file it writes are the test's), with "today" fixed (`PCN_TODAY`)
//! so the examples that depend on the date give the same answer every day.
//! A command fails the test when it exits other than 0 (1 for `pcn check`,
//! which exits 1 when it finds errors; N where its comment says "(exit N)",
//! a refusal the README shows on purpose) or prints `error:` on its standard
//! error when it should succeed. Commands that run until stopped (`pcn serve`, `pcn demo` without
//! `--no-serve`) are started with `--help` instead, so their flags are still checked; `cargo`
//! lines (the build, the demo, the benchmark) are what `scripts/test` runs.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// The date the README's examples are written for.
const TODAY: &str = "2026-11-29";

/// One command of the README: where it is, its words, and the exit code its
/// comment says to expect.
#[derive(Debug)]
struct Example {
    line: usize,
    words: Vec<String>,
    exit: Option<i32>,
}

/// The "(exit N)" of a comment.
fn expected_exit(comment: &str) -> Option<i32> {
    let at = comment.find("(exit ")? + "(exit ".len();
    comment[at..].split(')').next()?.trim().parse().ok()
}

/// Splits a line at `;` and drops a `#` comment, both outside quotes; the
/// comment's text comes back too.
fn commands_of(line: &str) -> (Vec<String>, String) {
    let mut out = vec![String::new()];
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    let mut comment = String::new();
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '#') if prev.is_whitespace() => {
                comment = line[i..].to_string();
                break;
            }
            (None, ';') => out.push(String::new()),
            (None, '"' | '\'') => {
                quote = Some(c);
                out.last_mut().unwrap().push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                out.last_mut().unwrap().push(c);
            }
            _ => out.last_mut().unwrap().push(c),
        }
        prev = c;
    }
    let commands = out
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    (commands, comment)
}

/// The commands of the README's ```sh blocks, variables substituted.
fn examples(readme: &str, repo: &Path) -> Vec<Example> {
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    let mut in_block = false;
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in readme.lines().enumerate() {
        let trimmed = raw.trim_end();
        if trimmed.starts_with("```") {
            in_block = trimmed == "```sh";
            continue;
        }
        if !in_block {
            continue;
        }
        let (start, mut text) = pending.take().unwrap_or((i + 1, String::new()));
        if let Some(head) = trimmed.strip_suffix('\\') {
            text.push_str(head);
            text.push(' ');
            pending = Some((start, text));
            continue;
        }
        text.push_str(trimmed);
        let (commands, comment) = commands_of(&text);
        for command in commands {
            if let Some((name, value)) = command.split_once('=') {
                if !name.contains(' ') && name.chars().all(|c| c.is_ascii_uppercase()) {
                    vars.insert(name.to_string(), repo.join(value).display().to_string());
                    continue;
                }
            }
            let mut expanded = command.clone();
            for (name, value) in &vars {
                expanded = expanded.replace(&format!("${name}"), value);
            }
            let words = shlex::split(&expanded)
                .unwrap_or_else(|| panic!("README.md:{start}: cannot split `{command}`"));
            out.push(Example {
                line: start,
                words,
                exit: expected_exit(&comment),
            });
        }
    }
    out
}

#[test]
fn the_readme_is_read_as_a_reader_types_it() {
    let text =
        "```sh\nD=../data\npcn a $D/x.csv \\\n  --b 'c; d' # note\npcn e; pcn f   # refused (exit 2)\n```\n";
    let got = examples(text, Path::new("/repo"));
    let words: Vec<Vec<&str>> = got
        .iter()
        .map(|e| e.words.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        words,
        vec![
            vec!["pcn", "a", "/repo/../data/x.csv", "--b", "c; d"],
            vec!["pcn", "e"],
            vec!["pcn", "f"],
        ]
    );
    assert_eq!(got[0].line, 3);
    assert_eq!(got[0].exit, None);
    assert_eq!(got[2].exit, Some(2));
}

#[test]
fn every_readme_command_runs_on_the_readme_data() {
    let Some(_) = shared_data() else { return };
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    let all = examples(&readme, &repo);
    let runnable: Vec<&Example> = all.iter().filter(|e| e.words[0] == "pcn").collect();
    assert!(
        runnable.len() >= 40,
        "only {} pcn commands found in README.md",
        runnable.len()
    );
    let dir = tempfile::tempdir().unwrap();
    // `--rules ./rules` in the README names the repository's folder.
    std::os::unix::fs::symlink(repo.join("rules"), dir.path().join("rules")).unwrap();
    let mut failures = Vec::new();
    for example in runnable {
        let mut args: Vec<&str> = example.words[1..].iter().map(String::as_str).collect();
        // What runs until stopped is asked for its help instead.
        let serves = args[0] == "serve" || (args[0] == "demo" && !args.contains(&"--no-serve"));
        if serves {
            args.truncate(1);
            args.push("--help");
        }
        let out = Command::new(env!("CARGO_BIN_EXE_pcn"))
            .args(&args)
            .current_dir(dir.path())
            .env_remove("PCN_DATABASE")
            .env("PCN_TODAY", TODAY)
            .env("PCN_PASSWORD", "a long readme password")
            .env("PCN_USER", "readme")
            .output()
            .unwrap();
        let err = stderr(&out);
        let code = code(&out);
        let unexpected = match example.exit {
            Some(expected) => code != expected,
            None => {
                let allowed = if args[0] == "check" { 1 } else { 0 };
                (code != 0 && code != allowed) || err.to_lowercase().contains("error:")
            }
        };
        if unexpected {
            failures.push(format!(
                "README.md:{}: pcn {}\n  exit {code}\n  {}",
                example.line,
                args.join(" "),
                err.trim().replace('\n', "\n  ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
