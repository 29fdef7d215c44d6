//! What the worker reports, applied to the state: a run's frames, each awaited job's result (taken
//! only when its tag is still awaited), progress, the end of a command and failures.

use super::protocol::{WorkerError, WorkerEvent};
use super::state::AppState;
use super::timeline::TimelineCommand;
use crate::sampler::Frame;
use crate::trajectory::{Run, RunSource};

impl AppState {
    /// Handles what the worker sent; returns true when something changed.
    pub fn poll_worker(&mut self) -> bool {
        let events = self.worker.poll();
        let changed = !events.is_empty() | self.poll_live();
        for event in events {
            self.handle_event(event);
        }
        if changed {
            let substeps = self.run.frames.iter().map(Frame::substeps).collect();
            self.timeline.set_substeps(substeps);
            self.rebuild_scene();
        }
        changed
    }

    fn handle_event(&mut self, event: WorkerEvent) {
        match event {
            WorkerEvent::Started { .. } | WorkerEvent::Frame(..) | WorkerEvent::Loaded { .. } => {
                self.run_event(event);
            }
            WorkerEvent::Progress(done, total) => self.progress = Some((done, total)),
            WorkerEvent::Idle => {
                self.pending_commands = self.pending_commands.saturating_sub(1);
                if self.pending_commands == 0 {
                    self.progress = None;
                    // A cancelled draw or a failed sweep never reports.
                    self.jobs.forget_all();
                }
            }
            WorkerEvent::Failed(e) => {
                if matches!(e, WorkerError::Export(_)) {
                    self.jobs.export = None;
                }
                self.status = Some(e.to_string());
            }
            WorkerEvent::Exported(path) => {
                self.jobs.export = None;
                self.status = Some(format!("wrote {}", path.display()));
            }
            WorkerEvent::ExportCancelled(path) => {
                self.jobs.export = None;
                self.status = Some(format!("export to {} cancelled", path.display()));
            }
            WorkerEvent::SweepDone(..)
            | WorkerEvent::DenoiserErrorDone(..)
            | WorkerEvent::TrainStep(..)
            | WorkerEvent::TrainDone(..)
            | WorkerEvent::NoiseApplied(..)
            | WorkerEvent::StructureLoaded { .. }
            | WorkerEvent::LoadFailed(..) => self.job_result(event),
        }
    }

    /// A run's frames: a run started, a step taken, or a whole run read or rerun.
    fn run_event(&mut self, event: WorkerEvent) {
        match event {
            // Frames of a run started before the structure changed are dropped.
            WorkerEvent::Started { run, .. } | WorkerEvent::Frame(run, _)
                if !self.jobs.run.takes_step(run) => {}
            WorkerEvent::Loaded { tag, .. } if !self.jobs.run.take_whole(tag) => {}
            WorkerEvent::Loaded { run, structure, .. } => {
                if let Some(structure) = structure {
                    self.replace_structure(*structure);
                }
                self.run_id += 1;
                self.run = *run;
                if let RunSource::Imported { note, .. } = &self.run.source {
                    self.status = Some(note.clone());
                }
                self.results.applied_noise = None;
                self.timeline.set_frame_count(self.run.frames.len(), false);
                self.timeline.apply(TimelineCommand::First);
            }
            WorkerEvent::Started { sigmas, frame, .. } => {
                let (frame, metrics) = *frame;
                self.run_id += 1;
                self.run = Run::started(sigmas, frame, metrics);
                self.results.applied_noise = None;
                self.timeline.set_frame_count(1, true);
            }
            WorkerEvent::Frame(_, boxed) => {
                let (frame, metrics) = *boxed;
                self.run.push(frame, metrics);
                let follow = self.timeline.current + 2 >= self.run.frames.len();
                self.timeline.set_frame_count(self.run.frames.len(), follow);
            }
            _ => {}
        }
    }

    /// The result of a job awaited by its tag; a result no longer awaited is dropped.
    fn job_result(&mut self, event: WorkerEvent) {
        match event {
            WorkerEvent::SweepDone(tag, points) if self.jobs.sweep.take(tag) => {
                self.results.sweep = Some(points);
            }
            WorkerEvent::TrainStep(tag, record) => {
                if self.jobs.train.awaits(tag)
                    && let Some(view) = self.results.training.as_mut()
                {
                    view.losses.push(record);
                }
            }
            WorkerEvent::TrainDone(tag, header, path) if self.jobs.train.take(tag) => {
                if let Some(view) = self.results.training.as_mut() {
                    view.header = Some(*header);
                    view.path = Some(path.clone());
                }
                self.status = Some(format!(
                    "trained model saved to {}: choose \"learned\" in the sampler panel",
                    path.display()
                ));
                self.settings.trained_model = Some(path);
            }
            WorkerEvent::DenoiserErrorDone(tag, rows) if self.jobs.denoiser_error.take(tag) => {
                self.results.denoiser_error = Some(rows);
            }
            WorkerEvent::NoiseApplied(tag, applied) if self.jobs.noise.take(tag) => {
                self.results.applied_noise = Some((tag, *applied));
            }
            WorkerEvent::StructureLoaded {
                tag,
                path,
                structure,
            } if self.jobs.open.take(tag) => {
                let run = self.jobs.run_after_open.take();
                // A multi-model file whose models are noisy is a run (RFdiffusion's, Chroma's …).
                let run = run.or_else(|| {
                    crate::trajectory::looks_like_run(&structure).then(|| path.clone())
                });
                self.settings.remember(path);
                self.replace_structure(*structure);
                if let Some(run) = run {
                    self.apply(crate::app::AppCommand::OpenRun(run));
                }
            }
            WorkerEvent::LoadFailed(tag, e) if self.jobs.open.take(tag) => {
                if let Some(run) = self.jobs.run_after_open.take() {
                    self.status = Some(format!(
                        "{} was not opened: its structure could not be read",
                        run.display()
                    ));
                }
                self.load_error = Some(e.to_string());
            }
            _ => {}
        }
    }
}
