//! The command-line contract: subcommands, flags, JSON names, exit codes and one-line errors.

#![expect(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
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

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
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
    assert_bad_input(
        &sigmascope(&["inspect", "/nonexistent/missing.pdb"]),
        "missing.pdb",
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

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sigmascope-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
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
