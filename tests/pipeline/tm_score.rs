//! sigmascope's TM-score against TM-align's (tmtools 0.3.0, the Zhang lab's code) on real structures:
//! `tests/data/tm_scores.tsv`, written by `tests/data/tm_scores.py`.

use crate::common;

use sigmascope::geometry::tm_score;
use sigmascope::structure::Structure;

/// Cα coordinates of `positions`, optionally of one chain.
fn ca(s: &Structure, positions: &[[f32; 3]], chain: Option<&str>) -> Vec<[f32; 3]> {
    (0..s.atom_count())
        .filter(|&a| s.atom_names[a] == "CA")
        .filter(|&a| {
            let r = &s.residues[s.atom_residue[a] as usize];
            chain.is_none_or(|c| s.chains[r.chain as usize].id == c)
        })
        .map(|a| positions[a])
        .collect()
}

#[test]
fn tm_scores_match_tm_align_on_nmr_models_and_haemoglobin_chains() {
    let table = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tm_scores.tsv"),
    )
    .unwrap();
    let nmr = common::bundled("1l2y");
    let hb = common::bundled("4hhb");
    let mut checked = 0;
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let want: f64 = f[4].parse().unwrap();
        let got = match f[0] {
            "1l2y" => {
                let model: usize = f[1].parse().unwrap();
                let reference = ca(&nmr, &nmr.model_positions[0], None);
                tm_score(&ca(&nmr, &nmr.model_positions[model - 1], None), &reference)
            }
            _ => tm_score(
                &ca(&hb, &hb.positions, Some("D")),
                &ca(&hb, &hb.positions, Some("B")),
            ),
        };
        // TM-align also searches alignments; with the same residues in order it scores these pairs as
        // a superposition search does; ours finds the same optimum or a slightly better one (within 0.01).
        assert!((got - want).abs() < 0.01, "{line}: ours {got:.5}");
        checked += 1;
    }
    assert_eq!(checked, 6);
}
