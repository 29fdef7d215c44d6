//! A smooth Cα tube per chain: a Catmull–Rom spline through consecutive Cα (P for nucleic acids)
//! atoms, cut into pieces the scene draws as overlapping spheres, so that it needs no pipeline of its
//! own.

use glam::Vec3;

use crate::structure::Structure;

/// Pieces per Cα–Cα segment.
const PIECES: usize = 6;
/// The radius of a piece's sphere, Å (they overlap at 3.8 Å spacing).
pub(super) const TUBE_RADIUS: f32 = 0.7;

/// Catmull–Rom point at `t` ∈ [0, 1] between `p1` and `p2` (uniform parametrisation).
fn catmull_rom(p0: Vec3, p1: Vec3, p2: Vec3, p3: Vec3, t: f32) -> Vec3 {
    let (t2, t3) = (t * t, t * t * t);
    0.5 * ((2.0 * p1)
        + (p2 - p0) * t
        + (2.0 * p0 - 5.0 * p1 + 4.0 * p2 - p3) * t2
        + (3.0 * p1 - p0 - 3.0 * p2 + p3) * t3)
}

/// One piece of a chain's tube: where it sits, the Cα atom it is nearer to and its chain.
pub(super) struct TubePiece {
    /// Centre, Å.
    pub position: [f32; 3],
    /// The nearer trace atom (its colour is the piece's).
    pub near_atom: usize,
    /// The chain's index.
    pub chain: usize,
}

/// The pieces of each chain's tube, in chain order.
pub(super) fn tube_pieces(s: &Structure, atoms: &[[f32; 3]]) -> Vec<TubePiece> {
    let mut pieces = Vec::new();
    for (c, chain) in s.chains.iter().enumerate() {
        let trace: Vec<usize> = (chain.residues.start as usize..chain.residues.end as usize)
            .filter_map(|r| {
                let range = s.residues[r].atoms.clone();
                (range.start as usize..range.end as usize)
                    .find(|&i| s.atom_names[i] == "CA" || s.atom_names[i] == "P")
            })
            .collect();
        let point = |k: usize| Vec3::from(atoms[trace[k.min(trace.len() - 1)]]);
        for k in 0..trace.len().saturating_sub(1) {
            let (p0, p1, p2, p3) = (
                point(k.saturating_sub(1)),
                point(k),
                point(k + 1),
                point(k + 2),
            );
            for piece in 0..PIECES {
                let t = piece as f32 / PIECES as f32;
                pieces.push(TubePiece {
                    position: catmull_rom(p0, p1, p2, p3, t).to_array(),
                    near_atom: trace[if t < 0.5 { k } else { k + 1 }],
                    chain: c,
                });
            }
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spline_passes_through_its_points() {
        let p = [
            Vec3::ZERO,
            Vec3::X,
            Vec3::new(2.0, 1.0, 0.0),
            Vec3::new(3.0, 1.0, 1.0),
        ];
        assert!(catmull_rom(p[0], p[1], p[2], p[3], 0.0).distance(p[1]) < 1e-6);
        assert!(catmull_rom(p[0], p[1], p[2], p[3], 1.0).distance(p[2]) < 1e-6);
    }
}
