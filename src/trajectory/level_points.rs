//! A frame's points at every level in the ground truth's frame, without a copy of its atoms: the
//! atoms stay as recorded, with the rigid transform that takes them to the truth's frame applied on
//! the fly; the residue and chain centroids are computed once and kept in that frame. Centroids
//! commute with rigid motions, so carrying the recorded atoms' centroids gives the carried atoms'
//! centroids.

use std::borrow::Cow;

use crate::geometry::RigidTransform;
use crate::structure::Structure;

/// Atoms (as recorded, with their transform), residue and chain centroids (in the truth's frame).
#[derive(Debug, Clone)]
pub struct LevelPoints<'a> {
    recorded: Cow<'a, [[f32; 3]]>,
    to_truth: RigidTransform,
    /// Residue centroids in the truth's frame.
    pub residues: Cow<'a, [[f32; 3]]>,
    /// Chain centroids (means of their residue centroids) in the truth's frame.
    pub chains: Cow<'a, [[f32; 3]]>,
}

impl<'a> LevelPoints<'a> {
    /// The levels of `recorded` atoms that `to_truth` takes to the truth's frame.
    pub fn of(structure: &Structure, recorded: &'a [[f32; 3]], to_truth: RigidTransform) -> Self {
        let mut residues = structure.residue_centroids(recorded);
        if to_truth != RigidTransform::IDENTITY {
            residues = to_truth.apply_all(&residues);
        }
        let chains = structure.chain_centroids(&residues);
        Self {
            recorded: Cow::Borrowed(recorded),
            to_truth,
            residues: Cow::Owned(residues),
            chains: Cow::Owned(chains),
        }
    }

    /// Owned levels of atoms already in the truth's frame.
    pub fn owned(structure: &Structure, atoms: Vec<[f32; 3]>) -> LevelPoints<'static> {
        let residues = structure.residue_centroids(&atoms);
        let chains = structure.chain_centroids(&residues);
        LevelPoints {
            recorded: Cow::Owned(atoms),
            to_truth: RigidTransform::IDENTITY,
            residues: Cow::Owned(residues),
            chains: Cow::Owned(chains),
        }
    }

    /// No points: a buffer for `store`.
    pub fn empty() -> LevelPoints<'static> {
        LevelPoints {
            recorded: Cow::Owned(Vec::new()),
            to_truth: RigidTransform::IDENTITY,
            residues: Cow::Owned(Vec::new()),
            chains: Cow::Owned(Vec::new()),
        }
    }

    /// A borrowed view of the same points (no copy).
    pub fn view(&self) -> LevelPoints<'_> {
        LevelPoints {
            recorded: Cow::Borrowed(&self.recorded),
            to_truth: self.to_truth,
            residues: Cow::Borrowed(&self.residues),
            chains: Cow::Borrowed(&self.chains),
        }
    }

    /// The same points after the rigid motion `motion` of the truth's frame: only the centroids move.
    pub fn moved(&self, motion: &RigidTransform) -> LevelPoints<'_> {
        LevelPoints {
            recorded: Cow::Borrowed(&self.recorded),
            to_truth: self.to_truth.then(motion),
            residues: Cow::Owned(motion.apply_all(&self.residues)),
            chains: Cow::Owned(motion.apply_all(&self.chains)),
        }
    }

    /// The atoms as recorded: for what a rigid motion does not change (superposed RMSD, bond
    /// lengths, the TM-score).
    pub fn recorded_atoms(&self) -> &[[f32; 3]] {
        &self.recorded
    }

    /// The atoms in the truth's frame (a copy).
    pub fn atoms_in_truth(&self) -> Vec<[f32; 3]> {
        self.to_truth.apply_all(&self.recorded)
    }

    /// Copies these levels into `into`, reusing its buffers (the tracker's previous frame).
    pub fn store(&self, into: &mut LevelPoints<'static>) {
        let copy = |from: &[[f32; 3]], to: &mut Cow<'static, [[f32; 3]]>| {
            let buffer = to.to_mut();
            buffer.clear();
            buffer.extend_from_slice(from);
        };
        copy(&self.recorded, &mut into.recorded);
        copy(&self.residues, &mut into.residues);
        copy(&self.chains, &mut into.chains);
        into.to_truth = self.to_truth;
    }
}

/// RMS distance between the atoms of `a` and of `b` in the truth's frame (Å): one pass over the
/// recorded atoms, since |A(p) − B(q)| = |B⁻¹A(p) − q| for rigid A and B.
pub fn atom_rms_distance(a: &LevelPoints, b: &LevelPoints) -> f64 {
    let carry = a.to_truth.then(&b.to_truth.inverse());
    crate::geometry::rms_distance_after(&carry, &a.recorded, &b.recorded)
}

/// The atoms of `sets`, each carried into the frame of the last set's recorded atoms (f64), handed
/// to `visit` atom by atom. What depends only on the sets' differences and dot products (the step's
/// additive split by cause) is the same in any common frame, and no copy of the atoms is made.
pub fn for_each_atom_carried(sets: [&LevelPoints; 4], mut visit: impl FnMut([[f64; 3]; 4])) {
    let into_last = sets[3].to_truth.inverse();
    let carry = sets.map(|s| s.to_truth.then(&into_last));
    let n = sets.iter().map(|s| s.recorded.len()).min().unwrap_or(0);
    let [s0, s1, s2, s3] = sets.map(|s| &s.recorded[..n]);
    for (((p0, p1), p2), p3) in s0.iter().zip(s1).zip(s2).zip(s3) {
        visit([
            carry[0].apply_f64(*p0),
            carry[1].apply_f64(*p1),
            carry[2].apply_f64(*p2),
            p3.map(f64::from),
        ]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{random_rotation, rms_distance};
    use crate::rng::SplitMix64;

    fn transform(seed: u64) -> RigidTransform {
        let mut rng = SplitMix64::new(seed, 0);
        RigidTransform {
            rotation: random_rotation(&mut rng),
            translation: [
                rng.normal() * 30.0,
                rng.normal() * 30.0,
                rng.normal() * 30.0,
            ],
        }
    }

    /// Views with transforms give what copying the moved atoms gives: centroids, and the RMS
    /// distance between two differently carried sets.
    #[test]
    fn carried_levels_equal_the_levels_of_carried_atoms() {
        let s = Structure::synthetic(400);
        let (t, u, motion) = (transform(1), transform(2), transform(3));
        let a_recorded: Vec<[f32; 3]> = s.positions.clone();
        let b_recorded: Vec<[f32; 3]> = s
            .positions
            .iter()
            .map(|p| [p[1], p[2] + 1.0, p[0]])
            .collect();
        let a = LevelPoints::of(&s, &a_recorded, t);
        let b = LevelPoints::of(&s, &b_recorded, u);
        let moved = a.moved(&motion);
        let a_copy = LevelPoints::owned(&s, motion.apply_all(&t.apply_all(&a_recorded)));
        let b_copy = LevelPoints::owned(&s, u.apply_all(&b_recorded));
        assert!(rms_distance(&moved.residues, &a_copy.residues) < 1e-3);
        assert!(rms_distance(&moved.chains, &a_copy.chains) < 1e-3);
        let want = rms_distance(a_copy.recorded_atoms(), b_copy.recorded_atoms());
        assert!(want > 1.0);
        assert!((atom_rms_distance(&moved, &b) - want).abs() < 1e-4 * want);
        let mut stored = LevelPoints::empty();
        moved.store(&mut stored);
        assert!((atom_rms_distance(&stored, &b) - want).abs() < 1e-4 * want);
    }
}
