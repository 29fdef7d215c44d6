//! Runs from other tools in the order those tools write them: `analyze` finds the clean end from the
//! backbone geometry, presents the frames noisiest first and takes the clean end as the reference.

#![expect(clippy::unwrap_used)]

use crate::common;

use std::fmt::Write as _;
use std::process::Command;

use sigmascope::rng::SplitMix64;

/// Atom names with the truth's coordinates.
type Backbone = Vec<(String, [f32; 3])>;

/// 1CRN's backbone (N, CA, C, O of every residue) and states from noise `sigma_max` down to the
/// backbone itself, noisiest first.
fn backbone_states(steps: usize, sigma_max: f32) -> (Backbone, Vec<Vec<[f32; 3]>>) {
    let s = common::bundled("1crn");
    let mut atoms = Vec::new();
    for r in &s.residues {
        for name in ["N", "CA", "C", "O"] {
            let a = (r.atoms.start as usize..r.atoms.end as usize)
                .find(|&a| s.atom_names[a] == name)
                .unwrap();
            atoms.push((name.to_owned(), s.positions[a]));
        }
    }
    let mut rng = SplitMix64::new(4, 1);
    let states = (0..steps)
        .map(|k| {
            let sigma = sigma_max * (1.0 - k as f32 / (steps - 1) as f32).powi(2);
            atoms
                .iter()
                .map(|(_, p)| p.map(|v| v + sigma * rng.normal() as f32))
                .collect()
        })
        .collect();
    (atoms, states)
}

/// RFdiffusion's `writepdb_multi`: the stack flipped so the final structure comes first, every
/// designed residue a GLY backbone numbered i + 1, its format string, no MODEL records, an ENDMDL after
/// each model and no END.
fn rfdiffusion_traj(atoms: &[(String, [f32; 3])], states: &[Vec<[f32; 3]>]) -> String {
    let mut text = String::new();
    for state in states.iter().rev() {
        for (ctr, ((name, _), p)) in atoms.iter().zip(state).enumerate() {
            // Designed residues are GLY backbones of chain A, numbered i + 1; B-factor 0 = diffused.
            let residue = ("GLY", "A", (ctr / 4 + 1) as isize);
            text.push_str(&common::rfdiffusion_atom_line(
                ctr + 1,
                name,
                residue,
                *p,
                0.0,
            ));
            text.push('\n');
        }
        text.push_str("ENDMDL\n");
    }
    text
}

/// A noise-first multi-MODEL PDB (BoltzGen's and Chroma's order), standard columns.
fn noise_first_models(atoms: &[(String, [f32; 3])], states: &[Vec<[f32; 3]>]) -> String {
    let mut text = String::new();
    for (m, state) in states.iter().enumerate() {
        writeln!(text, "MODEL     {:>4}", m + 1).unwrap();
        for (k, ((name, _), p)) in atoms.iter().zip(state).enumerate() {
            writeln!(
                text,
                "ATOM  {:>5} {:<4} GLY A{:>4}    {:>8.3}{:>8.3}{:>8.3}  1.00  0.00           {}",
                k + 1,
                format!(" {name}"),
                k / 4 + 1,
                p[0],
                p[1],
                p[2],
                &name[..1]
            )
            .unwrap();
        }
        text.push_str("ENDMDL\n");
    }
    text.push_str("END\n");
    text
}

fn analyze(path: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_sigmascope"))
        .arg("analyze")
        .arg(path)
        .args(extra)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::json(&out)
}

fn rmsds(report: &serde_json::Value) -> Vec<f64> {
    report["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rmsd"].as_f64().unwrap())
        .collect()
}

#[test]
fn a_flipped_rfdiffusion_stack_is_read_noisiest_first_against_its_clean_end() {
    let dir = common::scratch("rfdiffusion");
    let (atoms, states) = backbone_states(12, 15.0);
    let path = dir.join("design_0_Xt-1_traj.pdb");
    std::fs::write(&path, rfdiffusion_traj(&atoms, &states)).unwrap();
    let report = analyze(&path, &[]);
    let source = &report["source"];
    assert_eq!(source["order"], "clean-first", "{source}");
    assert_eq!(source["reversed"], true);
    let rmsd = rmsds(&report);
    assert_eq!(
        rmsd.len(),
        12,
        "every model is a frame, the clean end the last"
    );
    assert!(rmsd[0] > 10.0, "the noisiest frame first: {rmsd:?}");
    assert!(rmsd[11] < 1e-3, "the clean end is the reference: {rmsd:?}");
    assert!(
        rmsd.windows(2).filter(|w| w[1] > w[0]).count() <= 1,
        "{rmsd:?}"
    );
    // As written, the first model (the final design) is the reference and the run reads backwards.
    let written = rmsds(&analyze(&path, &["--order", "as-written"]));
    assert_eq!(written.len(), 11);
    assert!(written[0] < written[10], "{written:?}");
}

#[test]
fn a_noise_first_file_takes_its_last_model_as_the_reference() {
    let dir = common::scratch("noise-first");
    let (atoms, states) = backbone_states(10, 15.0);
    let path = dir.join("sample_traj.pdb");
    std::fs::write(&path, noise_first_models(&atoms, &states)).unwrap();
    let report = analyze(&path, &[]);
    assert_eq!(
        report["source"]["order"], "noise-first",
        "{}",
        report["source"]
    );
    assert_eq!(report["source"]["reversed"], false);
    let rmsd = rmsds(&report);
    assert_eq!(rmsd.len(), 10);
    assert!(rmsd[0] > 10.0 && rmsd[9] < 1e-3, "{rmsd:?}");
}

#[test]
fn the_prediction_file_beside_the_states_is_paired_in_their_order() {
    // RFdiffusion writes pX0_traj beside Xt-1_traj, both flipped; the predictions near the clean end
    // come last once paired.
    let dir = common::scratch("rfdiffusion-pairs");
    let (atoms, states) = backbone_states(10, 15.0);
    let (_, predictions) = backbone_states(10, 2.0);
    let path = dir.join("design_0_Xt-1_traj.pdb");
    std::fs::write(&path, rfdiffusion_traj(&atoms, &states)).unwrap();
    std::fs::write(
        dir.join("design_0_pX0_traj.pdb"),
        rfdiffusion_traj(&atoms, &predictions),
    )
    .unwrap();
    let report = analyze(&path, &[]);
    let source = &report["source"];
    assert_eq!(source["paired_with"], "design_0_pX0_traj.pdb", "{source}");
    assert_eq!(source["predictions_reversed"], true, "{source}");
    let x0: Vec<f64> = report["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["x0_rmsd"].as_f64().unwrap())
        .collect();
    assert!(x0[0] > 1.0 && x0[9] < 1e-3, "{x0:?}");
    // Given explicitly, a file of other atoms is refused with one line.
    let other = dir.join("other.pdb");
    std::fs::write(
        &other,
        noise_first_models(&atoms[..8], &[states[0][..8].to_vec()]),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sigmascope"))
        .arg("analyze")
        .arg(&path)
        .arg("--x0")
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_file_that_is_no_run_gets_one_line_naming_what_was_tried() {
    let dir = common::scratch("not-a-run");
    let path = dir.join("notes.txt");
    std::fs::write(&path, "step 1: sigma 80\nstep 2: sigma 40\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sigmascope"))
        .arg("analyze")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for tried in ["multi-model PDB", "mmCIF", "NPZ/NPY", "folder"] {
        assert!(stderr.contains(tried), "{stderr}");
    }
    // σ that does not fit the frames, and --unscale without σ, are refused the same way.
    let (atoms, states) = backbone_states(6, 10.0);
    let run = dir.join("sample_traj.pdb");
    std::fs::write(&run, noise_first_models(&atoms, &states)).unwrap();
    let sigma = dir.join("sigma.txt");
    std::fs::write(&sigma, "80 40 20").unwrap();
    for extra in [
        &["--sigma", sigma.to_str().unwrap()][..],
        &["--unscale", "sigma-data"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_sigmascope"))
            .arg("analyze")
            .arg(&run)
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[test]
fn a_run_is_found_by_its_content_whatever_its_name_and_format_overrides_it() {
    let dir = common::scratch("content");
    let (atoms, states) = backbone_states(6, 10.0);
    // A noise-first PDB saved under a name that says nothing.
    let path = dir.join("run.dat");
    std::fs::write(&path, noise_first_models(&atoms, &states)).unwrap();
    let report = analyze(&path, &[]);
    assert_eq!(report["source"]["format"], "multi-model PDB");
    assert_eq!(report["frames"].as_array().unwrap().len(), 6);
    // Asked to read it as NPZ, it is refused in one line that says why.
    let out = Command::new(env!("CARGO_BIN_EXE_sigmascope"))
        .arg("analyze")
        .arg(&path)
        .args(["--format", "npz"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("run.dat"), "{stderr}");
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    // `sigmascope analyze RUN | head -1`: the pipe closes before the frames are printed.
    let dir = common::scratch("closed-pipe");
    let (atoms, states) = backbone_states(40, 10.0);
    let path = dir.join("sample_traj.pdb");
    std::fs::write(&path, noise_first_models(&atoms, &states)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sigmascope"))
        .arg("analyze")
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
