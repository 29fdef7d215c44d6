//! `reductions`: burn's own mean over a long axis and sigmascope's two-stage one
//! (`compute::mean_last_axis`), each against the known mean, with their times (readback included),
//! on the CPU backend and on wgpu. burn's wgpu reduction came out wrong on lavapipe past about 2·10⁵
//! elements; this says whether a given GPU gets it wrong too.

use std::time::Instant;

use burn::tensor::{Tensor, TensorData};

use sigmascope::compute::{ComputeDevice, mean_last_axis, open_wgpu};

#[derive(serde::Serialize)]
struct ReductionTiming {
    device: String,
    atoms: usize,
    /// max |mean − known mean| over the three rows, burn's `mean_dim`.
    burn_error: f64,
    burn_millis: f64,
    /// The same for `compute::mean_last_axis`.
    two_stage_error: f64,
    two_stage_millis: f64,
}

/// Rows [3, N] whose row k holds k + (i mod 7) / 7: its mean is k + 3/7 (N a multiple of 7).
fn known_rows(n: usize, device: &burn::tensor::Device) -> Tensor<2> {
    let values: Vec<f32> = (0..3 * n)
        .map(|e| (e / n) as f32 + (e % n % 7) as f32 / 7.0)
        .collect();
    Tensor::from_data(TensorData::new(values, [3, n]), device)
}

fn measure(rows: &Tensor<2>, mean: impl Fn(Tensor<2>) -> Tensor<2>) -> anyhow::Result<(f64, f64)> {
    // One untimed run: kernels compile on first use.
    mean(rows.clone()).into_data();
    let start = Instant::now();
    let got = mean(rows.clone())
        .try_into_data()
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .try_into_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let millis = start.elapsed().as_secs_f64() * 1000.0;
    let error = got
        .iter()
        .enumerate()
        .map(|(k, m)| (f64::from(*m) - (k as f64 + 3.0 / 7.0)).abs())
        .fold(0.0, f64::max);
    Ok((error, millis))
}

/// Both means against the known one at each atom count and device; prints the JSON.
pub fn run(atoms: &[usize]) -> anyhow::Result<()> {
    let mut devices = vec![ComputeDevice::cpu()];
    match open_wgpu() {
        Ok(d) => devices.push(d),
        Err(e) => eprintln!("note: wgpu skipped: {e}"),
    }
    let mut timings = Vec::new();
    for compute in &devices {
        for &n in atoms {
            let n = n.next_multiple_of(7).max(7);
            let rows = known_rows(n, &compute.device);
            let (burn_error, burn_millis) = measure(&rows, |r| r.mean_dim(1))?;
            let (two_stage_error, two_stage_millis) = measure(&rows, mean_last_axis)?;
            timings.push(ReductionTiming {
                device: compute.describe(),
                atoms: n,
                burn_error,
                burn_millis,
                two_stage_error,
                two_stage_millis,
            });
        }
    }
    let json = serde_json::json!({
        "benchmark": "reductions",
        "what": "mean over the atom axis of rows [3, N] with known means: burn's mean_dim and compute::mean_last_axis, errors and times (one readback included)",
        "timings": timings,
    });
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}
