//! A rigid transform uploaded to the burn device, mapping coordinate tensors between the data's frame and
//! the sampler's pose (its centring and augmentation).

use burn::tensor::{Device, Tensor, TensorData};

use super::RigidTransform;

/// A rigid map data → sampler pose on the device (row vectors: y = x R + t).
#[derive(Debug, Clone)]
pub struct DevicePose {
    /// Rotation R, [3, 3].
    pub rotation: Tensor<2>,
    /// Translation t, [1, 3].
    pub translation: Tensor<2>,
}

impl DevicePose {
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
    /// A broadcast product summed over i rather than a matmul: burn's matmul of a [3, 3] by a
    /// [3, N] operand, with N outside, is the slower of the two on the CPU backend.
    pub fn rows_to_pose(&self, rows: Tensor<2>) -> Tensor<2> {
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
    pub fn to_pose(&self, points: Tensor<2>) -> Tensor<2> {
        self.rows_to_pose(points.transpose()).transpose()
    }

    /// Maps frame points [N, 3] back to the data frame: x = (y - t) Rᵀ.
    pub fn to_data(&self, points: Tensor<2>) -> Tensor<2> {
        self.rows_to_data(points.transpose()).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::random_rotation;
    use crate::rng::SplitMix64;

    #[test]
    fn device_poses_agree_with_the_host_transform_and_invert() {
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
        let map = DevicePose::upload(&transform, &device);
        let read = |t: Tensor<2>| -> Vec<f32> { t.into_data().try_into_vec().unwrap() };
        let in_frame = read(map.to_pose(tensor.clone()));
        let want: Vec<f32> = transform.apply_all(&points).into_iter().flatten().collect();
        for (a, b) in in_frame.iter().zip(&want) {
            assert!((a - b).abs() < 1e-4, "{in_frame:?} vs {want:?}");
        }
        let back = read(map.to_data(map.to_pose(tensor)));
        for (a, b) in back.iter().zip(&flat) {
            assert!((a - b).abs() < 1e-4, "{back:?} vs {flat:?}");
        }
    }
}
