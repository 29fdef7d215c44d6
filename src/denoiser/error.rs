//! The error of a denoiser at each noise level (note 001's diagnostic, note 000's second experiment):
//! draw x = truth + noise at σ, hand it to the denoiser in a uniformly random pose (a rotation about the
//! truth's centroid, with the pose in its context, as the sampler's augmentation does), map x̂0 = D(x; σ)
//! back, and measure its RMSE from the truth at atoms, residue centroids and chain centroids, and its
//! superposed RMSD (a denoiser that does not know the orientation is judged by that one); with the flow-matching reading of the same x
//! (t = σ / (σ + σ_prior)), the predicted velocity's norm against the target's.

use burn::tensor::{Device, Tensor};

use super::{DenoiseContext, DenoiseError, Denoiser};
use crate::geometry::{
    DevicePose, RigidTransform, centroid, points_tensor, random_rotation, rms_distance,
    superposed_rmsd, tensor_points,
};
use crate::noise::{HierarchyTensors, NoiseModel, draw_noise};
use crate::rng::SplitMix64;
use crate::structure::Structure;

/// The error at one σ, averaged over the draws (3-D RMS per point, Å).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DenoiserErrorRow {
    /// The noise level, Å.
    pub sigma: f64,
    /// Flow-matching time of the same state with noise at t = 1, t = σ / (σ + σ_prior).
    pub t: f64,
    /// The same time in note 000's convention (noise at t = 0): 1 − t = σ_prior / (σ + σ_prior).
    pub t_note_000: f64,
    /// RMSE of x̂0 at atoms.
    pub atom: f64,
    /// RMSD of x̂0 at atoms after superposition onto the truth: the error of its shape alone.
    pub atom_superposed: f64,
    /// RMSE of x̂0's residue centroids.
    pub residue: f64,
    /// RMSE of x̂0's chain centroids (none with one chain).
    pub chain: Option<f64>,
    /// RMS per atom of the velocity the prediction implies, (x_t − x̂0) / t.
    pub velocity_norm_predicted: f64,
    /// RMS per atom of the target velocity, σ_prior ε − x0.
    pub velocity_norm_target: f64,
    /// RMS per atom of the predicted velocity's error from the target (note 000 tabulates it at
    /// t = 0.3 … 0.9 in its convention).
    pub velocity_rmse: f64,
}

fn read(t: Tensor<2>) -> Result<Vec<[f32; 3]>, DenoiseError> {
    tensor_points(t).map_err(DenoiseError::Readback)
}

/// The rows for `sigmas`, `repeats` draws each, from the noise model (seeded).
#[allow(clippy::too_many_arguments)]
pub fn denoiser_error(
    structure: &Structure,
    denoiser: &dyn Denoiser,
    noise: &NoiseModel,
    sigmas: &[f64],
    repeats: usize,
    prior_sigma: f64,
    seed: u64,
    device: &Device,
) -> Result<Vec<DenoiserErrorRow>, DenoiseError> {
    let n = structure.atom_count();
    let hierarchy = HierarchyTensors::new(structure, device);
    let truth = &structure.positions;
    let truth_tensor = points_tensor(truth, device);
    let (res_truth, chn_truth) = {
        let r = structure.residue_centroids(truth);
        let c = structure.chain_centroids(&r);
        (r, c)
    };
    let center64 = centroid(truth);
    let center = center64.map(|v| v as f32);
    let mut seeds = SplitMix64::new(seed, 0xe7);
    let mut poses = SplitMix64::new(seed, 0x0e1);
    let mut rows = Vec::new();
    for (step, &sigma) in sigmas.iter().enumerate() {
        let t = sigma / (sigma + prior_sigma);
        let mut sums = [0.0f64; 7];
        for _ in 0..repeats.max(1) {
            let displacement =
                draw_noise(&hierarchy, noise.stds(sigma), 1, seeds.next_u64(), device)
                    .reshape([n, 3]);
            let x = truth_tensor.clone() + displacement.clone();
            let pose = RigidTransform::translation(center64.map(|v| -v))
                .then(&RigidTransform {
                    rotation: random_rotation(&mut poses),
                    translation: [0.0; 3],
                })
                .then(&RigidTransform::translation(center64));
            let device_pose = DevicePose::upload(&pose, device);
            let mut context = DenoiseContext::in_pose(device_pose.clone(), step);
            context.pose = Some(pose);
            let predicted = denoiser
                .denoise(device_pose.to_pose(x.clone()), sigma, &context)?
                .x0;
            let x0 = read(device_pose.to_data(predicted))?;
            let r = structure.residue_centroids(&x0);
            let c = structure.chain_centroids(&r);
            // The same state as flow matching's x_t = (1 − t) x0 + t σ_prior ε, about the truth's
            // centroid (flow-matching models work in centred frames): v̂ = (x_t − x̂0) / t and
            // v = σ_prior ε − x0 = (1 − t) d / t − x0 for the displacement d = x − x0.
            let x = read(x)?;
            let displacement = read(displacement)?;
            let (t32, keep) = (t as f32, (1.0 - t) as f32);
            let predicted: Vec<[f32; 3]> = x
                .iter()
                .zip(&x0)
                .map(|(a, b)| {
                    std::array::from_fn(|k| (keep * (a[k] - center[k]) - (b[k] - center[k])) / t32)
                })
                .collect();
            let target: Vec<[f32; 3]> = displacement
                .iter()
                .zip(truth)
                .map(|(d, x0)| std::array::from_fn(|k| keep * d[k] / t32 - (x0[k] - center[k])))
                .collect();
            let zero = vec![[0.0f32; 3]; n];
            sums[0] += rms_distance(&x0, truth);
            sums[1] += rms_distance(&r, &res_truth);
            sums[2] += rms_distance(&c, &chn_truth);
            sums[3] += rms_distance(&predicted, &zero);
            sums[4] += rms_distance(&target, &zero);
            sums[5] += superposed_rmsd(&x0, truth);
            sums[6] += rms_distance(&predicted, &target);
        }
        let k = repeats.max(1) as f64;
        rows.push(DenoiserErrorRow {
            sigma,
            t,
            t_note_000: 1.0 - t,
            atom: sums[0] / k,
            atom_superposed: sums[5] / k,
            residue: sums[1] / k,
            chain: (structure.chain_count() >= 2).then_some(sums[2] / k),
            velocity_norm_predicted: sums[3] / k,
            velocity_norm_target: sums[4] / k,
            velocity_rmse: sums[6] / k,
        });
    }
    Ok(rows)
}
