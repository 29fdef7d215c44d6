//! The noise lab against the math: closed forms against an independent brute-force computation,
//! measured figures within 3 standard errors of expected, the note 004 regimes, reproducibility.

#![expect(clippy::unwrap_used)]
#![allow(clippy::needless_range_loop)] // index loops mirror the sums over residues and chains

use crate::common;

use common::{bundled, cpu};

use sigmascope::noise::{
    GroupSizes, LevelStds, NamedNoise, NoiseTable, NoiseTableSpec, SigmaPoint, TrainingSigma,
    expected_mean_squares, noise_table, parse_noise,
};
use sigmascope::structure::Structure;

fn noises(names: &[&str]) -> Vec<NamedNoise> {
    names.iter().map(|n| parse_noise(n).unwrap()).collect()
}

fn seed_grid() -> Vec<SigmaPoint> {
    let t = TrainingSigma::default();
    (-3..=3)
        .map(|z| SigmaPoint {
            z: Some(f64::from(z)),
            sigma: t.sigma_at(f64::from(z)),
        })
        .collect()
}

/// Brute force: every displacement is a linear combination of independent Gaussian terms, so its
/// variance is the sum of squared coefficients times each term's variance. Enumerates coefficients.
fn brute_force(s: &Structure, stds: LevelStds) -> [f64; 6] {
    let (vc, vr, va) = (stds.chain.powi(2), stds.residue.powi(2), stds.atom.powi(2));
    let n_res = s.residue_count();
    let n_chain = s.chain_count();
    let atoms_of = |r: usize| s.residues[r].atoms.start as usize..s.residues[r].atoms.end as usize;
    let residues_of =
        |c: usize| s.chains[c].residues.start as usize..s.chains[c].residues.end as usize;
    // Coefficients of a residue centroid on atom terms: 1/n_r each; on its residue term 1; chain term 1.
    // Atom abs: vc + vr + va for every atom.
    let atom_abs = vc + vr + va;
    // Atom rel: atom term coefficient (1 - 1/n), other atoms of the residue -1/n.
    let mut atom_rel = 0.0;
    for r in 0..n_res {
        let n = atoms_of(r).len() as f64;
        for _ in atoms_of(r) {
            atom_rel += va * ((1.0 - 1.0 / n).powi(2) + (n - 1.0) * (1.0 / n).powi(2));
        }
    }
    atom_rel /= s.atom_count() as f64;
    let mut residue_abs = 0.0;
    let mut residue_rel = 0.0;
    let mut chain_var = vec![0.0; n_chain];
    for c in 0..n_chain {
        let m = residues_of(c).len() as f64;
        // Chain centroid: chain term 1, residue terms 1/m, atom terms 1/(m n_r).
        chain_var[c] = vc + vr * m * (1.0 / m).powi(2);
        for r2 in residues_of(c) {
            let n2 = atoms_of(r2).len() as f64;
            chain_var[c] += va * n2 * (1.0 / (m * n2)).powi(2);
        }
        for r in residues_of(c) {
            let n = atoms_of(r).len() as f64;
            residue_abs += vc + vr + va * n * (1.0 / n).powi(2);
            // D_r - C_c: residue terms (1 - 1/m) for r, -1/m for others; atom terms 1/n - 1/(m n) in r,
            // -1/(m n2) in other residues of the chain.
            let mut v = vr * ((1.0 - 1.0 / m).powi(2) + (m - 1.0) * (1.0 / m).powi(2));
            for r2 in residues_of(c) {
                let n2 = atoms_of(r2).len() as f64;
                let coefficient = if r2 == r {
                    1.0 / n - 1.0 / (m * n)
                } else {
                    -1.0 / (m * n2)
                };
                v += va * n2 * coefficient.powi(2);
            }
            residue_rel += v;
        }
    }
    residue_abs /= n_res as f64;
    residue_rel /= n_res as f64;
    let k = n_chain as f64;
    let chain_abs = chain_var.iter().sum::<f64>() / k;
    // C_c - mean_c' C_c': coefficient (1 - 1/K) on chain c's own combination, -1/K on the others.
    let chain_rel = (0..n_chain)
        .map(|c| {
            (0..n_chain)
                .map(|c2| {
                    let w = if c2 == c { 1.0 - 1.0 / k } else { -1.0 / k };
                    w * w * chain_var[c2]
                })
                .sum::<f64>()
        })
        .sum::<f64>()
        / k;
    [
        atom_abs,
        atom_rel,
        residue_abs,
        residue_rel,
        chain_abs,
        chain_rel,
    ]
}

#[test]
fn closed_forms_match_brute_force_on_single_and_multi_chain() {
    for name in ["1crn", "4hhb"] {
        let s = bundled(name);
        let sizes = GroupSizes::of(&s);
        for noise in noises(&["flat", "seed-old", "rebalanced", "3-8-1"]) {
            let stds = noise.model.stds(4.82);
            let e = expected_mean_squares(&sizes, stds);
            let got = [
                e.atom_abs,
                e.atom_rel,
                e.residue_abs,
                e.residue_rel,
                e.chain_abs,
                e.chain_rel,
            ];
            let want = brute_force(&s, stds);
            for (g, w) in got.iter().zip(want) {
                assert!(
                    (g - w).abs() <= 1e-9 * w.abs().max(1.0),
                    "{name} {}: {got:?} vs {want:?}",
                    noise.name
                );
            }
        }
    }
}

fn table(s: &Structure, names: &[&str], repeats: usize, seed: u64) -> NoiseTable {
    let spec = NoiseTableSpec {
        noises: noises(names),
        points: seed_grid(),
        repeats,
        seed,
    };
    noise_table(s, &spec, &cpu().device, false).unwrap()
}

/// z-score of a measured figure against its closed form.
fn z_score(f: &sigmascope::noise::Figure) -> f64 {
    (f.measured - f.expected) / f.stderr.unwrap()
}

fn within_3_se(what: &str, f: &sigmascope::noise::Figure, z_scores: &mut Vec<f64>) {
    let z = z_score(f);
    z_scores.push(z);
    assert!(
        z.abs() <= 3.0 + 1e-6 * f.expected / f.stderr.unwrap(),
        "{what}: measured {} expected {} se {} (z {z:.2})",
        f.measured,
        f.expected,
        f.stderr.unwrap()
    );
}

/// The draws are seeded (host ziggurat on the CPU backend: the same numbers on every machine), so this
/// is deterministic. With 252 comparisons the largest |z| is near 3 for a typical seed (seeds 0–7 gave
/// 2.6–3.4), so the per-figure 3-s.e. rule holds for this seed, not for every seed; the z-scores' mean
/// and spread below check the estimator and its standard errors themselves (RMS z 0.85–1.14 there).
#[test]
fn measured_within_three_standard_errors_of_expected() {
    let mut z_scores = Vec::new();
    for name in ["1crn", "4hhb"] {
        let s = bundled(name);
        let t = table(&s, &["flat", "seed-old", "rebalanced"], 64, 0);
        for row in &t.rows {
            for (noise, cell) in &row.noises.0 {
                let at = format!("{name} {noise} sigma {}", row.sigma);
                let mut levels = vec![("atom", &cell.atom), ("residue", &cell.residue)];
                if let Some(chain) = &cell.chain {
                    levels.push(("chain", chain));
                }
                for (level, f) in levels {
                    within_3_se(&format!("{at} {level} abs"), &f.abs, &mut z_scores);
                    if f.rel.expected > 0.0 {
                        within_3_se(&format!("{at} {level} rel"), &f.rel, &mut z_scores);
                    }
                }
                within_3_se(
                    &format!("{at} residue/atom"),
                    &cell.residue_over_atom,
                    &mut z_scores,
                );
                assert_eq!(cell.chain.is_some(), s.chain_count() > 1, "{at}");
            }
        }
    }
    // Unbiased and correctly scaled: mean z near 0 and RMS z near 1 (n ≈ 260: s.e. 0.06 and 0.05).
    let n = z_scores.len() as f64;
    let mean = z_scores.iter().sum::<f64>() / n;
    let rms = (z_scores.iter().map(|z| z * z).sum::<f64>() / n).sqrt();
    assert!(mean.abs() < 0.25, "mean z {mean} over {n} figures");
    assert!((0.7..1.3).contains(&rms), "rms z {rms} over {n} figures");
}

#[test]
fn residue_over_atom_does_not_depend_on_sigma() {
    let s = bundled("1crn");
    let t = table(&s, &["seed-old", "rebalanced"], 32, 3);
    for noise in ["seed-old", "rebalanced"] {
        let figures: Vec<_> = t
            .rows
            .iter()
            .map(|r| {
                r.noises
                    .0
                    .iter()
                    .find(|(n, _)| n == noise)
                    .unwrap()
                    .1
                    .residue_over_atom
            })
            .collect();
        for a in &figures {
            assert!((a.expected - figures[0].expected).abs() < 1e-12);
            for b in &figures {
                let se = (a.stderr.unwrap().powi(2) + b.stderr.unwrap().powi(2)).sqrt();
                assert!(
                    (a.measured - b.measured).abs() <= 3.0 * se,
                    "{noise}: {a:?} vs {b:?}"
                );
            }
        }
    }
}

#[test]
fn seed_004_regimes_on_crambin() {
    // Crambin, heavy atoms: 327 atoms in 46 residues (7.1 per residue), one chain.
    let s = bundled("1crn");
    let mean_inverse_n = s
        .atoms_per_residue()
        .iter()
        .map(|&n| 1.0 / n as f64)
        .sum::<f64>()
        / 46.0;
    let exact = |w: [f64; 3]| {
        let total = w.iter().sum::<f64>();
        ((w[0] + w[1] + w[2] * mean_inverse_n) / total).sqrt()
    };
    let t = table(&s, &["seed-old", "rebalanced", "flat"], 2, 0);
    let cells = &t.rows[3].noises.0;
    let ratio = |i: usize| cells[i].1.residue_over_atom.expected;
    assert!((ratio(0) - exact([8.2, 1.6, 1.3])).abs() < 1e-9);
    assert!((ratio(1) - exact([1.0, 4.0, 4.0])).abs() < 1e-9);
    assert!((ratio(2) - exact([0.0, 0.0, 1.0])).abs() < 1e-9);
    // The regimes of the notes (≈0.95, ≈0.78, ≈0.35 at ~8 atoms per residue), shifted a little by 7.1.
    assert!((ratio(0) - 0.95).abs() < 0.01, "{}", ratio(0));
    assert!((ratio(1) - 0.78).abs() < 0.03, "{}", ratio(1));
    assert!((ratio(2) - 0.35).abs() < 0.05, "{}", ratio(2));
    assert_eq!(cells[0].1.chain, None);
    assert!(
        cells[0]
            .1
            .chain_undefined
            .as_deref()
            .unwrap()
            .contains("one chain")
    );
}

#[test]
fn the_seed_sigma_grid() {
    let want = [0.05, 0.24, 1.08, 4.82, 21.6, 96.8, 433.8];
    for (p, w) in seed_grid().iter().zip(want) {
        // The seed prints two or three significant digits: agree to half of the last printed digit.
        let half_digit = if w < 10.0 { 0.005 } else { 0.05 };
        assert!((p.sigma - w).abs() <= half_digit, "{} vs {w}", p.sigma);
    }
}

#[test]
fn same_seed_same_numbers_other_seed_other_numbers() {
    let s = bundled("4hhb");
    let a = table(&s, &["seed-old"], 2, 11);
    let b = table(&s, &["seed-old"], 2, 11);
    let c = table(&s, &["seed-old"], 2, 12);
    assert_eq!(a.rows, b.rows);
    assert_ne!(a.rows, c.rows);
}

#[test]
fn invalid_sigma_is_refused() {
    let s = bundled("1crn");
    let spec = NoiseTableSpec {
        noises: noises(&["flat"]),
        points: vec![SigmaPoint {
            z: None,
            sigma: f64::NAN,
        }],
        repeats: 1,
        seed: 0,
    };
    assert!(noise_table(&s, &spec, &cpu().device, false).is_err());
}

#[test]
fn samples_are_the_noise_of_the_first_draw() {
    let s = bundled("1crn");
    let spec = NoiseTableSpec {
        noises: noises(&["flat"]),
        points: vec![SigmaPoint {
            z: None,
            sigma: 2.0,
        }],
        repeats: 1,
        seed: 5,
    };
    let t = noise_table(&s, &spec, &cpu().device, true).unwrap();
    assert_eq!(t.samples.len(), 1);
    let d = &t.samples[0];
    // 3-D mean square per atom.
    let ms = d
        .iter()
        .flatten()
        .map(|v| f64::from(*v).powi(2))
        .sum::<f64>()
        / d.len() as f64;
    // With one repeat the measured atom abs is exactly the 3-D RMS of the kept sample.
    let measured = t.rows[0].noises.0[0].1.atom.abs.measured;
    assert!(
        (ms.sqrt() - measured).abs() < 1e-4,
        "{} vs {measured}",
        ms.sqrt()
    );
}

#[test]
fn centred_figures_are_measured_as_the_closed_form_says() {
    // Issue 12.2: on 1CRN (one chain) with seed-old weights, centring leaves atoms 0.51σ and residue
    // centroids 0.40σ: most of the noise is spent on a global translation.
    let s = bundled("1crn");
    let t = table(&s, &["seed-old"], 64, 3);
    let mut z_scores = Vec::new();
    for row in &t.rows {
        let c = &row.noises.0[0].1.centred;
        assert!(
            (c.atom.expected / (row.sigma * 3f64.sqrt()) - 0.51).abs() < 0.01,
            "{:?}",
            c.atom
        );
        assert!(
            (c.residue.expected / (row.sigma * 3f64.sqrt()) - 0.40).abs() < 0.01,
            "{:?}",
            c.residue
        );
        assert!(c.chain.is_none());
        // (8.2 / 11.1 of the variance is the chain term, which one chain turns into a translation.)
        assert!(
            (c.translation_share - 8.2 / 11.1).abs() < 0.01,
            "{}",
            c.translation_share
        );
        for f in [&c.atom, &c.residue, &c.residue_over_atom] {
            let z = z_score(f);
            assert!(z.abs() < 4.0, "sigma {}: {f:?}", row.sigma);
            z_scores.push(z);
        }
    }
    let multichain = bundled("4hhb");
    let t = table(&multichain, &["seed-old"], 64, 4);
    for row in &t.rows {
        let c = &row.noises.0[0].1.centred;
        let chain = c.chain.unwrap();
        for f in [&c.atom, &c.residue, &chain] {
            let z = z_score(f);
            assert!(z.abs() < 4.0, "4hhb sigma {}: {f:?}", row.sigma);
            z_scores.push(z);
        }
        // With four chains most of the chain term is not a translation.
        assert!(c.translation_share < 0.3, "{}", c.translation_share);
    }
    let n = z_scores.len() as f64;
    let rms = (z_scores.iter().map(|z| z * z).sum::<f64>() / n).sqrt();
    assert!((0.5..1.5).contains(&rms), "rms z {rms} over {n} figures");
}
