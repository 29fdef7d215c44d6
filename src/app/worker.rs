//! The window's long work off the UI thread: a worker owns the run and takes the commands of
//! `protocol` in order, sending back frames with their metrics and noise draws with their figures. A
//! cancel stops, between steps, every command sent before it and none sent after.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};

use burn::tensor::Device;

use super::protocol::{AppliedNoise, WorkerCommand, WorkerEvent};
use super::state::RunSource;
use crate::denoiser::learned::train_model;
use crate::denoiser::{DenoiserChoice, DenoiserInputs, denoiser_error};
use crate::noise::{NoiseTableSpec, noise_table};
use crate::sampler::{FamilySampler, FamilySettings, Sampler, SamplerSettings, SteppedRun};
use crate::structure::Structure;
use crate::trajectory::{MetricsTracker, import_against, sweep, sweep_run, trajectory_metrics};

/// Draws per noise level of the window's denoiser-error measurement (the CLI's default).
const DENOISER_ERROR_DRAWS: usize = 4;

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
    sampler: Box<dyn SteppedRun>,
    tracker: MetricsTracker,
}

/// What a run is made of.
struct RunSpec {
    tag: u64,
    structure: Arc<Structure>,
    settings: SamplerSettings,
    family: Option<FamilySettings>,
    choice: DenoiserChoice,
    device_frames_budget: u64,
}

fn start(device: &Device, spec: RunSpec) -> Result<Run, String> {
    let RunSpec {
        tag,
        structure,
        settings,
        family,
        choice,
        device_frames_budget,
    } = spec;
    let inputs = DenoiserInputs::new(&structure, &settings.noise.model, settings.seed);
    let denoiser = choice.build(&inputs, device).map_err(|e| e.to_string())?;
    let mut sampler: Box<dyn SteppedRun> = match family {
        Some(family) => Box::new(
            FamilySampler::new(&structure, family, denoiser, device).map_err(|e| e.to_string())?,
        ),
        None => Box::new(
            Sampler::new(&structure, settings, denoiser, device).map_err(|e| e.to_string())?,
        ),
    };
    sampler.keep_frames_on_device(device_frames_budget);
    let tracker = MetricsTracker::new(&structure, &structure.positions);
    Ok(Run {
        tag,
        structure,
        sampler,
        tracker,
    })
}

/// The noised structure and its measured cell (the first draw is the one shown).
fn apply_noise(
    device: &Device,
    structure: &Structure,
    spec: &NoiseTableSpec,
) -> Result<AppliedNoise, String> {
    let table = noise_table(structure, spec, device, true).map_err(|e| e.to_string())?;
    let (Some(sample), Some(row)) = (table.samples.first(), table.rows.first()) else {
        return Err("the noise table came back empty".to_owned());
    };
    let cell = row
        .noises
        .0
        .first()
        .map(|(_, c)| c.clone())
        .ok_or_else(|| "the noise table came back empty".to_owned())?;
    let noised = structure
        .positions
        .iter()
        .zip(sample)
        .map(|(p, d)| [p[0] + d[0], p[1] + d[1], p[2] + d[2]])
        .collect();
    Ok(AppliedNoise { noised, cell })
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
                family,
                denoiser,
                run: tag,
                device_frames_budget,
            } => match start(
                device,
                RunSpec {
                    tag,
                    structure,
                    settings: *settings,
                    family: family.map(|f| *f),
                    choice: denoiser,
                    device_frames_budget,
                },
            ) {
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
            WorkerCommand::ImportRun {
                structure,
                path,
                options,
                run: tag,
            } => match import_against(&path, &structure, &options) {
                Ok(imported) => {
                    let metrics =
                        trajectory_metrics(&structure, &structure.positions, &imported.frames);
                    // Steps of this file are not the sampler's: a later Step starts a new run.
                    run = None;
                    events
                        .send(WorkerEvent::Loaded {
                            run: tag,
                            source: RunSource::Imported {
                                path,
                                missing: imported.missing,
                            },
                            frames: imported.frames.into_iter().zip(metrics).collect(),
                        })
                        .ok();
                }
                Err(e) => {
                    events
                        .send(WorkerEvent::Error(format!("cannot open the run: {e}")))
                        .ok();
                }
            },
            WorkerCommand::Sweep {
                structure,
                spec,
                steps,
                seeds,
                tag,
            } => {
                let outcome = sweep(&structure, &spec, &steps, seeds, device, |done, total| {
                    events.send(WorkerEvent::Progress(done, total)).ok();
                    !cancelled()
                });
                let event = match outcome {
                    Ok(points) => WorkerEvent::SweepDone(tag, points),
                    Err(e) => WorkerEvent::Error(format!("the sweep failed: {e}")),
                };
                events.send(event).ok();
            }
            WorkerCommand::SweepRun {
                structure,
                spec,
                steps,
                seed,
                run: tag,
            } => match sweep_run(&structure, &spec, steps, seed, device) {
                Ok((frames, _)) => {
                    let metrics = trajectory_metrics(&structure, &structure.positions, &frames);
                    run = None;
                    events
                        .send(WorkerEvent::Loaded {
                            run: tag,
                            source: RunSource::Sweep { steps, seed },
                            frames: frames.into_iter().zip(metrics).collect(),
                        })
                        .ok();
                }
                Err(e) => {
                    events
                        .send(WorkerEvent::Error(format!("the sweep run failed: {e}")))
                        .ok();
                }
            },
            WorkerCommand::DenoiserError {
                structure,
                denoiser,
                noise,
                sigmas,
                prior_sigma,
                seed,
                tag,
            } => {
                events.send(WorkerEvent::Progress(0, sigmas.len())).ok();
                let inputs = DenoiserInputs::new(&structure, &noise.model, seed);
                let rows = denoiser
                    .build(&inputs, device)
                    .map_err(|e| e.to_string())
                    .and_then(|d| {
                        denoiser_error(
                            &structure,
                            d.as_ref(),
                            &noise.model,
                            &sigmas,
                            DENOISER_ERROR_DRAWS,
                            prior_sigma,
                            seed,
                            device,
                        )
                        .map_err(|e| e.to_string())
                    });
                let event = match rows {
                    _ if cancelled() => None,
                    Ok(rows) => Some(WorkerEvent::DenoiserErrorDone(tag, rows)),
                    Err(e) => Some(WorkerEvent::Error(format!(
                        "the denoiser error failed: {e}"
                    ))),
                };
                if let Some(event) = event {
                    events.send(event).ok();
                }
            }
            WorkerCommand::Train {
                structure,
                model,
                train,
                noise,
                out,
                device_name,
                tag,
            } => {
                let total = train.steps;
                let trained = train_model(
                    &structure,
                    &model,
                    &train,
                    &noise,
                    device,
                    &device_name,
                    |record| {
                        events.send(WorkerEvent::TrainStep(tag, *record)).ok();
                        events.send(WorkerEvent::Progress(record.step, total)).ok();
                        !cancelled()
                    },
                );
                let protected: Vec<&std::path::Path> =
                    structure.source_path.iter().map(|p| p.as_path()).collect();
                let event = match trained {
                    Ok(model) => match model.save(&out, &protected) {
                        Ok(()) => WorkerEvent::TrainDone(tag, Box::new(model.header), out),
                        Err(e) => WorkerEvent::Error(format!("cannot save the model: {e}")),
                    },
                    Err(e) => WorkerEvent::Error(format!("training failed: {e}")),
                };
                events.send(event).ok();
            }
            WorkerCommand::ApplyNoise {
                structure,
                spec,
                tag,
            } => {
                let draws = spec.repeats.max(1);
                events.send(WorkerEvent::Progress(0, draws)).ok();
                let event = match apply_noise(device, &structure, &spec) {
                    _ if cancelled() => None,
                    Ok(applied) => Some(WorkerEvent::NoiseApplied(tag, Box::new(applied))),
                    Err(e) => Some(WorkerEvent::Error(e)),
                };
                if let Some(event) = event {
                    events.send(event).ok();
                    events.send(WorkerEvent::Progress(draws, draws)).ok();
                }
            }
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
            family: None,
            denoiser: DenoiserChoice::Exact,
            run: 1,
            device_frames_budget: 0,
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
