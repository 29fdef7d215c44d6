//! Every way the external denoiser can fail, as the variants a caller can tell apart (a child that
//! exited, timed out, answered the wrong shape or not a number, or broke the protocol).

use std::time::Duration;

/// Why a child is gone, as far as can be told: its exit status and its last stderr lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExitNote {
    /// The exit status, when the child has exited.
    pub status: Option<String>,
    /// Its last stderr lines, joined by " | ".
    pub stderr: String,
}

impl std::fmt::Display for ExitNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(status) = &self.status {
            write!(f, "; it exited with {status}")?;
        }
        if !self.stderr.is_empty() {
            write!(f, "; its stderr: {}", self.stderr)?;
        }
        Ok(())
    }
}

/// Why the external denoiser gave no x̂0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExternalError {
    /// `external:` with nothing after it.
    #[error("external denoiser: no command given (external:CMD)")]
    NoCommand,
    /// The command could not be started.
    #[error("cannot start the denoiser {command:?}: {reason}")]
    Start {
        /// The command.
        command: String,
        /// What the system said.
        reason: String,
    },
    /// Writing to the child failed (it has usually exited).
    #[error("cannot write to the denoiser ({reason}){note}")]
    Write {
        /// What the system said.
        reason: String,
        /// Why the child is gone.
        note: ExitNote,
    },
    /// The child closed its output (exited) before answering.
    #[error("the denoiser closed its output before sending {awaited}{note}")]
    Exited {
        /// What was awaited.
        awaited: &'static str,
        /// Why the child is gone.
        note: ExitNote,
    },
    /// No answer in time.
    #[error("the denoiser gave no {awaited} within {} s", .timeout.as_secs_f64())]
    TimedOut {
        /// What was awaited.
        awaited: &'static str,
        /// How long it was given.
        timeout: Duration,
    },
    /// x̂0 of another shape than x.
    #[error("the denoiser's x0_hat has shape {shape:?}; expected [{atoms}, 3]")]
    WrongShape {
        /// The shape it sent.
        shape: Vec<u64>,
        /// The atoms of x.
        atoms: usize,
    },
    /// x̂0 with NaN or infinite coordinates.
    #[error("the denoiser's x0_hat has NaN or infinite values (atom {atom})")]
    NotANumber {
        /// The first atom with one.
        atom: usize,
    },
    /// The child answered with an error message of its own.
    #[error("the denoiser reported an error: {0}")]
    Reported(String),
    /// A reply that breaks the protocol (not a header, a wrong type, dtype or version, cut short).
    #[error("{reason}{note}")]
    Protocol {
        /// What was wrong.
        reason: String,
        /// Why the child is gone, when it is.
        note: ExitNote,
    },
}

impl ExternalError {
    /// A protocol error while the child still runs.
    pub fn protocol(reason: impl Into<String>) -> Self {
        Self::Protocol {
            reason: reason.into(),
            note: ExitNote::default(),
        }
    }
}
