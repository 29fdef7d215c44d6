//! The Euler update x_next = x̂ + k (x̂ − x̂0) (EDM Alg. 2, step 4, with k = step_scale (σ_next −
//! t̂) / t̂) in one pass on wgpu and on the host: burn runs a subtraction, a scaling and an addition,
//! three launches and three round trips of the state through memory.

use burn::tensor::{Device, Tensor, TensorData};

use crate::compute::kernels::{contiguous_f32, output, per_element};
use crate::compute::{is_contiguous, with_host_values};
use crate::sampler::SamplerError;
use burn::backend::Flex;

/// x̂ + k (x̂ − x̂0): one kernel on wgpu and one host pass on the CPU backend when both are
/// contiguous f32, burn's ops (in the same order) otherwise.
pub(super) fn euler_update(
    x_hat: Tensor<2>,
    x0: Tensor<2>,
    k: f64,
    device: &Device,
) -> Result<Tensor<2>, SamplerError> {
    if *device != Device::flex() {
        return Ok(fused(&x_hat, &x0, k, device).unwrap_or_else(|| burn_update(x_hat, x0, k)));
    }
    let x_hat = match update_in_place(x_hat, &x0, k as f32)? {
        Ok(x_next) => return Ok(x_next),
        Err(shared) => shared,
    };
    Ok(host_update(&x_hat, &x0, k as f32).unwrap_or_else(|| burn_update(x_hat, x0, k)))
}

/// burn's ops, for operands the host passes and the kernel do not take.
fn burn_update(x_hat: Tensor<2>, x0: Tensor<2>, k: f64) -> Tensor<2> {
    x_hat.clone() + (x_hat - x0) * k
}

/// The update written over x̂ where nothing else holds its buffer (a step that records nothing) on
/// burn's CPU backend: one pass and no new array. x̂ back, untouched, when it is shared or strided.
fn update_in_place(
    x_hat: Tensor<2>,
    x0: &Tensor<2>,
    k: f32,
) -> Result<Result<Tensor<2>, Tensor<2>>, SamplerError> {
    if x0.dims() != x_hat.dims() || is_contiguous(&x_hat) != Some(true) {
        return Ok(Err(x_hat));
    }
    let mut rows = x_hat
        .try_into_primitive::<Flex>()
        .map_err(|e| SamplerError::Device(format!("{e:?}")))?;
    let written = with_host_values(x0, |x0| match rows.try_storage_mut::<f32>() {
        Some(x) if x.len() == x0.len() => {
            update_over_cores(x, x0, k);
            true
        }
        _ => false,
    });
    let tensor = Tensor::from_primitive::<Flex>(rows);
    Ok(if written == Some(true) {
        Ok(tensor)
    } else {
        Err(tensor)
    })
}

/// Elements below which the host update runs on one thread (a thread's start costs more).
const PARALLEL_ELEMENTS: usize = 1 << 19;

/// x ← x + k (x − x0) element by element, split over the cores from `PARALLEL_ELEMENTS` on.
fn update_over_cores(x: &mut [f32], x0: &[f32], k: f32) {
    let update = |(x, x0): (&mut [f32], &[f32])| {
        for (v, &v0) in x.iter_mut().zip(x0) {
            *v += (*v - v0) * k;
        }
    };
    let threads = crate::compute::cores();
    if threads < 2 || x.len() < PARALLEL_ELEMENTS {
        update((x, x0));
        return;
    }
    let chunk = x.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for part in x.chunks_mut(chunk).zip(x0.chunks(chunk)) {
            scope.spawn(move || update(part));
        }
    });
}

/// The update on burn's CPU backend, where both operands lie contiguously on the host but x̂ is
/// shared (a recorded step keeps it): a copy of x̂ updated in place, instead of burn's three passes.
fn host_update(x_hat: &Tensor<2>, x0: &Tensor<2>, k: f32) -> Option<Tensor<2>> {
    let shape = x_hat.dims();
    if x0.dims() != shape {
        return None;
    }
    let values = with_host_values(x_hat, |x| {
        with_host_values(x0, |x0| {
            let mut next = x.to_vec();
            update_over_cores(&mut next, x0, k);
            next
        })
    })??;
    Some(Tensor::from_data(
        TensorData::new(values, shape),
        &Device::flex(),
    ))
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

    /// The kernel's update equals burn's ops on wgpu, and the CPU backend's host pass equals them
    /// value for value, on one thread and split over the cores; a strided operand takes burn's ops.
    #[test]
    fn the_fused_update_is_the_euler_formula() {
        let values = |t: Tensor<2>| t.into_data().try_to_vec::<f32>().unwrap_or_default();
        let rows = |device: &Device, offset: f32, n: usize| {
            let v: Vec<f32> = (0..3 * n).map(|i| (i % 37) as f32 * 0.5 + offset).collect();
            Tensor::<2>::from_data(TensorData::new(v, [3, n]), device)
        };
        let k = -0.37;
        let cpu = Device::flex();
        for n in [500, PARALLEL_ELEMENTS / 3 + 1000] {
            let (x, x0) = (rows(&cpu, 1.0, n), rows(&cpu, -2.0, n));
            let want = values(x.clone() + (x.clone() - x0.clone()) * k);
            assert!(
                host_update(&x, &x0, k as f32).is_some(),
                "the host pass runs"
            );
            assert_eq!(
                values(euler_update(x, x0, k, &cpu).unwrap_or_else(|e| panic!("{e}"))),
                want
            );
        }
        // A step that records nothing hands over x̂ alone: the update is written over it.
        for n in [500, PARALLEL_ELEMENTS / 3 + 1000] {
            let (x, x0) = (rows(&cpu, 1.0, n), rows(&cpu, -2.0, n));
            let want = values(x.clone() + (x.clone() - x0.clone()) * k);
            let Ok(written) = update_in_place(x, &x0, k as f32) else {
                panic!("burn's CPU backend")
            };
            assert_eq!(values(written.expect("x̂ was not shared")), want);
        }
        let x = rows(&cpu, 1.0, 500);
        let kept = x.clone();
        let Ok(shared) = update_in_place(x, &rows(&cpu, -2.0, 500), 1.0) else {
            panic!("burn's CPU backend")
        };
        assert_eq!(
            values(shared.expect_err("shared")),
            values(kept),
            "a shared x̂ is left alone"
        );
        let strided = rows(&cpu, -2.0, 500).reshape([500, 3]).transpose();
        assert!(host_update(&rows(&cpu, 1.0, 3).transpose(), &strided, 1.0).is_none());
        let (x, x0) = (rows(&cpu, 1.0, 500), rows(&cpu, -2.0, 500));
        let want = values(x.clone() + (x.clone() - x0.clone()) * k);
        let Some(gpu) = wgpu_device() else { return };
        let (x, x0) = (rows(&gpu, 1.0, 500), rows(&gpu, -2.0, 500));
        assert!(fused(&x, &x0, k, &gpu).is_some(), "the kernel runs on wgpu");
        let got = values(euler_update(x, x0, k, &gpu).unwrap_or_else(|e| panic!("{e}")));
        let worst = max_abs_difference(&got, &want);
        assert!(worst < 1e-5, "{worst}");
    }
}
