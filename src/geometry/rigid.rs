//! Rigid transforms (row-vector convention, y = x R + t, as Boltz writes `x @ R + t`), Kabsch
//! superposition with nalgebra's SVD and uniform random rotations.

use nalgebra::{Matrix3, Vector3};

use crate::rng::SplitMix64;

/// A rigid transform acting on row vectors: y = x R + t.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RigidTransform {
    /// Rotation, row-major; applied on the right of row vectors.
    pub rotation: [[f64; 3]; 3],
    /// Translation, Å.
    pub translation: [f64; 3],
}

impl Default for RigidTransform {
    fn default() -> Self {
        Self::IDENTITY
    }
}

impl RigidTransform {
    /// The identity.
    pub const IDENTITY: Self = Self {
        rotation: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        translation: [0.0; 3],
    };

    /// A pure translation.
    pub fn translation(t: [f64; 3]) -> Self {
        Self {
            translation: t,
            ..Self::IDENTITY
        }
    }

    fn matrix(&self) -> Matrix3<f64> {
        Matrix3::from_fn(|i, j| self.rotation[i][j])
    }

    /// Applies the transform to one point.
    pub fn apply(&self, p: [f32; 3]) -> [f32; 3] {
        let r = &self.rotation;
        let x = [f64::from(p[0]), f64::from(p[1]), f64::from(p[2])];
        std::array::from_fn(|j| {
            (x[0] * r[0][j] + x[1] * r[1][j] + x[2] * r[2][j] + self.translation[j]) as f32
        })
    }

    /// Applies the transform to one point, keeping f64 (no rounding between composed measures).
    pub fn apply_f64(&self, p: [f32; 3]) -> [f64; 3] {
        let r = &self.rotation;
        let x = [f64::from(p[0]), f64::from(p[1]), f64::from(p[2])];
        std::array::from_fn(|j| {
            x[0] * r[0][j] + x[1] * r[1][j] + x[2] * r[2][j] + self.translation[j]
        })
    }

    /// Applies the transform to every point.
    pub fn apply_all(&self, points: &[[f32; 3]]) -> Vec<[f32; 3]> {
        points.iter().map(|p| self.apply(*p)).collect()
    }

    /// `self` then `next`: x (R1 R2) + (t1 R2 + t2).
    pub fn then(&self, next: &Self) -> Self {
        let r = self.matrix() * next.matrix();
        let t = Vector3::from(self.translation).transpose() * next.matrix()
            + Vector3::from(next.translation).transpose();
        Self {
            rotation: std::array::from_fn(|i| std::array::from_fn(|j| r[(i, j)])),
            translation: [t[0], t[1], t[2]],
        }
    }

    /// The inverse: x = (y - t) Rᵀ.
    pub fn inverse(&self) -> Self {
        let rt = self.matrix().transpose();
        let t = -(Vector3::from(self.translation).transpose() * rt);
        Self {
            rotation: std::array::from_fn(|i| std::array::from_fn(|j| rt[(i, j)])),
            translation: [t[0], t[1], t[2]],
        }
    }

    /// Rotation as a flat row-major array (for uploading to the device).
    pub fn rotation_flat(&self) -> [f32; 9] {
        std::array::from_fn(|k| self.rotation[k / 3][k % 3] as f32)
    }
}

/// Mean of points in f64.
pub fn centroid(points: &[[f32; 3]]) -> [f64; 3] {
    let n = points.len().max(1) as f64;
    let mut sum = [0.0; 3];
    for p in points {
        for k in 0..3 {
            sum[k] += f64::from(p[k]);
        }
    }
    sum.map(|s| s / n)
}

/// The rigid transform that best superposes `mobile` onto `target` (least squares, Kabsch 1976).
/// With fewer than 3 points only the mean shift is applied (note 004's `superpose` guard).
pub fn kabsch(mobile: &[[f32; 3]], target: &[[f32; 3]]) -> RigidTransform {
    let m = moments(mobile, target);
    let (pm, pt) = (m.mobile_centroid, m.target_centroid);
    if mobile.len() != target.len() {
        return RigidTransform::translation(std::array::from_fn(|k| pt[k] - pm[k]));
    }
    kabsch_from_moments(&m.covariance, pm, pt, mobile.len())
}

/// What one pass over paired points gives: the cross-covariance H = Σ (p - p̄)ᵀ (q - q̄), both
/// centroids and both spreads Σ |p - p̄|², Σ |q - q̄|².
struct Moments {
    covariance: [[f64; 3]; 3],
    mobile_centroid: [f64; 3],
    target_centroid: [f64; 3],
    mobile_spread: f64,
    target_spread: f64,
}

/// The moments of paired points in one pass: H = Σ p'ᵀ q' − n p̄'ᵀ q̄' (and Σ |p'|² − n |p̄'|²) with
/// each set shifted by its first point (p' = p − p₀), which keeps the sums near the spread of the
/// points rather than their distance from the origin.
fn moments(mobile: &[[f32; 3]], target: &[[f32; 3]]) -> Moments {
    let count = mobile.len().min(target.len());
    let origin = |points: &[[f32; 3]]| points.first().map_or([0.0; 3], |p| p.map(f64::from));
    let (p0, q0) = (origin(mobile), origin(target));
    // Two points per iteration into separate sums: with one set, every point waited on the
    // previous point's additions.
    let mut lanes = [[0.0f64; 17]; 2];
    let add = |lane: &mut [f64; 17], p: &[f32; 3], q: &[f32; 3]| {
        let a: [f64; 3] = std::array::from_fn(|k| f64::from(p[k]) - p0[k]);
        let b: [f64; 3] = std::array::from_fn(|k| f64::from(q[k]) - q0[k]);
        for i in 0..3 {
            lane[i] += a[i];
            lane[3 + i] += b[i];
            for j in 0..3 {
                lane[6 + 3 * i + j] += a[i] * b[j];
            }
        }
        lane[15] += a[0] * a[0] + a[1] * a[1] + a[2] * a[2];
        lane[16] += b[0] * b[0] + b[1] * b[1] + b[2] * b[2];
    };
    let (pairs, rest) = (count / 2, count % 2);
    for k in 0..pairs {
        let [first, second] = &mut lanes;
        add(first, &mobile[2 * k], &target[2 * k]);
        add(second, &mobile[2 * k + 1], &target[2 * k + 1]);
    }
    if rest == 1 {
        add(&mut lanes[0], &mobile[count - 1], &target[count - 1]);
    }
    let sum: [f64; 17] = std::array::from_fn(|k| lanes[0][k] + lanes[1][k]);
    let (sp, sq): ([f64; 3], [f64; 3]) = (
        std::array::from_fn(|k| sum[k]),
        std::array::from_fn(|k| sum[3 + k]),
    );
    let mut h: [[f64; 3]; 3] = std::array::from_fn(|i| std::array::from_fn(|j| sum[6 + 3 * i + j]));
    let (spp, sqq) = (sum[15], sum[16]);
    let n = count.max(1) as f64;
    let (mp, mq) = (sp.map(|s| s / n), sq.map(|s| s / n));
    for i in 0..3 {
        for j in 0..3 {
            h[i][j] -= n * mp[i] * mq[j];
        }
    }
    let square = |m: [f64; 3]| m.iter().map(|v| v * v).sum::<f64>();
    // With unequal lengths only the centroids of each whole set are used (a shift).
    let (pm, pt) = if mobile.len() == target.len() {
        (
            std::array::from_fn(|k| mp[k] + p0[k]),
            std::array::from_fn(|k| mq[k] + q0[k]),
        )
    } else {
        (centroid(mobile), centroid(target))
    };
    Moments {
        covariance: h,
        mobile_centroid: pm,
        target_centroid: pt,
        mobile_spread: (spp - n * square(mp)).max(0.0),
        target_spread: (sqq - n * square(mq)).max(0.0),
    }
}

/// Kabsch from the moments alone: the cross-covariance H = Σ (p - p̄)ᵀ (q - q̄) (row vectors, `h[i][j]`
/// pairs mobile axis i with target axis j), both centroids and the point count. This lets the sampler
/// reduce on the device and read back 15 numbers instead of both point sets.
pub fn kabsch_from_moments(
    h: &[[f64; 3]; 3],
    mobile_centroid: [f64; 3],
    target_centroid: [f64; 3],
    count: usize,
) -> RigidTransform {
    if count < 3 {
        let (pm, pt) = (mobile_centroid, target_centroid);
        return RigidTransform::translation(std::array::from_fn(|k| pt[k] - pm[k]));
    }
    fit_from_moments(h, mobile_centroid, target_centroid)
}

/// The best rigid motion of `mobile` onto `target` down to two points: with two, the covariance has rank 1
/// and its SVD still turns the pair's direction onto the target's; with one, the shift. Unlike [`kabsch`]
/// it never falls back to a shift with two points, so a rigid motion of a pair leaves no residual.
pub fn rigid_fit(mobile: &[[f32; 3]], target: &[[f32; 3]]) -> RigidTransform {
    let m = moments(mobile, target);
    let (pm, pt) = (m.mobile_centroid, m.target_centroid);
    if mobile.len() < 2 || mobile.len() != target.len() {
        return RigidTransform::translation(std::array::from_fn(|k| pt[k] - pm[k]));
    }
    fit_from_moments(&m.covariance, pm, pt)
}

fn fit_from_moments(h: &[[f64; 3]; 3], pm: [f64; 3], pt: [f64; 3]) -> RigidTransform {
    let shift_only = RigidTransform::translation(std::array::from_fn(|k| pt[k] - pm[k]));
    // The best R (on the right of row vectors) is U diag(1, 1, d) Vᵀ with H = U S Vᵀ.
    let svd = Matrix3::from_fn(|i, j| h[i][j]).svd(true, true);
    let (Some(u), Some(v_t)) = (svd.u, svd.v_t) else {
        return shift_only;
    };
    let d = (u * v_t).determinant().signum();
    let r = u * Matrix3::from_diagonal(&Vector3::new(1.0, 1.0, d)) * v_t;
    let shift = Vector3::from(pt).transpose() - Vector3::from(pm).transpose() * r;
    RigidTransform {
        rotation: std::array::from_fn(|i| std::array::from_fn(|j| r[(i, j)])),
        translation: [shift[0], shift[1], shift[2]],
    }
}

/// RMS distance between two point sets (Å).
pub fn rms_distance(a: &[[f32; 3]], b: &[[f32; 3]]) -> f64 {
    let n = a.len().max(1) as f64;
    let sum: f64 = a
        .iter()
        .zip(b)
        .map(|(p, q)| {
            (0..3)
                .map(|k| (f64::from(p[k]) - f64::from(q[k])).powi(2))
                .sum::<f64>()
        })
        .sum();
    (sum / n).sqrt()
}

/// RMS distance between `transform` applied to `mobile` and `target` (Å), in f64 and without a copy
/// of the moved points.
pub fn rms_distance_after(
    transform: &RigidTransform,
    mobile: &[[f32; 3]],
    target: &[[f32; 3]],
) -> f64 {
    // Independent sums over four points at a time: one serial sum waited on every addition.
    const LANES: usize = 4;
    let count = mobile.len().min(target.len());
    let square = |p: &[f32; 3], q: &[f32; 3]| {
        let moved = transform.apply_f64(*p);
        (0..3)
            .map(|k| (moved[k] - f64::from(q[k])).powi(2))
            .sum::<f64>()
    };
    let mut lanes = [0.0f64; LANES];
    let whole = count / LANES * LANES;
    for (p, q) in mobile[..whole]
        .chunks_exact(LANES)
        .zip(target[..whole].chunks_exact(LANES))
    {
        for l in 0..LANES {
            lanes[l] += square(&p[l], &q[l]);
        }
    }
    let tail: f64 = (whole..count).map(|i| square(&mobile[i], &target[i])).sum();
    let n = mobile.len().max(1) as f64;
    ((lanes.iter().sum::<f64>() + tail) / n).sqrt()
}

/// `mobile` moved rigidly onto `target` (least squares, Kabsch 1976).
pub fn superposed_onto(mobile: &[[f32; 3]], target: &[[f32; 3]]) -> Vec<[f32; 3]> {
    let motion = kabsch(mobile, target);
    mobile.iter().map(|&p| motion.apply(p)).collect()
}

/// `mobile` moved by the rigid motion that best superposes its points in `on` onto `target`'s (all of
/// them when `on` selects fewer than three).
pub fn superposed_on(mobile: &[[f32; 3]], target: &[[f32; 3]], on: &[bool]) -> Vec<[f32; 3]> {
    let pick = |points: &[[f32; 3]]| -> Vec<[f32; 3]> {
        points
            .iter()
            .zip(on)
            .filter(|(_, k)| **k)
            .map(|(p, _)| *p)
            .collect()
    };
    let (m, t) = (pick(mobile), pick(target));
    if m.len() < 3 {
        return superposed_onto(mobile, target);
    }
    let motion = kabsch(&m, &t);
    mobile.iter().map(|&p| motion.apply(p)).collect()
}

/// RMSD after Kabsch superposition of `mobile` onto `target`, from one pass over the points: every
/// fit maps the mobile centroid onto the target's, so with p̃ = p − p̄, q̃ = q − q̄,
/// Σ |p̃ R − q̃|² = Σ |p̃|² + Σ |q̃|² − 2 Σᵢⱼ Rᵢⱼ Hᵢⱼ (Kabsch 1976), H = Σ p̃ᵀ q̃. Sets that superpose
/// almost exactly take a second pass over the fitted points.
pub fn superposed_rmsd(mobile: &[[f32; 3]], target: &[[f32; 3]]) -> f64 {
    if mobile.len() != target.len() {
        return rms_distance_after(&kabsch(mobile, target), mobile, target);
    }
    let m = moments(mobile, target);
    let fit = kabsch_from_moments(
        &m.covariance,
        m.mobile_centroid,
        m.target_centroid,
        mobile.len(),
    );
    let carried: f64 = (0..3)
        .flat_map(|i| (0..3).map(move |j| (i, j)))
        .map(|(i, j)| fit.rotation[i][j] * m.covariance[i][j])
        .sum();
    let spreads = m.mobile_spread + m.target_spread;
    let squares = spreads - 2.0 * carried;
    // Near an exact superposition the difference keeps few of the sums' digits (their rounding grows
    // with the point count): measure the fitted points instead.
    if squares < 1e-6 * spreads {
        return rms_distance_after(&fit, mobile, target);
    }
    (squares / mobile.len().max(1) as f64).sqrt()
}

/// A uniformly random rotation from a normalised Gaussian quaternion (Boltz `random_rotations`).
pub fn random_rotation(rng: &mut SplitMix64) -> [[f64; 3]; 3] {
    let mut q = [rng.normal(), rng.normal(), rng.normal(), rng.normal()];
    let norm = q.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
    q.iter_mut().for_each(|v| *v /= norm);
    let [w, x, y, z] = q;
    [
        [
            1.0 - 2.0 * (y * y + z * z),
            2.0 * (x * y - z * w),
            2.0 * (x * z + y * w),
        ],
        [
            2.0 * (x * y + z * w),
            1.0 - 2.0 * (x * x + z * z),
            2.0 * (y * z - x * w),
        ],
        [
            2.0 * (x * z - y * w),
            2.0 * (y * z + x * w),
            1.0 - 2.0 * (x * x + y * y),
        ],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points() -> Vec<[f32; 3]> {
        vec![
            [0.0, 0.0, 0.0],
            [1.5, 0.0, 0.0],
            [0.0, 2.0, 0.0],
            [0.0, 0.0, 3.0],
            [1.0, 1.0, 1.0],
        ]
    }

    /// The one-pass moments equal the centred two-pass sums, for points 10 km from the origin.
    #[test]
    fn one_pass_moments_match_the_centred_sums_far_from_the_origin() {
        let far = |p: &[f32; 3], s: f32| [p[0] * s + 1e4, p[1] - 2e4, p[2] * s + 3e4];
        let mobile: Vec<[f32; 3]> = points().iter().map(|p| far(p, 1.0)).collect();
        let target: Vec<[f32; 3]> = points().iter().rev().map(|p| far(p, 2.0)).collect();
        let (pm, pt) = (centroid(&mobile), centroid(&target));
        let Moments {
            covariance: h,
            mobile_centroid: m,
            target_centroid: t,
            ..
        } = moments(&mobile, &target);
        for i in 0..3 {
            assert!((m[i] - pm[i]).abs() < 1e-9 && (t[i] - pt[i]).abs() < 1e-9);
            for j in 0..3 {
                let want: f64 = mobile
                    .iter()
                    .zip(&target)
                    .map(|(p, q)| (f64::from(p[i]) - pm[i]) * (f64::from(q[j]) - pt[j]))
                    .sum();
                assert!((h[i][j] - want).abs() < 1e-9, "{i} {j}: {} {want}", h[i][j]);
            }
        }
    }

    /// The one-pass superposed RMSD equals the RMS distance of the fitted points, far from the
    /// origin, from a superposition exact up to f32 rounding (the second pass) to a loose one.
    #[test]
    fn one_pass_superposed_rmsd_matches_the_moved_points() {
        let mut rng = SplitMix64::new(11, 0);
        let known = RigidTransform {
            rotation: random_rotation(&mut rng),
            translation: [300.0, -120.0, 55.0],
        };
        let mobile: Vec<[f32; 3]> = (0..500)
            .map(|_| std::array::from_fn(|_| (rng.normal() * 20.0 + 1e3) as f32))
            .collect();
        let exact = known.apply_all(&mobile);
        for noise in [0.0, 0.01, 0.5, 8.0] {
            let target: Vec<[f32; 3]> = exact
                .iter()
                .map(|p| p.map(|v| v + (rng.normal() * noise) as f32))
                .collect();
            let want = rms_distance_after(&kabsch(&mobile, &target), &mobile, &target);
            let got = superposed_rmsd(&mobile, &target);
            assert!((got - want).abs() <= 1e-7 * want, "{noise}: {got} {want}");
            if noise > 0.0 {
                assert!(
                    (want / noise / 3f64.sqrt() - 1.0).abs() < 0.2,
                    "{noise}: {want}"
                );
            }
        }
    }

    #[test]
    fn kabsch_recovers_a_known_rotation() {
        let mut rng = SplitMix64::new(3, 0);
        let known = RigidTransform {
            rotation: random_rotation(&mut rng),
            translation: [4.0, -2.0, 7.5],
        };
        let moved = known.apply_all(&points());
        let found = kabsch(&points(), &moved);
        for i in 0..3 {
            for j in 0..3 {
                assert!((found.rotation[i][j] - known.rotation[i][j]).abs() < 1e-5);
            }
            assert!((found.translation[i] - known.translation[i]).abs() < 1e-4);
        }
        assert!(superposed_rmsd(&points(), &moved) < 1e-5);
    }

    #[test]
    fn fewer_than_three_points_shift_only() {
        let a = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]];
        let b = [[5.0, 5.0, 5.0], [5.0, 6.0, 5.0]];
        let t = kabsch(&a, &b);
        assert_eq!(t.rotation, RigidTransform::IDENTITY.rotation);
        assert!((t.translation[0] - 4.5).abs() < 1e-12 && (t.translation[1] - 5.5).abs() < 1e-12);
    }

    #[test]
    fn compose_and_invert() {
        let mut rng = SplitMix64::new(9, 1);
        let a = RigidTransform {
            rotation: random_rotation(&mut rng),
            translation: [1.0, 2.0, 3.0],
        };
        let b = RigidTransform {
            rotation: random_rotation(&mut rng),
            translation: [-1.0, 0.5, 0.0],
        };
        let p = [0.3, -1.2, 2.0];
        let two_steps = b.apply(a.apply(p));
        let composed = a.then(&b).apply(p);
        let back = a.then(&b).inverse().apply(composed);
        for k in 0..3 {
            assert!((two_steps[k] - composed[k]).abs() < 1e-5);
            assert!((back[k] - p[k]).abs() < 1e-5);
        }
        let r = random_rotation(&mut rng);
        let det = nalgebra::Matrix3::from_fn(|i, j| r[i][j]).determinant();
        assert!((det - 1.0).abs() < 1e-9);
    }
}
