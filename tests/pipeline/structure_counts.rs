//! Counts of the bundled structures and of fixtures from the shared set, against the fixture README
//! (`tests/data/README.md`) with every filter off.
//!
//! Conventions where our numbers differ from the README's by definition:
//! * the README counts atom records over all models; we load one model, so for an NMR file the
//!   expected atom count is README atoms / models (1L2Y: 11552 / 38 = 304);
//! * alternate locations are kept as one atom (the first location seen); for such files the test
//!   derives the implied number itself from the file's text: ATOM/HETATM records of model 1 with
//!   distinct (chain, residue number + insertion code, atom name).

#![expect(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use sigmascope::structure::{LoadOptions, Selection, Structure, load_path};

fn fixture(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let in_tests = root.join("tests/data").join(name);
    if in_tests.exists() {
        in_tests
    } else {
        root.join("assets").join(name)
    }
}

fn load_everything(name: &str) -> Structure {
    let options = LoadOptions {
        model: 1,
        selection: Selection::everything(),
    };
    load_path(&fixture(name), &options).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Atom records of model 1 with alternate locations merged, read straight from PDB text: of the records
/// of one (chain, residue number + insertion code, atom name) where any has an altloc, one counts (the
/// blank one of a microheterogeneous residue too); records of names without altlocs all count (repeated
/// names are distinct atoms).
fn model1_atoms_altlocs_merged(name: &str) -> usize {
    let bytes = std::fs::read(fixture(name)).unwrap();
    let text = if name.ends_with(".gz") {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out)
            .unwrap();
        out
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let mut records = Vec::new();
    let mut models = 0;
    for line in text.lines() {
        if line.starts_with("MODEL") {
            models += 1;
            if models > 1 {
                break;
            }
        }
        if line.starts_with("ENDMDL") {
            break;
        }
        if (line.starts_with("ATOM  ") || line.starts_with("HETATM")) && line.len() >= 27 {
            let key = (
                line[21..22].to_owned(),
                line[22..27].trim().to_owned(),
                line[12..16].trim().to_owned(),
            );
            records.push((key, line.as_bytes()[16] != b' '));
        }
    }
    let with_altloc: HashSet<_> = records
        .iter()
        .filter(|(_, alt)| *alt)
        .map(|(k, _)| k.clone())
        .collect();
    let merged = with_altloc.len();
    merged
        + records
            .iter()
            .filter(|(k, _)| !with_altloc.contains(k))
            .count()
}

/// Distinct (chain, residue number + insertion code) of the atom records of model 1.
fn model1_residue_ids(name: &str) -> usize {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    text.lines()
        .take_while(|l| !l.starts_with("ENDMDL"))
        .filter(|l| (l.starts_with("ATOM  ") || l.starts_with("HETATM")) && l.len() >= 27)
        .map(|l| (l[21..22].to_owned(), l[22..27].trim().to_owned()))
        .collect::<HashSet<_>>()
        .len()
}

fn serials_unique(name: &str) -> bool {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let serials: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("ATOM  ") || l.starts_with("HETATM"))
        .map(|l| l[6..11].trim())
        .collect();
    serials.len() == serials.iter().collect::<HashSet<_>>().len()
}

struct Expected {
    file: &'static str,
    atoms: usize,
    residues: usize,
    chain_ids: &'static [&'static str],
    models: usize,
}

/// README rows (atoms = README atoms / models where the README counts all models).
const NO_ALTLOCS: [Expected; 12] = [
    Expected {
        file: "1crn.pdb",
        atoms: 327,
        residues: 46,
        chain_ids: &["A"],
        models: 1,
    },
    Expected {
        file: "1crn.cif",
        atoms: 327,
        residues: 46,
        chain_ids: &["A"],
        models: 1,
    },
    Expected {
        file: "1aki.pdb",
        atoms: 1079,
        residues: 207,
        chain_ids: &["A"],
        models: 1,
    },
    Expected {
        file: "1aki.cif",
        atoms: 1079,
        residues: 207,
        chain_ids: &["A"],
        models: 1,
    },
    Expected {
        file: "4hhb.pdb",
        atoms: 4779,
        residues: 801,
        chain_ids: &["A", "B", "C", "D"],
        models: 1,
    },
    Expected {
        file: "4hhb.cif",
        atoms: 4779,
        residues: 801,
        chain_ids: &["A", "B", "C", "D"],
        models: 1,
    },
    Expected {
        file: "1kip.cif",
        atoms: 2840,
        residues: 468,
        chain_ids: &["A", "B", "C"],
        models: 1,
    },
    Expected {
        file: "1l2y.pdb",
        atoms: 11552 / 38,
        residues: 20,
        chain_ids: &["A"],
        models: 38,
    },
    Expected {
        file: "3b5j.pdb",
        atoms: 2214,
        residues: 505,
        chain_ids: &["A"],
        models: 1,
    },
    Expected {
        file: "1lee.pdb",
        atoms: 3008,
        residues: 670,
        chain_ids: &["A"],
        models: 1,
    },
    Expected {
        file: "edge_cases/gemmi_1lzh.pdb.gz",
        atoms: 258,
        residues: 258,
        chain_ids: &["A", "B"],
        models: 1,
    },
    Expected {
        file: "edge_cases/pdbtools_hetatm.pdb",
        atoms: 12,
        residues: 4,
        chain_ids: &["A"],
        models: 1,
    },
];

#[test]
fn counts_match_the_fixture_readme() {
    for e in &NO_ALTLOCS {
        let s = load_everything(e.file);
        assert_eq!(s.atom_count(), e.atoms, "{} atoms", e.file);
        assert_eq!(s.residue_count(), e.residues, "{} residues", e.file);
        assert_eq!(s.chain_ids(), e.chain_ids, "{} chains", e.file);
        assert_eq!(s.model_count, e.models, "{} models", e.file);
        assert_eq!(
            s.dropped.alternate_locations, 0,
            "{} has no altlocs",
            e.file
        );
        if e.file.contains(".pdb") {
            // The independent line counter agrees where there is nothing to merge.
            assert_eq!(
                model1_atoms_altlocs_merged(e.file),
                e.atoms,
                "{} line count",
                e.file
            );
        }
    }
}

#[test]
fn pdb_and_mmcif_of_one_entry_agree() {
    for entry in ["1crn", "1aki", "4hhb"] {
        let pdb = load_everything(&format!("{entry}.pdb"));
        let cif = load_everything(&format!("{entry}.cif"));
        assert_eq!(pdb.atom_count(), cif.atom_count(), "{entry}");
        assert_eq!(pdb.atoms_per_residue(), cif.atoms_per_residue(), "{entry}");
        assert_eq!(pdb.chain_ids(), cif.chain_ids(), "{entry}");
        for (a, b) in pdb.positions.iter().zip(&cif.positions) {
            for k in 0..3 {
                assert!((a[k] - b[k]).abs() < 1e-3, "{entry}: {a:?} vs {b:?}");
            }
        }
    }
}

#[test]
fn alternate_locations_are_kept_as_one_atom() {
    // (file, README atom records, README residues, README chains)
    let cases: [(&str, usize, usize, &[&str]); 4] = [
        ("edge_cases/gemmi_1orc.pdb", 559, 121, &["A"]),
        (
            "edge_cases/pdbtools_dummy_insertions.pdb",
            233,
            25,
            &["A", "B", "C", "D", "Y"],
        ),
        ("edge_cases/biotite_3o5r.pdb", 1470, 416, &["A"]),
        ("edge_cases/pdbtools_dummy_altloc.pdb", 26, 7, &["A"]),
    ];
    for (file, records, residues, chains) in cases {
        let s = load_everything(file);
        let implied = model1_atoms_altlocs_merged(file);
        assert!(implied < records, "{file} has alternate locations to merge");
        assert_eq!(s.atom_count(), implied, "{file} atoms");
        // The merged count tells true alternate locations from pdbtbx's copies of shared atoms by serial
        // number; where a synthetic file repeats serial numbers the report cannot add up.
        if serials_unique(file) {
            assert_eq!(
                s.atom_count() + s.dropped.alternate_locations,
                records,
                "{file}: kept + merged = records"
            );
        }
        // A residue is (chain, number + insertion code); the README also splits by name, so where an
        // altloc changes the residue name (microheterogeneity, SER/PRO 22 here) it counts one more.
        let ids = model1_residue_ids(file);
        assert_eq!(s.residue_count(), ids, "{file} residues");
        if file.contains("dummy_altloc") {
            assert_eq!(
                residues,
                ids + 2,
                "{file}: SER/PRO 22 and ILE/LEU 25 are one residue each"
            );
        } else {
            assert_eq!(residues, ids, "{file} residues");
        }
        // The README lists distinct chain ids sorted; we keep them in file order.
        let mut ids = s.chain_ids();
        ids.sort();
        assert_eq!(ids, chains, "{file} chains");
    }
}

#[test]
fn insertion_codes_make_distinct_residues() {
    let s = load_everything("edge_cases/gemmi_1orc.pdb");
    let labels: Vec<String> = s.residues.iter().map(|r| r.label()).collect();
    for code in ["56A", "56B", "56C", "56D", "56E"] {
        assert!(
            labels.iter().any(|l| l == code),
            "residue {code} in {labels:?}"
        );
    }
}

#[test]
fn default_selection_drops_hydrogens_water_and_reports_it() {
    let everything = load_everything("1aki.pdb");
    let default = load_path(&fixture("1aki.pdb"), &LoadOptions::default()).unwrap();
    // README: 1079 records of which 78 water (HOH oxygens; 1AKI has no hydrogens).
    assert_eq!(default.dropped.water_atoms, 78);
    assert_eq!(default.atom_count(), everything.atom_count() - 78);
    assert!(default.residues.iter().all(|r| r.name != "HOH"));

    let trp = load_path(&fixture("1l2y.pdb"), &LoadOptions::default()).unwrap();
    assert!(trp.elements.iter().all(|e| !e.is_hydrogen()));
    assert_eq!(trp.atom_count() + trp.dropped.hydrogens, 304);
    // Every NMR model has the same heavy atoms: all 38 join the ensemble.
    assert_eq!(trp.model_positions.len(), 38);
    assert_eq!(trp.model_positions[0], trp.positions);

    let no_hetero = LoadOptions {
        model: 1,
        selection: Selection {
            drop_hetero: true,
            ..Selection::default()
        },
    };
    let hb = load_path(&fixture("4hhb.pdb"), &no_hetero).unwrap();
    assert!(
        hb.residues
            .iter()
            .all(|r| r.name != "HEM" && r.name != "PO4")
    );
    assert!(hb.dropped.hetero_atoms > 0);
}

#[test]
fn model_choice_and_missing_model() {
    let options = |model| LoadOptions {
        model,
        selection: Selection::everything(),
    };
    let m1 = load_path(&fixture("1l2y.pdb"), &options(1)).unwrap();
    let m2 = load_path(&fixture("1l2y.pdb"), &options(2)).unwrap();
    assert_eq!(m2.model_number, 2);
    assert_eq!(m1.atom_count(), m2.atom_count());
    assert_ne!(m1.positions, m2.positions);
    let err = load_path(&fixture("1l2y.pdb"), &options(39)).unwrap_err();
    assert!(err.to_string().contains("38 model"), "{err}");
}

#[test]
fn centroids_are_segment_means() {
    let s = load_everything("1crn.pdb");
    let residues = s.residue_centroids(&s.positions);
    let r = &s.residues[3];
    let atoms = &s.positions[r.atoms.start as usize..r.atoms.end as usize];
    for k in 0..3 {
        let mean = atoms.iter().map(|p| f64::from(p[k])).sum::<f64>() / atoms.len() as f64;
        assert!((f64::from(residues[3][k]) - mean).abs() < 1e-4);
    }
    // Chain centroid = mean of residue centroids, not of atoms.
    let chains = s.chain_centroids(&residues);
    for k in 0..3 {
        let mean = residues.iter().map(|p| f64::from(p[k])).sum::<f64>() / residues.len() as f64;
        assert!((f64::from(chains[0][k]) - mean).abs() < 1e-4);
    }
}

#[test]
fn every_edge_case_loads_or_errors_without_panicking() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/edge_cases");
    let mut loaded = 0;
    let mut refused = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for selection in [Selection::default(), Selection::everything()] {
            let options = LoadOptions {
                model: 1,
                selection,
            };
            let result = std::panic::catch_unwind(|| load_path(&path, &options));
            match result.unwrap_or_else(|_| panic!("{name} panicked")) {
                Ok(s) => {
                    assert!(s.atom_count() > 0, "{name}");
                    assert_eq!(s.atom_residue.len(), s.atom_count());
                    loaded += 1;
                }
                Err(e) => {
                    let message = e.to_string();
                    assert!(message.contains(&name), "error names the file: {message}");
                    assert!(!message.contains('\n'), "one line: {message}");
                    refused.push(name.clone());
                }
            }
        }
    }
    // Header-only files have no atoms: refused with a clear error, not loaded empty.
    assert!(
        refused.iter().any(|n| n == "biopython_header.pdb"),
        "{refused:?}"
    );
    assert!(
        refused.iter().any(|n| n == "gemmi_5moo_header.pdb"),
        "{refused:?}"
    );
    assert!(
        loaded >= 60,
        "most edge cases load ({loaded} loads; refused {refused:?})"
    );
}
