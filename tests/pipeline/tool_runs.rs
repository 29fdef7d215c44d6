//! Runs written the way RFdiffusion, FrameDiff, MultiFlow, RFdiffusion3, BoltzGen, Chroma, AlphaFold2-
//! lineage array code and DiffDock-PP write them (`tests/data/tools/make_fixtures.py` follows each
//! tool's writer), opened as a user opens them: frames noisiest first, the clean end found, predictions
//! paired, references matched, units and scale restored, and the window opening a run with no structure.

#![expect(clippy::unwrap_used)]

use crate::common;

use std::path::{Path, PathBuf};

use sigmascope::app::{AppCommand, AppState, Settings};
use sigmascope::structure::{LoadOptions, load_path};
use sigmascope::trajectory::{
    ArrayValues, FrameOrder, FrameSchedule, ImportAlignment, ImportOptions, ImportedTrajectory,
    import_trajectory, read_npy, trajectory_metrics,
};

fn tool(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/tools")
        .join(path)
}

fn open(path: &str, options: ImportOptions) -> ImportedTrajectory {
    import_trajectory(&tool(path), &options).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// RMSD of each frame to the reference, after superposition.
fn rmsds(run: &ImportedTrajectory) -> Vec<f64> {
    let s = &run.structure;
    trajectory_metrics(s, &s.positions, &run.frames)
        .iter()
        .map(|m| m.rmsd)
        .collect()
}

fn x0_rmsds(run: &ImportedTrajectory) -> Vec<f64> {
    let s = &run.structure;
    trajectory_metrics(s, &s.positions, &run.frames)
        .iter()
        .map(|m| m.x0_rmsd.unwrap())
        .collect()
}

fn noisiest_first(rmsd: &[f64]) {
    assert!(rmsd[0] > 5.0, "{rmsd:?}");
    assert!(
        rmsd[rmsd.len() - 1] < 2e-3,
        "the clean end is the reference: {rmsd:?}"
    );
    assert!(rmsd.windows(2).all(|w| w[1] <= w[0] + 1e-6), "{rmsd:?}");
}

#[test]
fn framediff_stacks_are_reversed_and_their_predictions_paired() {
    let run = open("framediff/sample_0/bb_traj_1.pdb", ImportOptions::default());
    assert_eq!(
        run.frames.len(),
        10,
        "every model a frame, the clean end last"
    );
    assert_eq!(run.source.order.order, FrameOrder::CleanFirst);
    assert!(run.source.order.reversed);
    assert_eq!(
        run.source.order.paired_with.as_deref(),
        Some("x0_traj_1.pdb")
    );
    assert!(run.source.order.predictions_reversed);
    noisiest_first(&rmsds(&run));
    let x0 = x0_rmsds(&run);
    assert!(x0[0] > x0[9] && x0[9] < 2e-3, "{x0:?}");
    // FrameDiff writes every residue as ALA: the names match 1CRN's atoms by chain, number and name.
    assert!(run.structure.residues.iter().all(|r| r.name == "ALA"));
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/1crn.cif");
    let against = open(
        "framediff/sample_0/bb_traj_1.pdb",
        ImportOptions {
            reference: Some(reference),
            ..ImportOptions::default()
        },
    );
    let matched = against.source.atoms_matched.clone().unwrap();
    assert!(
        matched.starts_with("184 of the run's 184 atoms matched by chain"),
        "{matched}"
    );
    assert!(rmsds(&against)[9] < 2e-3);
}

#[test]
fn multiflow_runs_keep_every_model_and_show_the_clean_ends_sequence() {
    let run = open("multiflow/bb_traj.pdb", ImportOptions::default());
    assert_eq!(
        run.frames.len(),
        8,
        "models with other residue names are frames too"
    );
    assert_eq!(run.source.order.order, FrameOrder::NoiseFirst);
    noisiest_first(&rmsds(&run));
    let native = common::bundled("1crn");
    let names: Vec<&str> = run
        .structure
        .residues
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    let want: Vec<&str> = native.residues.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, want, "the clean end's sequence");
    assert!(
        run.source
            .residue_names
            .as_deref()
            .unwrap()
            .contains("model 8")
    );
    // Only the predictions are flipped: they are reversed to the states' order.
    assert!(run.source.order.predictions_reversed);
    let x0 = x0_rmsds(&run);
    assert!(x0[0] > x0[7] && x0[7] < 2e-3, "{x0:?}");
}

#[test]
fn rfdiffusion_designs_match_their_scaffold_by_position_and_take_sigma_from_the_schedule() {
    let path = "rfdiffusion/traj/design_0_Xt-1_traj.pdb";
    let run = open(
        path,
        ImportOptions {
            reference: Some(tool("rfdiffusion/4hhb_ab_1-30.pdb")),
            schedule: Some(FrameSchedule::Rfdiffusion),
            ..ImportOptions::default()
        },
    );
    assert_eq!(run.frames.len(), 15);
    assert!(run.source.order.reversed);
    // Residues numbered 1…60 across chains A and B: chain B's match only by position.
    let matched = run.source.atoms_matched.clone().unwrap();
    assert!(
        matched.starts_with("240 of the run's 240 atoms matched by residue position"),
        "{matched}"
    );
    noisiest_first(&rmsds(&run));
    // σ of x_{T-1}: √(1 − ᾱ) / 0.25 with β linear from 0.01·200/15 to 0.07·200/15.
    let betas: Vec<f64> = (0..15)
        .map(|i| (0.01 + 0.06 * f64::from(i) / 14.0) * 200.0 / 15.0)
        .collect();
    let alpha_bar: f64 = betas[..14].iter().map(|b| 1.0 - b).product();
    assert!((run.frames[0].sigma - (1.0 - alpha_bar).sqrt() * 4.0).abs() < 1e-9);
    assert_eq!(run.frames[14].sigma, 0.0);
    assert!(run.missing.is_empty(), "{:?}", run.missing);
}

#[test]
fn rfdiffusion3_noisy_frames_are_read_from_gzipped_cif_and_scaled_back() {
    let path = "rfd3/design_noisy_model_0.cif.gz";
    let stored = open(path, ImportOptions::default());
    assert_eq!(stored.frames.len(), 12);
    assert!(stored.source.order.reversed, "{:?}", stored.source.order);
    assert_eq!(
        stored.source.order.paired_with.as_deref(),
        Some("design_denoised_model_0.cif.gz")
    );
    let run = open(
        path,
        ImportOptions {
            sigma_file: Some(tool("rfd3/sigma.txt")),
            unscale_sigma_data: Some(16.0),
            ..ImportOptions::default()
        },
    );
    let expected = read_npy(&std::fs::read(tool("rfd3/expected_states.npy")).unwrap()).unwrap();
    let ArrayValues::Float(values) = expected.values else {
        panic!("float states")
    };
    let atoms = run.structure.atom_count();
    for (k, frame) in run.frames.iter().enumerate() {
        // Three decimals of the scaled file, multiplied back by up to √(2560² + 16²)/16.
        let scale = (frame.sigma.powi(2) + 256.0).sqrt() / 16.0;
        for (a, p) in frame.x_t.iter().enumerate() {
            for d in 0..3 {
                let want = values[(k * atoms + a) * 3 + d];
                assert!(
                    (f64::from(p[d]) - want).abs() < 6e-4 * scale + 1e-3,
                    "frame {k} atom {a}"
                );
            }
        }
    }
    // Stored scaled, the noisiest frame spreads about 16 Å; scaled back, σ·√3.
    assert!(rmsds(&stored)[0] < 40.0 && rmsds(&run)[0] > 4000.0);
}

#[test]
fn boltzgen_frames_overflowing_pdb_columns_read_noise_first() {
    let run = open("boltzgen/design_traj.pdb", ImportOptions::default());
    assert_eq!(run.frames.len(), 8, "the final state is written twice");
    assert_eq!(run.source.order.order, FrameOrder::NoiseFirst);
    let rmsd = rmsds(&run);
    assert!(rmsd[0] > 4000.0 && rmsd[7] < 2e-3, "{rmsd:?}");
    assert_eq!(run.frames[6].x_t, run.frames[7].x_t);
    assert_eq!(
        run.source.order.paired_with.as_deref(),
        Some("design_x0_traj.pdb")
    );
    assert!(!run.source.order.predictions_reversed);
}

#[test]
fn a_chroma_trajectory_takes_its_clean_end_not_its_first_model_as_the_reference() {
    let run = open("chroma/trajectory.cif", ImportOptions::default());
    assert_eq!(run.frames.len(), 9);
    assert_eq!(run.source.order.order, FrameOrder::NoiseFirst);
    noisiest_first(&rmsds(&run));
}

#[test]
fn atom37_and_atom14_arrays_are_their_own_topology() {
    let native = common::bundled("1crn");
    let run = open("arrays/atom37_run.npz", ImportOptions::default());
    assert_eq!(
        run.structure.atom_count(),
        native.atom_count(),
        "every masked atom of 1CRN"
    );
    assert_eq!(run.structure.residue_count(), 46);
    assert_eq!(run.structure.residues[0].name, "THR");
    // Side chains beyond CB are masked out of the three noisiest frames and held, not refused.
    let beyond_cb = (0..run.structure.atom_count())
        .filter(|&a| !["N", "CA", "C", "CB", "O"].contains(&run.structure.atom_names[a].as_str()))
        .count();
    assert_eq!(run.source.held_atoms, 3 * beyond_cb);
    noisiest_first(&rmsds(&run));
    let a14 = open("arrays/atom14_run.npz", ImportOptions::default());
    // atom14 has no OXT slot.
    assert_eq!(a14.structure.atom_count(), native.atom_count() - 1);
    noisiest_first(&rmsds(&a14));
}

#[test]
fn a_calpha_trace_in_nanometres_is_converted_to_angstrom() {
    let run = open("arrays/proteina_ca_nm.npy", ImportOptions::default());
    assert!(run.source.units.starts_with("nm"), "{}", run.source.units);
    assert_eq!(run.structure.atom_count(), 46);
    let s = &run.structure;
    let ca: Vec<usize> = (0..s.atom_count()).collect();
    let d = |a: usize, b: usize| {
        let (p, q) = (s.positions[ca[a]], s.positions[ca[b]]);
        (0..3).map(|k| (p[k] - q[k]).powi(2)).sum::<f32>().sqrt()
    };
    assert!((d(0, 1) - 3.8).abs() < 0.2, "{}", d(0, 1));
    noisiest_first(&rmsds(&run));
}

#[test]
fn a_folder_of_per_step_files_is_one_run_in_step_order() {
    let run = open("steps", ImportOptions::default());
    assert_eq!(run.frames.len(), 10);
    assert!(
        run.source.format.contains("ligand-#.pdb"),
        "{}",
        run.source.format
    );
    assert_eq!(run.source.order.order, FrameOrder::NoiseFirst);
    noisiest_first(&rmsds(&run));
}

#[test]
fn frames_rotated_every_step_are_aligned_to_the_previous_one_on_request() {
    // A Boltz-style dump of raw states (a random rotation every step) as a user saves it with NumPy.
    let truth = common::bundled("1crn");
    let dir = common::scratch("rotated-steps");
    let mut rng = sigmascope::rng::SplitMix64::new(3, 0);
    let noisy: Vec<Vec<[f32; 3]>> = (0..6)
        .map(|k| {
            let noise = 3.0 * (5 - k) as f32;
            let shift = |p: &[f32; 3]| p.map(|v| v + noise * rng.normal() as f32);
            truth.positions.iter().map(shift).collect()
        })
        .collect();
    let frames: Vec<Vec<[f32; 3]>> = noisy
        .iter()
        .enumerate()
        .map(|(k, f)| {
            let angle = k as f64 * 1.9 + 0.3;
            let (c, s) = (angle.cos() as f32, angle.sin() as f32);
            f.iter()
                .map(|q| [c * q[0] - s * q[1] + 20.0, s * q[0] + c * q[1], q[2]])
                .collect()
        })
        .collect();
    let flat: Vec<f32> = frames.iter().flatten().flatten().copied().collect();
    let bytes = sigmascope::trajectory::npz_bytes(&[sigmascope::trajectory::NpzEntry::F32(
        "x_t",
        vec![6, truth.atom_count() as u64, 3],
        flat,
    )])
    .unwrap();
    let path = dir.join("boltz_states.npz");
    std::fs::write(&path, bytes).unwrap();
    let topology = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/1crn.pdb");
    let read = |align| {
        import_trajectory(
            &path,
            &ImportOptions {
                topology: Some(topology.clone()),
                align,
                ..ImportOptions::default()
            },
        )
        .unwrap()
    };
    let motion = |a: &[[f32; 3]], b: &[[f32; 3]]| {
        a.iter()
            .zip(b)
            .map(|(p, q)| (0..3).map(|k| f64::from(p[k] - q[k]).powi(2)).sum::<f64>())
            .sum::<f64>()
            .sqrt()
    };
    let (raw, aligned) = (read(ImportAlignment::None), read(ImportAlignment::Previous));
    assert_eq!(aligned.source.alignment, ImportAlignment::Previous);
    for k in 1..6 {
        // Superposed, a step moves no more than its noise does (least squares); rotated, more.
        let noise_only = motion(&noisy[k - 1], &noisy[k]);
        let step = |run: &ImportedTrajectory| motion(&run.frames[k - 1].x_t, &run.frames[k].x_t);
        assert!(
            step(&aligned) <= noise_only * 1.0001,
            "step {k}: {}",
            step(&aligned)
        );
        if k >= 3 {
            assert!(step(&raw) > 1.5 * step(&aligned), "step {k}");
        }
    }
    // The superposed figures do not change.
    for (a, b) in rmsds(&raw).iter().zip(rmsds(&aligned)) {
        assert!((a - b).abs() < 1e-3);
    }
}

#[test]
fn the_window_opens_a_run_without_its_structure() {
    let mut s = AppState::new(
        common::bundled("4hhb"),
        Settings::default(),
        common::cpu().clone(),
        || {},
    );
    s.apply(AppCommand::OpenRun(tool("arrays/atom37_run.npz")));
    common::settle(&mut s);
    assert_eq!(
        s.structure().atom_count(),
        327,
        "the run's own topology replaces 4HHB"
    );
    assert_eq!(s.run().frames.len(), 6);
    let status = s.status().unwrap_or_default();
    assert!(status.contains("AlphaFold2 atom37 arrays"), "{status}");
    // A folder, and a multi-model run opened as a structure, open the same way.
    s.apply(AppCommand::OpenRun(tool("steps")));
    common::settle(&mut s);
    assert_eq!(s.run().frames.len(), 10);
    s.apply(AppCommand::Open(tool("chroma/trajectory.cif")));
    common::settle(&mut s);
    assert_eq!(
        s.run().frames.len(),
        9,
        "a noisy multi-model file opens as its run"
    );
    let metrics = &s.run().metrics;
    assert!(metrics[8].rmsd < 2e-3, "its clean end is the reference");
    let native = load_path(&tool("steps/ligand-9.pdb"), &LoadOptions::default()).unwrap();
    assert_eq!(native.atom_count(), 327);
    // The structure panel's run settings: σ from Boltz-2's schedule, frames superposed step to step.
    let mut settings = s.settings().clone();
    settings.run_schedule = Some(FrameSchedule::Boltz2);
    settings.run_alignment = ImportAlignment::Previous;
    s.apply(AppCommand::UpdateSettings(Box::new(settings)));
    s.apply(AppCommand::OpenRun(tool("boltzgen/design_traj.pdb")));
    common::settle(&mut s);
    assert_eq!(s.run().frames.len(), 8);
    assert!((s.run().frames[0].sigma - 2560.0).abs() < 1e-9);
    let status = s.status().unwrap_or_default();
    assert!(
        status.contains("previous frame") && status.contains("boltz2"),
        "{status}"
    );
}

#[test]
fn boltz_structure_npz_names_a_raw_sampler_dump() {
    let native = common::bundled("1crn");
    for structure in ["boltz/1crn_structure_v2.npz", "boltz/1crn_structure_v1.npz"] {
        let run = open(
            "boltz/sampler_states.npy",
            ImportOptions {
                topology: Some(tool(structure)),
                align: ImportAlignment::Previous,
                ..ImportOptions::default()
            },
        );
        // OXT is marked not present: its coordinates are dropped from every frame.
        let s = &run.structure;
        assert_eq!(s.atom_count(), native.atom_count() - 1, "{structure}");
        assert!(!s.atom_names.iter().any(|n| n == "OXT"));
        assert_eq!(s.atom_names[..4], native.atom_names[..4], "{structure}");
        assert_eq!(s.residues[45].name, "ASN");
        assert_eq!(run.frames.len(), 5);
        noisiest_first(&rmsds(&run));
    }
}
