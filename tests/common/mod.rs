//! What several test binaries share: the one place snapshot thresholds live, the bundled structures,
//! the CPU device and scratch folders.

#![allow(dead_code)] // each test binary uses part of it
#![expect(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::OnceLock;

use sigmascope::compute::ComputeDevice;
use sigmascope::structure::{LoadOptions, Structure, find_bundled};

/// A bundled structure loaded with the default selection.
pub fn bundled(name: &str) -> Structure {
    find_bundled(name)
        .unwrap()
        .load(&LoadOptions::default())
        .unwrap()
}

/// The JSON a command printed, after checking that it succeeded (its stderr otherwise).
pub fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// One CPU device per test binary (starting devices per test is slow).
pub fn cpu() -> &'static ComputeDevice {
    static CPU: OnceLock<ComputeDevice> = OnceLock::new();
    CPU.get_or_init(ComputeDevice::cpu)
}

/// The wgpu adapter (lavapipe on CI, a GPU where there is one), or `None` with the reason printed
/// where none opens; CI must have one.
pub fn wgpu_or_skip() -> Option<ComputeDevice> {
    match sigmascope::compute::select_device(sigmascope::compute::DevicePreference::Gpu) {
        Ok(d) => Some(d),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must have a wgpu adapter: {e}"
            );
            eprintln!("skipped: {e}");
            None
        }
    }
}

/// Polls the window state's worker until it has nothing in progress (fails after 120 s).
pub fn settle(state: &mut sigmascope::app::AppState) {
    let start = std::time::Instant::now();
    loop {
        state.poll_worker();
        if !state.is_busy() {
            return;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(120),
            "the worker hangs"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// A fresh folder for one test's files, apart from other tests and other test processes.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sigmascope-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether goldens are being rewritten (`UPDATE_SNAPSHOTS=1`).
pub fn updating() -> bool {
    std::env::var_os("UPDATE_SNAPSHOTS").is_some()
}

/// A golden that is missing fails the test (a new golden is written only under `UPDATE_SNAPSHOTS=1`).
pub fn require_golden(path: &std::path::Path) {
    assert!(
        updating() || path.exists(),
        "missing snapshot golden {}: run with UPDATE_SNAPSHOTS=1 to create it",
        path.display()
    );
}

/// A pixel fails when a channel differs by more than this (of 255).
pub const CHANNEL_TOLERANCE: u8 = 24;
/// An image fails when more than this share of its pixels fail (lavapipe's JIT differs a little between CPUs).
pub const MAX_FAILED_SHARE: f64 = 0.005;

/// Compares two RGBA8 images of the same size with the thresholds above.
pub fn compare_images(actual: &[u8], golden: &[u8]) -> Result<(), String> {
    if actual.len() != golden.len() {
        return Err(format!(
            "size differs: {} vs {} bytes",
            actual.len(),
            golden.len()
        ));
    }
    let pixels = actual.len() / 4;
    let failed = actual
        .chunks_exact(4)
        .zip(golden.chunks_exact(4))
        .filter(|(a, b)| {
            a.iter()
                .zip(b.iter())
                .any(|(x, y)| x.abs_diff(*y) > CHANNEL_TOLERANCE)
        })
        .count();
    let allowed = (pixels as f64 * MAX_FAILED_SHARE) as usize;
    if failed > allowed {
        Err(format!(
            "{failed} of {pixels} pixels differ (allowed {allowed})"
        ))
    } else {
        Ok(())
    }
}

/// egui_kittest's options with the same limits: its per-pixel threshold is a YIQ distance (2.0 is about a
/// tenth of the channel tolerance above), the failed-pixel limit the same share.
pub fn kittest_options(width: f32, height: f32) -> egui_kittest::SnapshotOptions {
    egui_kittest::SnapshotOptions::new()
        .threshold(2.0)
        .max_failed_pixels((width as f64 * height as f64 * MAX_FAILED_SHARE) as usize)
}

/// One ATOM record as RFdiffusion's `writepdb_multi` writes it (`rfdiffusion/util.py`):
/// `"%-6s%5s %4s %3s %s%4d    %8.3f%8.3f%8.3f%6.2f%6.2f"` of ("ATOM", serial, the atom name padded to
/// four as in `aa2long`, residue, chain, residue number i + 1, x, y, z, occupancy 1.0, B-factor).
pub fn rfdiffusion_atom_line(
    serial: usize,
    atom: &str,
    (residue, chain, number): (&str, &str, isize),
    p: [f32; 3],
    b_factor: f32,
) -> String {
    let record = "ATOM";
    format!(
        "{record:<6}{serial:>5} {:>4} {residue:>3} {chain}{number:>4}    {:>8.3}{:>8.3}{:>8.3}{:>6.2}{b_factor:>6.2}",
        format!(" {atom:<3}"),
        p[0],
        p[1],
        p[2],
        1.0
    )
}

/// True when python3 with NumPy runs; CI must have it (`.ci/run` installs it), elsewhere the caller
/// skips.
pub fn python_with_numpy() -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "CI must have python3 with NumPy"
    );
    if !ok {
        eprintln!("skipped: python3 with NumPy not found");
    }
    ok
}

/// 3-D RMS of per-point differences, computed here from the coordinates.
pub fn rms_between(a: &[[f32; 3]], b: &[[f32; 3]]) -> f64 {
    let sum: f64 = a
        .iter()
        .zip(b)
        .map(|(p, q)| (0..3).map(|k| f64::from(p[k] - q[k]).powi(2)).sum::<f64>())
        .sum();
    (sum / a.len() as f64).sqrt()
}
