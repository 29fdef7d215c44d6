//! The 3×3 cross-covariance of two centred coordinate-row sets (Boltz-2's alignment onto x̂0,
//! `Sampler::alignment_onto`) on wgpu: each unit sums the nine products over a strided share of the
//! atoms and burn sums the units' partials. burn's ops wrote the [3, 3, N] products out first and
//! read them back, nine times the state's size through memory twice.

use burn::tensor::{Device, Tensor};

use crate::compute::kernels::{contiguous_f32, output, per_element, strided_shares};
use crate::compute::sum_last_axis;

/// Units the atoms are shared out to (each sums every `UNITS`-th atom): enough to fill a GPU, few
/// enough that their partials are a small fraction of the points' size.
const UNITS: usize = 65_536;

/// H[i][j] = Σ_n (a_in − ā_i)(b_jn − b̄_j) for rows a, b [3, N] and their means [3, 1], as [3, 3, 1]:
/// one kernel and one sum on wgpu when every operand is contiguous f32, burn's broadcast product
/// summed by `sum_last_axis` otherwise.
pub(super) fn cross_covariance(
    a: Tensor<2>,
    a_mean: Tensor<2>,
    b: Tensor<2>,
    b_mean: Tensor<2>,
    device: &Device,
) -> Tensor<3> {
    let n = a.dims()[1];
    if *device != Device::flex()
        && let Some(h) = fused(&a, &a_mean, &b, &b_mean, device)
    {
        return h;
    }
    sum_last_axis((a - a_mean).reshape([3, 1, n]) * (b - b_mean).reshape([1, 3, n]))
}

mod kernel {
    use cubecl::prelude::*;

    /// partials[3 i + j, unit] = Σ over atoms unit, unit + units, … of (a_i − ā_i)(b_j − b̄_j).
    #[cube(launch_unchecked)]
    pub fn moments_kernel(
        a: &Tensor<f32>,
        a_mean: &Tensor<f32>,
        b: &Tensor<f32>,
        b_mean: &Tensor<f32>,
        partials: &mut Tensor<f32>,
        units: u32,
        per_unit: u32,
    ) {
        let units = usize::cast_from(units);
        if ABSOLUTE_POS >= units {
            terminate!();
        }
        let atoms = a.shape(1);
        let mut h00 = 0.0f32;
        let mut h01 = 0.0f32;
        let mut h02 = 0.0f32;
        let mut h10 = 0.0f32;
        let mut h11 = 0.0f32;
        let mut h12 = 0.0f32;
        let mut h20 = 0.0f32;
        let mut h21 = 0.0f32;
        let mut h22 = 0.0f32;
        for k in 0..usize::cast_from(per_unit) {
            let atom = ABSOLUTE_POS + k * units;
            if atom < atoms {
                let p0 = a[atom] - a_mean[0];
                let p1 = a[atoms + atom] - a_mean[1];
                let p2 = a[2 * atoms + atom] - a_mean[2];
                let q0 = b[atom] - b_mean[0];
                let q1 = b[atoms + atom] - b_mean[1];
                let q2 = b[2 * atoms + atom] - b_mean[2];
                h00 += p0 * q0;
                h01 += p0 * q1;
                h02 += p0 * q2;
                h10 += p1 * q0;
                h11 += p1 * q1;
                h12 += p1 * q2;
                h20 += p2 * q0;
                h21 += p2 * q1;
                h22 += p2 * q2;
            }
        }
        partials[ABSOLUTE_POS] = h00;
        partials[units + ABSOLUTE_POS] = h01;
        partials[2 * units + ABSOLUTE_POS] = h02;
        partials[3 * units + ABSOLUTE_POS] = h10;
        partials[4 * units + ABSOLUTE_POS] = h11;
        partials[5 * units + ABSOLUTE_POS] = h12;
        partials[6 * units + ABSOLUTE_POS] = h20;
        partials[7 * units + ABSOLUTE_POS] = h21;
        partials[8 * units + ABSOLUTE_POS] = h22;
    }
}

fn fused(
    a: &Tensor<2>,
    a_mean: &Tensor<2>,
    b: &Tensor<2>,
    b_mean: &Tensor<2>,
    device: &Device,
) -> Option<Tensor<3>> {
    let [axes, n] = a.dims();
    if axes != 3 || b.dims() != [3, n] || a_mean.dims() != [3, 1] || b_mean.dims() != [3, 1] {
        return None;
    }
    let (units, units_arg, per_unit) = strided_shares(n, UNITS)?;
    let (a, a_mean) = (contiguous_f32(a)?, contiguous_f32(a_mean)?);
    let (b, b_mean) = (contiguous_f32(b)?, contiguous_f32(b_mean)?);
    let partials = output([9, units], device)?;
    let client = partials.client.clone();
    let (cube_count, cube_dim) = per_element(&client, units);
    // Safety: every operand is a contiguous f32 tensor of the shape checked above, and each unit
    // writes its nine partials at positions below 9 × units, the partials' length.
    unsafe {
        kernel::moments_kernel::launch_unchecked(
            &client,
            cube_count,
            cube_dim,
            a.into_tensor_arg(),
            a_mean.into_tensor_arg(),
            b.into_tensor_arg(),
            b_mean.into_tensor_arg(),
            partials.clone().into_tensor_arg(),
            units_arg,
            per_unit,
        );
    }
    let partials = Tensor::<2>::from_primitive::<burn::backend::Cube>(partials);
    Some(sum_last_axis(partials).reshape([3, 3, 1]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::kernels::testing::{max_abs_difference, wgpu_device};
    use crate::compute::mean_last_axis;
    use burn::tensor::TensorData;

    fn rows(n: usize, phase: f32, device: &Device) -> Tensor<2> {
        let v: Vec<f32> = (0..3 * n)
            .map(|i| ((i as f32) * 0.37 + phase).sin() * 20.0 + (i % 3) as f32)
            .collect();
        Tensor::<2>::from_data(TensorData::new(v, [3, n]), device)
    }

    /// On wgpu the kernel's covariance is burn's broadcast product summed, for fewer atoms than
    /// units and for more (every unit then sums several).
    #[test]
    fn the_fused_covariance_is_the_broadcast_sum() {
        let Some(device) = wgpu_device() else { return };
        let values = |t: Tensor<3>| t.into_data().try_to_vec::<f32>().unwrap_or_default();
        for n in [1000, 3 * UNITS + 17] {
            let (a, b) = (rows(n, 0.0, &device), rows(n, 1.3, &device));
            let (am, bm) = (mean_last_axis(a.clone()), mean_last_axis(b.clone()));
            let got = fused(&a, &am, &b, &bm, &device).unwrap_or_else(|| panic!("fused"));
            // burn's broadcast product summed on the CPU backend: its own long reductions on wgpu
            // are what `compute::reduce` works around.
            let cpu = Device::flex();
            let (a, b) = (rows(n, 0.0, &cpu), rows(n, 1.3, &cpu));
            let (am, bm) = (a.clone().mean_dim(1), b.clone().mean_dim(1));
            let want = ((a - am).reshape([3, 1, n]) * (b - bm).reshape([1, 3, n])).sum_dim(2);
            let (got, want) = (values(got), values(want));
            assert_eq!(got.len(), 9);
            let scale = want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!(scale > 1.0, "{want:?}");
            let worst = max_abs_difference(&got, &want);
            assert!(worst <= 1e-4 * scale, "{n} atoms: {got:?} vs {want:?}");
        }
    }
}
