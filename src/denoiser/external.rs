//! A denoiser in another process: sigmascope starts `CMD` (through `sh -c`) and, at every denoiser call,
//! sends the noisy coordinates and sigma over its stdin and reads x̂0 from its stdout. The protocol
//! (version 1, README "Your denoiser in the loop") is one JSON header line per message, then the raw
//! little-endian arrays its `arrays` list names, in order. `examples/external_denoiser/` is the client.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use burn::tensor::{Device, Tensor, TensorData};

use super::{DenoiseContext, DenoiseError, Denoiser, DenoiserOutput};
use crate::structure::Structure;

/// The protocol's name and version, in the first message.
pub const PROTOCOL: &str = "sigmascope-denoiser";
/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;
/// How long a reply may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// Stderr lines of the child kept for error messages.
const STDERR_LINES: usize = 8;

/// One message: its header and its arrays' bytes.
struct Message {
    header: serde_json::Value,
    payloads: Vec<Vec<u8>>,
}

fn array_spec(name: &str, dtype: &str, shape: &[usize]) -> serde_json::Value {
    serde_json::json!({ "name": name, "dtype": dtype, "shape": shape })
}

/// Little-endian bytes of `values` (a plain copy on little-endian hosts).
fn f32_bytes(values: &[f32]) -> Vec<u8> {
    if cfg!(target_endian = "little") {
        bytemuck::cast_slice::<f32, u8>(values).to_vec()
    } else {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }
}

/// f32 values of little-endian bytes.
fn f32_values(bytes: &[u8]) -> Vec<f32> {
    if cfg!(target_endian = "little") {
        bytemuck::pod_collect_to_vec::<u8, f32>(&bytes[..bytes.len() / 4 * 4])
    } else {
        bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }
}

fn i32_bytes(values: impl Iterator<Item = i32>) -> Vec<u8> {
    values.flat_map(i32::to_le_bytes).collect()
}

/// Reads one message from the child's stdout; `Ok(None)` at the end of the stream.
fn read_message(reader: &mut impl std::io::BufRead) -> Result<Option<Message>, String> {
    let mut line = String::new();
    let read = reader
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the denoiser's reply: {e}"))?;
    if read == 0 {
        return Ok(None);
    }
    let header: serde_json::Value = serde_json::from_str(line.trim()).map_err(|e| {
        format!(
            "the denoiser wrote a line that is not a protocol header ({e}): {:.120}",
            line.trim()
        )
    })?;
    let mut payloads = Vec::new();
    for spec in header["arrays"].as_array().into_iter().flatten() {
        let dtype = spec["dtype"].as_str().unwrap_or("");
        let item: usize = match dtype {
            "<f4" | "<i4" => 4,
            other => {
                return Err(format!(
                    "the denoiser sent an array of dtype {other:?}; use <f4"
                ));
            }
        };
        let shape: Vec<usize> = spec["shape"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_u64().map_or(usize::MAX, |v| v as usize))
            .collect();
        let len = shape
            .iter()
            .try_fold(item, |a, &n| a.checked_mul(n))
            .filter(|&n| n < 1 << 34)
            .ok_or_else(|| format!("the denoiser sent an array of shape {shape:?}"))?;
        let mut bytes = vec![0u8; len];
        reader
            .read_exact(&mut bytes)
            .map_err(|e| format!("the denoiser's array was cut short: {e}"))?;
        payloads.push(bytes);
    }
    Ok(Some(Message { header, payloads }))
}

/// The running child and the channels to it.
struct Link {
    child: Child,
    stdin: Option<ChildStdin>,
    replies: Receiver<Result<Message, String>>,
    stderr: std::sync::Arc<Mutex<Vec<String>>>,
    /// Set when the child's stderr reached its end (every line is in `stderr`).
    stderr_closed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Link {
    fn send(&mut self, header: &serde_json::Value, payloads: &[&[u8]]) -> Result<(), String> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| "the denoiser's input is closed".to_owned())?;
        let mut bytes = serde_json::to_vec(header).map_err(|e| e.to_string())?;
        bytes.push(b'\n');
        for p in payloads {
            bytes.extend_from_slice(p);
        }
        stdin
            .write_all(&bytes)
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("cannot write to the denoiser ({e}){}", self.exit_note()))
    }

    /// Why the child is gone, with its last stderr lines.
    fn exit_note(&mut self) -> String {
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
                if self.stderr_closed.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        let lines = self
            .stderr
            .lock()
            .map(|l| l.join(" | "))
            .unwrap_or_default();
        let status = status.map_or_else(String::new, |s| format!("; it exited with {s}"));
        if lines.is_empty() {
            status
        } else {
            format!("{status}; its stderr: {lines}")
        }
    }

    fn receive(&mut self, timeout: Duration, what: &str) -> Result<Message, String> {
        match self.replies.recv_timeout(timeout) {
            Ok(Ok(message)) => match message.header["type"].as_str() {
                Some("error") => Err(format!(
                    "the denoiser reported an error: {}",
                    message.header["message"].as_str().unwrap_or("(no message)")
                )),
                _ => Ok(message),
            },
            Ok(Err(e)) => Err(format!("{e}{}", self.exit_note())),
            Err(RecvTimeoutError::Timeout) => Err(format!(
                "the denoiser gave no {what} within {} s",
                timeout.as_secs_f64()
            )),
            Err(RecvTimeoutError::Disconnected) => Err(format!(
                "the denoiser closed its output before sending {what}{}",
                self.exit_note()
            )),
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        if let Some(stdin) = self.stdin.as_mut() {
            let stop = serde_json::json!({ "type": "stop" });
            let _ = writeln!(stdin, "{stop}");
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

/// The denoiser in a child process.
pub struct ExternalDenoiser {
    link: Mutex<Link>,
    atoms: usize,
    timeout: Duration,
    device: Device,
}

impl ExternalDenoiser {
    /// Starts `command` and introduces the structure: the atom → residue and residue → chain maps,
    /// atom, residue and chain names, and the reference coordinates (the loaded structure, for loop
    /// checks and for models that condition on the input).
    pub fn start(
        command: &str,
        structure: &Structure,
        timeout: Duration,
        device: &Device,
    ) -> Result<Self, DenoiseError> {
        if command.trim().is_empty() {
            return Err(DenoiseError(
                "external denoiser: no command given (external:CMD)".to_owned(),
            ));
        }
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| DenoiseError(format!("cannot start the denoiser {command:?}: {e}")))?;
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
            .map_err(|e| DenoiseError(e.to_string()))?;
        let stderr = std::sync::Arc::new(Mutex::new(Vec::new()));
        let kept = std::sync::Arc::clone(&stderr);
        let stderr_closed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let closed = std::sync::Arc::clone(&stderr_closed);
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
                closed.store(true, std::sync::atomic::Ordering::SeqCst);
            })
            .map_err(|e| DenoiseError(e.to_string()))?;
        let stdin = child.stdin.take();
        let mut link = Link {
            child,
            stdin,
            replies,
            stderr,
            stderr_closed,
        };
        let atoms = structure.atom_count();
        let reference: Vec<f32> = structure.positions.iter().flatten().copied().collect();
        let hello = serde_json::json!({
            "protocol": PROTOCOL,
            "version": PROTOCOL_VERSION,
            "type": "hello",
            "atoms": atoms,
            "residues": structure.residue_count(),
            "chains": structure.chain_count(),
            "atom_names": structure.atom_names,
            "elements": structure.elements,
            "residue_names": structure.residues.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            "residue_numbers": structure.residues.iter().map(|r| r.number).collect::<Vec<_>>(),
            "chain_ids": structure.chain_ids(),
            "arrays": [
                array_spec("atom_residue", "<i4", &[atoms]),
                array_spec("residue_chain", "<i4", &[structure.residue_count()]),
                array_spec("reference", "<f4", &[atoms, 3]),
            ],
        });
        let atom_residue = i32_bytes(structure.atom_residue.iter().map(|&r| r as i32));
        let residue_chain = i32_bytes(structure.residue_chain.iter().map(|&c| c as i32));
        let reference = f32_bytes(&reference);
        link.send(&hello, &[&atom_residue, &residue_chain, &reference])
            .map_err(DenoiseError)?;
        let ready = link
            .receive(timeout, "its ready message")
            .map_err(DenoiseError)?;
        let version = ready.header["version"].as_u64().unwrap_or(0);
        if ready.header["type"] != "ready" || version != u64::from(PROTOCOL_VERSION) {
            return Err(DenoiseError(format!(
                "the denoiser answered {} instead of a ready message of protocol version {PROTOCOL_VERSION}",
                ready.header
            )));
        }
        Ok(Self {
            link: Mutex::new(link),
            atoms,
            timeout,
            device: device.clone(),
        })
    }

    /// One round trip: x [N, 3] and the step's numbers out, x̂0 [N, 3] back, checked.
    pub fn round_trip(
        &self,
        x: &[f32],
        sigma: f64,
        step: usize,
        level_sigmas: Option<[f64; 3]>,
        frame_from_data: Option<&crate::geometry::RigidTransform>,
    ) -> Result<Vec<f32>, String> {
        let mut link = self
            .link
            .lock()
            .map_err(|_| "the denoiser link is poisoned".to_owned())?;
        let header = serde_json::json!({
            "type": "denoise",
            "step": step,
            "sigma": sigma,
            "level_sigmas": level_sigmas,
            "frame_from_data": frame_from_data.map(|f| serde_json::json!({
                "rotation": f.rotation,
                "translation": f.translation,
            })),
            "arrays": [array_spec("x", "<f4", &[self.atoms, 3])],
        });
        link.send(&header, &[&f32_bytes(x)])?;
        let reply = link.receive(self.timeout, "x0_hat")?;
        let spec = &reply.header["arrays"][0];
        let shape: Vec<u64> = spec["shape"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_u64)
            .collect();
        if reply.header["type"] != "x0_hat" || spec["dtype"] != "<f4" {
            return Err(format!(
                "the denoiser answered {} instead of x0_hat <f4",
                reply.header["type"]
            ));
        }
        if shape != [self.atoms as u64, 3] {
            return Err(format!(
                "the denoiser's x0_hat has shape {shape:?}; expected [{}, 3]",
                self.atoms
            ));
        }
        let values = f32_values(&reply.payloads[0]);
        if let Some(bad) = values.iter().position(|v| !v.is_finite()) {
            return Err(format!(
                "the denoiser's x0_hat has NaN or infinite values (atom {})",
                bad / 3
            ));
        }
        Ok(values)
    }
}

impl Denoiser for ExternalDenoiser {
    fn name(&self) -> &'static str {
        "external"
    }

    fn denoise(
        &self,
        x: Tensor<2>,
        sigma: f64,
        context: &DenoiseContext,
    ) -> Result<DenoiserOutput, DenoiseError> {
        let values: Vec<f32> = x
            .into_data()
            .try_into_vec::<f32>()
            .map_err(|e| DenoiseError(format!("cannot read x back from the device: {e:?}")))?;
        let x0 = self
            .round_trip(
                &values,
                sigma,
                context.step,
                context.level_sigmas,
                context.frame_from_data.as_ref(),
            )
            .map_err(DenoiseError)?;
        Ok(DenoiserOutput {
            levels: None,
            x0: Tensor::from_data(TensorData::new(x0, [self.atoms, 3]), &self.device),
            weights: None,
        })
    }
}
