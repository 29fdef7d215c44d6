//! A sampler run measured while it runs: each frame is measured as soon as it is recorded, by one of
//! a few threads that take the run's frames in chunks, in turn, so the metrics overlap the steps
//! instead of following them.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::metrics::{FrameMetrics, MetricsTracker, measuring_threads};
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

/// Frames waiting to be measured per thread at most (each holds three copies of the atoms).
const QUEUED_FRAMES: usize = 8;

/// Consecutive frames one measuring thread takes before the next thread takes the next ones: the
/// threads share the run as it goes (contiguous halves left the second idle for the first half).
const CHUNK_FRAMES: usize = 8;

/// What a measuring thread is sent: a frame to measure, or the frame before its next chunk, only to
/// carry on from (`MetricsTracker::remember`).
enum Sent {
    Measure(Frame),
    Remember(Frame),
}

/// Steps `run` to its end (it must record its frames) and measures every frame against `reference`,
/// as `trajectory_metrics` over its frames would: chunks of `CHUNK_FRAMES` frames go to the
/// measuring threads in turn, and each chunk's thread first remembers the frame before it (its
/// tracker's motion needs it). On an error the metrics of the frames recorded before it come back
/// with it.
pub fn run_measuring(
    run: &mut dyn SteppedRun,
    structure: &Structure,
    reference: &[[f32; 3]],
    kept: KeptCoordinates,
) -> (Result<(), SamplerError>, Vec<FrameMetrics>) {
    let threads = measuring_threads(run.total_steps() + 1);
    std::thread::scope(|scope| {
        let mut senders: Vec<SyncSender<Sent>> = Vec::new();
        let mut measuring = Vec::new();
        for _ in 0..threads {
            let (sender, queue): (SyncSender<Sent>, Receiver<Sent>) = sync_channel(QUEUED_FRAMES);
            senders.push(sender);
            measuring.push(scope.spawn(move || {
                let mut tracker = MetricsTracker::new(structure, reference);
                let mut metrics = Vec::new();
                for sent in queue {
                    match sent {
                        Sent::Measure(frame) => metrics.push(tracker.push(structure, &frame)),
                        Sent::Remember(frame) => tracker.remember(structure, &frame),
                    }
                }
                metrics
            }));
        }
        let thread_of = |index: usize| (index / CHUNK_FRAMES) % threads;
        // Sends frame `index` where it is measured; false once a measuring thread has gone.
        let send = |run: &mut dyn SteppedRun, index: usize| {
            let frame = match kept {
                KeptCoordinates::All => run.frames().get(index).cloned(),
                KeptCoordinates::None => run.take_coordinates(index),
            };
            let Some(frame) = frame else {
                return false;
            };
            let (here, next) = (thread_of(index), thread_of(index + 1));
            let mut delivered = true;
            if next != here && !run.is_done() {
                delivered &= senders[next].send(Sent::Remember(frame.clone())).is_ok();
            }
            delivered && senders[here].send(Sent::Measure(frame)).is_ok()
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
        let mut metrics: Vec<FrameMetrics> = measuring
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect();
        metrics.sort_by_key(|m| m.index);
        (outcome, metrics)
    })
}
