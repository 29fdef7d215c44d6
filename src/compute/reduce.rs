//! Sums and means along a long last axis that stay right on wgpu. burn 0.22's wgpu reduction over
//! one long contiguous axis can come out wrong past about 10⁵ elements (the test of this module
//! shows it on Mesa's software adapter; `sigmascope-bench reductions` checks a given device). So a
//! long axis is summed in two stages: on wgpu by a kernel whose units each sum a
//! strided share of a row (at most `DIRECT` of them a row, then summed by burn), elsewhere in
//! chunks of `CHUNK` and then over the chunk sums.

use burn::tensor::{Device, Tensor};

use super::kernels::{contiguous_f32, output, per_element, strided_shares};

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
    let rows: usize = shape[..D - 1].iter().product();
    let mut kept = shape;
    kept[D - 1] = 1;
    if let Some(partials) = unit_partials(&tensor.clone().reshape([rows, n])) {
        return partials.sum_dim(1).reshape(kept);
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
    let chunk_sums = tensor
        .reshape([rows, padded / CHUNK, CHUNK])
        .sum_dim(2)
        .reshape([rows, padded / CHUNK]);
    sum_last_axis(chunk_sums).reshape(kept)
}

mod kernel {
    use cubecl::prelude::*;

    /// partials[row, unit] = Σ over columns unit, unit + units, … of values[row, column].
    #[cube(launch_unchecked)]
    pub fn row_partials_kernel(
        values: &Tensor<f32>,
        partials: &mut Tensor<f32>,
        units: u32,
        per_unit: u32,
    ) {
        if ABSOLUTE_POS >= partials.len() {
            terminate!();
        }
        let units = usize::cast_from(units);
        let columns = values.shape(1);
        let row = ABSOLUTE_POS / units;
        let unit = ABSOLUTE_POS % units;
        let mut sum = 0.0f32;
        for k in 0..usize::cast_from(per_unit) {
            let column = unit + k * units;
            if column < columns {
                sum += values[row * columns + column];
            }
        }
        partials[ABSOLUTE_POS] = sum;
    }
}

/// [rows, units] partial sums of contiguous f32 `values` [rows, N] on wgpu (units ≤ `DIRECT`);
/// none on another backend or layout.
fn unit_partials(values: &Tensor<2>) -> Option<Tensor<2>> {
    let [rows, n] = values.dims();
    let (units, units_arg, per_unit) = strided_shares(n, DIRECT)?;
    let device = values.device();
    let values = contiguous_f32(values)?;
    let partials = output([rows, units], &device)?;
    let client = partials.client.clone();
    let (cube_count, cube_dim) = per_element(&client, rows * units);
    // Safety: `values` is a contiguous f32 tensor [rows, N] and each unit writes only its own
    // partial, below rows × units.
    unsafe {
        kernel::row_partials_kernel::launch_unchecked(
            &client,
            cube_count,
            cube_dim,
            values.into_tensor_arg(),
            partials.clone().into_tensor_arg(),
            units_arg,
            per_unit,
        );
    }
    Some(Tensor::from_primitive::<burn::backend::Cube>(partials))
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
    /// wgpu, contiguous (the kernel) and as a transposed view (the chunked sums): row k of [3, N]
    /// holds k + (i mod 7) / 7, whose mean is k + 3/7 when 7 divides N.
    #[test]
    fn long_axes_are_summed_right() {
        let mut devices = vec![Device::flex()];
        devices.extend(wgpu_device());
        for device in &devices {
            for n in [7 * 1000, 7 * 28_091, 7 * 150_000] {
                let values: Vec<f32> = (0..3 * n)
                    .map(|e| (e / n) as f32 + (e % n % 7) as f32 / 7.0)
                    .collect();
                let points: Vec<f32> = (0..3 * n).map(|e| values[(e % 3) * n + e / 3]).collect();
                let rows = Tensor::<2>::from_data(TensorData::new(values, [3, n]), device);
                let strided =
                    Tensor::<2>::from_data(TensorData::new(points, [n, 3]), device).transpose();
                assert_eq!(crate::compute::is_contiguous(&strided), Some(false));
                for rows in [rows, strided] {
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
}
