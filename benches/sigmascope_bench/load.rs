//! `load`: time to load a structure file (read, gunzip, parse, build the hierarchy), beside gemmi's.

use std::path::Path;
use std::time::Instant;

use sigmascope::cli::LoadArgs;

use crate::peers::Peers;

/// Times `runs` loads after a warm-up and prints the JSON.
pub fn run(peers: &Peers, file: &Path, load: &LoadArgs, runs: usize) -> anyhow::Result<()> {
    let options = load.options();
    let mut secs = Vec::new();
    let mut atoms = 0;
    for run in 0..=(runs).max(1) {
        let start = Instant::now();
        let structure = sigmascope::structure::load_path(file, &options)?;
        if run > 0 {
            secs.push(start.elapsed().as_secs_f64());
        }
        atoms = structure.atom_count();
    }
    secs.sort_by(f64::total_cmp);
    let peer = peers.gemmi(file, runs);
    let median = secs[secs.len() / 2];
    let json = serde_json::json!({
        "benchmark": "load",
        "file": file.display().to_string(),
        "atoms": atoms,
        "median_secs": median,
        "min_secs": secs[0],
        "runs": secs.len(),
        "peer": peer.as_ref().ok(),
        "ratio_to_peer": peer.as_ref().ok().and_then(|p| p["median_secs"].as_f64()).map(|g| median / g),
        "peer_skipped": peer.err(),
    });
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}
