//! `sigmascope-bench`, the benchmarks' own binary: each benchmark's JSON by its stated accounting, and
//! the peer scripts found where `--peers` says, not where the binary was built.

#![expect(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use crate::common::json;

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sigmascope-bench"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("WGPU_BACKEND", "vulkan")
        .output()
        .unwrap()
}

fn data(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    p.to_string_lossy().into_owned()
}

/// The shipped binary has no benchmarks; the peers are looked for in `--peers` (by default `benches`
/// under the working directory), and a folder without them is named in the skip, not a failure.
#[test]
fn peers_are_found_where_the_flag_says_and_the_shipped_binary_has_no_bench() {
    let shipped = Command::new(env!("CARGO_BIN_EXE_sigmascope"))
        .args(["bench", "reductions"])
        .output()
        .unwrap();
    assert!(!shipped.status.success());
    let nowhere = std::env::temp_dir().join("sigmascope-no-peers-here");
    let out = json(&bench(&[
        "sampler-step",
        "--atoms",
        "500",
        "--steps",
        "1",
        "--cpu-only",
        "--peers",
        nowhere.to_str().unwrap(),
    ]));
    for peer in out["peers"].as_array().unwrap() {
        let skipped = peer["skipped"].as_str().unwrap();
        assert!(skipped.contains("sigmascope-no-peers-here"), "{peer}");
    }
    // The synthetic structure rounds the atoms up to whole residues.
    let timing = &out["timings"][0];
    let atoms = timing["atoms"].as_f64().unwrap();
    assert!((500.0..520.0).contains(&atoms), "{timing}");
    let rate = timing["achieved_gb_per_sec"].as_f64().unwrap();
    let millis = timing["millis_per_step"].as_f64().unwrap();
    let bytes = out["bytes_per_atom"].as_f64().unwrap() * atoms;
    assert!(
        (rate * millis / 1000.0 * 1e9 - bytes).abs() < 1e-3 * bytes,
        "{timing}"
    );
}

/// `bench noise-table` names each device and reports its traffic rate by its stated accounting:
/// 24 B per atom, repeat and cell (7 z × 3 noises) over the median time.
#[test]
fn bench_noise_table_reports_the_rate_of_its_accounting() {
    let out = json(&bench(&["noise-table", &data("1crn.cif"), "--runs", "1"]));
    let (atoms, cells) = (
        out["atoms"].as_f64().unwrap(),
        out["cells"].as_f64().unwrap(),
    );
    assert_eq!(cells, 21.0);
    let timings = out["timings"].as_array().unwrap();
    assert!(!timings.is_empty());
    for t in timings {
        assert!(!t["device"].as_str().unwrap().is_empty());
        let rate = t["achieved_gb_per_sec"].as_f64().unwrap();
        let secs = t["median_secs"].as_f64().unwrap();
        let bytes = 24.0 * atoms * out["repeats"].as_f64().unwrap() * cells;
        assert!((rate * secs * 1e9 - bytes).abs() < 1e-6 * bytes, "{t}");
    }
}

/// `bench render` times a recorded frame drawn from burn's buffer on the renderer's device next to the
/// upload, and counts what the upload writes: 32 B per atom sphere at least.
#[test]
fn bench_render_times_frames_drawn_from_the_device() {
    if sigmascope::compute::open_wgpu_device().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have a wgpu adapter"
        );
        return;
    }
    let out = json(&bench(&[
        "render", "--atoms", "3000", "--frames", "1", "--size", "64x48",
    ]));
    let t = &out["timings"][0];
    let atoms = t["atoms"].as_f64().unwrap();
    assert!(atoms >= 3000.0, "{t}");
    assert!(
        t["uploaded_bytes_per_frame"].as_f64().unwrap() >= 32.0 * atoms,
        "{t}"
    );
    for key in [
        "upload_and_draw_millis",
        "select_and_draw_millis",
        "draw_only_millis",
    ] {
        assert!(t[key].as_f64().unwrap() > 0.0, "{key}: {t}");
    }
}

/// `bench reductions` measures the two-stage mean against the known one on every device it opens:
/// right to float precision whatever burn's own reduction does.
#[test]
fn bench_reductions_reports_a_right_two_stage_mean_on_every_device() {
    let out = json(&bench(&["reductions", "--atoms", "7000,140000"]));
    let timings = out["timings"].as_array().unwrap();
    let devices: std::collections::BTreeSet<&str> = timings
        .iter()
        .map(|t| t["device"].as_str().unwrap())
        .collect();
    let expected = if std::env::var_os("CI").is_some() {
        2
    } else {
        1
    };
    assert!(devices.len() >= expected, "{devices:?}");
    for t in timings {
        assert!(t["atoms"].as_u64().unwrap() % 7 == 0, "{t}");
        assert!(t["two_stage_error"].as_f64().unwrap() < 1e-5, "{t}");
        assert!(t["burn_error"].as_f64().is_some(), "{t}");
    }
}
