//! Sums and means along a long last axis that stay right on wgpu. burn 0.22's wgpu reduction over
//! one long contiguous axis came out wrong on lavapipe from about 2·10⁵ elements on: the mean of
//! [3, N] ones read 0.333 at N = 196 625, 0.874 at 300 000 and 0.262 at 1 000 000 (right up to
//! 131 072). So a long axis is summed in chunks of `CHUNK`, then over the chunk sums.

use burn::tensor::{Device, Tensor};

/// Longest axis summed in one reduction.
const DIRECT: usize = 65_536;

/// Elements of a chunk in the two-stage sum.
const CHUNK: usize = 1024;

/// Σ over the last axis, kept as a dimension of size 1 (as `sum_dim`).
pub fn sum_last_axis<const D: usize>(tensor: Tensor<D>) -> Tensor<D> {
    let shape = tensor.dims();
    let n = shape[D - 1];
    if n <= DIRECT || tensor.device() == Device::flex() {
        return tensor.sum_dim(D - 1);
    }
    // Zero padding to whole chunks leaves the sum as it is.
    let padded = n.next_multiple_of(CHUNK);
    let tensor = if padded == n {
        tensor
    } else {
        let mut pad = shape;
        pad[D - 1] = padded - n;
        let zeros = Tensor::<D>::zeros(pad, &tensor.device());
        Tensor::cat(vec![tensor, zeros], D - 1)
    };
    let rows: usize = shape[..D - 1].iter().product();
    let chunk_sums = tensor
        .reshape([rows, padded / CHUNK, CHUNK])
        .sum_dim(2)
        .reshape([rows, padded / CHUNK]);
    let mut kept = shape;
    kept[D - 1] = 1;
    sum_last_axis(chunk_sums).reshape(kept)
}

/// The mean over the last axis, kept as a dimension of size 1 (as `mean_dim`).
pub fn mean_last_axis<const D: usize>(tensor: Tensor<D>) -> Tensor<D> {
    let n = tensor.dims()[D - 1];
    sum_last_axis(tensor) / n.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::kernels::testing::wgpu_device;
    use burn::tensor::TensorData;

    /// Means of known rows over axes shorter and longer than one reduction, on the CPU backend and on
    /// wgpu: row k of [3, N] holds k + (i mod 7) / 7, whose mean is k + 3/7 when 7 divides N.
    #[test]
    fn long_axes_are_summed_right() {
        let mut devices = vec![Device::flex()];
        devices.extend(wgpu_device());
        for device in &devices {
            for n in [7 * 1000, 7 * 28_091, 7 * 150_000] {
                let values: Vec<f32> = (0..3 * n)
                    .map(|e| (e / n) as f32 + (e % n % 7) as f32 / 7.0)
                    .collect();
                let rows = Tensor::<2>::from_data(TensorData::new(values, [3, n]), device);
                let means: Vec<f32> = mean_last_axis(rows)
                    .into_data()
                    .try_to_vec()
                    .unwrap_or_default();
                assert_eq!(means.len(), 3);
                for (k, m) in means.iter().enumerate() {
                    let want = k as f32 + 3.0 / 7.0;
                    assert!((m - want).abs() < 1e-4, "{device:?}, {n}: row {k} mean {m}");
                }
            }
        }
    }
}
