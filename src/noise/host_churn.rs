//! The churned state x + multiscale noise on the host, in one pass over the atoms: burn's CPU backend
//! ran the draw, its transposition into rows and the addition as separate passes, each writing a
//! fresh N × 3 array. Here each block of atom normals is drawn into a buffer that stays in cache and
//! added, with its atom's group noise, to x as it is drawn; the values are exactly those of
//! `x + draw_noise_rows(…)` (the same draws, summed in the same order).

use std::mem::MaybeUninit;
use std::ops::Range;

use super::draw::HierarchyTensors;
use super::normals::{NORMAL_BLOCK, block_normals};

/// The residue and chain noise gathered to the atoms: each group's three values (interleaved) and
/// the atom → group map.
pub(super) type GroupNoise<'a> = Option<(Vec<f32>, usize, &'a [u32])>;

/// x (coordinate rows [3, N], `h.atoms` = N) plus the atom draw of `atom_seed` scaled by `atom_std`
/// and the gathered group noise `make_groups` draws, as coordinate rows, on `threads` threads (the
/// speed, not the values, depends on them). The threads take the normal blocks one at a time as they
/// finish one, so three blocks on two threads cost two blocks' time, not the two-to-one split of
/// contiguous runs; the other threads draw their first block while this one draws the group noise,
/// which they wait for only to add it.
pub(super) fn churned_rows<'a>(
    h: &HierarchyTensors,
    x: &[f32],
    (atom_std, atom_seed): (f32, u64),
    make_groups: impl FnOnce() -> GroupNoise<'a>,
    threads: usize,
) -> Vec<f32> {
    let n = h.atoms;
    // Every value is written once below (the blocks cover 0..3n), so the rows are not zeroed first.
    let mut out: Vec<f32> = Vec::with_capacity(3 * n);
    let blocks: Vec<Range<usize>> = (0..3 * n)
        .step_by(NORMAL_BLOCK)
        .map(|start| start..(start + NORMAL_BLOCK).min(3 * n))
        .collect();
    let parts = split_by_runs(&mut out.spare_capacity_mut()[..3 * n], n, &blocks);
    let workers = threads.min(parts.len());
    let queue = std::sync::Mutex::new(parts.into_iter());
    let groups = std::sync::OnceLock::new();
    let work = || {
        let mut z = Vec::with_capacity(NORMAL_BLOCK.min(3 * n));
        loop {
            let next = queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .next();
            let Some((block, mut rows)) = next else { break };
            z.clear();
            z.extend(
                block_normals(block.start / NORMAL_BLOCK, atom_std, atom_seed).take(block.len()),
            );
            add_block(&mut rows, block.start, &z, x, n, groups.wait());
        }
    };
    if workers < 2 {
        groups.get_or_init(make_groups);
        work();
    } else {
        std::thread::scope(|scope| {
            for _ in 1..workers {
                scope.spawn(work);
            }
            groups.get_or_init(make_groups);
            work();
        });
    }
    // SAFETY: the blocks cover the values 0..3n, `split_by_runs` gives each its disjoint parts of
    // the three rows, and `add_block` writes every value of its block (head, whole atoms, tail), so
    // all 3n elements are initialised.
    unsafe { out.set_len(3 * n) };
    out
}

/// The parts of the three output rows one run of values writes (value i is atom i / 3's coordinate
/// i % 3, so each row is cut where the run's first value of that axis lies): the runs' parts are
/// disjoint, so each run's thread owns its own.
struct RunRows<'a> {
    rows: [&'a mut [MaybeUninit<f32>]; 3],
    /// The atom each row part starts at.
    first_atom: [usize; 3],
}

/// Cuts rows [3, n] into the parts each run of value indices (into the interleaved [n, 3] order)
/// writes.
fn split_by_runs<'a>(
    out: &'a mut [MaybeUninit<f32>],
    n: usize,
    runs: &[Range<usize>],
) -> Vec<(Range<usize>, RunRows<'a>)> {
    let (r0, rest) = out.split_at_mut(n);
    let (r1, r2) = rest.split_at_mut(n);
    let mut rows = [r0, r1, r2];
    let mut taken = [0usize; 3];
    let mut parts = Vec::with_capacity(runs.len());
    for (k, run) in runs.iter().enumerate() {
        let last = k + 1 == runs.len();
        let mut cut = |axis: usize| {
            let row = std::mem::take(&mut rows[axis]);
            let end = if last {
                n
            } else {
                run.end.saturating_sub(axis).div_ceil(3).min(n)
            };
            let (part, tail) = row.split_at_mut(end - taken[axis]);
            rows[axis] = tail;
            let first = taken[axis];
            taken[axis] = end;
            (part, first)
        };
        let ((p0, f0), (p1, f1), (p2, f2)) = (cut(0), cut(1), cut(2));
        parts.push((
            run.clone(),
            RunRows {
                rows: [p0, p1, p2],
                first_atom: [f0, f1, f2],
            },
        ));
    }
    parts
}

/// Writes x + z + the group noise for the values `start..start + z.len()`: value by value up to the
/// first whole atom and after the last, atom by atom (three rows at once) between.
fn add_block(
    rows: &mut RunRows,
    start: usize,
    z: &[f32],
    x: &[f32],
    n: usize,
    groups: &GroupNoise,
) {
    let mut one_value = |value: usize, noise: f32| {
        let (atom, axis) = (value / 3, value % 3);
        let v = match groups {
            Some((values, _, map)) => noise + values[3 * map[atom] as usize + axis],
            None => noise,
        };
        rows.rows[axis][atom - rows.first_atom[axis]].write(x[axis * n + atom] + v);
    };
    let head = (3 - start % 3) % 3;
    let head = head.min(z.len());
    for (k, &noise) in z[..head].iter().enumerate() {
        one_value(start + k, noise);
    }
    let whole = (z.len() - head) / 3;
    let tail = head + 3 * whole;
    for (k, &noise) in z[tail..].iter().enumerate() {
        one_value(start + tail + k, noise);
    }
    if whole == 0 {
        return;
    }
    let first = (start + head) / 3;
    let atoms = first..first + whole;
    let z = &z[head..tail];
    let [o0, o1, o2] = &mut rows.rows;
    let f = rows.first_atom;
    let (o0, o1, o2) = (
        &mut o0[atoms.start - f[0]..atoms.end - f[0]],
        &mut o1[atoms.start - f[1]..atoms.end - f[1]],
        &mut o2[atoms.start - f[2]..atoms.end - f[2]],
    );
    let (x0, x1, x2) = (
        &x[atoms.clone()],
        &x[n + atoms.start..n + atoms.end],
        &x[2 * n + atoms.start..2 * n + atoms.end],
    );
    let (z, _) = z.as_chunks::<3>();
    let outs = o0.iter_mut().zip(o1.iter_mut()).zip(o2.iter_mut());
    let xs = x0.iter().zip(x1).zip(x2);
    match groups {
        Some((values, _, map)) => {
            let (group_noise, _) = values.as_chunks::<3>();
            for (((o, x), noise), &g) in outs.zip(xs).zip(z).zip(&map[atoms]) {
                let (((o0, o1), o2), ((x0, x1), x2)) = (o, x);
                let g = &group_noise[g as usize];
                o0.write(x0 + (noise[0] + g[0]));
                o1.write(x1 + (noise[1] + g[1]));
                o2.write(x2 + (noise[2] + g[2]));
            }
        }
        None => {
            for ((((o0, o1), o2), ((x0, x1), x2)), noise) in outs.zip(xs).zip(z) {
                o0.write(x0 + noise[0]);
                o1.write(x1 + noise[1]);
                o2.write(x2 + noise[2]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise::draw::{host_group_noise, level_seeds};
    use crate::noise::{LevelStds, draw_noise_rows};
    use burn::tensor::{Device, Tensor, TensorData};

    /// The one-pass churn equals x + the CPU backend's noise rows value for value, over several
    /// normal blocks and chains, on one thread or more, with and without group noise.
    #[test]
    fn the_host_churn_is_x_plus_the_noise_rows() {
        let s = crate::structure::Structure::synthetic(3 * NORMAL_BLOCK / 2 + 77);
        let device = Device::flex();
        let h = HierarchyTensors::new(&s, &device);
        let n = h.atoms;
        let x: Vec<f32> = (0..3 * n).map(|i| (i % 101) as f32 * 0.25 - 12.0).collect();
        let x_rows = Tensor::<2>::from_data(TensorData::new(x.clone(), [3, n]), &device);
        for (chain, residue) in [(2.0, 0.5), (0.0, 0.0), (0.0, 0.7)] {
            let stds = LevelStds {
                chain,
                residue,
                atom: 1.5,
            };
            let want = (x_rows.clone() + draw_noise_rows(&h, stds, 1, 9, &device).reshape([3, n]))
                .into_data()
                .try_to_vec::<f32>()
                .unwrap_or_default();
            let seeds = level_seeds(stds, 9);
            for threads in [1, 2, 3] {
                let groups = || host_group_noise(&h, stds, 1, seeds);
                let got = churned_rows(&h, &x, (1.5, seeds[0]), groups, threads);
                assert!(got == want, "{chain} {residue} on {threads} threads");
            }
        }
    }
}
