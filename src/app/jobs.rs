//! The worker jobs the window waits for: each kind has one `Awaited` tag, so that only the latest
//! request's result is taken. A new kind of job is one field here, one `WorkerCommand` variant and its
//! handler in `worker/jobs.rs`.

/// Work sent to the worker whose result is awaited: every request gets a new tag, and only the
/// latest request's result is taken (an earlier one's arrives too late to show).
#[derive(Debug, Default)]
pub struct Awaited {
    last: u64,
    pending: Option<u64>,
}

impl Awaited {
    /// A new request's tag; earlier requests' results will be dropped.
    pub fn begin(&mut self) -> u64 {
        self.last += 1;
        self.pending = Some(self.last);
        self.last
    }

    /// True when `tag` is the request awaited.
    pub fn awaits(&self, tag: u64) -> bool {
        self.pending == Some(tag)
    }

    /// Takes the result of `tag`: true (and no longer awaited) when it is the request awaited.
    pub fn take(&mut self, tag: u64) -> bool {
        let awaited = self.awaits(tag);
        if awaited {
            self.pending = None;
        }
        awaited
    }

    /// True while a request is awaited.
    pub fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Awaits nothing (the request was cancelled, failed or superseded).
    pub fn forget(&mut self) {
        self.pending = None;
    }
}

/// Every job kind the window awaits a result of.
#[derive(Debug, Default)]
pub(super) struct AwaitedJobs {
    /// The noise panel's draw.
    pub noise: Awaited,
    /// The sweep panel's sweep.
    pub sweep: Awaited,
    /// The denoiser-error panel's measurement.
    pub denoiser_error: Awaited,
    /// The Train panel's training.
    pub train: Awaited,
    /// The run on screen and the one on its way.
    pub run: RunTags,
    /// The structure file being read.
    pub open: Awaited,
    /// The run to open once that file is read (the start-up's `--trajectory`).
    pub run_after_open: Option<std::path::PathBuf>,
    /// The export being written (its cancel flag while it is).
    pub export: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl AwaitedJobs {
    /// Awaits nothing more: the worker went idle (a cancelled or failed job never reports), or the
    /// structure changed.
    pub fn forget_all(&mut self) {
        for job in [
            &mut self.noise,
            &mut self.sweep,
            &mut self.denoiser_error,
            &mut self.train,
            &mut self.run.whole,
            &mut self.open,
        ] {
            job.forget();
        }
    }
}

/// Which run's events the window takes, the one tag mechanism of runs. A stepped run streams its
/// frames under the tag its Reset got; a whole run (a file's, or one of the sweep's) arrives at once
/// under an awaited tag, and from then on the stepped run's frames are dropped. A whole run that
/// never arrives (the file could not be read) leaves the stepped run on screen and still stepping.
#[derive(Debug, Default)]
pub struct RunTags {
    stepped: u64,
    whole: Awaited,
}

impl RunTags {
    /// The tag of a new stepped run: earlier runs' frames, and any whole run on its way, are dropped.
    pub fn begin_stepped(&mut self) -> u64 {
        self.whole.forget();
        self.stepped += 1;
        self.stepped
    }

    /// The tag of a whole run asked for; the stepped run on screen stays until it arrives.
    pub fn begin_whole(&mut self) -> u64 {
        self.whole.begin()
    }

    /// True when a stepped run's event of `run` is the current run's.
    pub fn takes_step(&self, run: u64) -> bool {
        run == self.stepped
    }

    /// Takes the whole run of `tag`: true when it is the one awaited; the stepped run's later frames
    /// are dropped from now on.
    pub fn take_whole(&mut self, tag: u64) -> bool {
        let taken = self.whole.take(tag);
        if taken {
            self.stepped += 1;
        }
        taken
    }

    /// Drops every run's events: the structure changed.
    pub fn forget_all(&mut self) {
        self.begin_stepped();
    }
}
