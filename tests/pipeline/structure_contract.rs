//! The loader's contract, one row per structure fixture: a file gemmi reads opens with gemmi's atom,
//! residue, chain, model and ensemble counts for model 1 under `Selection::everything()`; a file gemmi
//! refuses, or one without atoms, gives one line that names the file. The expected counts come from
//! gemmi itself (`tests/data/gemmi_counts.py`, which states the selection it mirrors), not from us.

use std::path::Path;

use sigmascope::structure::{LoadOptions, Selection, load_path};

struct Row<'a> {
    file: &'a str,
    outcome: &'a str,
    counts: [usize; 5],
}

fn rows(table: &str) -> Vec<Row<'_>> {
    table
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let number = |i: usize| f.get(i).and_then(|v| v.parse().ok()).unwrap_or(0);
            Row {
                file: f[0],
                outcome: f[1],
                counts: [number(2), number(3), number(4), number(5), number(6)],
            }
        })
        .collect()
}

#[test]
fn every_fixture_opens_as_gemmi_reads_it_or_is_refused_in_one_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let table = std::fs::read_to_string(root.join("tests/data/gemmi_counts.tsv")).unwrap();
    let rows = rows(&table);
    assert!(rows.len() >= 60, "one row per fixture: {}", rows.len());
    let options = LoadOptions {
        model: 1,
        selection: Selection::everything(),
    };
    let mut failures = Vec::new();
    for row in &rows {
        let result = std::panic::catch_unwind(|| load_path(&root.join(row.file), &options));
        let Ok(result) = result else {
            failures.push(format!("{}: panicked", row.file));
            continue;
        };
        let name = Path::new(row.file).file_name().unwrap().to_string_lossy();
        match (row.outcome, result) {
            ("ok", Ok(s)) => {
                let [models, atoms, residues, chains, ensemble] = row.counts;
                let got = [
                    s.model_count,
                    s.atom_count(),
                    s.residue_count(),
                    s.chain_count(),
                    s.model_positions.len(),
                ];
                if got != row.counts {
                    failures.push(format!(
                        "{}: models/atoms/residues/chains/ensemble {got:?}, gemmi {:?}",
                        row.file,
                        [models, atoms, residues, chains, ensemble]
                    ));
                }
            }
            ("ok", Err(e)) => failures.push(format!("{}: refused: {e}", row.file)),
            (_, Ok(s)) => failures.push(format!(
                "{}: gemmi says {}, we opened {} atoms",
                row.file,
                row.outcome,
                s.atom_count()
            )),
            (_, Err(e)) => {
                let message = e.to_string();
                if !message.contains(name.as_ref()) || message.contains('\n') {
                    failures.push(format!(
                        "{}: not one line naming the file: {message}",
                        row.file
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_nmr_ensemble_in_mmcif_matches_its_pdb_model_by_model() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let options = LoadOptions {
        model: 1,
        selection: Selection::everything(),
    };
    let cif = load_path(&root.join("tests/data/nmr/1l2y.cif"), &options).unwrap();
    let pdb = load_path(&root.join("assets/1l2y.pdb"), &options).unwrap();
    assert_eq!(cif.model_positions.len(), 38);
    assert_eq!(pdb.model_positions.len(), 38);
    assert_eq!(cif.atom_names, pdb.atom_names);
    for (model_cif, model_pdb) in cif.model_positions.iter().zip(&pdb.model_positions) {
        for (a, b) in model_cif.iter().zip(model_pdb) {
            for k in 0..3 {
                assert!((a[k] - b[k]).abs() < 1e-3, "{a:?} vs {b:?}");
            }
        }
    }
}
