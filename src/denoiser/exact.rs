//! The exact denoiser: the data are the one loaded structure, so x̂0 is the ground truth, placed in
//! x's frame (the sampler knows the transforms it applied).

use burn::tensor::{Device, Tensor};

use super::{DenoiseContext, DenoiseError, Denoiser, DenoiserOutput};

/// Returns the ground truth whatever x and sigma are.
#[derive(Debug, Clone)]
pub struct ExactDenoiser {
    /// The ground truth (data frame) as coordinate rows [3, N], the sampler's layout: handing it to
    /// the sampler in the data frame is a transposed view, no copy.
    ground_truth_rows: Tensor<2>,
}

impl ExactDenoiser {
    /// Uploads the ground truth (data frame) to `device`.
    pub fn new(ground_truth: &[[f32; 3]], device: &Device) -> Self {
        Self {
            ground_truth_rows: crate::geometry::rows_tensor(ground_truth, device),
        }
    }
}

impl Denoiser for ExactDenoiser {
    fn name(&self) -> &'static str {
        "exact"
    }

    fn denoise(
        &self,
        _x: Tensor<2>,
        _sigma: f64,
        context: &DenoiseContext,
    ) -> Result<DenoiserOutput, DenoiseError> {
        Ok(DenoiserOutput {
            levels: None,
            x0: context.to_pose(self.ground_truth_rows.clone().transpose()),
            weights: None,
        })
    }

    fn equivariant(&self) -> bool {
        true
    }
}
