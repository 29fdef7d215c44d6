//! A sampler run measured while it runs: each frame is measured as soon as it is recorded, by one of
//! a few threads that each take a contiguous slice of the run's frames (as `trajectory_metrics`
//! splits a finished run), so the metrics overlap the steps instead of following them.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::metrics::{FrameMetrics, MetricsTracker, slice_bounds};
use crate::sampler::{Frame, SamplerError, SteppedRun};
use crate::structure::Structure;

/// What a measured run keeps of its frames: their coordinates (to export or scrub them), or only
/// their scalars and transforms, the coordinates moving to the thread that measures them (no copy,
/// and memory that the next frames reuse).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeptCoordinates {
    /// Every frame keeps its atoms.
    All,
    /// Frames keep no atoms once sent to be measured.
    None,
}

/// Frames waiting to be measured per slice at most (each holds three copies of the atoms).
const QUEUED_FRAMES: usize = 8;

/// Steps `run` to its end (it must record its frames) and measures every frame against `reference`,
/// as `trajectory_metrics` over its frames would: frame k goes to the slice holding k, and the last
/// frame of a slice also opens the next one (its tracker needs the frame before its first). On an
/// error the metrics of the frames recorded before it come back with it.
pub fn run_measuring(
    run: &mut dyn SteppedRun,
    structure: &Structure,
    reference: &[[f32; 3]],
    kept: KeptCoordinates,
) -> (Result<(), SamplerError>, Vec<FrameMetrics>) {
    let bounds = slice_bounds(run.total_steps() + 1);
    let slices = bounds.len() - 1;
    std::thread::scope(|scope| {
        let mut senders: Vec<SyncSender<Frame>> = Vec::new();
        let mut measuring = Vec::new();
        for slice in 0..slices {
            let (sender, queue): (SyncSender<Frame>, Receiver<Frame>) = sync_channel(QUEUED_FRAMES);
            senders.push(sender);
            // Every slice but the first gets the frame before its own first, only to carry on from.
            let warm_up = usize::from(slice > 0);
            measuring.push(scope.spawn(move || {
                let mut tracker = MetricsTracker::new(structure, reference);
                let mut metrics: Vec<FrameMetrics> = queue
                    .into_iter()
                    .map(|frame| tracker.push(structure, &frame))
                    .collect();
                metrics.drain(..warm_up.min(metrics.len()));
                metrics
            }));
        }
        // Sends frame `index` where it is measured; false once a measuring thread has gone.
        let send = |run: &mut dyn SteppedRun, index: usize| {
            let slice = bounds.partition_point(|&b| b <= index) - 1;
            let frame = match kept {
                KeptCoordinates::All => run.frames().get(index).cloned(),
                KeptCoordinates::None => run.take_coordinates(index),
            };
            let Some(frame) = frame else {
                return false;
            };
            let mut delivered = true;
            if slice + 1 < slices && index + 1 == bounds[slice + 1] {
                delivered &= senders[slice + 1].send(frame.clone()).is_ok();
            }
            delivered && senders[slice].send(frame).is_ok()
        };
        let mut outcome = Ok(());
        if !run.frames().is_empty() && send(run, 0) {
            while !run.is_done() {
                match run.step() {
                    Ok(Some(frame)) => {
                        let index = frame.index;
                        if !send(run, index) {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        outcome = Err(e);
                        break;
                    }
                }
            }
        }
        drop(senders);
        let metrics = measuring
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect();
        (outcome, metrics)
    })
}
