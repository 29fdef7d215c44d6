//! The running child: its stdin, a thread reading its replies off stdout, and a thread keeping its last
//! stderr lines for error messages.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::error::{ExitNote, ExternalError};
use super::protocol::{Received, Reply, Request, read_message};

/// Stderr lines of the child kept for error messages.
const STDERR_LINES: usize = 8;

/// The running child and the channels to it.
pub struct Link {
    child: Child,
    stdin: Option<ChildStdin>,
    replies: Receiver<Result<Received, String>>,
    stderr: Arc<Mutex<Vec<String>>>,
    /// Set when the child's stderr reached its end (every line is in `stderr`).
    stderr_closed: Arc<AtomicBool>,
}

fn thread_error(e: std::io::Error) -> ExternalError {
    ExternalError::protocol(format!("cannot start a thread for the denoiser: {e}"))
}

impl Link {
    /// Starts `command` through `sh -c` with its three pipes.
    pub fn start(command: &str) -> Result<Self, ExternalError> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| ExternalError::Start {
                command: command.to_owned(),
                reason: e.to_string(),
            })?;
        let stdout = child.stdout.take();
        let stderr_pipe = child.stderr.take();
        let (sender, replies) = channel();
        std::thread::Builder::new()
            .name("denoiser stdout".to_owned())
            .spawn(move || {
                let Some(stdout) = stdout else { return };
                let mut reader = BufReader::with_capacity(1 << 20, stdout);
                loop {
                    match read_message(&mut reader) {
                        Ok(Some(m)) => {
                            if sender.send(Ok(m)).is_err() {
                                return;
                            }
                        }
                        Ok(None) => return,
                        Err(e) => {
                            sender.send(Err(e)).ok();
                            return;
                        }
                    }
                }
            })
            .map_err(thread_error)?;
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&stderr);
        let stderr_closed = Arc::new(AtomicBool::new(false));
        let closed = Arc::clone(&stderr_closed);
        std::thread::Builder::new()
            .name("denoiser stderr".to_owned())
            .spawn(move || {
                let Some(pipe) = stderr_pipe else { return };
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if let Ok(mut lines) = kept.lock() {
                        lines.push(line);
                        let excess = lines.len().saturating_sub(STDERR_LINES);
                        lines.drain(..excess);
                    }
                }
                closed.store(true, Ordering::SeqCst);
            })
            .map_err(thread_error)?;
        let stdin = child.stdin.take();
        Ok(Self {
            child,
            stdin,
            replies,
            stderr,
            stderr_closed,
        })
    }

    /// Writes one message: its header line, then its arrays.
    pub fn send(&mut self, request: &Request<'_>, payloads: &[&[u8]]) -> Result<(), ExternalError> {
        let mut bytes = request
            .header_line()
            .map_err(|e| ExternalError::protocol(e.to_string()))?;
        for p in payloads {
            bytes.extend_from_slice(p);
        }
        let written = match self.stdin.as_mut() {
            Some(stdin) => stdin.write_all(&bytes).and_then(|()| stdin.flush()),
            None => return Err(ExternalError::protocol("the denoiser's input is closed")),
        };
        written.map_err(|e| ExternalError::Write {
            reason: e.to_string(),
            note: self.exit_note(),
        })
    }

    /// Why the child is gone, with its last stderr lines.
    fn exit_note(&mut self) -> ExitNote {
        // Give a dying child a moment to be reaped so its status can be told.
        let mut status = None;
        for _ in 0..20 {
            if let Ok(Some(s)) = self.child.try_wait() {
                status = Some(s);
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // An exited child's last lines may still be in the pipe: let the reader reach its end.
        if status.is_some() {
            for _ in 0..50 {
                if self.stderr_closed.load(Ordering::SeqCst) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        ExitNote {
            status: status.map(|s| s.to_string()),
            stderr: self
                .stderr
                .lock()
                .map(|l| l.join(" | "))
                .unwrap_or_default(),
        }
    }

    /// The next reply, awaited for at most `timeout`; an error reply is an error.
    pub fn receive(
        &mut self,
        timeout: Duration,
        awaited: &'static str,
    ) -> Result<Received, ExternalError> {
        match self.replies.recv_timeout(timeout) {
            Ok(Ok(message)) => match message.reply {
                Reply::Error { message } => Err(ExternalError::Reported(
                    message.unwrap_or_else(|| "(no message)".to_owned()),
                )),
                _ => Ok(message),
            },
            Ok(Err(reason)) => Err(ExternalError::Protocol {
                reason,
                note: self.exit_note(),
            }),
            Err(RecvTimeoutError::Timeout) => Err(ExternalError::TimedOut { awaited, timeout }),
            Err(RecvTimeoutError::Disconnected) => Err(ExternalError::Exited {
                awaited,
                note: self.exit_note(),
            }),
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        if let (Some(stdin), Ok(stop)) = (self.stdin.as_mut(), Request::Stop.header_line()) {
            let _ = stdin.write_all(&stop);
        }
        self.stdin = None;
        // A child that does not stop on its own is not left behind.
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
