//! A step's motion: at every level, its own share (what the best rigid motion of the group does not
//! explain), and its split by cause (churn, alignment onto x̂0, the denoiser's update), as magnitudes
//! and as additive shares of the net displacement.

use super::displacement::point_distances;
use super::level_points::{LevelPoints, atom_rms_distance, for_each_atom_carried};
use crate::geometry::{RigidTransform, rigid_fit, rms_distance};
use crate::structure::Structure;

/// The magnitude of what one cause moved in a step, per level (3-D RMS, Å). Magnitudes do not add up
/// to the step's motion (churn and the update largely cancel); `CauseShares` do.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CauseMotion {
    /// Atoms.
    pub atom: f64,
    /// Residue centroids.
    pub residue: f64,
    /// Chain centroids (none with one chain).
    pub chain: Option<f64>,
    /// The share of the residue centroids' motion that is their own (as `independent_share`).
    pub residue_own_share: Option<f64>,
}

/// A sampler step's motion in the ground truth's frame, split into its three causes: the churn noise
/// (x → x_hat), the rigid alignment of x_hat onto x̂0 (the augmentation itself is a change of frame and
/// moves nothing here), and the denoiser's update (x_hat → x_next). The three displacements add up to
/// the step's net displacement D = x_next − x (the step's motion); their magnitudes do not, their
/// shares do.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MotionByCause {
    /// The magnitude of what the churn noise moved.
    pub churn: CauseMotion,
    /// The magnitude of what the alignment onto x̂0 moved (zero without alignment).
    pub rigid: CauseMotion,
    /// The magnitude of what the denoiser's update moved.
    pub denoiser: CauseMotion,
    /// Each cause's additive share of the net displacement, per level.
    pub shares: CauseShares,
}

/// Each cause's projection on a level's net displacement D, ⟨d_k, D⟩ / |D|² over the level's points:
/// the three sum to 1, and a cause that works against the others reads negative. None where the level
/// did not move (or, for chains, has one chain).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CauseShares {
    /// Atoms.
    pub atom: Option<Shares>,
    /// Residue centroids.
    pub residue: Option<Shares>,
    /// Chain centroids.
    pub chain: Option<Shares>,
}

/// One level's additive split.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Shares {
    /// The churn noise's share.
    pub churn: f64,
    /// The alignment's share.
    pub rigid: f64,
    /// The denoiser update's share.
    pub denoiser: f64,
}

/// The sums of the additive split: each cause's ⟨d_k, D⟩ and |d_k|², and |D|², over the points.
#[derive(Default)]
struct ShareSums {
    dot: [f64; 3],
    squares: [f64; 3],
    norm: f64,
    points: usize,
}

impl ShareSums {
    /// One point's `before`, `churned`, `aligned` and `now` positions.
    fn add(&mut self, [b, c, a, n]: [[f64; 3]; 4]) {
        for k in 0..3 {
            let net = n[k] - b[k];
            let d = [c[k] - b[k], a[k] - c[k], n[k] - a[k]];
            for ((dot, square), d) in self.dot.iter_mut().zip(&mut self.squares).zip(d) {
                *dot += d * net;
                *square += d * d;
            }
            self.norm += net * net;
        }
        self.points += 1;
    }

    /// The 3-D RMS of cause `k`'s displacement (churn, alignment, update).
    fn rms(&self, k: usize) -> f64 {
        (self.squares[k] / self.points.max(1) as f64).sqrt()
    }

    fn shares(&self) -> Option<Shares> {
        (self.norm > 0.0).then(|| Shares {
            churn: self.dot[0] / self.norm,
            rigid: self.dot[1] / self.norm,
            denoiser: self.dot[2] / self.norm,
        })
    }
}

/// The additive split of `before → now` through `churned` and `aligned` at one level's points.
fn shares(
    before: &[[f32; 3]],
    churned: &[[f32; 3]],
    aligned: &[[f32; 3]],
    now: &[[f32; 3]],
) -> Option<Shares> {
    let mut sums = ShareSums::default();
    for (((b, c), a), n) in before.iter().zip(churned).zip(aligned).zip(now) {
        sums.add([b, c, a, n].map(|p| p.map(f64::from)));
    }
    sums.shares()
}

/// The atoms' sums of the step `before → churned → aligned → now`, in one pass over their recorded
/// coordinates carried on the fly (shares and RMS need only differences and dot products).
fn atom_sums(sets: [&LevelPoints; 4]) -> ShareSums {
    let mut sums = ShareSums::default();
    for_each_atom_carried(sets, |p| sums.add(p));
    sums
}

/// Every level's additive split of the step `before → churned → aligned → now`, the atoms' from
/// their sums.
fn cause_shares(
    s: &Structure,
    [before, churned, aligned, now]: [&LevelPoints; 4],
    atom_sums: &ShareSums,
) -> CauseShares {
    CauseShares {
        atom: atom_sums.shares(),
        residue: shares(
            &before.residues,
            &churned.residues,
            &aligned.residues,
            &now.residues,
        ),
        chain: (s.chain_count() >= 2)
            .then(|| {
                shares(
                    &before.chains,
                    &churned.chains,
                    &aligned.chains,
                    &now.chains,
                )
            })
            .flatten(),
    }
}

/// The split of a sampler step: the churned state it recorded, and the alignment onto x̂0 it applied.
/// A step without churn (γ = 0) or without alignment moves nothing by that cause: its magnitudes are
/// zero by construction, not the rounding of two copies of one state.
pub(super) fn sampled_causes(
    s: &Structure,
    before: &LevelPoints,
    churned: &LevelPoints,
    alignment: Option<&RigidTransform>,
    churn_on: bool,
    now: &LevelPoints,
) -> MotionByCause {
    let aligned = match alignment {
        Some(a) => churned.moved(a),
        None => churned.view(),
    };
    let atoms = atom_sums([before, churned, &aligned, now]);
    let none = || CauseMotion {
        atom: 0.0,
        residue: 0.0,
        chain: (s.chain_count() >= 2).then_some(0.0),
        residue_own_share: None,
    };
    MotionByCause {
        churn: if churn_on {
            cause(s, churned, before, atoms.rms(0))
        } else {
            none()
        },
        rigid: if alignment.is_some() {
            cause(s, &aligned, churned, atoms.rms(1))
        } else {
            none()
        },
        denoiser: cause(s, now, &aligned, atoms.rms(2)),
        shares: cause_shares(s, [before, churned, &aligned, now], &atoms),
    }
}

/// Share of the motion of `now` points (from `before`) that the best rigid motion of their group does not
/// explain: sqrt(Σ |q - T_g(p)|² / Σ |q - p|²), T_g the least-squares rigid fit of the group between the
/// frames. A rigid motion of a whole group reads 0, whatever its rotation.
fn own_motion_share<'a>(
    fits: impl Iterator<Item = (RigidTransform, &'a [[f32; 3]], &'a [[f32; 3]])>,
) -> Option<f64> {
    let (mut own, mut total) = (0.0, 0.0);
    for (fit, before, now) in fits {
        for (p, q) in before.iter().zip(now) {
            let carried = fit.apply(*p);
            for k in 0..3 {
                own += (f64::from(q[k]) - f64::from(carried[k])).powi(2);
                total += (f64::from(q[k]) - f64::from(p[k])).powi(2);
            }
        }
    }
    (total > 0.0).then(|| (own / total).sqrt())
}

/// Motion between two frames at every level.
pub(super) struct Motion {
    pub atom: f64,
    pub residue: f64,
    pub chain: f64,
    pub residue_share: Option<f64>,
    pub chain_share: Option<f64>,
    pub per_residue: Vec<f32>,
}

/// Residues' own motion is what remains after the best rigid motion of their chain's residue centroids
/// between the frames, chains' own motion what remains after the best rigid motion of all chain centroids.
/// Fitting the measured points themselves keeps the share within [0, 1] (no motion at all is a candidate).
pub(super) fn motion(structure: &Structure, now: &LevelPoints, before: &LevelPoints) -> Motion {
    group_motion(structure, now, before, atom_rms_distance(now, before))
}

/// `motion` with the atoms' RMS motion already measured.
fn group_motion(
    structure: &Structure,
    now: &LevelPoints,
    before: &LevelPoints,
    atom: f64,
) -> Motion {
    let residue_share = own_motion_share(structure.chains.iter().map(|chain| {
        let residues = chain.residues.start as usize..chain.residues.end as usize;
        let (p, q) = (&before.residues[residues.clone()], &now.residues[residues]);
        (rigid_fit(p, q), p, q)
    }));
    let chain_share = (structure.chain_count() >= 2)
        .then(|| {
            let (p, q) = (&before.chains[..], &now.chains[..]);
            own_motion_share(std::iter::once((rigid_fit(p, q), p, q)))
        })
        .flatten();
    Motion {
        atom,
        residue: rms_distance(&now.residues, &before.residues),
        chain: rms_distance(&now.chains, &before.chains),
        residue_share,
        chain_share,
        per_residue: point_distances(&now.residues, &before.residues),
    }
}

/// One cause's magnitudes, its atoms' RMS given (`atom_sums`).
fn cause(structure: &Structure, now: &LevelPoints, before: &LevelPoints, atom: f64) -> CauseMotion {
    let m = group_motion(structure, now, before, atom);
    CauseMotion {
        atom: m.atom,
        residue: m.residue,
        chain: (structure.chain_count() >= 2).then_some(m.chain),
        residue_own_share: m.residue_share,
    }
}

/// The split of an imported step (no churned state recorded): the motion along the previous
/// prediction's pull, before + c (x̂0 − before) with c fitted by least squares over the atoms, is the
/// denoiser's update; the rest is noise (churn and anything else the file's sampler added).
pub(super) fn imported_causes(
    s: &Structure,
    before: &LevelPoints,
    prediction: &[[f32; 3]],
    now: &LevelPoints,
) -> MotionByCause {
    let (before_atoms, now_atoms) = (before.atoms_in_truth(), now.atoms_in_truth());
    let (mut along, mut norm) = (0.0, 0.0);
    for ((b, p), n) in before_atoms.iter().zip(prediction).zip(&now_atoms) {
        for k in 0..3 {
            let pull = f64::from(p[k]) - f64::from(b[k]);
            along += (f64::from(n[k]) - f64::from(b[k])) * pull;
            norm += pull * pull;
        }
    }
    let c = if norm > 0.0 { along / norm } else { 0.0 };
    let pulled: Vec<[f32; 3]> = before_atoms
        .iter()
        .zip(prediction)
        .map(|(b, p)| std::array::from_fn(|k| b[k] + (c * f64::from(p[k] - b[k])) as f32))
        .collect();
    // Noise first, then the pull, as the sampler orders them; the noise is what the pull leaves.
    let noised: Vec<[f32; 3]> = before_atoms
        .iter()
        .zip(&pulled)
        .zip(&now_atoms)
        .map(|((b, p), n)| std::array::from_fn(|k| b[k] + n[k] - p[k]))
        .collect();
    let noised = LevelPoints::owned(s, noised);
    let atoms = atom_sums([before, &noised, &noised, now]);
    MotionByCause {
        churn: cause(s, &noised, before, atoms.rms(0)),
        rigid: cause(s, before, before, 0.0),
        denoiser: cause(s, now, &noised, atoms.rms(2)),
        shares: cause_shares(s, [before, &noised, &noised, now], &atoms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_projections_on_the_net_displacement_and_sum_to_one() {
        // One point: churn +3 in x, no alignment, the update −2 in x and +1 in y. Net (1, 1, 0), |D|² = 2:
        // churn 3 / 2, update (−2 + 1) / 2 = −1/2.
        let before = [[0.0, 0.0, 0.0]];
        let churned = [[3.0, 0.0, 0.0]];
        let now = [[1.0, 1.0, 0.0]];
        let s = shares(&before, &churned, &churned, &now).unwrap();
        assert_eq!((s.churn, s.rigid, s.denoiser), (1.5, 0.0, -0.5));
        // RMS magnitudes 3 and √5 against a net motion of √2: they do not add up, the shares do.
        assert!(
            shares(&before, &before, &before, &before).is_none(),
            "no motion, no split"
        );
    }
}
