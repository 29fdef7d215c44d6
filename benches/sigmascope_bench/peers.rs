//! The peer scripts beside the benchmarks (`benches/*.py`): found in the folder `--peers` names, by
//! default `benches` under the working directory, so a binary built elsewhere finds the checkout it runs
//! in.

use std::path::{Path, PathBuf};

/// Where the peer scripts are.
pub struct Peers {
    folder: PathBuf,
}

impl Peers {
    /// Peers in `folder`.
    pub fn new(folder: PathBuf) -> Self {
        Self { folder }
    }

    /// The path of a peer script.
    pub fn script(&self, name: &str) -> PathBuf {
        self.folder.join(name)
    }

    /// Runs `python3 PEERS/SCRIPT ARGS` and reads the JSON it prints, or says why it did not run.
    pub fn python(&self, script: &str, args: &[String]) -> Result<serde_json::Value, String> {
        let script = self.script(script);
        if !script.is_file() {
            return Err(format!(
                "no peer script at {} (run from the repository root or pass --peers DIR)",
                script.display()
            ));
        }
        let output = std::process::Command::new("python3")
            .arg(&script)
            .args(args)
            .output()
            .map_err(|e| format!("python3 did not start: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "{} failed: {}",
                script.display(),
                child_message(&output.stderr)
            ));
        }
        serde_json::from_slice(&output.stdout).map_err(|e| format!("peer output is not JSON: {e}"))
    }

    /// gemmi's load time of `file` from `gemmi_load.py`, or why it did not run.
    pub fn gemmi(&self, file: &Path, runs: usize) -> Result<serde_json::Value, String> {
        self.python(
            "gemmi_load.py",
            &[
                file.display().to_string(),
                "--runs".to_owned(),
                runs.max(1).to_string(),
            ],
        )
    }
}

/// What a child process that failed said: the last non-empty line of its stderr (wgpu and python
/// may print notes and tracebacks before it).
pub fn child_message(stderr: &[u8]) -> String {
    let stderr = String::from_utf8_lossy(stderr);
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
    last.unwrap_or("no message").trim().to_owned()
}
