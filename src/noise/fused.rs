//! The churned state x + multiscale noise in three launches on wgpu: one unit-normal draw for every
//! level [3, atoms + residues + chains], one kernel for each residue's group noise
//! (s_r z_r + s_c z_c of its chain) and one for x + s_a z_atom + the atom's residue noise. burn's
//! ops took three draws, two gathers and three additions, each a launch and a pass over memory.

use burn::backend::Cube;
use burn::tensor::{DType, Device, Int, Tensor, TensorData};

use super::draw::{HierarchyTensors, host_group_noise, level_seeds};
use super::host_churn::churned_rows;
use super::normals::normal;
use super::rows::draw_noise_rows;
use super::weights::LevelStds;
use crate::compute::kernels::{CubeFloat, contiguous_f32, output, per_element};
use crate::compute::with_host_values;

/// x [3, N] plus one multiscale draw with `stds` (the distribution of `draw_noise_rows(h, stds, 1,
/// seed)`): on burn's CPU backend exactly those values added in one host pass (`host_churn`); on
/// wgpu the fused draw, or burn's ops where an operand is strided.
pub fn add_noise_rows(
    h: &HierarchyTensors,
    x: Tensor<2>,
    stds: LevelStds,
    seed: u64,
    device: &Device,
) -> Tensor<2> {
    if *device == Device::flex() {
        let seeds = level_seeds(stds, seed);
        let groups = || host_group_noise(h, stds, 1, seeds);
        let churned = with_host_values(&x, |values| {
            churned_rows(
                h,
                values,
                (stds.atom as f32, seeds[0]),
                groups,
                crate::compute::cores(),
            )
        });
        if let Some(rows) = churned.filter(|rows| rows.len() == 3 * h.atoms) {
            return Tensor::from_data(TensorData::new(rows, [3, h.atoms]), device);
        }
    } else if let Some(x_hat) = fused(h, &x, stds, seed, device) {
        return x_hat;
    }
    x + draw_noise_rows(h, stds, 1, seed, device).reshape([3, h.atoms])
}

/// The unit-normal draw `fused` takes its noise from: atoms, then residues, then chains, along the
/// second axis.
fn level_draw(h: &HierarchyTensors, seed: u64, device: &Device) -> Tensor<2> {
    normal([3, h.atoms + h.residues + h.chains], 1.0, seed, device)
}

mod kernel {
    use cubecl::prelude::*;

    /// groups[axis, r] = s_r z[axis, residue_first + r] + s_c z[axis, chain_first + chain(r)].
    #[cube(launch_unchecked)]
    pub fn residue_noise_kernel(
        z: &Tensor<f32>,
        residue_chain: &Tensor<i32>,
        groups: &mut Tensor<f32>,
        residue_first: u32,
        chain_first: u32,
        residue_std: f32,
        chain_std: f32,
    ) {
        if ABSOLUTE_POS >= groups.len() {
            terminate!();
        }
        let residues = residue_chain.len();
        let row = (ABSOLUTE_POS / residues) * z.shape(1);
        let residue = ABSOLUTE_POS % residues;
        let chain = usize::cast_from(residue_chain[residue]);
        groups[ABSOLUTE_POS] = z[row + usize::cast_from(residue_first) + residue] * residue_std
            + z[row + usize::cast_from(chain_first) + chain] * chain_std;
    }

    /// output[axis, atom] = x + s_a z[axis, atom] + groups[axis, residue(atom)].
    #[cube(launch_unchecked)]
    pub fn churn_kernel(
        x: &Tensor<f32>,
        z: &Tensor<f32>,
        groups: &Tensor<f32>,
        atom_residue: &Tensor<i32>,
        output: &mut Tensor<f32>,
        atom_std: f32,
    ) {
        if ABSOLUTE_POS >= output.len() {
            terminate!();
        }
        let atoms = atom_residue.len();
        let axis = ABSOLUTE_POS / atoms;
        let atom = ABSOLUTE_POS % atoms;
        let residue = usize::cast_from(atom_residue[atom]);
        output[ABSOLUTE_POS] = x[ABSOLUTE_POS]
            + z[axis * z.shape(1) + atom] * atom_std
            + groups[axis * groups.shape(1) + residue];
    }
}

/// An index map as burn's cubecl tensor when it is contiguous i32.
fn index_map(map: &Tensor<1, Int>) -> Option<CubeFloat> {
    let t = map.clone().try_into_primitive::<Cube>().ok()?;
    (t.is_contiguous() && t.dtype == DType::I32).then_some(t)
}

/// The fused sum on wgpu; none when an operand is on another backend, strided or of another type.
fn fused(
    h: &HierarchyTensors,
    x: &Tensor<2>,
    stds: LevelStds,
    seed: u64,
    device: &Device,
) -> Option<Tensor<2>> {
    let (n, r) = (h.atoms, h.residues);
    let x = contiguous_f32(x)?;
    let z = contiguous_f32(&level_draw(h, seed, device))?;
    let (residue_chain, atom_residue) = (index_map(&h.residue_chain)?, index_map(&h.atom_residue)?);
    let (Ok(residue_first), Ok(chain_first)) = (u32::try_from(n), u32::try_from(n + r)) else {
        return None;
    };
    let groups = output([3, r], device)?;
    let x_hat = output([3, n], device)?;
    let client = x_hat.client.clone();
    let (group_count, group_dim) = per_element(&client, 3 * r);
    let (atom_count, atom_dim) = per_element(&client, 3 * n);
    // Safety: every operand is a contiguous tensor of the type the kernels read; the maps' values are
    // residue and chain indices below the draw's residue and chain columns (`HierarchyTensors`), and
    // each kernel writes only positions below its output's length.
    unsafe {
        kernel::residue_noise_kernel::launch_unchecked(
            &client,
            group_count,
            group_dim,
            z.clone().into_tensor_arg(),
            residue_chain.into_tensor_arg(),
            groups.clone().into_tensor_arg(),
            residue_first,
            chain_first,
            stds.residue as f32,
            stds.chain as f32,
        );
        kernel::churn_kernel::launch_unchecked(
            &client,
            atom_count,
            atom_dim,
            x.into_tensor_arg(),
            z.into_tensor_arg(),
            groups.into_tensor_arg(),
            atom_residue.into_tensor_arg(),
            x_hat.clone().into_tensor_arg(),
            stds.atom as f32,
        );
    }
    Some(Tensor::from_primitive::<Cube>(x_hat))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::kernels::testing::{max_abs_difference, wgpu_device};
    use burn::tensor::TensorData;

    fn values(t: Tensor<2>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap_or_default()
    }

    fn crambin_hierarchy(device: &Device) -> HierarchyTensors {
        let s = crate::structure::default_structure()
            .load(&crate::structure::LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        HierarchyTensors::new(&s, device)
    }

    #[test]
    fn on_the_cpu_backend_the_sum_is_the_noise_rows_added() {
        let device = Device::flex();
        let h = crambin_hierarchy(&device);
        let stds = LevelStds {
            chain: 2.0,
            residue: 0.5,
            atom: 1.5,
        };
        let n = h.atoms;
        let x = Tensor::<2>::from_data(TensorData::new(vec![1.0f32; 3 * n], [3, n]), &device);
        let want = values(x.clone() + draw_noise_rows(&h, stds, 1, 9, &device).reshape([3, n]));
        assert_eq!(values(add_noise_rows(&h, x, stds, 9, &device)), want);
    }

    /// On wgpu the two kernels sum what burn's slices, gathers and additions sum from the same draw.
    #[test]
    fn on_wgpu_the_fused_kernels_sum_what_burn_sums() {
        let Some(device) = wgpu_device() else { return };
        let h = crambin_hierarchy(&device);
        let (n, r, c) = (h.atoms, h.residues, h.chains);
        let rows: Vec<f32> = (0..3 * n).map(|i| (i % 97) as f32 * 0.25).collect();
        let x = Tensor::<2>::from_data(TensorData::new(rows, [3, n]), &device);
        for (chain, residue) in [(2.0, 0.5), (0.0, 0.5), (2.0, 0.0)] {
            let stds = LevelStds {
                chain,
                residue,
                atom: 1.5,
            };
            let got = values(fused(&h, &x, stds, 9, &device).unwrap_or_else(|| panic!("fused")));
            let z = level_draw(&h, 9, &device);
            let group = z.clone().slice([0..3, n..n + r]) * residue
                + z.clone()
                    .slice([0..3, n + r..n + r + c])
                    .select(1, h.residue_chain.clone())
                    * chain;
            let want = values(
                x.clone() + z.slice([0..3, 0..n]) * 1.5 + group.select(1, h.atom_residue.clone()),
            );
            let worst = max_abs_difference(&got, &want);
            assert!(worst < 1e-4, "chain {chain}, residue {residue}: {worst}");
            let moved = got.iter().zip(values(x.clone())).filter(|(a, b)| *a != b);
            assert!(moved.count() > 3 * n * 9 / 10, "noise was added");
        }
    }
}
