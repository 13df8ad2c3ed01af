//! What the bad-input and the limits tables share: a command line from words, and the check
//! that each case is refused (exit code 2, one line on stderr naming the problem, no panic) and
//! leaves the working directory as it found it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A command line split at white space.
pub fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(String::from).collect()
}

/// Runs every case (arguments, expected part of the error line) in `cwd` and panics with the
/// list of those that did not exit 2 with one line on stderr containing the expected text, that
/// panicked, that took longer than `within` (when given), or that changed `state(cwd)`.
pub fn assert_refused<S: PartialEq + std::fmt::Debug>(
    cwd: &Path,
    cases: &[(Vec<String>, &str)],
    within: Option<Duration>,
    state: impl Fn(&Path) -> S,
) {
    let mut failures = Vec::new();
    for (args, expected) in cases {
        let before = state(cwd);
        let start = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_momlab")).current_dir(cwd).args(args).output().expect("run momlab");
        let took = start.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let after = state(cwd);
        let problem = if out.status.code() != Some(2) {
            Some(format!("exit {:?}", out.status.code()))
        } else if stderr.trim_end().lines().count() != 1 {
            Some("not one line".into())
        } else if !stderr.contains(expected) {
            Some(format!("lacks '{expected}'"))
        } else if stderr.contains("panicked") {
            Some("panicked".into())
        } else if within.is_some_and(|limit| took > limit) {
            Some(format!("took {took:?}"))
        } else if after != before {
            Some(format!("left files behind: {after:?} (was {before:?})"))
        } else {
            None
        };
        if let Some(p) = problem {
            failures.push(format!("{}: {p}: {}", args.join(" "), stderr.trim_end()));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
