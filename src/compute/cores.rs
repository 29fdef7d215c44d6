//! The number of cores the host loops split their work over, asked once: the standard library reads
//! the cgroup's CPU quota from /proc and /sys on every call, which cost a sampler step on a small
//! structure more than its arithmetic.

use std::sync::OnceLock;

/// The cores this process may run on (1 where that cannot be told).
pub fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
}
