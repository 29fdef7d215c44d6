//! Multiscale noise and its per-level statistics as coordinate rows [K, 3, atoms]: the atom axis is
//! the contiguous one, so every reduction over atoms, residues or chains runs along contiguous
//! memory: on a GPU a mean over the atoms of [N, 3] points (a strided axis) is far slower than over
//! rows, slow enough to dominate the sampler step.

use burn::tensor::{Device, Tensor, TensorData};

use super::draw::{HierarchyTensors, device_noise, host_noise_rows, level_seeds};
use super::weights::LevelStds;
use crate::compute::mean_last_axis;

/// `repeats` noise samples as coordinate rows [repeats, 3, atoms], stored contiguously: per-atom
/// noise plus residue and chain noise gathered to their atoms (note 004, `add_noise`). On burn's CPU
/// backend the values are `draw_noise`'s, transposed on the host; on wgpu each level is drawn as rows.
/// A transposed view of a point draw would not do: wgpu's element-wise ops hand back an operand's
/// buffer, layout included, so the sampler's churned state became strided.
pub fn draw_noise_rows(
    h: &HierarchyTensors,
    stds: LevelStds,
    repeats: usize,
    seed: u64,
    device: &Device,
) -> Tensor<3> {
    let seeds = level_seeds(stds, seed);
    let n = h.atoms;
    if *device == Device::flex() {
        let rows = host_noise_rows(h, stds, repeats, seeds);
        return Tensor::from_data(TensorData::new(rows, [repeats, 3, n]), device);
    }
    device_noise(h, stds, seeds, device, |groups| [repeats, 3, groups], 2)
}

/// Residue centroids of rows [K, 3, atoms] → [K, 3, residues].
fn residue_centroid_rows(h: &HierarchyTensors, rows: Tensor<3>) -> Tensor<3> {
    h.sum_over_residues(rows, 2) * h.inv_atoms_per_residue.clone().reshape([1, 1, h.residues])
}

/// Chain centroids (means of residue centroids) of rows [K, 3, residues] → [K, 3, chains].
fn chain_centroid_rows(h: &HierarchyTensors, residue_rows: Tensor<3>) -> Tensor<3> {
    h.sum_over_chains(residue_rows, 2) * h.inv_residues_per_chain.clone().reshape([1, 1, h.chains])
}

/// Mean square per coordinate of rows [K, 3, M] → [K, 1]: over the points first (contiguous).
fn mean_square(rows: Tensor<3>) -> Tensor<2> {
    let [k, _, _] = rows.dims();
    mean_last_axis(rows.square()).mean_dim(1).reshape([k, 1])
}

/// Number of columns of [`level_mean_squares`].
pub const LEVEL_COLUMNS: usize = 9;

/// Per-repeat mean squared displacement per coordinate of rows [K, 3, atoms], [K, 9]: atom abs,
/// atom rel, residue abs, residue rel, chain abs, chain rel (relative to residue centroid / chain
/// centroid / mean of chains), then atom, residue and chain abs after centring (the draw's atom
/// mean removed, as Boltz centres).
pub fn level_mean_squares(h: &HierarchyTensors, displacement: Tensor<3>) -> Tensor<2> {
    let residue = residue_centroid_rows(h, displacement.clone());
    let chain = chain_centroid_rows(h, residue.clone());
    let atom_rel = displacement.clone() - residue.clone().select(2, h.atom_residue.clone());
    let residue_rel = residue.clone() - chain.clone().select(2, h.residue_chain.clone());
    let chain_rel = chain.clone() - chain.clone().mean_dim(2);
    let atom_mean = mean_last_axis(displacement.clone());
    Tensor::cat(
        vec![
            mean_square(displacement.clone()),
            mean_square(atom_rel),
            mean_square(residue.clone()),
            mean_square(residue_rel),
            mean_square(chain.clone()),
            mean_square(chain_rel),
            mean_square(displacement - atom_mean.clone()),
            mean_square(residue - atom_mean.clone()),
            mean_square(chain - atom_mean),
        ],
        1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise::draw_noise;

    fn hierarchy() -> (crate::structure::Structure, HierarchyTensors) {
        let s = crate::structure::default_structure()
            .load(&crate::structure::LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let h = HierarchyTensors::new(&s, &Device::flex());
        (s, h)
    }

    const STDS: LevelStds = LevelStds {
        chain: 2.0,
        residue: 0.5,
        atom: 1.5,
    };

    /// On the CPU backend the rows are the point draw transposed, value for value, and stored as rows
    /// (not a transposed view).
    #[test]
    fn noise_rows_are_the_point_draw_stored_as_rows() {
        let (_, h) = hierarchy();
        let device = Device::flex();
        let rows = draw_noise_rows(&h, STDS, 2, 7, &device);
        assert_eq!(rows.dims(), [2, 3, h.atoms]);
        assert_eq!(crate::compute::is_contiguous(&rows), Some(true));
        let points = draw_noise(&h, STDS, 2, 7, &device);
        let read = |t: Tensor<3>| t.into_data().try_to_vec::<f32>().unwrap_or_default();
        assert_eq!(read(rows), read(points.swap_dims(1, 2)));
    }

    /// Each column against the same figure computed on the host from the points.
    #[test]
    fn level_mean_squares_match_the_host_computation() {
        let (s, h) = hierarchy();
        let device = Device::flex();
        let rows = draw_noise_rows(&h, STDS, 1, 3, &device);
        let got: Vec<f32> = level_mean_squares(&h, rows.clone())
            .into_data()
            .try_to_vec()
            .unwrap_or_default();
        let values: Vec<f32> = rows.into_data().try_to_vec().unwrap_or_default();
        let points = crate::geometry::points_of_rows(&values, None);
        assert_eq!(points.len(), s.atom_count());
        let residues = s.residue_centroids(&points);
        let chains = s.chain_centroids(&residues);
        let mean = |p: &[[f32; 3]]| crate::geometry::centroid(p);
        let square = |p: &[[f32; 3]], minus: &dyn Fn(usize) -> [f64; 3]| {
            p.iter()
                .enumerate()
                .map(|(i, q)| {
                    (0..3)
                        .map(|k| (f64::from(q[k]) - minus(i)[k]).powi(2))
                        .sum::<f64>()
                })
                .sum::<f64>()
                / (3 * p.len()) as f64
        };
        let zero = |_: usize| [0.0; 3];
        let f64s = |p: [f32; 3]| p.map(f64::from);
        let (atom_mean, chain_mean) = (mean(&points), mean(&chains));
        let want = [
            square(&points, &zero),
            square(&points, &|a| f64s(residues[s.atom_residue[a] as usize])),
            square(&residues, &zero),
            square(&residues, &|r| f64s(chains[s.residue_chain[r] as usize])),
            square(&chains, &zero),
            square(&chains, &|_| chain_mean),
            square(&points, &|_| atom_mean),
            square(&residues, &|_| atom_mean),
            square(&chains, &|_| atom_mean),
        ];
        assert_eq!(got.len(), LEVEL_COLUMNS);
        for (column, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (f64::from(*g) - w).abs() < 1e-4 * w.max(1e-3),
                "{column}: {g} {w}"
            );
        }
    }
}
