//! What the worker does for each command: one handler a command, each sending its results (and its
//! failure, typed) as events. The run the steps advance lives here between commands.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Receiver;

use burn::tensor::Device;

use super::EventSink;
use crate::app::protocol::{AppliedNoise, WorkerCommand, WorkerError, WorkerEvent};
use crate::denoiser::learned::{ModelConfig, TrainConfig, train_model};
use crate::denoiser::{DenoiserChoice, DenoiserInputs, denoiser_error};
use crate::noise::{NamedNoise, NoiseTableSpec, noise_table};
use crate::sampler::{FamilySampler, FamilySettings, Sampler, SamplerSettings, SteppedRun};
use crate::structure::{LoadOptions, Structure, load_file_or_bundled};
use crate::trajectory::{
    ImportOptions, MetricsTracker, Run, RunSource, SweepSpec, import_for_view, sweep, sweep_run,
};

/// Draws per noise level of the window's denoiser-error measurement (the CLI's default).
const DENOISER_ERROR_DRAWS: usize = 4;

/// The run the steps advance.
struct SteppingRun {
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
    substeps: bool,
}

/// The worker thread's state: its device, where its events go, and the current run.
pub(super) struct Worker {
    device: Device,
    events: EventSink,
    run: Option<SteppingRun>,
}

/// Whether the command being served has been cancelled.
struct Cancel<'a> {
    sequence: u64,
    through: &'a AtomicU64,
}

impl Cancel<'_> {
    fn requested(&self) -> bool {
        self.through.load(Ordering::SeqCst) >= self.sequence
    }
}

impl Worker {
    pub(super) fn new(device: Device, events: EventSink) -> Self {
        Self {
            device,
            events,
            run: None,
        }
    }

    fn send(&self, event: WorkerEvent) {
        self.events.send(event).ok();
    }

    /// Sends a whole run (a file's, a sweep's); its steps are not the sampler's, so a later Step
    /// starts a new run.
    fn send_whole_run(&mut self, tag: u64, run: Run) {
        self.run = None;
        self.send(WorkerEvent::Loaded {
            tag,
            run: Box::new(run),
            structure: None,
        });
    }

    fn fail(&self, error: impl Into<WorkerError>) {
        self.send(WorkerEvent::Failed(error.into()));
    }

    /// Serves commands in order until the window drops its handle.
    pub(super) fn serve(
        mut self,
        commands: &Receiver<(u64, WorkerCommand)>,
        cancelled: &AtomicU64,
    ) {
        while let Ok((sequence, command)) = commands.recv() {
            let cancel = Cancel {
                sequence,
                through: cancelled,
            };
            self.handle(command, &cancel);
            self.send(WorkerEvent::Idle);
        }
    }

    fn handle(&mut self, command: WorkerCommand, cancel: &Cancel<'_>) {
        match command {
            WorkerCommand::Reset {
                structure,
                settings,
                family,
                denoiser,
                run,
                device_frames_budget,
                substeps,
            } => self.reset(RunSpec {
                tag: run,
                structure,
                settings: *settings,
                family: family.map(|f| *f),
                choice: denoiser,
                device_frames_budget,
                substeps,
            }),
            WorkerCommand::Step(count) => self.step(count, cancel),
            WorkerCommand::ImportRun {
                structure,
                path,
                options,
                run,
            } => self.import_run(&structure, path, &options, run),
            WorkerCommand::Sweep {
                structure,
                spec,
                steps,
                seeds,
                tag,
            } => self.sweep(&structure, &spec, &steps, seeds, tag, cancel),
            WorkerCommand::SweepRun {
                structure,
                spec,
                steps,
                seed,
                run,
            } => self.sweep_run(&structure, &spec, steps, seed, run),
            WorkerCommand::DenoiserError {
                structure,
                denoiser,
                noise,
                sigmas,
                prior_sigma,
                seed,
                tag,
            } => {
                let job = DenoiserErrorJob {
                    denoiser,
                    noise,
                    sigmas,
                    prior_sigma,
                    seed,
                };
                self.denoiser_error(&structure, &job, tag, cancel);
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
                let job = TrainJob {
                    model: *model,
                    train: *train,
                    noise,
                    out,
                    device_name,
                };
                self.train(&structure, job, tag, cancel);
            }
            WorkerCommand::LoadStructure { path, options, tag } => {
                self.load_structure(path, &options, tag);
            }
            WorkerCommand::ApplyNoise {
                structure,
                spec,
                tag,
            } => self.apply_noise(&structure, &spec, tag, cancel),
        }
    }

    /// A new run: its frame 0 and schedule are sent back.
    fn reset(&mut self, spec: RunSpec) {
        match start(&self.device, spec) {
            Ok(mut run) => {
                let start = run.sampler.frames()[0].clone();
                let metrics = run.tracker.push(&run.structure, &start);
                self.send(WorkerEvent::Started {
                    run: run.tag,
                    sigmas: run.sampler.sigmas().to_vec(),
                    frame: Box::new((start, metrics)),
                });
                self.run = Some(run);
            }
            Err(e) => self.fail(e),
        }
    }

    /// Up to `count` steps of the current run, each frame sent with its metrics.
    fn step(&mut self, count: usize, cancel: &Cancel<'_>) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        for _ in 0..count {
            if cancel.requested() || run.sampler.is_done() {
                break;
            }
            match run.sampler.step() {
                Ok(Some(frame)) => {
                    let frame = frame.clone();
                    let metrics = run.tracker.push(&run.structure, &frame);
                    let progress =
                        WorkerEvent::Progress(run.sampler.steps_taken(), run.sampler.total_steps());
                    self.events
                        .send(WorkerEvent::Frame(run.tag, Box::new((frame, metrics))))
                        .ok();
                    self.events.send(progress).ok();
                }
                Ok(None) => break,
                Err(e) => {
                    self.events
                        .send(WorkerEvent::Failed(WorkerError::Sampler(e)))
                        .ok();
                    break;
                }
            }
        }
    }

    /// A run written by another tool, read against the structure and measured.
    fn import_run(
        &mut self,
        structure: &Structure,
        path: PathBuf,
        options: &ImportOptions,
        tag: u64,
    ) {
        match import_for_view(&path, structure, options) {
            Ok(imported) => {
                let note = format!("{}: {}", path.display(), imported.source.summary());
                let source = RunSource::Imported {
                    path,
                    missing: imported.missing,
                    note,
                };
                let run = Run::measured(&imported.structure, imported.frames, source);
                let topology = imported.own_topology.then(|| Box::new(imported.structure));
                self.run = None;
                self.send(WorkerEvent::Loaded {
                    tag,
                    run: Box::new(run),
                    structure: topology,
                });
            }
            Err(e) => self.fail(e),
        }
    }

    fn sweep(
        &self,
        structure: &Structure,
        spec: &SweepSpec,
        steps: &[usize],
        seeds: u64,
        tag: u64,
        cancel: &Cancel<'_>,
    ) {
        let outcome = sweep(
            structure,
            spec,
            steps,
            seeds,
            &self.device,
            |done, total| {
                self.send(WorkerEvent::Progress(done, total));
                !cancel.requested()
            },
        );
        match outcome {
            Ok(points) => self.send(WorkerEvent::SweepDone(tag, points)),
            Err(e) => self.fail(e),
        }
    }

    /// One configuration of a sweep run again, its frames sent as a whole run.
    fn sweep_run(
        &mut self,
        structure: &Structure,
        spec: &SweepSpec,
        steps: usize,
        seed: u64,
        tag: u64,
    ) {
        match sweep_run(structure, spec, steps, seed, &self.device) {
            Ok((frames, _)) => {
                let source = RunSource::Sweep { steps, seed };
                self.send_whole_run(tag, Run::measured(structure, frames, source));
            }
            Err(e) => self.fail(e),
        }
    }

    fn denoiser_error(
        &self,
        structure: &Structure,
        job: &DenoiserErrorJob,
        tag: u64,
        cancel: &Cancel<'_>,
    ) {
        self.send(WorkerEvent::Progress(0, job.sigmas.len()));
        let inputs = DenoiserInputs::new(structure, &job.noise.model, job.seed);
        let denoiser = match job.denoiser.build(&inputs, &self.device) {
            Ok(denoiser) => denoiser,
            Err(e) => return self.fail(WorkerError::DenoiserErrorSetup(e)),
        };
        let rows = denoiser_error(
            structure,
            denoiser.as_ref(),
            &job.noise.model,
            &job.sigmas,
            DENOISER_ERROR_DRAWS,
            job.prior_sigma,
            job.seed,
            &self.device,
        );
        match rows {
            _ if cancel.requested() => {}
            Ok(rows) => self.send(WorkerEvent::DenoiserErrorDone(tag, rows)),
            Err(e) => self.fail(WorkerError::DenoiserError(e)),
        }
    }

    fn train(&self, structure: &Structure, job: TrainJob, tag: u64, cancel: &Cancel<'_>) {
        let total = job.train.steps;
        let trained = train_model(
            structure,
            &job.model,
            &job.train,
            &job.noise,
            &self.device,
            &job.device_name,
            |record| {
                self.send(WorkerEvent::TrainStep(tag, *record));
                self.send(WorkerEvent::Progress(record.step, total));
                !cancel.requested()
            },
        );
        let protected: Vec<&std::path::Path> =
            structure.source_path.iter().map(|p| p.as_path()).collect();
        let saved = trained.map_err(WorkerError::from).and_then(|model| {
            model.save(&job.out, &protected)?;
            Ok(model.header)
        });
        match saved {
            Ok(header) => self.send(WorkerEvent::TrainDone(tag, Box::new(header), job.out)),
            Err(e) => self.fail(e),
        }
    }

    /// A structure file read off the UI thread.
    fn load_structure(&self, path: PathBuf, options: &LoadOptions, tag: u64) {
        self.send(WorkerEvent::Progress(0, 1));
        match load_file_or_bundled(&path, options) {
            Ok(structure) => self.send(WorkerEvent::StructureLoaded {
                tag,
                path,
                structure: Box::new(structure),
            }),
            Err(e) => self.send(WorkerEvent::LoadFailed(tag, e)),
        }
    }

    fn apply_noise(
        &self,
        structure: &Structure,
        spec: &NoiseTableSpec,
        tag: u64,
        cancel: &Cancel<'_>,
    ) {
        let draws = spec.repeats.max(1);
        self.send(WorkerEvent::Progress(0, draws));
        match apply_noise(&self.device, structure, spec) {
            _ if cancel.requested() => {}
            Ok(applied) => {
                self.send(WorkerEvent::NoiseApplied(tag, Box::new(applied)));
                self.send(WorkerEvent::Progress(draws, draws));
            }
            Err(e) => self.fail(e),
        }
    }
}

/// The denoiser-error panel's measurement.
struct DenoiserErrorJob {
    denoiser: DenoiserChoice,
    noise: NamedNoise,
    sigmas: Vec<f64>,
    prior_sigma: f64,
    seed: u64,
}

/// The Train panel's training.
struct TrainJob {
    model: ModelConfig,
    train: TrainConfig,
    noise: NamedNoise,
    out: PathBuf,
    device_name: String,
}

fn start(device: &Device, spec: RunSpec) -> Result<SteppingRun, WorkerError> {
    let RunSpec {
        tag,
        structure,
        settings,
        family,
        choice,
        device_frames_budget,
        substeps,
    } = spec;
    let inputs = DenoiserInputs::new(&structure, &settings.noise.model, settings.seed);
    let denoiser = choice.build(&inputs, device)?;
    let mut sampler: Box<dyn SteppedRun> = match family {
        Some(family) => Box::new(FamilySampler::new(&structure, family, denoiser, device)?),
        None => {
            let mut sampler = Sampler::new(&structure, settings, denoiser, device)?;
            sampler.record_substeps(substeps);
            Box::new(sampler)
        }
    };
    sampler.keep_frames_on_device(device_frames_budget);
    let tracker = MetricsTracker::new(&structure, &structure.positions);
    Ok(SteppingRun {
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
) -> Result<AppliedNoise, WorkerError> {
    let table = noise_table(structure, spec, device, true)?;
    let (Some(sample), Some(row)) = (table.samples.first(), table.rows.first()) else {
        return Err(WorkerError::EmptyNoiseTable);
    };
    let cell = row
        .noises
        .0
        .first()
        .map(|(_, c)| c.clone())
        .ok_or(WorkerError::EmptyNoiseTable)?;
    let noised = structure
        .positions
        .iter()
        .zip(sample)
        .map(|(p, d)| [p[0] + d[0], p[1] + d[1], p[2] + d[2]])
        .collect();
    Ok(AppliedNoise { noised, cell })
}
