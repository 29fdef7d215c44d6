//! Sums over contiguous segments of an axis (the atoms of each residue, the residues of each chain)
//! without a scatter: burn's wgpu `select_assign` gives one thread to each line along the summed
//! axis and loops over the whole axis in it, so a segment sum over a million atoms ran serially.
//! Here each segment's entries are gathered in blocks of `BLOCK` (padding zeroed by a mask) and
//! every block is summed over a short axis, in parallel; the block sums are themselves contiguous
//! per segment, so the same step repeats until each segment is one block. Work and memory stay
//! O(entries), and no two threads write one place.

use burn::tensor::{Device, Int, Tensor, TensorData};

/// Entries summed per block.
const BLOCK: usize = 16;

/// One gather-and-sum pass: block b sums entries `index[b·BLOCK..(b+1)·BLOCK]` weighted by `mask`.
#[derive(Debug, Clone)]
struct Pass {
    index: Tensor<1, Int>,
    mask: Tensor<1>,
    blocks: usize,
}

/// The passes that sum an axis of `entries` entries into `groups` contiguous segments.
#[derive(Debug, Clone)]
pub struct SegmentSums {
    passes: Vec<Pass>,
    groups: usize,
}

impl SegmentSums {
    /// The plan for `group_of` (each entry's segment), or none unless the segments are contiguous
    /// and in order (a non-decreasing map below `groups`).
    pub fn new(group_of: &[u32], groups: usize, device: &Device) -> Option<Self> {
        if group_of.windows(2).any(|w| w[0] > w[1])
            || group_of.iter().any(|&g| g as usize >= groups)
        {
            return None;
        }
        let mut lengths = vec![0usize; groups];
        for &g in group_of {
            lengths[g as usize] += 1;
        }
        let mut passes = Vec::new();
        loop {
            let (pass, block_counts) = Self::pass(&lengths, device);
            passes.push(pass);
            if block_counts.iter().all(|&b| b == 1) {
                break;
            }
            lengths = block_counts;
        }
        Some(Self { passes, groups })
    }

    /// One pass over segments of `lengths` (contiguous, in order): the gather index and mask, and how
    /// many blocks each segment became (at least one, so an empty segment sums to zero).
    fn pass(lengths: &[usize], device: &Device) -> (Pass, Vec<usize>) {
        let (mut index, mut mask, mut block_counts) = (Vec::new(), Vec::new(), Vec::new());
        let mut start = 0usize;
        for &length in lengths {
            let blocks = length.div_ceil(BLOCK).max(1);
            for slot in 0..blocks * BLOCK {
                let inside = slot < length;
                index.push(if inside { start + slot } else { 0 } as i32);
                mask.push(if inside { 1.0f32 } else { 0.0 });
            }
            block_counts.push(blocks);
            start += length;
        }
        let blocks: usize = block_counts.iter().sum();
        let pass = Pass {
            index: Tensor::from_data(TensorData::new(index, [blocks * BLOCK]), device),
            mask: Tensor::from_data(TensorData::new(mask, [blocks * BLOCK]), device),
            blocks,
        };
        (pass, block_counts)
    }

    /// Sums `values` [K, M, D] over axis 1 (`axis` = 1) or [K, D, M] over axis 2 (`axis` = 2) into the
    /// segments: that axis becomes `groups` long.
    pub fn sum(&self, values: Tensor<3>, axis: usize) -> Tensor<3> {
        let mut values = values;
        for pass in &self.passes {
            let [k, a, b] = values.dims();
            let gathered = values.select(axis, pass.index.clone());
            values = if axis == 2 {
                let masked = gathered * pass.mask.clone().reshape([1, 1, pass.blocks * BLOCK]);
                masked
                    .reshape([k, a, pass.blocks, BLOCK])
                    .sum_dim(3)
                    .reshape([k, a, pass.blocks])
            } else {
                let masked = gathered * pass.mask.clone().reshape([1, pass.blocks * BLOCK, 1]);
                masked
                    .reshape([k, pass.blocks, BLOCK, b])
                    .sum_dim(2)
                    .reshape([k, pass.blocks, b])
            };
        }
        debug_assert_eq!(values.dims()[axis], self.groups);
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Segments of lengths 0, 7, … 294 and the block edges 0, 1, 16, 17, 256, 257 (three passes for
    /// the longest), on both axes: the sums of a host loop.
    #[test]
    fn block_sums_equal_the_segment_sums_on_both_axes() {
        let device = Device::flex();
        let lengths: Vec<usize> = (0..=300)
            .step_by(7)
            .chain([0, 1, 16, 17, 256, 257])
            .collect();
        let group_of: Vec<u32> = lengths
            .iter()
            .enumerate()
            .flat_map(|(g, &n)| std::iter::repeat_n(g as u32, n))
            .collect();
        let m = group_of.len();
        let plan = SegmentSums::new(&group_of, lengths.len(), &device).unwrap();
        assert_eq!(plan.passes.len(), 3);
        // Values [2, M, 3]: entry e of draw k, axis d is k·1000 + e + d/4 (exact in f32 sums).
        let value = |k: usize, e: usize, d: usize| (k * 1000 + e) as f32 + d as f32 / 4.0;
        let points: Vec<f32> = (0..2)
            .flat_map(|k| (0..m).flat_map(move |e| (0..3).map(move |d| value(k, e, d))))
            .collect();
        let points = Tensor::<3>::from_data(TensorData::new(points, [2, m, 3]), &device);
        let read = |t: Tensor<3>| t.into_data().try_to_vec::<f32>().unwrap_or_default();
        let by_points = read(plan.sum(points.clone(), 1));
        let by_rows = read(plan.sum(points.swap_dims(1, 2), 2));
        let mut start = 0;
        for (g, &n) in lengths.iter().enumerate() {
            for k in 0..2 {
                for d in 0..3 {
                    let want: f64 = (start..start + n).map(|e| f64::from(value(k, e, d))).sum();
                    let point = by_points[(k * lengths.len() + g) * 3 + d];
                    let row = by_rows[(k * 3 + d) * lengths.len() + g];
                    assert!(
                        (f64::from(point) - want).abs() <= 1e-6 * want.max(1.0),
                        "{g}"
                    );
                    assert!((f64::from(row) - want).abs() <= 1e-6 * want.max(1.0), "{g}");
                }
            }
            start += n;
        }
    }

    #[test]
    fn segments_out_of_order_have_no_plan() {
        assert!(SegmentSums::new(&[0, 1, 0], 2, &Device::flex()).is_none());
        assert!(SegmentSums::new(&[0, 2], 2, &Device::flex()).is_none());
    }
}
