//! Runs from other tools: the arrays NumPy's own writers make (tests/data/numpy, made by
//! make_fixtures.py with np.savez, np.savez_compressed and np.save), atoms matched by name, the run
//! opened in the window's state, and the exports read back by gemmi and NumPy.

#![expect(clippy::unwrap_used)]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use sigmascope::app::{AppCommand, AppState, Settings};
use sigmascope::sampler::Frame;
use sigmascope::structure::{LoadOptions, Structure, load_path};
use sigmascope::trajectory::RunSource;
use sigmascope::trajectory::{
    ImportOptions, Track, import_against, read_array_trajectory, write_run_npz, write_track,
};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/numpy")
        .join(name)
}

fn crambin() -> Structure {
    load_path(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/1crn.pdb"),
        &LoadOptions::default(),
    )
    .unwrap()
}

/// Frame k of the fixtures, worked out from the ground truth as make_fixtures.py states it.
fn expected(truth: &[[f32; 3]], k: usize) -> Vec<[f32; 3]> {
    let k = k as f64;
    truth
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let i = i as f64;
            let pattern = [i.sin(), i.cos(), (0.5 * i).sin()];
            let shift = [k, -2.0 * k, 0.5 * k];
            std::array::from_fn(|d| (f64::from(p[d]) + shift[d] + 0.01 * k * pattern[d]) as f32)
        })
        .collect()
}

fn assert_close(a: &[[f32; 3]], b: &[[f32; 3]], tolerance: f32) {
    assert_eq!(a.len(), b.len());
    for (i, (p, q)) in a.iter().zip(b).enumerate() {
        for d in 0..3 {
            assert!((p[d] - q[d]).abs() <= tolerance, "atom {i}: {p:?} vs {q:?}");
        }
    }
}

#[test]
fn every_numpy_writer_is_read_in_topology_order() {
    let truth = crambin();
    for file in [
        "run_compressed.npz",
        "run_plain.npz",
        "run_fortran.npy",
        "run_big_endian.npy",
        "run_shuffled.npz",
    ] {
        let run = import_against(&data(file), &truth, &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(run.frames.len(), 3, "{file}");
        for (k, frame) in run.frames.iter().enumerate() {
            assert_eq!(frame.index, k);
            // float32 files round to about 1e-5 Å at these magnitudes.
            assert_close(&frame.x_t, &expected(&truth.positions, k + 1), 1e-4);
        }
    }
}

#[test]
fn the_keys_a_file_carries_reach_the_frames_and_the_missing_ones_are_named() {
    let truth = crambin();
    let run = import_against(
        &data("run_compressed.npz"),
        &truth,
        &ImportOptions::default(),
    )
    .unwrap();
    assert!(run.missing.is_empty());
    let sigmas: Vec<f64> = run.frames.iter().map(|f| f.sigma).collect();
    assert_eq!(sigmas, vec![80.0, 8.0, 0.0]);
    let x0 = run.frames[1].x0_hat.as_ref().unwrap();
    assert!((x0[1][1] - (truth.positions[1][1] + 0.002 * 1f32.cos())).abs() < 1e-4);
    let run = import_against(&data("run_fortran.npy"), &truth, &ImportOptions::default()).unwrap();
    assert_eq!(run.missing, vec!["sigma", "x0_hat"]);
}

#[test]
fn an_npz_that_names_an_atom_the_topology_lacks_is_refused_with_the_atom() {
    let truth = crambin();
    let other = load_path(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/1l2y.pdb"),
        &LoadOptions::default(),
    )
    .unwrap();
    let e = import_against(&data("run_shuffled.npz"), &other, &ImportOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("run_shuffled.npz: atom") && e.contains("is not in the topology"),
        "{e}"
    );
    let e = import_against(&data("run_plain.npz"), &other, &ImportOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains(&format!("{} atoms", truth.atom_count())), "{e}");
}

fn sampled_frames(truth: &Structure) -> Vec<Frame> {
    (0..3)
        .map(|k| {
            let mut f = Frame::from_positions(k, expected(&truth.positions, k + 1));
            f.sigma = [80.0, 8.0, 0.0][k];
            f.x0_hat = (k > 0).then(|| expected(&truth.positions, 0));
            f
        })
        .collect()
}

#[test]
fn exports_read_back_in_sigmascope_as_they_were_written() {
    let truth = crambin();
    let frames = sampled_frames(&truth);
    let dir = common::scratch("run-exports");
    let npz = dir.join("run.npz");
    write_run_npz(&npz, &truth, &frames).unwrap();
    let back = import_against(&npz, &truth, &ImportOptions::default()).unwrap();
    assert!(back.missing.is_empty());
    for (a, b) in back.frames.iter().zip(&frames) {
        assert_eq!(a.sigma, b.sigma);
        assert_close(&a.x_t, &b.x_t, 0.0);
    }
    let t = read_array_trajectory(&std::fs::read(&npz).unwrap()).unwrap();
    assert_eq!(t.atom_names.unwrap(), truth.atom_names);
    let cif = dir.join("xt.cif");
    write_track(&cif, &truth, &frames, Track::State).unwrap();
    let text = std::fs::read_to_string(&cif).unwrap();
    assert!(text.starts_with("data_1crn") && text.contains("_atom_site.pdbx_PDB_model_num"));
    // MODEL 1 is the ground truth; the run follows and opens again as a run.
    let back = import_against(&cif, &truth, &ImportOptions::default()).unwrap();
    assert_eq!(back.frames.len(), 3);
    for (a, b) in back.frames.iter().zip(&frames) {
        assert_close(&a.x_t, &b.x_t, 1e-3);
    }
}

#[test]
fn gemmi_and_numpy_read_the_exports() {
    let probe = Command::new("python3")
        .args(["-c", "import gemmi, numpy"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have python3 with gemmi and numpy (.ci/run installs them)"
        );
        eprintln!("skipped: python3 with gemmi and numpy not found");
        return;
    }
    let truth = crambin();
    let frames = sampled_frames(&truth);
    let dir = common::scratch("run-exports-python");
    let (npz, cif) = (dir.join("run.npz"), dir.join("xt.cif"));
    write_run_npz(&npz, &truth, &frames).unwrap();
    write_track(&cif, &truth, &frames, Track::State).unwrap();
    let script = r#"
import sys, gemmi, numpy as np
npz, cif, atoms = sys.argv[1], sys.argv[2], int(sys.argv[3])
z = np.load(npz)
assert z["x_t"].shape == (3, atoms, 3), z["x_t"].shape
assert z["x0_hat"].shape == (3, atoms, 3)
assert list(z["sigma"]) == [80.0, 8.0, 0.0]
assert len(z["atom_names"]) == atoms and z["residue_index"].shape == (atoms,)
st = gemmi.read_structure(cif)
assert len(st) == 4, len(st)
assert st[0].count_atom_sites() == atoms
a = [at.pos for ch in st[1] for r in ch for at in r][0]
print(f"{a.x:.4f} {a.y:.4f} {a.z:.4f} {z['x_t'][0][0][0]:.4f}")
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&npz)
        .arg(&cif)
        .arg(truth.atom_count().to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let values: Vec<f32> = stdout
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    let want = frames[0].x_t[0];
    for d in 0..3 {
        assert!((values[d] - want[d]).abs() < 1e-3, "{values:?} vs {want:?}");
    }
    assert!((values[3] - want[0]).abs() < 1e-4);
}

#[test]
fn a_run_opened_in_the_window_gets_frames_metrics_and_says_what_it_lacks() {
    let settings = Settings {
        steps: 3,
        ..Settings::default()
    };
    let mut s = AppState::new(crambin(), settings, common::cpu().clone(), || {});
    s.apply(AppCommand::OpenRun(data("run_fortran.npy")));
    common::settle(&mut s);
    assert_eq!(s.run().frames.len(), 3);
    assert_eq!(s.run().metrics.len(), 3);
    assert_eq!(s.timeline().frame_count, 3);
    let RunSource::Imported { missing, .. } = &s.run().source else {
        panic!("{:?}", s.run().source)
    };
    assert_eq!(missing, &vec!["sigma", "x0_hat"]);
    let note = s.run().source.missing_note("x0_hat", "This plot").unwrap();
    assert!(note.contains("`x0_hat`"), "{note}");
    // A rigid shift of the whole structure is no RMSD after superposition; the pattern is.
    assert!(
        s.run().metrics[0].rmsd < 0.02,
        "{}",
        s.run().metrics[0].rmsd
    );
    // Pin it, then a native run replaces it and can be compared with it.
    s.apply(AppCommand::Pin);
    s.apply(AppCommand::Step(1));
    common::settle(&mut s);
    assert_eq!(s.run().source, RunSource::Sampled);
    assert_eq!(s.run().frames.len(), 2);
    assert_eq!(s.pinned().unwrap().metrics.len(), 3);
    // A file that cannot be read keeps the run and says why.
    s.apply(AppCommand::OpenRun(data("make_fixtures.py")));
    common::settle(&mut s);
    assert_eq!(s.run().frames.len(), 2);
    assert!(s.status().unwrap().contains("cannot open the run"));
}

#[test]
fn an_imported_run_with_predictions_splits_each_step_into_the_pull_and_the_noise() {
    // x_{k+1} = x_k + 0.5 (x0_hat_k - x_k) + noise_k, x0_hat the truth: the denoiser's part of each step
    // is half the distance to the truth, the rest the noise, both worked out here.
    let truth = crambin();
    let n = truth.atom_count();
    let noise = |k: usize| -> Vec<[f32; 3]> {
        (0..n)
            .map(|i| {
                let t = (i * 7 + k * 13) as f32;
                [t.sin(), (1.3 * t).cos(), (0.7 * t).sin()].map(|v| 0.4 * v)
            })
            .collect()
    };
    let mut x: Vec<[f32; 3]> = truth
        .positions
        .iter()
        .enumerate()
        .map(|(i, p)| {
            [
                p[0] + 30.0 * (i as f32).sin(),
                p[1] - 20.0,
                p[2] + 25.0 * (i as f32).cos(),
            ]
        })
        .collect();
    let mut frames = Vec::new();
    let mut pulls = Vec::new();
    for k in 0..4 {
        let mut f = Frame::from_positions(k, x.clone());
        f.x0_hat = Some(truth.positions.clone());
        frames.push(f);
        let pull: Vec<[f32; 3]> = x
            .iter()
            .zip(&truth.positions)
            .map(|(a, t)| std::array::from_fn(|d| 0.5 * (t[d] - a[d])))
            .collect();
        let e = noise(k);
        x = (0..n)
            .map(|i| std::array::from_fn(|d| x[i][d] + pull[i][d] + e[i][d]))
            .collect();
        pulls.push(pull);
    }
    let rms = |v: &[[f32; 3]]| {
        (v.iter()
            .flatten()
            .map(|c| f64::from(*c).powi(2))
            .sum::<f64>()
            / v.len() as f64)
            .sqrt()
    };
    let metrics = sigmascope::trajectory::trajectory_metrics(&truth, &truth.positions, &frames);
    assert!(metrics[0].motion_by_cause.is_none());
    for k in 1..4 {
        let c = metrics[k].motion_by_cause.unwrap();
        let (pull, e) = (rms(&pulls[k - 1]), rms(&noise(k - 1)));
        assert!(
            (c.denoiser.atom / pull - 1.0).abs() < 0.05,
            "step {k}: {} vs {pull}",
            c.denoiser.atom
        );
        assert!(
            (c.churn.atom / e - 1.0).abs() < 0.15,
            "step {k}: {} vs {e}",
            c.churn.atom
        );
        assert_eq!(c.rigid.atom, 0.0);
        // x0_hat is the truth: no residue offset error is kept.
        assert!(metrics[k].residue_offset_kept.unwrap() < 1e-4);
    }
}

#[test]
fn a_flipped_stack_opened_in_the_window_runs_noisiest_first_and_says_so() {
    // Written as RFdiffusion's writepdb_multi writes: its format string, the final structure first,
    // an ENDMDL after each model, no MODEL records, no END.
    let truth = crambin();
    let mut rng = sigmascope::rng::SplitMix64::new(8, 2);
    let steps = 8;
    let states: Vec<Vec<[f32; 3]>> = (0..steps)
        .map(|k| {
            let sigma = 12.0 * (1.0 - k as f32 / (steps - 1) as f32).powi(2);
            truth
                .positions
                .iter()
                .map(|p| p.map(|v| v + sigma * rng.normal() as f32))
                .collect()
        })
        .collect();
    let mut text = String::new();
    for state in states.iter().rev() {
        for (a, p) in state.iter().enumerate() {
            let r = &truth.residues[truth.atom_residue[a] as usize];
            let residue = (
                r.name.as_str(),
                truth.chains[r.chain as usize].id.as_str(),
                r.number,
            );
            text.push_str(&common::rfdiffusion_atom_line(
                a + 1,
                &truth.atom_names[a],
                residue,
                *p,
                0.0,
            ));
            text.push('\n');
        }
        text.push_str("ENDMDL\n");
    }
    let dir = common::scratch("flipped-stack");
    let path = dir.join("design_0_Xt-1_traj.pdb");
    std::fs::write(&path, text).unwrap();
    let mut s = AppState::new(truth, Settings::default(), common::cpu().clone(), || {});
    s.apply(AppCommand::OpenRun(path));
    common::settle(&mut s);
    let metrics = &s.run().metrics;
    assert_eq!(metrics.len(), steps);
    assert!(
        metrics[0].rmsd > 5.0,
        "the noisiest first: {}",
        metrics[0].rmsd
    );
    assert!(
        metrics[steps - 1].rmsd < 1e-3,
        "{}",
        metrics[steps - 1].rmsd
    );
    let status = s.status().unwrap_or_default();
    assert!(status.contains("frames reversed"), "{status}");
}
