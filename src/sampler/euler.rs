//! The Euler update x_next = x̂ + k (x̂ − x̂0) (EDM Alg. 2, step 4, with k = step_scale (σ_next −
//! t̂) / t̂) in one pass on wgpu: burn runs a subtraction, a scaling and an addition, three launches
//! and three round trips of the state through memory.

use burn::tensor::{Device, Tensor};

use crate::compute::kernels::{contiguous_f32, output, per_element};

/// x̂ + k (x̂ − x̂0): one kernel on wgpu when both are contiguous f32, burn's ops (in the same order)
/// otherwise and on the CPU backend.
pub(super) fn euler_update(x_hat: Tensor<2>, x0: Tensor<2>, k: f64, device: &Device) -> Tensor<2> {
    if *device != Device::flex()
        && let Some(x_next) = fused(&x_hat, &x0, k, device)
    {
        return x_next;
    }
    x_hat.clone() + (x_hat - x0) * k
}

mod kernel {
    use cubecl::prelude::*;

    /// output = x + (x − x0) k, element by element.
    #[cube(launch_unchecked)]
    pub fn euler_kernel(x: &Tensor<f32>, x0: &Tensor<f32>, output: &mut Tensor<f32>, k: f32) {
        if ABSOLUTE_POS >= output.len() {
            terminate!();
        }
        let v = x[ABSOLUTE_POS];
        output[ABSOLUTE_POS] = v + (v - x0[ABSOLUTE_POS]) * k;
    }
}

fn fused(x_hat: &Tensor<2>, x0: &Tensor<2>, k: f64, device: &Device) -> Option<Tensor<2>> {
    let shape = x_hat.dims();
    if x0.dims() != shape {
        return None;
    }
    let (x, x0) = (contiguous_f32(x_hat)?, contiguous_f32(x0)?);
    let output = output(shape, device)?;
    let client = output.client.clone();
    let (cube_count, cube_dim) = per_element(&client, shape[0] * shape[1]);
    // Safety: both operands and the output are contiguous f32 tensors of one shape, and the kernel
    // writes only positions below the output's length.
    unsafe {
        kernel::euler_kernel::launch_unchecked(
            &client,
            cube_count,
            cube_dim,
            x.into_tensor_arg(),
            x0.into_tensor_arg(),
            output.clone().into_tensor_arg(),
            k as f32,
        );
    }
    Some(Tensor::from_primitive::<burn::backend::Cube>(output))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::kernels::testing::{max_abs_difference, wgpu_device};
    use burn::tensor::TensorData;

    /// The kernel's update equals burn's ops on wgpu, and the CPU backend's is burn's ops.
    #[test]
    fn the_fused_update_is_the_euler_formula() {
        let values = |t: Tensor<2>| t.into_data().try_to_vec::<f32>().unwrap_or_default();
        let rows = |device: &Device, offset: f32| {
            let v: Vec<f32> = (0..3 * 500)
                .map(|i| (i % 37) as f32 * 0.5 + offset)
                .collect();
            Tensor::<2>::from_data(TensorData::new(v, [3, 500]), device)
        };
        let k = -0.37;
        let cpu = Device::flex();
        let (x, x0) = (rows(&cpu, 1.0), rows(&cpu, -2.0));
        let want = values(x.clone() + (x.clone() - x0.clone()) * k);
        assert_eq!(values(euler_update(x, x0, k, &cpu)), want);
        let Some(gpu) = wgpu_device() else { return };
        let (x, x0) = (rows(&gpu, 1.0), rows(&gpu, -2.0));
        assert!(fused(&x, &x0, k, &gpu).is_some(), "the kernel runs on wgpu");
        let got = values(euler_update(x, x0, k, &gpu));
        let worst = max_abs_difference(&got, &want);
        assert!(worst < 1e-5, "{worst}");
    }
}
