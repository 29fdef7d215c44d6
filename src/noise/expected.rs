//! Closed-form mean squared displacement per level under multiscale noise, from the weights and the
//! structure's real group sizes.
//!
//! Atom i of residue r (n_r atoms) of chain c (m_c residues, K chains) moves by
//! d_i = e_c + e_r + e_i, with independent Gaussian terms of per-coordinate variance s_c², s_r², s_a².
//! Per coordinate, averaged over the level's points:
//!
//! * atoms, abs: E d_i² = s_c² + s_r² + s_a².
//! * residue centroid D_r = e_c + e_r + mean_{i∈r} e_i, abs: s_c² + s_r² + s_a² / n_r, averaged over residues.
//! * chain centroid C_c = mean of its residue centroids = e_c + mean_r e_r + mean_r mean_{i∈r} e_i,
//!   abs: s_c² + s_r² / m_c + s_a² (Σ_r 1/n_r) / m_c², averaged over chains.
//! * atom rel (d_i − D_r) = e_i − mean_{j∈r} e_j: s_a² (1 − 1/n_r); averaged over atoms that is
//!   s_a² (1 − R/N), since Σ_i 1/n_{r(i)} = R residues.
//! * residue rel (D_r − C_c): the residue terms give s_r² (1 − 1/m_c); the atom terms, with
//!   a_r = mean_{i∈r} e_i of variance s_a²/n_r, give (1 − 1/m_c)² s_a²/n_r + Σ_{r'≠r} s_a²/(n_r' m_c²)
//!   = s_a² [(1 − 2/m_c)/n_r + S_c/m_c²] with S_c = Σ_{r'∈c} 1/n_r'; averaged over residues.
//! * chain rel (C_c − mean of all chain centroids): chains are independent with variances v_c, so
//!   (1 − 2/K) v_c + Σ v/K²; averaged over chains that is (1 − 1/K) mean v.
//!
//! The RMS figures are the square roots of these mean squares (pooled over points and repeats).
//!
//! Centred (Boltz/AF3 centring, our augmentation): every point also moves by minus the atom mean
//! m = Σ_i d_i / N, of variance V_m = s_c² Σ_c (n_c/N)² + s_r² Σ_r (n_r/N)² + s_a²/N. For a point P,
//! E (P − m)² = Var P − 2 Cov(P, m) + V_m, with Cov(e_c, m) = s_c² n_c/N, Cov(e_r, m) = s_r² n_r/N and
//! Cov(mean of any atoms' e_i, m) = s_a²/N:
//!
//! * atoms: s_c² (1 − S_c) + s_r² (1 − S_r) + s_a² (1 − 1/N), S_c = Σ_c (n_c/N)², S_r = Σ_r (n_r/N)²;
//!   with one chain the chain term vanishes: it is a global translation;
//! * residue centroids: s_c² + s_r² + s_a²/n_r − 2 (s_c² n_c + s_r² n_r + s_a²)/N + V_m, over residues;
//! * chain centroids: v_c − 2 (s_c² n_c + s_r² n_c/m_c + s_a²)/N + V_m, over chains.
//!
//! Relative figures do not change: m cancels in every difference.

use super::weights::LevelStds;

/// Atoms per residue and residues per chain, with the residue→chain map: all the closed forms need.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSizes {
    /// n_r for every residue.
    pub atoms_per_residue: Vec<usize>,
    /// Chain index of every residue.
    pub residue_chain: Vec<u32>,
    /// m_c for every chain.
    pub residues_per_chain: Vec<usize>,
}

impl GroupSizes {
    /// Group sizes of a structure.
    pub fn of(structure: &crate::structure::Structure) -> Self {
        Self {
            atoms_per_residue: structure.atoms_per_residue(),
            residue_chain: structure.residue_chain.clone(),
            residues_per_chain: structure.residues_per_chain(),
        }
    }

    /// Number of atoms.
    pub fn atoms(&self) -> usize {
        self.atoms_per_residue.iter().sum()
    }
}

/// Mean squared displacement per coordinate at each level, absolute and relative to the parent.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LevelMeanSquares {
    /// Atoms, absolute.
    pub atom_abs: f64,
    /// Atoms relative to their residue centroid.
    pub atom_rel: f64,
    /// Residue centroids, absolute.
    pub residue_abs: f64,
    /// Residue centroids relative to their chain centroid.
    pub residue_rel: f64,
    /// Chain centroids, absolute.
    pub chain_abs: f64,
    /// Chain centroids relative to the mean of all chain centroids.
    pub chain_rel: f64,
}

/// `expected_mean_squares` for unit chain, residue and atom variance over one structure's sizes: the
/// mean squares are linear in the three variances, so any stds then cost three multiply-adds instead
/// of a pass over the residues (the sampler needs them at every step).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanSquaresBasis([LevelMeanSquares; 3]);

impl MeanSquaresBasis {
    /// The basis over `sizes`.
    pub fn new(sizes: &GroupSizes) -> Self {
        let unit = |chain, residue, atom| {
            expected_mean_squares(
                sizes,
                LevelStds {
                    chain,
                    residue,
                    atom,
                },
            )
        };
        Self([
            unit(1.0, 0.0, 0.0),
            unit(0.0, 1.0, 0.0),
            unit(0.0, 0.0, 1.0),
        ])
    }

    /// The expected mean squares for `stds` (equal to `expected_mean_squares`).
    pub fn at(&self, stds: LevelStds) -> LevelMeanSquares {
        let v = [stds.chain.powi(2), stds.residue.powi(2), stds.atom.powi(2)];
        let [c, r, a] = &self.0;
        let mix = |f: fn(&LevelMeanSquares) -> f64| v[0] * f(c) + v[1] * f(r) + v[2] * f(a);
        LevelMeanSquares {
            atom_abs: mix(|m| m.atom_abs),
            atom_rel: mix(|m| m.atom_rel),
            residue_abs: mix(|m| m.residue_abs),
            residue_rel: mix(|m| m.residue_rel),
            chain_abs: mix(|m| m.chain_abs),
            chain_rel: mix(|m| m.chain_rel),
        }
    }
}

/// Mean squared displacement per coordinate after centring (the atom mean removed), per level.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CentredMeanSquares {
    /// Atoms.
    pub atom: f64,
    /// Residue centroids.
    pub residue: f64,
    /// Chain centroids.
    pub chain: f64,
}

/// Displacements are reported as 3-D RMS distances per point, the convention of RMSD and of the
/// trajectories' motion; the mean squares measured and derived here are per coordinate, hence three axes.
pub const AXES: f64 = 3.0;

/// The 3-D RMS distance per point of a mean square per coordinate.
pub fn rms_3d(mean_square_per_coordinate: f64) -> f64 {
    (AXES * mean_square_per_coordinate).max(0.0).sqrt()
}

impl CentredMeanSquares {
    /// Share of the atoms' noise variance that centring removes, the global translation:
    /// 1 − centred / uncentred.
    pub fn translation_share(&self, uncentred: &LevelMeanSquares) -> f64 {
        if uncentred.atom_abs > 0.0 {
            (1.0 - self.atom / uncentred.atom_abs).max(0.0)
        } else {
            0.0
        }
    }
}

/// The closed-form mean squares after centring (module docs) for per-level stds over these group sizes.
pub fn expected_centred_mean_squares(sizes: &GroupSizes, stds: LevelStds) -> CentredMeanSquares {
    let (vc, vr, va) = (stds.chain.powi(2), stds.residue.powi(2), stds.atom.powi(2));
    let (residues, chains) = (
        sizes.atoms_per_residue.len(),
        sizes.residues_per_chain.len(),
    );
    let n = sizes.atoms() as f64;
    if residues == 0 || chains == 0 || n == 0.0 {
        return CentredMeanSquares::default();
    }
    let n_r: Vec<f64> = sizes.atoms_per_residue.iter().map(|&a| a as f64).collect();
    let mut n_c = vec![0.0; chains];
    let mut inv_n_per_chain = vec![0.0; chains];
    for (r, &c) in sizes.residue_chain.iter().enumerate() {
        n_c[c as usize] += n_r[r];
        inv_n_per_chain[c as usize] += 1.0 / n_r[r];
    }
    let sum_sq = |v: &[f64]| v.iter().map(|x| (x / n).powi(2)).sum::<f64>();
    let v_m = vc * sum_sq(&n_c) + vr * sum_sq(&n_r) + va / n;
    let atom = vc * (1.0 - sum_sq(&n_c)) + vr * (1.0 - sum_sq(&n_r)) + va * (1.0 - 1.0 / n);
    let residue = sizes
        .residue_chain
        .iter()
        .enumerate()
        .map(|(r, &c)| {
            vc + vr + va / n_r[r] - 2.0 * (vc * n_c[c as usize] + vr * n_r[r] + va) / n + v_m
        })
        .sum::<f64>()
        / residues as f64;
    let chain = (0..chains)
        .map(|c| {
            let m = sizes.residues_per_chain[c] as f64;
            let v_c = vc + vr / m + va * inv_n_per_chain[c] / (m * m);
            v_c - 2.0 * (vc * n_c[c] + vr * n_c[c] / m + va) / n + v_m
        })
        .sum::<f64>()
        / chains as f64;
    CentredMeanSquares {
        atom,
        residue,
        chain,
    }
}

/// The closed-form expected mean squares for per-level noise stds over these group sizes.
pub fn expected_mean_squares(sizes: &GroupSizes, stds: LevelStds) -> LevelMeanSquares {
    let (vc, vr, va) = (stds.chain.powi(2), stds.residue.powi(2), stds.atom.powi(2));
    let residues = sizes.atoms_per_residue.len();
    let chains = sizes.residues_per_chain.len();
    if residues == 0 || chains == 0 {
        return LevelMeanSquares::default();
    }
    let atoms = sizes.atoms() as f64;
    let inv_n: Vec<f64> = sizes
        .atoms_per_residue
        .iter()
        .map(|&n| 1.0 / n as f64)
        .collect();
    let mut inv_n_per_chain = vec![0.0; chains];
    for (r, &c) in sizes.residue_chain.iter().enumerate() {
        inv_n_per_chain[c as usize] += inv_n[r];
    }
    let m: Vec<f64> = sizes.residues_per_chain.iter().map(|&m| m as f64).collect();

    let residue_abs = vc + vr + va * inv_n.iter().sum::<f64>() / residues as f64;
    let chain_var: Vec<f64> = (0..chains)
        .map(|c| vc + vr / m[c] + va * inv_n_per_chain[c] / (m[c] * m[c]))
        .collect();
    let chain_abs = chain_var.iter().sum::<f64>() / chains as f64;
    let residue_rel = sizes
        .residue_chain
        .iter()
        .enumerate()
        .map(|(r, &c)| {
            let (mc, s) = (m[c as usize], inv_n_per_chain[c as usize]);
            vr * (1.0 - 1.0 / mc) + va * ((1.0 - 2.0 / mc) * inv_n[r] + s / (mc * mc))
        })
        .sum::<f64>()
        / residues as f64;
    LevelMeanSquares {
        atom_abs: vc + vr + va,
        atom_rel: va * (1.0 - residues as f64 / atoms),
        residue_abs,
        residue_rel,
        chain_abs,
        chain_rel: (1.0 - 1.0 / chains as f64) * chain_abs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single_chain(n_per_residue: usize, residues: usize) -> GroupSizes {
        GroupSizes {
            atoms_per_residue: vec![n_per_residue; residues],
            residue_chain: vec![0; residues],
            residues_per_chain: vec![residues],
        }
    }

    #[test]
    fn regimes_of_seed_004_for_eight_atoms_per_residue() {
        // Seed 004 measured 0.93 (old weights) and 0.76 (rebalanced) in one draw of its 253-atom fragment; the
        // closed form for 8 atoms per residue gives 0.95 and 0.78 (flat: sqrt(1/8) ≈ 0.35).
        let sizes = single_chain(8, 32);
        let ratio = |stds: LevelStds| {
            let e = expected_mean_squares(&sizes, stds);
            (e.residue_abs / e.atom_abs).sqrt()
        };
        let old = super::super::weights::LevelWeights::new(8.2, 1.6, 1.3).unwrap();
        let rebalanced = super::super::weights::LevelWeights::new(1.0, 4.0, 4.0).unwrap();
        let exact_old = ((8.2 + 1.6 + 1.3 / 8.0) / 11.1f64).sqrt();
        assert!((ratio(old.stds(1.0)) - exact_old).abs() < 1e-12);
        assert!((ratio(old.stds(1.0)) - 0.95).abs() < 0.005);
        assert!((ratio(rebalanced.stds(1.0)) - 0.78).abs() < 0.005);
        let flat = LevelStds {
            chain: 0.0,
            residue: 0.0,
            atom: 1.0,
        };
        assert!((ratio(flat) - (1.0f64 / 8.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn relative_motion_of_a_lone_residue_is_zero() {
        // One residue in one chain: the residue centroid is its chain centroid.
        let sizes = single_chain(5, 1);
        let e = expected_mean_squares(
            &sizes,
            LevelStds {
                chain: 1.0,
                residue: 1.0,
                atom: 1.0,
            },
        );
        assert!(e.residue_rel.abs() < 1e-12);
        assert!(e.chain_rel.abs() < 1e-12);
        assert!((e.atom_rel - 0.8).abs() < 1e-12);
    }

    #[test]
    fn centred_closed_form_matches_a_dense_covariance() {
        // Unequal residues and chains: 3 chains of (2, 3, 1) residues with 1..4 atoms each.
        let sizes = GroupSizes {
            atoms_per_residue: vec![3, 1, 4, 2, 2, 3],
            residue_chain: vec![0, 0, 1, 1, 1, 2],
            residues_per_chain: vec![2, 3, 1],
        };
        let stds = LevelStds {
            chain: 1.3,
            residue: 0.7,
            atom: 0.4,
        };
        // Atom → residue → chain maps, and the per-coordinate covariance of the displacements.
        let mut atom_residue = Vec::new();
        for (r, &n) in sizes.atoms_per_residue.iter().enumerate() {
            atom_residue.extend(std::iter::repeat_n(r, n));
        }
        let chain_of = |i: usize| sizes.residue_chain[atom_residue[i]] as usize;
        let n = atom_residue.len();
        let cov = |i: usize, j: usize| {
            let mut v = 0.0;
            if chain_of(i) == chain_of(j) {
                v += stds.chain.powi(2);
            }
            if atom_residue[i] == atom_residue[j] {
                v += stds.residue.powi(2);
            }
            if i == j {
                v += stds.atom.powi(2);
            }
            v
        };
        // Each level's points as weight rows over atoms, minus the atom mean; E|L d|² = L Σ Lᵀ.
        let centred_ms = |rows: Vec<Vec<f64>>| {
            let k = rows.len() as f64;
            rows.iter()
                .map(|w| {
                    let w: Vec<f64> = w.iter().map(|x| x - 1.0 / n as f64).collect();
                    (0..n)
                        .flat_map(|i| (0..n).map(move |j| (i, j)))
                        .map(|(i, j)| w[i] * w[j] * cov(i, j))
                        .sum::<f64>()
                })
                .sum::<f64>()
                / k
        };
        let atoms: Vec<Vec<f64>> = (0..n)
            .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
            .collect();
        let residue_row = |r: usize| -> Vec<f64> {
            let n_r = sizes.atoms_per_residue[r] as f64;
            (0..n)
                .map(|j| if atom_residue[j] == r { 1.0 / n_r } else { 0.0 })
                .collect()
        };
        let residues: Vec<Vec<f64>> = (0..6).map(residue_row).collect();
        let chains: Vec<Vec<f64>> = (0..3)
            .map(|c| {
                let members: Vec<usize> = (0..6)
                    .filter(|&r| sizes.residue_chain[r] as usize == c)
                    .collect();
                let mut w = vec![0.0; n];
                for &r in &members {
                    for (j, x) in residue_row(r).into_iter().enumerate() {
                        w[j] += x / members.len() as f64;
                    }
                }
                w
            })
            .collect();
        let e = expected_centred_mean_squares(&sizes, stds);
        for (got, want) in [
            (e.atom, centred_ms(atoms)),
            (e.residue, centred_ms(residues)),
            (e.chain, centred_ms(chains)),
        ] {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }

    #[test]
    fn centring_takes_the_chain_term_of_one_chain() {
        // With one chain, its term is a global translation: centring leaves residue and atom terms.
        let sizes = single_chain(8, 32);
        let w = super::super::weights::LevelWeights::new(8.2, 1.6, 1.3).unwrap();
        let e = expected_centred_mean_squares(&sizes, w.stds(1.0));
        let n = 256.0;
        let share = |x: f64| x / w.sum();
        let atom = share(1.6) * (1.0 - 32.0 * (8.0f64 / n).powi(2)) + share(1.3) * (1.0 - 1.0 / n);
        assert!((e.atom - atom).abs() < 1e-12);
        assert!(e.residue < share(1.6) + share(1.3) / 8.0);
    }

    /// The basis gives `expected_mean_squares` for any stds, on uneven residues and chains.
    #[test]
    fn the_unit_variance_basis_gives_every_stds_mean_squares() {
        let sizes = GroupSizes {
            atoms_per_residue: vec![3, 9, 1, 14, 6, 2, 7],
            residue_chain: vec![0, 0, 0, 1, 1, 2, 2],
            residues_per_chain: vec![3, 2, 2],
        };
        let basis = MeanSquaresBasis::new(&sizes);
        for stds in [(0.3, 2.0, 1.1), (5.0, 0.0, 0.7), (0.0, 0.0, 16.0)] {
            let stds = LevelStds {
                chain: stds.0,
                residue: stds.1,
                atom: stds.2,
            };
            let (got, want) = (basis.at(stds), expected_mean_squares(&sizes, stds));
            for (g, w) in [
                (got.atom_abs, want.atom_abs),
                (got.atom_rel, want.atom_rel),
                (got.residue_abs, want.residue_abs),
                (got.residue_rel, want.residue_rel),
                (got.chain_abs, want.chain_abs),
                (got.chain_rel, want.chain_rel),
            ] {
                assert!((g - w).abs() <= 1e-12 * w.abs().max(1.0), "{g} vs {w}");
            }
            assert!(want.residue_rel > 0.0 || stds.residue == 0.0);
        }
    }
}
