//! Standard normals for noise tensors, seeded: on the host for burn's CPU backend, on the device
//! (with its generator seeded under a lock) for wgpu.

use std::sync::Mutex;

use burn::tensor::{Device, Distribution, Tensor, TensorData};
use rand::SeedableRng as _;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::Distribution as _;

use crate::rng::SplitMix64;

/// Standard normal values of `shape` on `device`, reproducible from `seed`.
pub fn standard_normal<const D: usize>(shape: [usize; D], seed: u64, device: &Device) -> Tensor<D> {
    normal(shape, 1.0, seed, device)
}

/// Values per independently seeded block of host normals: blocks are drawn in parallel, and the values
/// depend only on the seed and the block index, never on the number of threads.
pub(super) const NORMAL_BLOCK: usize = 1 << 16;

/// Normal values with mean 0 and standard deviation `std` of `shape` on `device`, reproducible from
/// `seed`.
///
/// On wgpu devices burn's generator draws them on the device. On burn's CPU backend they come from a
/// seeded ziggurat sampler (rand_distr over xoshiro256++) with the scale applied as they are drawn,
/// in blocks spread over the cores, because the backend's own draw dominated the sampler step (README,
/// Benchmarks).
pub fn normal<const D: usize>(
    shape: [usize; D],
    std: f64,
    seed: u64,
    device: &Device,
) -> Tensor<D> {
    if *device == Device::flex() {
        let values = host_normal_values(shape.iter().product(), std, seed);
        Tensor::from_data(TensorData::new(values, shape), device)
    } else {
        with_seed(device, seed, || {
            Tensor::random(shape, Distribution::Normal(0.0, std), device)
        })
    }
}

/// The `len` values `normal` gives on burn's CPU backend for `std` and `seed`, on the host.
pub fn host_normal_values(len: usize, std: f64, seed: u64) -> Vec<f32> {
    let mut values = vec![0.0f32; len];
    host_normals(&mut values, std as f32, seed, crate::compute::cores());
    values
}

/// Serialises seeded draws: burn seeds a device's generator, which other threads could advance too.
static SEEDED_DRAWS: Mutex<()> = Mutex::new(());

/// Runs `draws` with the device's generator seeded, so the same seed on the same device repeats exactly.
pub fn with_seed<R>(device: &Device, seed: u64, draws: impl FnOnce() -> R) -> R {
    let _guard = SEEDED_DRAWS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    device.seed(seed);
    draws()
}

/// Fills `values` with N(0, std²) draws. Block 0 is seeded with `seed` itself, block k > 0 with a
/// SplitMix64 stream of it. `threads` changes the speed, not the values.
fn host_normals(values: &mut [f32], std: f32, seed: u64, threads: usize) {
    let runs = normal_runs(values.len(), threads);
    if runs.len() < 2 {
        values
            .chunks_mut(NORMAL_BLOCK)
            .enumerate()
            .for_each(|(block, chunk)| fill_normal_block(chunk, block, std, seed));
        return;
    }
    std::thread::scope(|scope| {
        let mut rest = values;
        for run in runs {
            let (part, tail) = rest.split_at_mut(run.len());
            rest = tail;
            let first_block = run.start / NORMAL_BLOCK;
            scope.spawn(move || {
                part.chunks_mut(NORMAL_BLOCK)
                    .enumerate()
                    .for_each(|(k, chunk)| fill_normal_block(chunk, first_block + k, std, seed));
            });
        }
    });
}

/// The value ranges of `len` host normals that `threads` threads draw: contiguous runs of whole
/// blocks (`NORMAL_BLOCK`), at most one per thread, together covering `0..len`.
fn normal_runs(len: usize, threads: usize) -> Vec<std::ops::Range<usize>> {
    let blocks = len.div_ceil(NORMAL_BLOCK);
    let per_thread = blocks.div_ceil(threads.max(1)).max(1) * NORMAL_BLOCK;
    (0..len)
        .step_by(per_thread)
        .map(|start| start..(start + per_thread).min(len))
        .collect()
}

/// Fills `chunk` with block `block` of the host normals of `seed` (`host_normals`' values, scaled by
/// `std`): `chunk` is that block, or its first part in the last block.
fn fill_normal_block(chunk: &mut [f32], block: usize, std: f32, seed: u64) {
    for (v, z) in chunk.iter_mut().zip(block_normals(block, std, seed)) {
        *v = z;
    }
}

/// Block `block` of the host normals of `seed`, scaled by `std`, as they are drawn (endless: take the
/// block's length).
pub(super) fn block_normals(block: usize, std: f32, seed: u64) -> impl Iterator<Item = f32> {
    let block_seed = match block {
        0 => seed,
        k => SplitMix64::new(seed, k as u64).next_u64(),
    };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(block_seed);
    std::iter::repeat_with(move || {
        let z: f32 = rand_distr::StandardNormal.sample(&mut rng);
        std * z
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_normals_do_not_depend_on_the_thread_count() {
        let len = 3 * NORMAL_BLOCK + 123;
        let fill = |threads| {
            let mut v = vec![0.0f32; len];
            host_normals(&mut v, 2.0, 11, threads);
            v
        };
        let one = fill(1);
        assert_eq!(one, fill(2));
        assert_eq!(one, fill(5));
        // Blocks are seeded apart: block 1 does not repeat block 0.
        assert_ne!(one[..100], one[NORMAL_BLOCK..NORMAL_BLOCK + 100]);
        // The scale is applied: the sample std is 2 (about 2e5 draws, standard error 0.003).
        let var = one.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / len as f64;
        assert!((var.sqrt() - 2.0).abs() < 0.02, "{var}");
    }

    #[test]
    fn host_normals_have_unit_moments_and_repeat() {
        let device = Device::flex();
        let a: Vec<f32> = standard_normal([20_000, 3], 7, &device)
            .into_data()
            .try_into_vec()
            .unwrap();
        let b: Vec<f32> = standard_normal([20_000, 3], 7, &device)
            .into_data()
            .try_into_vec()
            .unwrap();
        let c: Vec<f32> = standard_normal([20_000, 3], 8, &device)
            .into_data()
            .try_into_vec()
            .unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let n = a.len() as f64;
        let mean = a.iter().map(|v| f64::from(*v)).sum::<f64>() / n;
        let var = a
            .iter()
            .map(|v| (f64::from(*v) - mean).powi(2))
            .sum::<f64>()
            / n;
        // 60 000 draws: the mean's standard error is 0.004, the variance's about 0.006.
        assert!(mean.abs() < 0.02, "{mean}");
        assert!((var - 1.0).abs() < 0.03, "{var}");
    }
}
