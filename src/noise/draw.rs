//! Multiscale noise drawn on the burn device and per-level displacement statistics, all O(atoms):
//! level noise is broadcast down the hierarchy by gathering with the atom→residue / atom→chain maps,
//! and centroids are segment sums over the same maps (scatter-add on burn's CPU backend, block sums
//! of contiguous segments on wgpu: `segments`).

use burn::tensor::{Device, IndexingUpdateOp, Int, Tensor, TensorData};

use super::normals::{host_normal_values, normal};
use super::segments::SegmentSums;
use super::weights::LevelStds;
use crate::rng::SplitMix64;
use crate::structure::Structure;

/// The hierarchy's index maps and group sizes as device tensors, built once per structure and device.
#[derive(Debug, Clone)]
pub struct HierarchyTensors {
    /// Atom → residue, [atoms].
    pub atom_residue: Tensor<1, Int>,
    /// Atom → chain, [atoms].
    pub atom_chain: Tensor<1, Int>,
    /// Residue → chain, [residues].
    pub residue_chain: Tensor<1, Int>,
    /// 1 / atoms per residue, [1, residues, 1].
    pub inv_atoms_per_residue: Tensor<3>,
    /// 1 / residues per chain, [1, chains, 1].
    pub inv_residues_per_chain: Tensor<3>,
    /// Segment sums over each residue's atoms and each chain's residues on wgpu (`SegmentSums`); none
    /// on burn's CPU backend, whose scatter-add is a plain loop, or for maps out of order.
    residue_segments: Option<SegmentSums>,
    chain_segments: Option<SegmentSums>,
    /// Atom → residue, atom → chain and residue → chain on the host (the CPU backend builds noise there).
    host_maps: std::sync::Arc<HostMaps>,
    /// Number of atoms.
    pub atoms: usize,
    /// Number of residues.
    pub residues: usize,
    /// Number of chains.
    pub chains: usize,
}

/// The hierarchy's index maps on the host.
#[derive(Debug)]
struct HostMaps {
    atom_residue: Vec<u32>,
    atom_chain: Vec<u32>,
    residue_chain: Vec<u32>,
}

fn index_tensor(values: &[u32], device: &Device) -> Tensor<1, Int> {
    let data: Vec<i32> = values.iter().map(|&v| v as i32).collect();
    Tensor::from_data(TensorData::new(data, [values.len()]), device)
}

fn inverse_sizes(sizes: &[usize], device: &Device) -> Tensor<3> {
    let data: Vec<f32> = sizes.iter().map(|&n| 1.0 / n.max(1) as f32).collect();
    Tensor::from_data(TensorData::new(data, [1, sizes.len(), 1]), device)
}

impl HierarchyTensors {
    /// Uploads a structure's index maps.
    pub fn new(structure: &Structure, device: &Device) -> Self {
        let atom_chain = structure.atom_chain();
        let segments = |map: &[u32], groups: usize| {
            (*device != Device::flex())
                .then(|| SegmentSums::new(map, groups, device))
                .flatten()
        };
        Self {
            residue_segments: segments(&structure.atom_residue, structure.residue_count()),
            chain_segments: segments(&structure.residue_chain, structure.chain_count()),
            atom_residue: index_tensor(&structure.atom_residue, device),
            atom_chain: index_tensor(&atom_chain, device),
            residue_chain: index_tensor(&structure.residue_chain, device),
            inv_atoms_per_residue: inverse_sizes(&structure.atoms_per_residue(), device),
            inv_residues_per_chain: inverse_sizes(&structure.residues_per_chain(), device),
            host_maps: std::sync::Arc::new(HostMaps {
                atom_residue: structure.atom_residue.clone(),
                atom_chain,
                residue_chain: structure.residue_chain.clone(),
            }),
            atoms: structure.atom_count(),
            residues: structure.residue_count(),
            chains: structure.chain_count(),
        }
    }

    /// Sums over each residue's atoms of batched values [K, atoms, D] → [K, residues, D] (scatter-add;
    /// D is 3 for points, the token width for a network's features).
    pub fn residue_sums(&self, values: Tensor<3>) -> Tensor<3> {
        self.sum_over_residues(values, 1)
    }

    /// Sums over each residue's atoms along `axis` (1 for [K, atoms, D], 2 for rows [K, D, atoms]).
    pub(super) fn sum_over_residues(&self, values: Tensor<3>, axis: usize) -> Tensor<3> {
        match &self.residue_segments {
            Some(plan) => plan.sum(values, axis),
            None => segment_sums(values, axis, &self.atom_residue, self.residues),
        }
    }

    /// Sums over each chain's residues along `axis` (1 for [K, residues, D], 2 for rows).
    pub(super) fn sum_over_chains(&self, values: Tensor<3>, axis: usize) -> Tensor<3> {
        match &self.chain_segments {
            Some(plan) => plan.sum(values, axis),
            None => segment_sums(values, axis, &self.residue_chain, self.chains),
        }
    }

    /// Sums over each chain's residues of batched values [K, residues, D] → [K, chains, D].
    pub fn chain_sums(&self, values: Tensor<3>) -> Tensor<3> {
        self.sum_over_chains(values, 1)
    }

    /// Residue centroids of batched points [K, atoms, 3] → [K, residues, 3] (segment mean; any
    /// feature width D in place of 3).
    pub fn residue_centroids(&self, points: Tensor<3>) -> Tensor<3> {
        self.residue_sums(points) * self.inv_atoms_per_residue.clone()
    }

    /// Chain centroids as the mean of residue centroids [K, residues, 3] → [K, chains, 3] (note 004;
    /// any feature width D in place of 3).
    pub fn chain_centroids(&self, residue_centroids: Tensor<3>) -> Tensor<3> {
        self.chain_sums(residue_centroids) * self.inv_residues_per_chain.clone()
    }
}

/// Sums of `values` over the groups `index` assigns the entries of axis `axis` to: that axis
/// becomes `groups` long.
fn segment_sums(
    values: Tensor<3>,
    axis: usize,
    index: &Tensor<1, Int>,
    groups: usize,
) -> Tensor<3> {
    let mut shape = values.dims();
    shape[axis] = groups;
    Tensor::<3>::zeros(shape, &values.device()).select_assign(
        axis,
        index.clone(),
        values,
        IndexingUpdateOp::Add,
    )
}

/// The seed of each level's draw: one stream value per level drawn, in this order (the draws of a
/// seed stay what they were).
pub(super) fn level_seeds(stds: LevelStds, seed: u64) -> [u64; 3] {
    let mut streams = SplitMix64::new(seed, 0);
    let atom_seed = streams.next_u64();
    let mut next_if = |drawn: bool| if drawn { streams.next_u64() } else { 0 };
    let residue_seed = next_if(stds.residue > 0.0);
    let chain_seed = next_if(stds.chain > 0.0);
    [atom_seed, residue_seed, chain_seed]
}

/// Draws `repeats` independent noise samples [repeats, atoms, 3]: per-atom noise plus residue and chain
/// noise broadcast to their atoms (note 004, `add_noise`). The same seed on the same device repeats exactly.
pub fn draw_noise(
    h: &HierarchyTensors,
    stds: LevelStds,
    repeats: usize,
    seed: u64,
    device: &Device,
) -> Tensor<3> {
    let seeds = level_seeds(stds, seed);
    if *device == Device::flex() {
        return host_noise(h, stds, repeats, seeds, device);
    }
    device_noise(h, stds, seeds, device, |groups| [repeats, groups, 3], 1)
}

/// The levels drawn on a wgpu device, each of shape `shape(groups)` with its groups along `axis`,
/// and gathered to the atoms along it.
pub(super) fn device_noise(
    h: &HierarchyTensors,
    stds: LevelStds,
    seeds: [u64; 3],
    device: &Device,
    shape: impl Fn(usize) -> [usize; 3],
    axis: usize,
) -> Tensor<3> {
    // The chain noise is added to its residues first: the atoms take one gather and one addition.
    let noise = normal(shape(h.atoms), stds.atom, seeds[0], device);
    let residue =
        (stds.residue > 0.0).then(|| normal(shape(h.residues), stds.residue, seeds[1], device));
    let chain = (stds.chain > 0.0).then(|| normal(shape(h.chains), stds.chain, seeds[2], device));
    let groups = match (residue, chain) {
        (Some(r), Some(c)) => Some((r + c.select(axis, h.residue_chain.clone()), &h.atom_residue)),
        (Some(r), None) => Some((r, &h.atom_residue)),
        (None, Some(c)) => Some((c, &h.atom_chain)),
        (None, None) => None,
    };
    match groups {
        Some((values, map)) => noise + values.select(axis, map.clone()),
        None => noise,
    }
}

/// The residue and chain noise of `device_noise` on the host, [repeats, groups, 3], with the atom →
/// group map to gather it by: the chain noise added to its residues when both levels are drawn.
pub(super) fn host_group_noise(
    h: &HierarchyTensors,
    stds: LevelStds,
    repeats: usize,
    seeds: [u64; 3],
) -> Option<(Vec<f32>, usize, &[u32])> {
    let level = |std: f64, groups: usize, seed: u64| {
        (std > 0.0).then(|| host_normal_values(repeats * groups * 3, std, seed))
    };
    let residue = level(stds.residue, h.residues, seeds[1]);
    let chain = level(stds.chain, h.chains, seeds[2]);
    let maps = &*h.host_maps;
    match (residue, chain) {
        (Some(mut r), Some(c)) => {
            let (rs, cs) = (h.residues * 3, h.chains * 3);
            for (k, draw) in r.chunks_exact_mut(rs).enumerate() {
                let chains = &c[k * cs..(k + 1) * cs];
                for (residue, &chain) in draw.chunks_exact_mut(3).zip(&maps.residue_chain) {
                    for axis in 0..3 {
                        residue[axis] += chains[3 * chain as usize + axis];
                    }
                }
            }
            Some((r, h.residues, &maps.atom_residue))
        }
        (Some(r), None) => Some((r, h.residues, &maps.atom_residue)),
        (None, Some(c)) => Some((c, h.chains, &maps.atom_chain)),
        (None, None) => None,
    }
}

/// `draw_noise` on burn's CPU backend: the same three draws (`normal`'s values) summed on the host
/// in the same order, one upload instead of gathers and additions over the atoms.
fn host_noise(
    h: &HierarchyTensors,
    stds: LevelStds,
    repeats: usize,
    seeds: [u64; 3],
    device: &Device,
) -> Tensor<3> {
    let mut noise = host_normal_values(repeats * h.atoms * 3, stds.atom, seeds[0]);
    if let Some((group_noise, groups, map)) = host_group_noise(h, stds, repeats, seeds) {
        for (k, draw) in noise.chunks_exact_mut(h.atoms * 3).enumerate() {
            let groups_of_draw = &group_noise[k * groups * 3..(k + 1) * groups * 3];
            for (atom, &g) in draw.chunks_exact_mut(3).zip(map) {
                let g = g as usize * 3;
                for axis in 0..3 {
                    atom[axis] += groups_of_draw[g + axis];
                }
            }
        }
    }
    Tensor::from_data(TensorData::new(noise, [repeats, h.atoms, 3]), device)
}

/// The values of `host_noise` as coordinate rows [repeats, 3, atoms]: the same sums in the same
/// order, written transposed in the one pass that adds the levels.
pub(super) fn host_noise_rows(
    h: &HierarchyTensors,
    stds: LevelStds,
    repeats: usize,
    seeds: [u64; 3],
) -> Vec<f32> {
    let n = h.atoms;
    let atom = host_normal_values(repeats * n * 3, stds.atom, seeds[0]);
    let groups = host_group_noise(h, stds, repeats, seeds);
    let mut rows = vec![0.0f32; repeats * 3 * n];
    for (line, out) in rows.chunks_exact_mut(n).enumerate() {
        let (k, axis) = (line / 3, line % 3);
        let draw = &atom[k * n * 3..(k + 1) * n * 3];
        for (a, v) in out.iter_mut().enumerate() {
            *v = draw[3 * a + axis];
        }
        if let Some((values, groups, map)) = &groups {
            let of_draw = &values[k * groups * 3..(k + 1) * groups * 3];
            for (v, &g) in out.iter_mut().zip(map.iter()) {
                *v += of_draw[3 * g as usize + axis];
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On the CPU backend the noise is summed on the host; it equals the device formula (each level's
    /// `normal` draw, the chains' added to their residues, the sum broadcast to the atoms by `select`)
    /// value for value.
    #[test]
    fn host_noise_equals_the_broadcast_draws() {
        let s = crate::structure::default_structure()
            .load(&crate::structure::LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let device = Device::flex();
        let h = HierarchyTensors::new(&s, &device);
        let values = |t: Tensor<3>| t.into_data().try_to_vec::<f32>().unwrap_or_default();
        for (chain_std, residue_std) in [(2.0, 0.5), (2.0, 0.0), (0.0, 0.5), (0.0, 0.0)] {
            let stds = LevelStds {
                chain: chain_std,
                residue: residue_std,
                atom: 1.5,
            };
            let got = values(draw_noise(&h, stds, 2, 7, &device));
            let mut streams = SplitMix64::new(7, 0);
            let mut draw = |groups: usize, std: f64| {
                (std > 0.0).then(|| normal([2, groups, 3], std, streams.next_u64(), &device))
            };
            let atom = draw(h.atoms, stds.atom).unwrap_or_else(|| panic!("atom level"));
            let residue = draw(h.residues, stds.residue);
            let chain = draw(h.chains, stds.chain);
            let want = values(match (residue, chain) {
                (Some(r), Some(c)) => {
                    atom + (r + c.select(1, h.residue_chain.clone()))
                        .select(1, h.atom_residue.clone())
                }
                (Some(r), None) => atom + r.select(1, h.atom_residue.clone()),
                (None, Some(c)) => atom + c.select(1, h.atom_chain.clone()),
                (None, None) => atom,
            });
            assert_eq!(got.len(), 2 * h.atoms * 3);
            assert_eq!(got, want, "chain {chain_std}, residue {residue_std}");
            // The rows layout holds the same values.
            let rows = host_noise_rows(&h, stds, 2, level_seeds(stds, 7));
            for (k, a, axis) in [(0, 0, 0), (1, h.atoms - 1, 2), (1, h.atoms / 2, 1)] {
                assert_eq!(
                    rows[(3 * k + axis) * h.atoms + a],
                    got[(k * h.atoms + a) * 3 + axis]
                );
            }
        }
        assert!(h.chains >= 2 && h.residues > h.chains);
    }
}
