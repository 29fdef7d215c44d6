//! The sampler off the UI thread: a worker owns the run, takes commands, and sends back frames with
//! their metrics; a cancel stops, between steps, every command sent before it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};

use burn::tensor::Device;

use crate::denoiser::{Denoiser, EnsembleDenoiser, ExactDenoiser};
use crate::sampler::{Sampler, SamplerSettings};
use crate::structure::Structure;
use crate::trajectory::{Frame, FrameMetrics, MetricsTracker};

/// Which reference denoiser a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DenoiserKind {
    /// The loaded structure.
    Exact,
    /// Posterior mean over the file's models.
    Ensemble,
    /// Posterior mean over uniformly rotated copies of the structure (the ideal augmented model).
    RotationMarginal,
}

/// What the UI asks of the worker.
pub enum WorkerCommand {
    /// Start a new run (frame 0 is sent back).
    Reset {
        /// The structure.
        structure: Arc<Structure>,
        /// Preset, noise, start, seed.
        settings: Box<SamplerSettings>,
        /// Denoiser.
        denoiser: DenoiserKind,
        /// Tag of the run, echoed in its events so a stale run's frames can be told apart.
        run: u64,
    },
    /// Take up to this many steps.
    Step(usize),
}

/// What the worker reports.
pub enum WorkerEvent {
    /// A run started: its sigma schedule and frame 0.
    Started {
        /// The run's tag.
        run: u64,
        /// The schedule.
        sigmas: Vec<f64>,
        /// Frame 0 and its metrics.
        frame: Box<(Frame, FrameMetrics)>,
    },
    /// A step of run `.0` finished.
    Frame(u64, Box<(Frame, FrameMetrics)>),
    /// Steps taken and total, after each step of a multi-step command.
    Progress(usize, usize),
    /// A command finished (or was cancelled).
    Idle,
    /// Something failed; the run stays as it was.
    Error(String),
}

/// Handle of the worker thread.
pub struct SamplerWorker {
    /// Commands with their sequence numbers (1, 2, …).
    commands: Sender<(u64, WorkerCommand)>,
    events: Receiver<WorkerEvent>,
    /// Commands sent so far.
    sent: AtomicU64,
    /// Every command numbered up to this is cancelled. A cancel covers what was queued before it and
    /// nothing after, so no command start can erase it.
    cancelled_through: Arc<AtomicU64>,
}

struct Run {
    tag: u64,
    structure: Arc<Structure>,
    sampler: Sampler,
    tracker: MetricsTracker,
}

fn start(
    device: &Device,
    tag: u64,
    structure: Arc<Structure>,
    settings: SamplerSettings,
    kind: DenoiserKind,
) -> Result<Run, String> {
    let denoiser: Box<dyn Denoiser> = match kind {
        DenoiserKind::Exact => Box::new(ExactDenoiser::new(&structure.positions, device)),
        DenoiserKind::Ensemble => Box::new(
            EnsembleDenoiser::new(&structure, &settings.noise.model, device)
                .map_err(|e| e.to_string())?,
        ),
        DenoiserKind::RotationMarginal => Box::new(
            crate::denoiser::RotationMarginalDenoiser::new(
                &structure,
                &settings.noise.model,
                crate::denoiser::DEFAULT_ROTATIONS,
                settings.seed,
                device,
            )
            .map_err(|e| e.to_string())?,
        ),
    };
    let sampler =
        Sampler::new(&structure, settings, denoiser, device).map_err(|e| e.to_string())?;
    let tracker = MetricsTracker::new(&structure, &structure.positions);
    Ok(Run {
        tag,
        structure,
        sampler,
        tracker,
    })
}

/// Sends events and wakes the UI so it polls them even when the pointer is idle.
struct EventSink {
    events: Sender<WorkerEvent>,
    wake: Box<dyn Fn() + Send>,
}

impl EventSink {
    fn send(&self, event: WorkerEvent) -> Result<(), ()> {
        let sent = self.events.send(event).map_err(|_| ());
        (self.wake)();
        sent
    }
}

fn serve(
    device: &Device,
    commands: &Receiver<(u64, WorkerCommand)>,
    events: &EventSink,
    cancelled_through: &AtomicU64,
) {
    let mut run: Option<Run> = None;
    while let Ok((sequence, command)) = commands.recv() {
        let cancelled = || cancelled_through.load(Ordering::SeqCst) >= sequence;
        match command {
            WorkerCommand::Reset {
                structure,
                settings,
                denoiser,
                run: tag,
            } => match start(device, tag, structure, *settings, denoiser) {
                Ok(mut r) => {
                    let start = r.sampler.frames()[0].clone();
                    let metrics = r.tracker.push(&r.structure, &start);
                    events
                        .send(WorkerEvent::Started {
                            run: r.tag,
                            sigmas: r.sampler.sigmas().to_vec(),
                            frame: Box::new((start, metrics)),
                        })
                        .ok();
                    run = Some(r);
                }
                Err(e) => {
                    events.send(WorkerEvent::Error(e)).ok();
                }
            },
            WorkerCommand::Step(count) => {
                if let Some(r) = run.as_mut() {
                    for _ in 0..count {
                        if cancelled() || r.sampler.is_done() {
                            break;
                        }
                        match r.sampler.step() {
                            Ok(Some(frame)) => {
                                let frame = frame.clone();
                                let metrics = r.tracker.push(&r.structure, &frame);
                                events
                                    .send(WorkerEvent::Frame(r.tag, Box::new((frame, metrics))))
                                    .ok();
                                events
                                    .send(WorkerEvent::Progress(
                                        r.sampler.steps_taken(),
                                        r.sampler.total_steps(),
                                    ))
                                    .ok();
                            }
                            Ok(None) => break,
                            Err(e) => {
                                events.send(WorkerEvent::Error(e.to_string())).ok();
                                break;
                            }
                        }
                    }
                }
            }
        }
        events.send(WorkerEvent::Idle).ok();
    }
}

impl SamplerWorker {
    /// Starts the worker thread on `device`; `wake` is called after every event (request a repaint there).
    pub fn spawn(device: Device, wake: impl Fn() + Send + 'static) -> Self {
        let (command_tx, command_rx) = channel();
        let (event_tx, event_rx) = channel();
        let cancelled_through = Arc::new(AtomicU64::new(0));
        let flag = Arc::clone(&cancelled_through);
        let sink = EventSink {
            events: event_tx,
            wake: Box::new(wake),
        };
        std::thread::Builder::new()
            .name("sampler".to_owned())
            .spawn(move || serve(&device, &command_rx, &sink, &flag))
            .ok();
        Self {
            commands: command_tx,
            events: event_rx,
            sent: AtomicU64::new(0),
            cancelled_through,
        }
    }

    /// Sends a command.
    pub fn send(&self, command: WorkerCommand) {
        let sequence = self.sent.fetch_add(1, Ordering::SeqCst) + 1;
        self.commands.send((sequence, command)).ok();
    }

    /// Stops every command sent so far after the step in progress (queued ones do nothing).
    pub fn cancel(&self) {
        self.cancelled_through
            .store(self.sent.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    /// Events that arrived since the last call.
    pub fn poll(&self) -> Vec<WorkerEvent> {
        self.events.try_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structure::default_structure;
    use std::time::{Duration, Instant};

    #[test]
    fn a_cancel_pressed_while_a_reset_is_queued_stops_the_steps_behind_it() {
        // The step command used to clear the flag when it started, so a cancel that arrived while the
        // reset before it was still running was lost and every step ran.
        let worker = SamplerWorker::spawn(crate::compute::ComputeDevice::cpu().device, || {});
        let structure = Arc::new(
            default_structure()
                .load(&Default::default())
                .unwrap_or_else(|e| panic!("{e}")),
        );
        let mut settings = super::super::settings::Settings {
            steps: 200,
            ..Default::default()
        }
        .sampler_settings()
        .unwrap_or_else(|e| panic!("{e}"));
        settings.preset.schedule.steps = 200;
        worker.send(WorkerCommand::Reset {
            structure,
            settings: Box::new(settings),
            denoiser: DenoiserKind::Exact,
            run: 1,
        });
        worker.send(WorkerCommand::Step(200));
        worker.cancel();
        let (mut idle, mut frames) = (0, 0);
        let start = Instant::now();
        while idle < 2 {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "the worker hangs"
            );
            for event in worker.poll() {
                match event {
                    WorkerEvent::Idle => idle += 1,
                    WorkerEvent::Frame(..) => frames += 1,
                    _ => {}
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        // Normally none; a thread stalled between the send and the cancel could let a few run, never
        // the 200 of the lost cancel.
        assert!(
            frames < 200,
            "the step command behind the reset ran all {frames} steps"
        );
        // A command sent after the cancel runs.
        worker.send(WorkerCommand::Step(2));
        let start = Instant::now();
        while frames < 2 {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "the later step never ran"
            );
            frames += worker
                .poll()
                .iter()
                .filter(|e| matches!(e, WorkerEvent::Frame(..)))
                .count();
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
