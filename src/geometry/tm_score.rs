//! TM-score (Zhang & Skolnick 2004, Proteins 57:702) of a model against a reference with the same
//! residues: max over superpositions of (1/L) Σ 1 / (1 + (d_i / d0)²), d0 = 1.24 ∛(L − 15) − 1.8 (at
//! least 0.5 Å). The superposition is searched as the TM-score program does, not taken from the RMSD
//! fit: Kabsch on seed fragments of L, L/2 and L/4 residues at several offsets, then repeatedly on
//! the residues within a distance cutoff of the reference, keeping the best score.

use super::rigid::{RigidTransform, kabsch};

/// d0 of the TM-score for `length` residues, Å (the program's floor of 0.5 Å for short chains).
pub fn tm_d0(length: usize) -> f64 {
    if length <= 21 {
        return 0.5;
    }
    (1.24 * ((length as f64) - 15.0).cbrt() - 1.8).max(0.5)
}

fn distances(model: &[[f32; 3]], reference: &[[f32; 3]], transform: &RigidTransform) -> Vec<f64> {
    model
        .iter()
        .zip(reference)
        .map(|(m, r)| {
            let p = transform.apply(*m);
            (0..3)
                .map(|k| (f64::from(p[k]) - f64::from(r[k])).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .collect()
}

fn score(d: &[f64], d0: f64, length: usize) -> f64 {
    d.iter()
        .map(|&d| 1.0 / (1.0 + (d / d0).powi(2)))
        .sum::<f64>()
        / length as f64
}

/// The TM-score of `model` against `reference` (the same points in the same order, e.g. Cα atoms),
/// normalised by the reference length. 1 for identical shapes; invariant to rigid motions of either.
pub fn tm_score(model: &[[f32; 3]], reference: &[[f32; 3]]) -> f64 {
    let length = model.len().min(reference.len());
    if length == 0 {
        return 0.0;
    }
    if length < 3 {
        let d = distances(model, reference, &kabsch(model, reference));
        return score(&d, tm_d0(length), length);
    }
    let (model, reference) = (&model[..length], &reference[..length]);
    let d0 = tm_d0(length);
    // The program's search cutoff: d0 with a floor, raised while too few residues lie within it.
    let d0_search = d0.clamp(4.5, 8.0);
    let mut best = 0.0f64;
    // Seed fragments of L, L/2 and L/4 residues (at least 4), each at up to 8 evenly spread offsets:
    // the program's search, thinned so that every frame of a run can afford it.
    let mut fragments = vec![length];
    for divisor in [2, 4] {
        let f = (length / divisor).max(4.min(length));
        if !fragments.contains(&f) {
            fragments.push(f);
        }
    }
    // Short chains also try the tight cutoff d0 itself, which keeps outliers out.
    let cutoffs: &[f64] = if length < 30 {
        &[d0_search, d0]
    } else {
        &[d0_search]
    };
    let mut search = Search::new(model, reference, d0);
    for &fragment in &fragments {
        let span = length - fragment;
        let offsets = if span == 0 { 1 } else { 8.min(span + 1) };
        for k in 0..offsets {
            let start = if offsets > 1 {
                k * span / (offsets - 1)
            } else {
                0
            };
            for &cutoff in cutoffs {
                let seed: Vec<usize> = (start..start + fragment).collect();
                best = best.max(search.extend(seed, cutoff));
            }
        }
    }
    best
}

/// A selection's fingerprint with its cutoff: a multiply-rotate hash (as rustc's FxHash) of the
/// indices, cheap where SipHash over thousands of indices cost as much as a distance pass.
fn fingerprint(cutoff: f64, selected: &[usize]) -> u64 {
    selected.iter().fold(cutoff.to_bits(), |hash, &i| {
        (hash.rotate_left(5) ^ i as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
    })
}

/// Keeps the three smallest values seen, in order.
fn keep_smallest(smallest: &mut [f64; 3], v: f64) {
    if v < smallest[2] {
        smallest[2] = v;
        if smallest[2] < smallest[1] {
            smallest.swap(1, 2);
            if smallest[1] < smallest[0] {
                smallest.swap(0, 1);
            }
        }
    }
}

/// Iterations of one extension, as the program runs them.
const EXTENSION_ITERATIONS: usize = 10;

/// One TM-score search: buffers shared by its extensions, and every selection already extended with
/// how many iterations it had left. An extension is deterministic given its selection and cutoff, so
/// one that reaches a selection already extended with at least as many iterations left would repeat
/// those scores: it stops there, and the best score is unchanged.
struct Search<'a> {
    model: &'a [[f32; 3]],
    reference: &'a [[f32; 3]],
    /// The model's and the reference's coordinates by axis (f64), for a distance pass the compiler
    /// vectorises.
    model_axes: [Vec<f64>; 3],
    reference_axes: [Vec<f64>; 3],
    /// 1 / d0².
    inverse_d0_squared: f64,
    squared_distances: Vec<f64>,
    mobile: Vec<[f32; 3]>,
    target: Vec<[f32; 3]>,
    /// Selections already extended by their fingerprint (cutoff and indices): each with the
    /// iterations it had left.
    extended: std::collections::HashMap<u64, Vec<(Vec<usize>, usize)>>,
}

impl<'a> Search<'a> {
    fn new(model: &'a [[f32; 3]], reference: &'a [[f32; 3]], d0: f64) -> Self {
        let axes = |points: &[[f32; 3]]| -> [Vec<f64>; 3] {
            std::array::from_fn(|k| points.iter().map(|p| f64::from(p[k])).collect())
        };
        Self {
            model,
            reference,
            model_axes: axes(model),
            reference_axes: axes(reference),
            inverse_d0_squared: 1.0 / (d0 * d0),
            squared_distances: vec![0.0; model.len()],
            mobile: Vec::new(),
            target: Vec::new(),
            extended: std::collections::HashMap::new(),
        }
    }

    /// The TM-score sum Σ 1 / (1 + d²/d0²) of the model moved by `transform`, keeping each d². The
    /// distances and the sum are separate loops over axis arrays, and the sum runs in independent
    /// lanes: one serial sum waited on every division.
    fn score_after(&mut self, transform: &RigidTransform) -> f64 {
        let (r, t) = (&transform.rotation, &transform.translation);
        let [mx, my, mz] = &self.model_axes;
        let [rx, ry, rz] = &self.reference_axes;
        for (i, d2) in self.squared_distances.iter_mut().enumerate() {
            let (x, y, z) = (mx[i], my[i], mz[i]);
            let dx = x * r[0][0] + y * r[1][0] + z * r[2][0] + t[0] - rx[i];
            let dy = x * r[0][1] + y * r[1][1] + z * r[2][1] + t[1] - ry[i];
            let dz = x * r[0][2] + y * r[1][2] + z * r[2][2] + t[2] - rz[i];
            *d2 = dx * dx + dy * dy + dz * dz;
        }
        const LANES: usize = 8;
        let k = self.inverse_d0_squared;
        let chunks = self.squared_distances.chunks_exact(LANES);
        let tail: f64 = chunks
            .remainder()
            .iter()
            .map(|&d2| 1.0 / (1.0 + d2 * k))
            .sum();
        let mut lanes = [0.0f64; LANES];
        for chunk in chunks {
            for (lane, &d2) in lanes.iter_mut().zip(chunk) {
                *lane += 1.0 / (1.0 + d2 * k);
            }
        }
        lanes.iter().sum::<f64>() + tail
    }

    /// The third-smallest d² of the last `score_after` (infinity with fewer than three).
    fn third_smallest(&self) -> f64 {
        let mut smallest = [f64::INFINITY; 3];
        for &d2 in &self.squared_distances {
            keep_smallest(&mut smallest, d2);
        }
        smallest[2]
    }

    /// Whether `selected` was already extended with `left` or more iterations left; records it
    /// otherwise. Keys are fingerprints, so a rehash never hashes the index lists again.
    fn already_extended(&mut self, cutoff: f64, selected: &[usize], left: usize) -> bool {
        let bucket = self
            .extended
            .entry(fingerprint(cutoff, selected))
            .or_default();
        match bucket.iter_mut().find(|(s, _)| s == selected) {
            Some((_, done)) if *done >= left => true,
            Some((_, done)) => {
                *done = left;
                false
            }
            None => {
                bucket.push((selected.to_vec(), left));
                false
            }
        }
    }

    /// From a seed set, superpose on it, then repeatedly on the residues within the cutoff; the best
    /// score.
    fn extend(&mut self, seed: Vec<usize>, d0_search: f64) -> f64 {
        let length = self.model.len();
        let mut selected = seed;
        let mut best = 0.0f64;
        for iteration in 0..EXTENSION_ITERATIONS {
            let left = EXTENSION_ITERATIONS - iteration;
            if self.already_extended(d0_search, &selected, left) {
                break;
            }
            self.mobile.clear();
            self.target.clear();
            self.mobile.extend(selected.iter().map(|&i| self.model[i]));
            self.target
                .extend(selected.iter().map(|&i| self.reference[i]));
            let transform = kabsch(&self.mobile, &self.target);
            let sum = self.score_after(&transform);
            best = best.max(sum / length as f64);
            // Residues within the cutoff, widened by 0.5 Å until at least three are in: with fewer than
            // three inside d0_search, the widening stops at the first cutoff above the third-smallest
            // distance, found without a pass per widening (noisy frames need thousands of them).
            let mut cutoff = d0_search;
            let limit = cutoff * cutoff;
            let inside = self.squared_distances.iter().filter(|&&d2| d2 < limit);
            if inside.take(3).count() < 3 {
                let third = self.third_smallest();
                if !third.is_finite() {
                    break;
                }
                while third >= cutoff * cutoff {
                    cutoff += 0.5;
                }
            }
            let limit = cutoff * cutoff;
            let next: Vec<usize> = (0..length)
                .filter(|&i| self.squared_distances[i] < limit)
                .collect();
            if next == selected {
                break;
            }
            selected = next;
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::random_rotation;
    use crate::rng::SplitMix64;

    fn helix(n: usize) -> Vec<[f32; 3]> {
        (0..n)
            .map(|i| {
                let t = i as f32 * 100f32.to_radians();
                [2.3 * t.cos(), 2.3 * t.sin(), 1.5 * i as f32]
            })
            .collect()
    }

    #[test]
    fn d0_follows_the_published_formula() {
        assert!((tm_d0(100) - (1.24 * 85f64.cbrt() - 1.8)).abs() < 1e-12);
        assert_eq!(tm_d0(10), 0.5);
    }

    #[test]
    fn a_structure_scores_1_against_itself_after_any_rigid_motion() {
        let a = helix(60);
        let mut rng = SplitMix64::new(4, 0);
        let moved = RigidTransform {
            rotation: random_rotation(&mut rng),
            translation: [40.0, -7.0, 3.0],
        }
        .apply_all(&a);
        assert!((tm_score(&a, &a) - 1.0).abs() < 1e-9);
        assert!((tm_score(&moved, &a) - 1.0).abs() < 1e-6);
        assert!((tm_score(&a, &moved) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn a_hand_computed_case_matches() {
        // Four points; the model's last point is 3 Å off along z. The best superposition keeps the first
        // three exact only if it ignores the fourth: the search must find it. L = 4, d0 = 0.5.
        let reference = [
            [0.0, 0.0, 0.0],
            [3.8, 0.0, 0.0],
            [3.8, 3.8, 0.0],
            [0.0, 3.8, 0.0],
        ];
        let model = [
            [0.0, 0.0, 0.0],
            [3.8, 0.0, 0.0],
            [3.8, 3.8, 0.0],
            [0.0, 3.8, 3.0],
        ];
        let score = tm_score(&model, &reference);
        // The three-point fit leaves d = (0, 0, 0, 3): (3 + 1 / (1 + 36)) / 4.
        let want = (3.0 + 1.0 / 37.0) / 4.0;
        assert!(score >= want - 1e-6, "{score} vs {want}");
        // No superposition does better than all four exact; the all-point RMSD fit does worse.
        assert!(score < 1.0);
        let rmsd_fit = distances(&model, &reference, &kabsch(&model, &reference));
        assert!(super::score(&rmsd_fit, 0.5, 4) < want);
    }

    #[test]
    fn a_scrambled_model_scores_low() {
        let a = helix(80);
        let scrambled: Vec<[f32; 3]> = (0..80)
            .map(|i| {
                let t = (i * 37 % 80) as f32;
                [10.0 * t.sin(), 10.0 * (1.7 * t).cos(), 0.5 * t]
            })
            .collect();
        assert!(
            tm_score(&scrambled, &a) < 0.3,
            "{}",
            tm_score(&scrambled, &a)
        );
    }
}
