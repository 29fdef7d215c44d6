//! The command-line contract: subcommands, flags, JSON names, exit codes and one-line errors.

#![expect(clippy::unwrap_used)]

use crate::common;

use common::{json, scratch};

use std::path::Path;
use std::process::{Command, Output};

fn sigmascope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sigmascope"))
        .args(args)
        .env("WGPU_BACKEND", "vulkan")
        .output()
        .unwrap()
}

fn data(name: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let p = root.join("tests/data").join(name);
    let p = if p.exists() {
        p
    } else {
        root.join("assets").join(name)
    };
    p.to_string_lossy().into_owned()
}

fn assert_bad_input(out: &Output, names: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains(names),
        "{stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn inspect_json_agrees_with_the_fixture_readme() {
    let out = sigmascope(&[
        "inspect",
        &data("4hhb.pdb"),
        "--keep-hydrogens",
        "--keep-water",
        "--json",
    ]);
    let d = json(&out);
    assert_eq!(d["atoms"], 4779);
    assert_eq!(d["residues"], 801);
    assert_eq!(d["chains"], 4);
    assert_eq!(d["chain_ids"], serde_json::json!(["A", "B", "C", "D"]));
    assert_eq!(d["models"], 1);
    // Default selection: heavy atoms, no water (221 water atoms in 4HHB).
    let d = json(&sigmascope(&["inspect", &data("4hhb.pdb"), "--json"]));
    assert_eq!(d["atoms"], 4779 - 221);
    assert_eq!(d["dropped"]["water_atoms"], 221);
    let d = json(&sigmascope(&[
        "inspect",
        &data("1l2y.pdb"),
        "--model",
        "5",
        "--json",
    ]));
    assert_eq!(d["models"], 38);
    assert_eq!(d["model"], 5);
}

#[test]
fn inspect_text_and_gzip() {
    let out = sigmascope(&["inspect", &data("edge_cases/gemmi_1pfe.cif.gz")]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("mmCIF") && text.contains("chains"), "{text}");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let missing = sigmascope(&["inspect", "/nonexistent/missing.pdb"]);
    assert_bad_input(&missing, "missing.pdb");
    let line = String::from_utf8_lossy(&missing.stderr).into_owned();
    assert_eq!(
        line.matches("No such file").count(),
        1,
        "the reason once: {line}"
    );
    assert_bad_input(
        &sigmascope(&["inspect", &data("edge_cases/pymmcif_1bna-errors.cif")]),
        "1bna-errors.cif",
    );
    assert_bad_input(
        &sigmascope(&["inspect", &data("edge_cases/biopython_header.pdb")]),
        "biopython_header.pdb",
    );
    // A HETATM-only ligand with hetero groups dropped leaves nothing: an empty selection.
    assert_bad_input(
        &sigmascope(&[
            "inspect",
            &data("edge_cases/pdbtools_vu7.pdb"),
            "--no-hetero",
        ]),
        "no atoms",
    );
    assert_bad_input(
        &sigmascope(&["inspect", &data("1crn.pdb"), "--model", "3"]),
        "model 3",
    );
    assert_bad_input(
        &sigmascope(&["noise-table", &data("1crn.pdb"), "--noise", "-1,1,1"]),
        "weights",
    );
    assert_bad_input(
        &sigmascope(&["noise-table", &data("1crn.pdb"), "--noise", "0,0,0"]),
        "weights",
    );
}

#[test]
fn noise_table_json_names_and_export() {
    let dir = scratch("noise");
    let out_pdb = dir.join("n.pdb");
    let out = sigmascope(&[
        "noise-table",
        &data("4hhb.pdb"),
        "--noise",
        "flat",
        "--noise",
        "seed-old",
        "--z",
        "-1,0",
        "--repeats",
        "2",
        "--device",
        "cpu",
        "--json",
        "--export-pdb",
        out_pdb.to_str().unwrap(),
    ]);
    let d = json(&out);
    assert_eq!(d["device"], "cpu (burn flex)");
    let rows = d["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert!((rows[1]["sigma"].as_f64().unwrap() - 16.0 * (-1.2f64).exp()).abs() < 1e-9);
    assert_eq!(rows[0]["z"], -1.0);
    let cell = &rows[0]["noises"]["seed-old"];
    for level in ["atom", "residue", "chain"] {
        for kind in ["abs", "rel"] {
            assert!(cell[level][kind]["measured"].is_f64(), "{level} {kind}");
            assert!(cell[level][kind]["expected"].is_f64(), "{level} {kind}");
        }
    }
    assert!(cell["residue_over_atom"]["expected"].is_f64());
    assert!(cell["chain_over_residue"]["measured"].is_f64());
    assert_eq!(d["structure"]["chains"], 4);

    let text = std::fs::read_to_string(&out_pdb).unwrap();
    assert_eq!(
        text.lines().filter(|l| l.starts_with("MODEL")).count(),
        1 + 2 * 2
    );
    assert!(text.contains("REMARK 250 noise=seed-old z=-1 sigma="));
    let residues = std::fs::read_to_string(dir.join("n_residues.pdb")).unwrap();
    assert_eq!(
        residues.lines().filter(|l| l.starts_with("MODEL")).count(),
        5
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn noise_table_single_chain_text_says_undefined() {
    let out = sigmascope(&[
        "noise-table",
        &data("1crn.pdb"),
        "--sigma",
        "1.0",
        "--repeats",
        "2",
        "--device",
        "cpu",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("device: cpu"), "{text}");
    assert!(text.contains("undefined"), "{text}");
    assert!(!text.to_lowercase().contains("nan"), "{text}");
    assert!(
        text.contains("seed-old: residues move almost rigidly with their chain"),
        "{text}"
    );
    let json = json(&sigmascope(&[
        "noise-table",
        &data("1crn.pdb"),
        "--noise",
        "seed-old",
        "--z",
        "0",
        "--repeats",
        "2",
        "--device",
        "cpu",
        "--json",
    ]));
    assert!(json["rows"][0]["noises"]["seed-old"]["chain"].is_null());
}

#[test]
fn schedule_sample_and_analyze_contract() {
    let d = json(&sigmascope(&[
        "schedule",
        "--preset",
        "boltz2",
        "--steps",
        "50",
        "--structure",
        &data("4hhb.pdb"),
        "--json",
    ]));
    let steps = d["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 50);
    assert!((steps[0]["sigma"].as_f64().unwrap() - 2560.0).abs() < 1e-9);
    assert!(steps[0]["per_level"]["residue"]["c_skip"].is_f64());
    assert!(
        d["coverage"]["warning"]
            .as_str()
            .unwrap()
            .starts_with("The first")
    );

    let dir = scratch("sample");
    let xt = dir.join("xt.pdb");
    let out = sigmascope(&[
        "sample",
        &data("1crn.pdb"),
        "--preset",
        "boltz2",
        "--steps",
        "12",
        "--denoiser",
        "exact",
        "--augment",
        "on",
        "--seed",
        "1",
        "--device",
        "cpu",
        "--out",
        xt.to_str().unwrap(),
        "--json",
    ]);
    let d = json(&out);
    let frames = d["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 13);
    for key in ["sigma", "rmsd", "levels", "t_hat", "gamma"] {
        assert!(!frames[1][key].is_null(), "{key}");
    }
    assert!(frames[1]["levels"]["chain"].is_null(), "one chain");
    // 12 steps with step_scale 1.5 and churn do not fully converge (Boltz uses 200): far closer than the start.
    let final_rmsd = d["final_rmsd"].as_f64().unwrap();
    assert_eq!(final_rmsd, frames[12]["rmsd"].as_f64().unwrap());
    assert!(
        final_rmsd < frames[0]["rmsd"].as_f64().unwrap() / 1000.0,
        "{final_rmsd}"
    );
    let text = std::fs::read_to_string(&xt).unwrap();
    assert_eq!(text.lines().filter(|l| l.starts_with("MODEL")).count(), 14);

    let a = json(&sigmascope(&[
        "analyze",
        xt.to_str().unwrap(),
        "--keep-hydrogens",
        "--keep-water",
        "--json",
    ]));
    let analysed = a["frames"].as_array().unwrap();
    assert_eq!(analysed.len(), 13);
    for (s, t) in frames.iter().zip(analysed) {
        let (x, y) = (s["rmsd"].as_f64().unwrap(), t["rmsd"].as_f64().unwrap());
        assert!((x - y).abs() < 2e-3 + 1e-5 * x, "{x} vs {y}");
    }
    assert_bad_input(
        &sigmascope(&["sample", &data("1crn.pdb"), "--preset", "nope"]),
        "unknown preset",
    );
    assert_bad_input(
        &sigmascope(&[
            "sample",
            &data("1crn.pdb"),
            "--denoiser",
            "ensemble",
            "--device",
            "cpu",
        ]),
        "2 models",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn analyze_reads_npy_with_a_topology() {
    let dir = scratch("npy");
    let topology = data("1crn.pdb");
    let structure =
        sigmascope::structure::load_path(Path::new(&topology), &Default::default()).unwrap();
    let n = structure.atom_count();
    // Two frames: the structure itself and a copy shifted by 1 Å along x (RMSD 0 after superposition).
    let mut values: Vec<f32> = structure.positions.iter().flatten().copied().collect();
    values.extend(
        structure
            .positions
            .iter()
            .flat_map(|p| [p[0] + 1.0, p[1], p[2]]),
    );
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': (2, {n}, 3), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    values
        .iter()
        .for_each(|v| bytes.extend_from_slice(&v.to_le_bytes()));
    let npy = dir.join("traj.npy");
    std::fs::write(&npy, bytes).unwrap();
    let d = json(&sigmascope(&[
        "analyze",
        npy.to_str().unwrap(),
        "--topology",
        &topology,
        "--json",
    ]));
    let frames = d["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 2);
    assert!(frames[1]["rmsd"].as_f64().unwrap() < 1e-3);
    assert!((frames[1]["levels"]["atom"]["motion"].as_f64().unwrap() - 1.0).abs() < 1e-4);
    assert_bad_input(
        &sigmascope(&["analyze", npy.to_str().unwrap()]),
        "--topology",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn render_writes_a_png_of_a_trajectory_frame() {
    let dir = scratch("render");
    let xt = dir.join("xt.pdb");
    let out = sigmascope(&[
        "sample",
        &data("1crn.pdb"),
        "--preset",
        "af3",
        "--steps",
        "4",
        "--device",
        "cpu",
        "--out",
        xt.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let png = dir.join("frame.png");
    let out = sigmascope(&[
        "render",
        &data("1crn.pdb"),
        "--trajectory",
        xt.to_str().unwrap(),
        "--frame",
        "2",
        "--color-by",
        "displacement-residue",
        "--layers",
        "atoms,arrows,ghost",
        "--size",
        "200x150",
        "--out",
        png.to_str().unwrap(),
    ]);
    if out.status.success() {
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    } else {
        // Only a machine without any wgpu adapter may fail here, with one clear line.
        assert!(std::env::var_os("CI").is_none());
        assert_bad_input(&out, "GPU adapter");
    }
    assert_bad_input(
        &sigmascope(&[
            "render",
            &data("1crn.pdb"),
            "--trajectory",
            xt.to_str().unwrap(),
            "--frame",
            "9",
            "--out",
            png.to_str().unwrap(),
        ]),
        "--frame 9",
    );
    assert_bad_input(
        &sigmascope(&[
            "render",
            &data("1crn.pdb"),
            "--size",
            "0x10",
            "--out",
            png.to_str().unwrap(),
        ]),
        "--size",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn train_writes_a_model_that_sample_loads_and_other_structures_refuse() {
    let dir = scratch("cli-train");
    let model = dir.join("m.mpk");
    let model_arg = model.to_string_lossy().into_owned();
    let out = sigmascope(&[
        "train", "1crn", "--steps", "3", "--draws", "2", "--width", "8", "--blocks", "1", "--out",
        &model_arg, "--json", "--device", "cpu",
    ]);
    let j = json(&out);
    assert_eq!(j["losses"].as_array().unwrap().len(), 3);
    let report = j["report"].as_array().unwrap();
    assert_eq!(report.len(), 7);
    // The report's σ are the noise table's z grid of the training distribution.
    for (row, z) in report.iter().zip(-3..=3) {
        let want = 16.0 * (-1.2 + 1.5 * f64::from(z)).exp();
        assert!((row["sigma"].as_f64().unwrap() - want).abs() < 1e-9 * want);
    }
    assert!(j["max_residues"].as_u64().unwrap() > 46);
    let out = sigmascope(&[
        "sample",
        "1crn",
        "--preset",
        "boltz2",
        "--steps",
        "3",
        "--denoiser",
        &model_arg,
        "--json",
        "--device",
        "cpu",
    ]);
    let j = json(&out);
    assert_eq!(j["denoiser"], "learned");
    assert!(j["final_rmsd"].as_f64().unwrap().is_finite());
    let out = sigmascope(&[
        "sample",
        "1l2y",
        "--steps",
        "3",
        "--denoiser",
        &model_arg,
        "--device",
        "cpu",
    ]);
    assert_bad_input(&out, "was trained on 1crn");
    let out = sigmascope(&["train", "1crn", "--steps", "0"]);
    assert_bad_input(&out, "--steps");
}

/// `sample --family fm|ddpm` runs flow matching and DDPM as `sweep` does: with the exact denoiser each
/// lands on the ground truth, the report names the family instead of an EDM preset, and EDM's own
/// options are refused for them.
#[test]
fn sample_runs_flow_matching_and_ddpm() {
    for (family, name) in [("fm", "flow_matching"), ("ddpm", "ddpm")] {
        let d = json(&sigmascope(&[
            "sample",
            &data("1crn.cif"),
            "--family",
            family,
            "--steps",
            "10",
            "--denoiser",
            "exact",
            "--device",
            "cpu",
            "--json",
        ]));
        assert_eq!(d["family"]["family"], name, "{family}");
        assert!(
            d.get("preset").is_none() && d.get("coverage").is_none(),
            "{family}"
        );
        assert_eq!(d["prior_sigma"], 16.0);
        assert_eq!(d["frames"].as_array().unwrap().len(), 11, "{family}");
        assert!(
            d["final_rmsd"].as_f64().unwrap() < 1e-2,
            "{family}: {}",
            d["final_rmsd"]
        );
    }
    let edm = json(&sigmascope(&[
        "sample",
        &data("1crn.cif"),
        "--steps",
        "3",
        "--device",
        "cpu",
        "--json",
    ]));
    assert!(edm.get("family").is_none() && edm.get("prior_sigma").is_none());
    assert_eq!(edm["preset"]["name"], "boltz2");
    let out = sigmascope(&[
        "sample",
        &data("1crn.cif"),
        "--family",
        "fm",
        "--augment",
        "on",
    ]);
    assert_bad_input(&out, "--augment is EDM's");
}

/// On a machine with no session (no XDG_RUNTIME_DIR) a command that opens no window prints nothing on
/// stderr: the Vulkan device-select layer's Wayland probe, which made libwayland complain, is off there.
#[test]
fn headless_commands_say_nothing_about_a_missing_session() {
    let out = Command::new(env!("CARGO_BIN_EXE_sigmascope"))
        .args([
            "sample",
            &data("1crn.cif"),
            "--steps",
            "2",
            "--device",
            "gpu",
            "--json",
        ])
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("NODEVICE_SELECT")
        .env("WGPU_BACKEND", "vulkan")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("XDG_RUNTIME_DIR"), "{stderr}");
    if out.status.success() {
        assert!(stderr.trim().is_empty(), "{stderr}");
    } else {
        // No adapter here: the one line says so.
        assert_bad_input(&out, "GPU");
    }
}

#[test]
fn denoiser_error_reads_note_000s_flow_times() {
    // t = 0.5 in note 000's convention (noise at t = 0) is σ = σ_prior; t = 0.8 is σ_prior / 4.
    let out = sigmascope(&[
        "denoiser-error",
        "1crn",
        "--flow-times",
        "0.5,0.8",
        "--prior-sigma",
        "16",
        "--repeats",
        "1",
        "--json",
        "--device",
        "cpu",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = crate::common::json(&out);
    let rows = report["rows"].as_array().unwrap();
    for (row, (sigma, t)) in rows.iter().zip([(16.0, 0.5), (4.0, 0.8)]) {
        assert!(
            (row["sigma"].as_f64().unwrap() - sigma).abs() < 1e-9,
            "{row}"
        );
        assert!(
            (row["t_note_000"].as_f64().unwrap() - t).abs() < 1e-9,
            "{row}"
        );
        assert!(row["velocity_rmse"].as_f64().unwrap() < 1e-2, "{row}");
    }
    let bad = sigmascope(&[
        "denoiser-error",
        "1crn",
        "--flow-times",
        "1.5",
        "--device",
        "cpu",
    ]);
    assert_eq!(bad.status.code(), Some(2));
}
