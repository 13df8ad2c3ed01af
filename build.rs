//! Build provenance for sweep manifests: the git commit the binary is built from (when the
//! source is a git checkout and git is installed) and the compiler's version.

use std::path::Path;
use std::process::Command;

fn main() {
    let output = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_string())
    };
    let commit = output("git", &["rev-parse", "HEAD"]).unwrap_or_default();
    println!("cargo:rustc-env=MOMLAB_GIT_COMMIT={commit}");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    println!("cargo:rustc-env=MOMLAB_RUSTC={}", output(&rustc, &["--version"]).unwrap_or_default());
    // Rebuild when HEAD moves (a commit or a checkout), not on every run.
    for path in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        if Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
