//! `sigmascope listen`: records runs streamed from a user's own loop (the Python package) without a
//! window, one NPZ per run, written atomically when the run closes.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use clap::Args;

use crate::sampler::Frame;
use crate::stream::{Listener, StreamEvent, listen_address};
use crate::structure::Structure;
use crate::trajectory::write_run_npz;

/// Arguments of `listen`.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Where to listen: HOST:PORT or a port (default `SIGMASCOPE_ADDRESS`, else 127.0.0.1:9876; port 0
    /// picks a free one). An address other than loopback needs `SIGMASCOPE_TOKEN`.
    #[arg(long)]
    pub address: Option<String>,
    /// The NPZ each run is written to (`run.npz`; with more than one run `run-2.npz`, `run-3.npz`, …).
    #[arg(long)]
    pub out: PathBuf,
    /// Runs to record before exiting.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub runs: u64,
}

/// The file of the `k`-th run (1-based).
fn run_path(out: &Path, k: u64) -> PathBuf {
    if k == 1 {
        return out.to_path_buf();
    }
    let stem = out
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let ext = out
        .extension()
        .map_or_else(String::new, |e| format!(".{}", e.to_string_lossy()));
    out.with_file_name(format!("{stem}-{k}{ext}"))
}

/// Runs `listen`.
pub fn run(args: &ListenArgs) -> anyhow::Result<()> {
    let address = listen_address(args.address.as_deref()).map_err(anyhow::Error::msg)?;
    let token = std::env::var("SIGMASCOPE_TOKEN").ok();
    let (events, received) = mpsc::channel();
    let listener = Listener::start(address, token, move |event| {
        events.send(event).ok();
    })
    .map_err(anyhow::Error::msg)?;
    println!("listening on {}", listener.address);
    std::io::stdout().flush().ok();
    let mut open: std::collections::HashMap<u64, (Structure, Vec<Frame>)> = Default::default();
    let mut written = 0;
    while written < args.runs {
        let Ok(event) = received.recv() else { break };
        match event {
            StreamEvent::Started { run, structure, .. } => {
                open.insert(run, (*structure, Vec::new()));
            }
            StreamEvent::Frame { run, frame } => {
                if let Some((_, frames)) = open.get_mut(&run) {
                    frames.push(frame.0);
                }
            }
            StreamEvent::Closed { run, dropped, .. } => {
                let Some((structure, frames)) = open.remove(&run) else {
                    continue;
                };
                written += 1;
                let path = run_path(&args.out, written);
                write_run_npz(&path, &structure, &frames)?;
                let note = if dropped > 0 {
                    format!(" ({dropped} steps dropped by the client's queue)")
                } else {
                    String::new()
                };
                println!(
                    "{}: {} frames of {}{note}",
                    path.display(),
                    frames.len(),
                    structure.name
                );
                std::io::stdout().flush().ok();
            }
            StreamEvent::Refused { peer, run, reason } => {
                if let Some(run) = run {
                    open.remove(&run);
                }
                eprintln!("refused {peer}: {reason}");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_runs_are_numbered_beside_the_first() {
        let out = Path::new("/tmp/x/run.npz");
        assert_eq!(run_path(out, 1), out);
        assert_eq!(run_path(out, 3), Path::new("/tmp/x/run-3.npz"));
    }
}
