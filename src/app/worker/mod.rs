//! The window's long work off the UI thread: a worker owns the run and takes the commands of
//! `protocol` in order, sending back frames with their metrics, noise draws with their figures, loaded
//! files and finished jobs. A cancel stops, between steps, every command sent before it and none sent
//! after. Each command is one handler in `jobs`.

mod jobs;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};

use burn::tensor::Device;

use super::export_job::ExportJob;
use super::protocol::{WorkerCommand, WorkerError, WorkerEvent};
use jobs::Worker;

/// Handle of the worker thread.
pub struct SamplerWorker {
    /// Commands with their sequence numbers (1, 2, …).
    commands: Sender<(u64, WorkerCommand)>,
    events: Receiver<WorkerEvent>,
    /// Events the handle reports itself (a worker that is not running), and the exports' events.
    reports: EventSink,
    /// Commands sent so far.
    sent: AtomicU64,
    /// Every command numbered up to this is cancelled. A cancel covers what was queued before it and
    /// nothing after, so no command start can erase it.
    cancelled_through: Arc<AtomicU64>,
}

/// Sends events and wakes the UI so it polls them even when the pointer is idle.
#[derive(Clone)]
struct EventSink {
    events: Sender<WorkerEvent>,
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl EventSink {
    fn send(&self, event: WorkerEvent) -> Result<(), ()> {
        let sent = self.events.send(event).map_err(|_| ());
        (self.wake)();
        sent
    }
}

impl SamplerWorker {
    /// Starts the worker thread on `device`; `wake` is called after every event (request a repaint
    /// there). A thread that cannot start is reported as the first event.
    pub fn spawn(device: Device, wake: impl Fn() + Send + Sync + 'static) -> Self {
        let (command_tx, command_rx) = channel();
        let (event_tx, event_rx) = channel();
        let cancelled_through = Arc::new(AtomicU64::new(0));
        let flag = Arc::clone(&cancelled_through);
        let sink = EventSink {
            events: event_tx,
            wake: Arc::new(wake),
        };
        let reports = sink.clone();
        let started = std::thread::Builder::new()
            .name("sampler".to_owned())
            .spawn(move || Worker::new(device, sink).serve(&command_rx, &flag));
        if let Err(e) = started {
            reports
                .send(WorkerEvent::Failed(WorkerError::NotRunning(e.to_string())))
                .ok();
        }
        Self {
            commands: command_tx,
            events: event_rx,
            reports,
            sent: AtomicU64::new(0),
            cancelled_through,
        }
    }

    /// Sends a command. When the worker is not running, the command's failure and its end are reported
    /// in its place, so nothing waits for it.
    pub fn send(&self, command: WorkerCommand) {
        let sequence = self.sent.fetch_add(1, Ordering::SeqCst) + 1;
        if self.commands.send((sequence, command)).is_err() {
            let stopped = WorkerError::NotRunning("it has stopped".to_owned());
            self.reports.send(WorkerEvent::Failed(stopped)).ok();
            self.reports.send(WorkerEvent::Idle).ok();
        }
    }

    /// Writes an export on a thread of its own (the run goes on meanwhile); reports `Exported` or the
    /// failure, then `Idle`, like a command.
    pub fn export(&self, job: ExportJob) {
        let sink = self.reports.clone();
        let fallback = self.reports.clone();
        let started = std::thread::Builder::new()
            .name("export".to_owned())
            .spawn(move || {
                let report = |done, total| {
                    sink.send(WorkerEvent::Progress(done, total)).ok();
                };
                let event = match job.write(&report) {
                    Ok(true) => WorkerEvent::Exported(job.path().to_path_buf()),
                    Ok(false) => WorkerEvent::ExportCancelled(job.path().to_path_buf()),
                    Err(e) => WorkerEvent::Failed(WorkerError::Export(e)),
                };
                sink.send(event).ok();
                sink.send(WorkerEvent::Idle).ok();
            });
        if let Err(e) = started {
            let error = anyhow::anyhow!("cannot start a thread for it: {e}");
            fallback
                .send(WorkerEvent::Failed(WorkerError::Export(error)))
                .ok();
            fallback.send(WorkerEvent::Idle).ok();
        }
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
    use crate::denoiser::DenoiserChoice;
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
        let mut settings = crate::app::Settings {
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
            substeps: false,
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
