//! Denoisers: given the noisy state x and its noise level, an estimate of the clean structure x̂0.
//! Reference denoisers need no training: `exact` (one structure), `ensemble` (the posterior mean
//! over K structures) and `rotation-marginal` (the posterior mean over uniformly rotated copies of the
//! truth: the ideal model trained with random rotations). Learned ones will implement the same trait.

mod ensemble;
mod exact;
mod rotation_marginal;

pub use ensemble::{EnsembleDenoiser, EnsembleError};
pub use exact::ExactDenoiser;
pub use rotation_marginal::{
    DEFAULT_ROTATIONS, MAX_ROTATION_ATOMS, RotationMarginalDenoiser, RotationMarginalError,
};

use burn::tensor::{Device, Tensor, TensorData};

use crate::trajectory::RigidTransform;

/// A rigid map data frame → sampler frame on the device (row vectors: y = x R + t).
#[derive(Debug, Clone)]
pub struct FrameMap {
    /// Rotation R, [3, 3].
    pub rotation: Tensor<2>,
    /// Translation t, [1, 3].
    pub translation: Tensor<2>,
}

impl FrameMap {
    /// Uploads a host transform.
    pub fn upload(transform: &RigidTransform, device: &Device) -> Self {
        let translation = transform.translation.map(|v| v as f32).to_vec();
        Self {
            rotation: Tensor::from_data(
                TensorData::new(transform.rotation_flat().to_vec(), [3, 3]),
                device,
            ),
            translation: Tensor::from_data(TensorData::new(translation, [1, 3]), device),
        }
    }

    /// Maps data-frame coordinate rows [3, N] into the frame: y_j = Σ_i x_i R_ij + t_j.
    ///
    /// A broadcast product summed over i rather than a matmul: with N outside, the [3, 3] × [3, N]
    /// product was slower on burn flex and on lavapipe.
    pub fn rows_to_frame(&self, rows: Tensor<2>) -> Tensor<2> {
        let n = rows.dims()[1];
        let rotation_t = self.rotation.clone().transpose().reshape([3, 3, 1]);
        (rotation_t * rows.reshape([1, 3, n]))
            .sum_dim(1)
            .reshape([3, n])
            + self.translation.clone().transpose()
    }

    /// Maps frame coordinate rows [3, N] back to the data frame: x_i = Σ_j R_ij (y_j - t_j).
    pub fn rows_to_data(&self, rows: Tensor<2>) -> Tensor<2> {
        let n = rows.dims()[1];
        let centered = rows - self.translation.clone().transpose();
        (self.rotation.clone().reshape([3, 3, 1]) * centered.reshape([1, 3, n]))
            .sum_dim(1)
            .reshape([3, n])
    }

    /// Maps data-frame points [N, 3] into the frame.
    pub fn to_frame(&self, points: Tensor<2>) -> Tensor<2> {
        self.rows_to_frame(points.transpose()).transpose()
    }

    /// Maps frame points [N, 3] back to the data frame: x = (y - t) Rᵀ.
    pub fn to_data(&self, points: Tensor<2>) -> Tensor<2> {
        self.rows_to_data(points.transpose()).transpose()
    }
}

/// What a denoiser sees besides x and sigma: where the data sit relative to x.
#[derive(Debug, Clone)]
pub struct DenoiseContext {
    /// The map data frame → the frame x is given in; `None` when x is given in the data frame.
    pub frame: Option<FrameMap>,
    /// Sampler step index.
    pub step: usize,
}

impl DenoiseContext {
    /// x is given in the data frame (how the sampler calls equivariant denoisers).
    pub fn in_data_frame(step: usize) -> Self {
        Self { frame: None, step }
    }

    /// x is given in the sampler frame `frame` (data → frame).
    pub fn in_frame(frame: FrameMap, step: usize) -> Self {
        Self {
            frame: Some(frame),
            step,
        }
    }

    /// Maps data-frame points [N, 3] into x's frame.
    pub fn to_frame(&self, points: Tensor<2>) -> Tensor<2> {
        match &self.frame {
            Some(frame) => frame.to_frame(points),
            None => points,
        }
    }

    /// Maps points [N, 3] in x's frame to the data frame.
    pub fn to_data(&self, points: Tensor<2>) -> Tensor<2> {
        match &self.frame {
            Some(frame) => frame.to_data(points),
            None => points,
        }
    }
}

/// A denoiser's answer.
#[derive(Debug, Clone)]
pub struct DenoiserOutput {
    /// x̂0 in x's frame, [N, 3].
    pub x0: Tensor<2>,
    /// Posterior weight of each data structure, for ensemble denoisers, [K].
    pub weights: Option<Tensor<1>>,
}

/// x̂0 = D(x; sigma). Implementations keep their data on the sampler's device.
pub trait Denoiser: Send {
    /// Short name (`exact`, `ensemble`).
    fn name(&self) -> &'static str;

    /// Estimates the clean structure from `x` [N, 3] at noise level `sigma` (Å).
    fn denoise(&self, x: Tensor<2>, sigma: f64, context: &DenoiseContext) -> DenoiserOutput;

    /// True when moving x and the data by one rigid motion moves x̂0 by the same motion, so the
    /// frame x is given in does not matter. The sampler then calls the denoiser in the data frame
    /// and skips mapping x and x̂0 through the augmented frame. Learned models usually are not.
    fn equivariant(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise::SplitMix64;
    use crate::trajectory::random_rotation;

    #[test]
    fn frame_maps_agree_with_the_host_transform_and_invert() {
        let device = Device::flex();
        let mut rng = SplitMix64::new(9, 0);
        let transform = RigidTransform {
            rotation: random_rotation(&mut rng),
            translation: [3.0, -7.5, 12.25],
        };
        let points: Vec<[f32; 3]> = (0..5)
            .map(|k| [k as f32, (k * k) as f32 - 4.0, 2.0 - k as f32 * 0.5])
            .collect();
        let flat: Vec<f32> = points.iter().flatten().copied().collect();
        let tensor: Tensor<2> = Tensor::from_data(TensorData::new(flat.clone(), [5, 3]), &device);
        let map = FrameMap::upload(&transform, &device);
        let read = |t: Tensor<2>| -> Vec<f32> { t.into_data().try_into_vec().unwrap() };
        let in_frame = read(map.to_frame(tensor.clone()));
        let want: Vec<f32> = transform.apply_all(&points).into_iter().flatten().collect();
        for (a, b) in in_frame.iter().zip(&want) {
            assert!((a - b).abs() < 1e-4, "{in_frame:?} vs {want:?}");
        }
        let back = read(map.to_data(map.to_frame(tensor)));
        for (a, b) in back.iter().zip(&flat) {
            assert!((a - b).abs() < 1e-4, "{back:?} vs {flat:?}");
        }
    }
}
