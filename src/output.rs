//! Output: JSON on stdout, and files written atomically (temporary file in the same directory,
//! then rename), so that an interrupted or failed command never leaves a half-written file.
//! SIGINT (Ctrl-C) and SIGTERM remove the temporary files being written and end the process with
//! exit code 128 + signal (130 for SIGINT, 143 for SIGTERM).

use anyhow::{Context, Result};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The temporary files being written now: removed if the process is interrupted.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Blocks SIGINT and SIGTERM in this thread (so in every thread started after it: call this
/// first in `main`) and starts the thread that waits for them: it removes the pending temporary
/// files and exits with 128 + the signal's number.
pub fn handle_interrupts() -> Result<()> {
    // SAFETY: plain libc calls on a sigset_t we own; sigwait runs in a thread of its own, so no
    // code runs inside a signal handler.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            anyhow::bail!("cannot block SIGINT");
        }
        set
    };
    std::thread::Builder::new().name("signals".into()).spawn(move || {
        let mut signal: libc::c_int = 0;
        // SAFETY: `set` is a valid signal set; `signal` receives the number.
        while unsafe { libc::sigwait(&set, &mut signal) } != 0 {}
        // Held until exit: no rename can finish after the files are removed.
        let files = pending();
        for file in files.iter() {
            let _ = std::fs::remove_file(file);
        }
        std::process::exit(128 + signal);
    })?;
    Ok(())
}

/// Keeps a temporary file in [`PENDING`] while it exists.
struct Registered(PathBuf);

impl Registered {
    fn new(path: &Path) -> Registered {
        pending().push(path.to_path_buf());
        Registered(path.to_path_buf())
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        pending().retain(|p| p != &self.0);
    }
}

/// Pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Writes `path` atomically with the bytes produced by `fill`.
pub fn write_atomically(path: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write {}: directory {} is not writable", path.display(), dir.display()))?;
    let registered = Registered::new(tmp.path());
    fill(tmp.as_file_mut())?;
    tmp.as_file_mut().flush()?;
    {
        // The rename and an interruption exclude each other (see `handle_interrupts`).
        let _lock = pending();
        tmp.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    }
    drop(registered);
    Ok(())
}

/// Writes `rows` as a CSV file (header from the field names), atomically.
pub fn write_csv<T: Serialize>(path: &Path, rows: &[T]) -> Result<()> {
    write_atomically(path, |w| {
        let mut writer = csv::Writer::from_writer(w);
        for row in rows {
            writer.serialize(row)?;
        }
        writer.flush()?;
        Ok(())
    })
}

/// A number for a text table with `digits` decimals: `-` for none.
pub fn cell(x: Option<f64>, digits: usize) -> String {
    x.map_or("-".into(), |v| format!("{v:.digits$}"))
}
