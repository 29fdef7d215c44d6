//! Multi-MODEL export: round trip through pdbtbx and our loader, residue-level files, atomic writes.

#![expect(clippy::unwrap_used)]

use crate::common;

use common::{bundled, scratch};

use std::path::{Path, PathBuf};

use sigmascope::structure::{
    ExportFrame, ExportOptions, LoadOptions, Selection, Structure, WriteError, find_bundled,
    load_path, write_residue_level_pdb, write_trajectory_pdb,
};

/// Three frames: shifted, scaled about the origin and far out (|x| > 1000 Å as at large sigma).
fn frames(s: &Structure) -> Vec<Vec<[f32; 3]>> {
    let shift = s
        .positions
        .iter()
        .map(|p| [p[0] + 1.5, p[1] - 2.25, p[2] + 0.125])
        .collect();
    let scale = s.positions.iter().map(|p| p.map(|v| v * 1.1)).collect();
    let far = s
        .positions
        .iter()
        .map(|p| [p[0] * 150.0, p[1] - 1234.5678, p[2]])
        .collect();
    vec![shift, scale, far]
}

#[test]
fn three_frames_round_trip_with_ground_truth_as_model_0() {
    let s = bundled("1crn");
    let coords = frames(&s);
    let labels = ["sigma=1.0", "sigma=0.5", "sigma=0.1"];
    let export: Vec<ExportFrame<'_>> = coords
        .iter()
        .zip(labels)
        .map(|(c, label)| ExportFrame {
            label,
            positions: c,
            b_factors: None,
        })
        .collect();
    let dir = scratch("roundtrip");
    let path = dir.join("traj.pdb");
    write_trajectory_pdb(&path, &s, &export, ExportOptions::default()).unwrap();

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.lines().any(|l| l.trim_end() == "MODEL        0"));
    assert_eq!(text.lines().filter(|l| l.starts_with("MODEL")).count(), 4);
    assert_eq!(text.lines().filter(|l| l.starts_with("ENDMDL")).count(), 4);
    assert!(text.trim_end().ends_with("END"));
    assert!(text.contains("REMARK 250 sigma=0.5"));
    assert!(
        text.lines()
            .filter(|l| l.starts_with("ATOM"))
            .all(|l| l.len() == 80 || l.len() == 78)
    );

    // pdbtbx reads it: four models, in order, ground truth first.
    let (pdb, _) = pdbtbx::ReadOptions::new()
        .set_format(pdbtbx::Format::Pdb)
        .set_level(pdbtbx::StrictnessLevel::Loose)
        .read(path.to_str().unwrap())
        .unwrap();
    assert_eq!(pdb.model_count(), 4);
    assert_eq!(pdb.model(0).unwrap().serial_number(), 0);

    // Our loader reads each model back to 1e-3 Å, atoms in the same order.
    let everything = |model| LoadOptions {
        model,
        selection: Selection::everything(),
    };
    let truth = load_path(&path, &everything(1)).unwrap();
    assert_eq!(truth.atom_names, s.atom_names);
    assert_close(&truth.positions, &s.positions);
    for (k, c) in coords.iter().enumerate() {
        let back = load_path(&path, &everything(k + 2)).unwrap();
        assert_close(&back.positions, c);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

fn assert_close(a: &[[f32; 3]], b: &[[f32; 3]]) {
    assert_eq!(a.len(), b.len());
    for (p, q) in a.iter().zip(b) {
        for k in 0..3 {
            assert!(
                (p[k] - q[k]).abs() <= 1e-3 + 1e-6 * q[k].abs() * 10.0,
                "{p:?} vs {q:?}"
            );
        }
    }
}

#[test]
fn numbering_from_one_and_b_factor_scalar() {
    let s = bundled("1crn");
    let scalar: Vec<f32> = (0..s.atom_count()).map(|i| i as f32 * 0.01).collect();
    let frame = ExportFrame {
        label: "x",
        positions: &s.positions,
        b_factors: Some(&scalar),
    };
    let dir = scratch("numbering");
    let path = dir.join("one.pdb");
    let options = ExportOptions {
        number_from_one: true,
        ..ExportOptions::default()
    };
    write_trajectory_pdb(&path, &s, &[frame], options).unwrap();
    let back = load_path(
        &path,
        &LoadOptions {
            model: 2,
            selection: Selection::everything(),
        },
    )
    .unwrap();
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("MODEL        1")
    );
    for (b, want) in back.b_factors.iter().zip(&scalar) {
        assert!((b - want).abs() < 0.006);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn residue_level_file_has_residue_and_chain_centroids() {
    let s = bundled("4hhb");
    let shifted: Vec<[f32; 3]> = s
        .positions
        .iter()
        .map(|p| [p[0] + 3.0, p[1], p[2]])
        .collect();
    let dir = scratch("residues");
    let path = dir.join("res.pdb");
    let frame = ExportFrame {
        label: "shift",
        positions: &shifted,
        b_factors: None,
    };
    write_residue_level_pdb(&path, &s, &[frame], ExportOptions::default()).unwrap();
    let back = load_path(
        &path,
        &LoadOptions {
            model: 2,
            selection: Selection::everything(),
        },
    )
    .unwrap();
    // One pseudo-atom per residue plus one per chain (in an extra chain).
    assert_eq!(back.atom_count(), s.residue_count() + s.chain_count());
    assert_eq!(back.chain_count(), s.chain_count() + 1);
    let want = s.residue_centroids(&shifted);
    assert_close(&back.positions[..s.residue_count()], &want);
    let chains = s.chain_centroids(&want);
    assert_close(&back.positions[s.residue_count()..], &chains);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn nan_frames_and_the_input_file_are_refused() {
    let dir = scratch("refuse");
    let input = dir.join("input.pdb");
    std::fs::write(&input, find_bundled("1crn").unwrap().bytes).unwrap();
    let s = load_path(&input, &LoadOptions::default()).unwrap();
    let original = std::fs::read(&input).unwrap();

    let err = write_trajectory_pdb(&input, &s, &[], ExportOptions::default()).unwrap_err();
    assert!(matches!(err, WriteError::WouldOverwriteInput(_)), "{err}");
    assert_eq!(std::fs::read(&input).unwrap(), original, "input untouched");

    let mut bad = s.positions.clone();
    bad[7][1] = f32::NAN;
    let frame = ExportFrame {
        label: "nan",
        positions: &bad,
        b_factors: None,
    };
    let out = dir.join("nan.pdb");
    let err = write_trajectory_pdb(&out, &s, &[frame], ExportOptions::default()).unwrap_err();
    assert!(err.to_string().contains("NaN"), "{err}");
    assert!(!out.exists());
    std::fs::remove_dir_all(dir).unwrap();
}

/// A folder nobody can write to: a 0o555 folder, or /proc when we run as root (root ignores modes).
fn read_only_folder(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let folder = dir.join("locked");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).unwrap();
    let probe = folder.join("probe");
    if std::fs::write(&probe, b"x").is_ok() {
        std::fs::remove_file(probe).unwrap();
        return PathBuf::from("/proc");
    }
    folder
}

#[test]
fn writing_into_a_read_only_folder_fails_cleanly() {
    let s = bundled("1crn");
    let dir = scratch("readonly");
    let folder = read_only_folder(&dir);
    let before: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let target = folder.join("sigmascope-out.pdb");
    let err = write_trajectory_pdb(&target, &s, &[], ExportOptions::default()).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("cannot write") && message.contains("sigmascope-out.pdb"),
        "{message}"
    );
    let after: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before.len(), after.len(), "nothing left behind");
    use std::os::unix::fs::PermissionsExt as _;
    let locked = dir.join("locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}
