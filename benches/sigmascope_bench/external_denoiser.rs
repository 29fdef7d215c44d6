//! `external-denoiser`: round trip of the external-denoiser protocol per denoiser call (x out, x0_hat
//! back) with a child that computes nothing, on a synthetic structure.

use std::time::Instant;

use sigmascope::compute::ComputeDevice;

/// Times `calls` round trips after 3 warm-up calls and prints the JSON.
pub fn run(atoms: usize, calls: usize, command: &str) -> anyhow::Result<()> {
    let structure = sigmascope::structure::Structure::synthetic(atoms);
    let device = ComputeDevice::cpu().device;
    let child = sigmascope::denoiser::ExternalDenoiser::start(
        command,
        &structure,
        sigmascope::denoiser::DEFAULT_TIMEOUT,
        &device,
    )?;
    let x: Vec<f32> = structure.positions.iter().flatten().copied().collect();
    let mut secs = Vec::new();
    for call in 0..calls + 3 {
        let start = Instant::now();
        let back = child
            .round_trip(&x, 1.0, call, None, None)
            .map_err(|e| anyhow::anyhow!(e))?;
        if call >= 3 {
            secs.push(start.elapsed().as_secs_f64());
        }
        anyhow::ensure!(back == x, "the echo child changed x");
    }
    secs.sort_by(f64::total_cmp);
    let json = serde_json::json!({
        "benchmark": "external-denoiser",
        "command": command,
        "atoms": structure.atom_count(),
        "bytes_each_way": structure.atom_count() * 12,
        "round_trip_median_millis": secs[secs.len() / 2] * 1000.0,
        "round_trip_min_millis": secs[0] * 1000.0,
        "calls": secs.len(),
    });
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}
