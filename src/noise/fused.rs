//! The churned state x + multiscale noise in one pass on wgpu: burn would gather the group noise
//! onto the atoms, add it to the atom noise and add that to x, three kernels and as many round trips
//! of the state through memory; the fused kernel reads x, the atom noise and each atom's group value
//! and writes x̂ once.

use burn::backend::Cube;
use burn::tensor::{DType, Device, Tensor};

use crate::compute::kernels::{contiguous_f32, output, per_element};

use super::draw::{HierarchyTensors, device_levels, level_seeds};
use super::rows::draw_noise_rows;
use super::weights::LevelStds;

/// x [3, N] plus one draw of `draw_noise_rows(h, stds, 1, seed)`: the same draws, summed in one
/// kernel on wgpu when every operand is contiguous, by burn's ops otherwise.
pub fn add_noise_rows(
    h: &HierarchyTensors,
    x: Tensor<2>,
    stds: LevelStds,
    seed: u64,
    device: &Device,
) -> Tensor<2> {
    let n = h.atoms;
    if *device == Device::flex() {
        return x + draw_noise_rows(h, stds, 1, seed, device).reshape([3, n]);
    }
    let seeds = level_seeds(stds, seed);
    let (atom_noise, groups) = device_levels(h, stds, seeds, device, |g| [1, 3, g], 2);
    let atom_noise = atom_noise.reshape([3, n]);
    let Some((groups, map)) = groups else {
        return x + atom_noise;
    };
    let group_count = groups.dims()[2];
    let groups = groups.reshape([3, group_count]);
    match fused(&x, &atom_noise, &groups, map, device) {
        Some(x_hat) => x_hat,
        None => x + atom_noise + groups.select(1, map.clone()),
    }
}

mod kernel {
    use cubecl::prelude::*;

    /// output = x + atom_noise + groups[axis, atom_group[atom]] over rows [3, N] (groups [3, G]).
    #[cube(launch_unchecked)]
    pub fn add_gathered_kernel(
        x: &Tensor<f32>,
        atom_noise: &Tensor<f32>,
        groups: &Tensor<f32>,
        atom_group: &Tensor<i32>,
        output: &mut Tensor<f32>,
    ) {
        if ABSOLUTE_POS >= output.len() {
            terminate!();
        }
        let atoms = atom_group.len();
        let axis = ABSOLUTE_POS / atoms;
        let group = usize::cast_from(atom_group[ABSOLUTE_POS % atoms]);
        output[ABSOLUTE_POS] =
            x[ABSOLUTE_POS] + atom_noise[ABSOLUTE_POS] + groups[axis * groups.shape(1) + group];
    }
}

/// The fused sum on wgpu; none when an operand is on another backend, strided or of another type.
fn fused(
    x: &Tensor<2>,
    atom_noise: &Tensor<2>,
    groups: &Tensor<2>,
    map: &Tensor<1, burn::tensor::Int>,
    device: &Device,
) -> Option<Tensor<2>> {
    let (x, atom_noise, groups) = (
        contiguous_f32(x)?,
        contiguous_f32(atom_noise)?,
        contiguous_f32(groups)?,
    );
    let map = map.clone().try_into_primitive::<Cube>().ok()?;
    if !map.is_contiguous() || map.dtype != DType::I32 {
        return None;
    }
    let atoms = map.meta.shape()[0];
    let output = output([3, atoms], device)?;
    let client = output.client.clone();
    let (cube_count, cube_dim) = per_element(&client, 3 * atoms);
    // Safety: every operand is a contiguous tensor of the types the kernel reads, the map's values
    // are group indices below `groups`' second dimension (`HierarchyTensors`), and the kernel
    // writes only positions below the output's length.
    unsafe {
        kernel::add_gathered_kernel::launch_unchecked(
            &client,
            cube_count,
            cube_dim,
            x.into_tensor_arg(),
            atom_noise.into_tensor_arg(),
            groups.into_tensor_arg(),
            map.into_tensor_arg(),
            output.clone().into_tensor_arg(),
        );
    }
    Some(Tensor::from_primitive::<Cube>(output))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    #[test]
    fn on_the_cpu_backend_the_sum_is_the_noise_rows_added() {
        let s = crate::structure::default_structure()
            .load(&crate::structure::LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let device = Device::flex();
        let h = HierarchyTensors::new(&s, &device);
        let stds = LevelStds {
            chain: 2.0,
            residue: 0.5,
            atom: 1.5,
        };
        let n = h.atoms;
        let x = Tensor::<2>::from_data(TensorData::new(vec![1.0f32; 3 * n], [3, n]), &device);
        let values = |t: Tensor<2>| t.into_data().try_to_vec::<f32>().unwrap_or_default();
        let want = values(x.clone() + draw_noise_rows(&h, stds, 1, 9, &device).reshape([3, n]));
        assert_eq!(values(add_noise_rows(&h, x, stds, 9, &device)), want);
    }

    /// On wgpu the one kernel sums what burn's gather and additions sum, from the same draws.
    #[test]
    fn on_wgpu_the_fused_kernel_sums_what_burn_sums() {
        let gpu = match crate::compute::select_device(crate::compute::DevicePreference::Gpu) {
            Ok(gpu) => gpu,
            Err(e) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI must have an adapter: {e}"
                );
                return;
            }
        };
        let device = gpu.device;
        let s = crate::structure::default_structure()
            .load(&crate::structure::LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let h = HierarchyTensors::new(&s, &device);
        let n = h.atoms;
        let rows: Vec<f32> = (0..3 * n).map(|i| (i % 97) as f32 * 0.25).collect();
        let x = Tensor::<2>::from_data(TensorData::new(rows, [3, n]), &device);
        let values = |t: Tensor<2>| t.into_data().try_to_vec::<f32>().unwrap_or_default();
        for (chain, residue) in [(2.0, 0.5), (0.0, 0.5), (2.0, 0.0)] {
            let stds = LevelStds {
                chain,
                residue,
                atom: 1.5,
            };
            let (atom_noise, groups) =
                device_levels(&h, stds, level_seeds(stds, 9), &device, |g| [1, 3, g], 2);
            let (groups, map) = groups.unwrap_or_else(|| panic!("a group level is drawn"));
            let g = groups.dims()[2];
            assert!(
                fused(
                    &x,
                    &atom_noise.reshape([3, n]),
                    &groups.reshape([3, g]),
                    map,
                    &device
                )
                .is_some(),
                "the kernel runs on wgpu"
            );
            let got = values(add_noise_rows(&h, x.clone(), stds, 9, &device));
            let noise = draw_noise_rows(&h, stds, 1, 9, &device).reshape([3, n]);
            let want = values(x.clone() + noise);
            let worst = got
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-4, "chain {chain}, residue {residue}: {worst}");
            let moved = got.iter().zip(values(x.clone())).filter(|(a, b)| *a != b);
            assert!(moved.count() > 3 * n * 9 / 10, "noise was added");
        }
    }
}
