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
    /// A whole run the worker prepares (a file's, or one of the sweep's).
    pub run: Awaited,
    /// The structure file being read.
    pub open: Awaited,
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
            &mut self.run,
            &mut self.open,
        ] {
            job.forget();
        }
    }
}
