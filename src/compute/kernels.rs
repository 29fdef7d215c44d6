//! What sigmascope's own CubeCL kernels share: their operands taken as burn's wgpu tensors (only
//! contiguous f32 ones: the kernels index elements linearly), the output allocated by burn, and a
//! launch of one unit per element.

use burn::backend::Cube;
use burn::tensor::{DType, Device, Tensor};
use cubecl::client::Client;
use cubecl::prelude::{CubeCount, CubeDim};

/// burn's tensor on a cubecl device.
pub type CubeFloat = burn::backend::wgpu::CubeTensor;

/// `tensor` as burn's cubecl tensor when it is a contiguous f32 tensor on a cubecl device.
pub fn contiguous_f32<const D: usize>(tensor: &Tensor<D>) -> Option<CubeFloat> {
    let t = tensor.clone().try_into_primitive::<Cube>().ok()?;
    (t.is_contiguous() && t.dtype == DType::F32).then_some(t)
}

/// A new contiguous f32 tensor of `shape` on `device` as burn's cubecl tensor, for a kernel to write
/// (`Tensor::from_primitive` hands it back to burn).
pub fn output<const D: usize>(shape: [usize; D], device: &Device) -> Option<CubeFloat> {
    Tensor::<D>::empty(shape, device)
        .try_into_primitive::<Cube>()
        .ok()
}

/// The cube count and size of a launch with one unit per element.
pub fn per_element(client: &Client, elements: usize) -> (CubeCount, CubeDim) {
    let cube_dim = CubeDim::new(client, elements);
    let cube_count = cubecl::calculate_cube_count_elemwise(client, elements, cube_dim);
    (cube_count, cube_dim)
}

/// How `n` elements are shared out to at most `max_units` units that each sum every `units`-th
/// one: (units, units and elements per unit as the kernels' u32 arguments); none when they do not
/// fit a u32.
pub fn strided_shares(n: usize, max_units: usize) -> Option<(usize, u32, u32)> {
    let units = n.clamp(1, max_units);
    Some((
        units,
        u32::try_from(units).ok()?,
        u32::try_from(n.div_ceil(units)).ok()?,
    ))
}

/// What the kernels' tests share: a wgpu device (lavapipe on CI, where one must exist) and the
/// largest difference between a kernel's values and burn's.
#[cfg(test)]
pub(crate) mod testing {
    use burn::tensor::Device;

    /// A wgpu device; none without an adapter, except on CI, where that fails the test.
    pub fn wgpu_device() -> Option<Device> {
        match crate::compute::select_device(crate::compute::DevicePreference::Gpu) {
            Ok(gpu) => Some(gpu.device),
            Err(e) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI must have an adapter: {e}"
                );
                None
            }
        }
    }

    /// max |a - b| over two equally long value lists.
    pub fn max_abs_difference(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max)
    }
}
