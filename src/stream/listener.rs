//! The receiving side of the live-run protocol: a TCP listener that takes one run per connection, on
//! its own threads, and reports each run's start, frames (with their metrics) and end as events. A client
//! that sends garbage, a wrong shape, NaN, an oversized header or stops mid-message is refused with one
//! line and disconnected; the listener goes on serving, and runs already received are kept.

use std::io::{BufRead, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use super::protocol::{
    Decoded, STREAM_VERSION, StreamHello, TopologySpec, read_hello, read_message,
};
use crate::sampler::Frame;
use crate::structure::{AtomRecord, LoadOptions, Selection, Structure, load_bytes};
use crate::trajectory::{FrameMetrics, MetricsTracker, trajectory_metrics};

/// The port the window and `listen` use when no address is named.
pub const DEFAULT_PORT: u16 = 9876;
/// A message must arrive whole within this once its first byte has (between messages a loop may
/// think as long as it likes).
const MESSAGE_TIMEOUT: Duration = Duration::from_secs(30);

/// A run without a ground truth measured again at its close: its clean end (the reference from then
/// on) and every frame's metrics against it.
pub type Remeasured = (Vec<[f32; 3]>, Vec<FrameMetrics>);

/// What the listener reports.
#[derive(Debug)]
pub enum StreamEvent {
    /// A client said hello: a new run on `structure` (its positions are the provisional reference).
    Started {
        /// The run's number, counted from 1 by this listener.
        run: u64,
        /// Its name.
        name: String,
        /// Its topology.
        structure: Box<Structure>,
    },
    /// A step arrived, measured against the provisional reference.
    Frame {
        /// The run.
        run: u64,
        /// The frame and its metrics.
        frame: Box<(Frame, FrameMetrics)>,
    },
    /// The client closed the run.
    Closed {
        /// The run.
        run: u64,
        /// Steps its queue dropped.
        dropped: u64,
        /// For a topology without coordinates: the run's clean end (its last frame) as the reference,
        /// and every frame measured against it.
        remeasured: Option<Box<Remeasured>>,
    },
    /// A client was refused or disconnected (its run, if it had one, keeps what arrived).
    Refused {
        /// Where it came from.
        peer: String,
        /// Its run, when the hello had been accepted.
        run: Option<u64>,
        /// Why, in one line.
        reason: String,
    },
}

/// The address to listen on: `asked`, else `SIGMASCOPE_ADDRESS`, else loopback on `DEFAULT_PORT`; a
/// bare port means loopback.
pub fn listen_address(asked: Option<&str>) -> Result<SocketAddr, String> {
    let text = asked
        .map(str::to_owned)
        .or_else(|| std::env::var("SIGMASCOPE_ADDRESS").ok())
        .unwrap_or_else(|| format!("127.0.0.1:{DEFAULT_PORT}"));
    let text = if text.parse::<u16>().is_ok() {
        format!("127.0.0.1:{text}")
    } else {
        text
    };
    text.to_socket_addrs()
        .map_err(|e| format!("cannot listen on {text}: {e}"))?
        .next()
        .ok_or_else(|| format!("cannot listen on {text}: no address"))
}

/// A running listener; dropping it stops accepting (connections in progress finish their run).
pub struct Listener {
    /// The address it listens on (the port filled in when 0 was asked).
    pub address: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Listener {
    /// Listens on `address`; a address other than loopback needs `token` (clients must send it).
    pub fn start(
        address: SocketAddr,
        token: Option<String>,
        sink: impl Fn(StreamEvent) + Send + Sync + 'static,
    ) -> Result<Self, String> {
        if !address.ip().is_loopback() && token.as_deref().is_none_or(str::is_empty) {
            return Err(format!(
                "listening on {address} (not loopback) needs a token: set SIGMASCOPE_TOKEN"
            ));
        }
        let socket =
            TcpListener::bind(address).map_err(|e| format!("cannot listen on {address}: {e}"))?;
        let address = socket.local_addr().map_err(|e| e.to_string())?;
        socket.set_nonblocking(true).map_err(|e| e.to_string())?;
        let stop = Arc::new(AtomicBool::new(false));
        let (stopped, sink, token) = (Arc::clone(&stop), Arc::new(sink), Arc::new(token));
        let runs = Arc::new(AtomicU64::new(0));
        std::thread::Builder::new()
            .name("sigmascope listener".to_owned())
            .spawn(move || {
                while !stopped.load(Ordering::Relaxed) {
                    match socket.accept() {
                        Ok((stream, peer)) => {
                            let (sink, token, runs) =
                                (Arc::clone(&sink), Arc::clone(&token), Arc::clone(&runs));
                            std::thread::spawn(move || {
                                serve(stream, peer, token.as_deref(), &runs, &*sink);
                            });
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(Self { address, stop })
    }
}

/// The structure a hello names.
fn topology_of(hello: &StreamHello, file: Option<Vec<u8>>) -> Result<Structure, String> {
    match &hello.topology {
        TopologySpec::File { file_name } => {
            let bytes = file.unwrap_or_default();
            let load = |selection| {
                load_bytes(
                    file_name,
                    &bytes,
                    &LoadOptions {
                        model: 1,
                        selection,
                    },
                )
            };
            load(Selection::default()).map_err(|e| e.to_string())
        }
        TopologySpec::Atoms {
            atom_names,
            residue_numbers,
            residue_names,
            chain_ids,
        } => {
            let n = atom_names.len();
            if n == 0 || residue_numbers.len() != n {
                return Err("atom_names and residue_numbers must name the same atoms".to_owned());
            }
            let pick = |v: &[String], a: usize, default: &str| {
                v.get(a).cloned().unwrap_or_else(|| default.to_owned())
            };
            let records: Vec<AtomRecord> = (0..n)
                .map(|a| AtomRecord {
                    chain: pick(chain_ids, a, "A"),
                    residue_number: residue_numbers[a] as isize,
                    residue_name: pick(residue_names, a, "UNK"),
                    atom_name: atom_names[a].clone(),
                    position: [0.0; 3],
                })
                .collect();
            Ok(Structure::from_atom_records(
                hello.name.as_deref().unwrap_or("live run"),
                &records,
            ))
        }
    }
}

fn reply(stream: &mut TcpStream, message: &serde_json::Value) {
    let mut line = message.to_string().into_bytes();
    line.push(b'\n');
    stream.write_all(&line).ok();
}

/// Serves one connection: its hello, then its steps until close, end of stream or a bad message.
fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    token: Option<&str>,
    runs: &AtomicU64,
    sink: &(dyn Fn(StreamEvent) + Send + Sync),
) {
    let peer_name = peer.to_string();
    let refuse = |run, reason: String| {
        sink(StreamEvent::Refused {
            peer: peer_name.clone(),
            run,
            reason,
        });
    };
    stream.set_nonblocking(false).ok();
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let accepted = read_whole(&mut reader, read_hello).and_then(|(hello, file)| {
        if token.is_some() && hello.token.as_deref() != token {
            return Err("wrong or missing token (SIGMASCOPE_TOKEN)".to_owned());
        }
        let structure = topology_of(&hello, file)?;
        Ok((hello, structure))
    });
    let (hello, mut structure) = match accepted {
        Ok(ok) => ok,
        Err(reason) => {
            reply(
                &mut writer,
                &serde_json::json!({"type": "error", "message": reason}),
            );
            return refuse(None, reason);
        }
    };
    structure.name = hello
        .name
        .clone()
        .unwrap_or_else(|| format!("live run from {peer}"));
    let run = runs.fetch_add(1, Ordering::Relaxed) + 1;
    let atoms = structure.atom_count();
    reply(
        &mut writer,
        &serde_json::json!({"type": "welcome", "version": STREAM_VERSION, "atoms": atoms, "run": run}),
    );
    sink(StreamEvent::Started {
        run,
        name: structure.name.clone(),
        structure: Box::new(structure.clone()),
    });
    match receive_steps(&mut reader, &structure, run, sink) {
        Ok((dropped, remeasured)) => sink(StreamEvent::Closed {
            run,
            dropped,
            remeasured,
        }),
        Err(reason) => refuse(Some(run), reason),
    }
}

/// Reads one message with `read`: no limit on the wait for its first byte (a loop may think), then
/// `MESSAGE_TIMEOUT` for the rest.
fn read_whole<R>(
    reader: &mut BufReader<TcpStream>,
    read: impl FnOnce(&mut BufReader<TcpStream>) -> Result<R, String>,
) -> Result<R, String> {
    reader.get_ref().set_read_timeout(None).ok();
    reader.fill_buf().map_err(|e| format!("cannot read: {e}"))?;
    reader
        .get_ref()
        .set_read_timeout(Some(MESSAGE_TIMEOUT))
        .ok();
    read(reader).map_err(|e| {
        if e.contains("timed out") || e.contains("would block") {
            "the client stopped in the middle of a message".to_owned()
        } else {
            e
        }
    })
}

/// What a run's close carries: the client's dropped count and, without a ground truth, the run
/// measured against its clean end.
type Closing = (u64, Option<Box<Remeasured>>);

/// Steps until close, or why the run ended early.
fn receive_steps(
    reader: &mut BufReader<TcpStream>,
    structure: &Structure,
    run: u64,
    sink: &(dyn Fn(StreamEvent) + Send + Sync),
) -> Result<Closing, String> {
    let atoms = structure.atom_count();
    let has_truth = structure.positions.iter().flatten().any(|&v| v != 0.0);
    let mut tracker: Option<MetricsTracker> = None;
    let mut kept = Vec::new();
    let mut index = 0;
    loop {
        let message = read_whole(reader, |r| read_message(r, atoms));
        let step = match message? {
            None => return Err("the client disconnected without closing the run".to_owned()),
            Some(Decoded::Close { dropped }) if has_truth || kept.is_empty() => {
                return Ok((dropped, None));
            }
            Some(Decoded::Close { dropped }) => {
                let clean: Vec<[f32; 3]> = kept
                    .last()
                    .map(|f: &Frame| f.x_t.clone())
                    .unwrap_or_default();
                let metrics = trajectory_metrics(structure, &clean, &kept);
                return Ok((dropped, Some(Box::new((clean, metrics)))));
            }
            Some(Decoded::Step(step)) => step,
        };
        let mut frame = Frame::from_positions(index, step.x_t);
        frame.sigma = step.sigma.unwrap_or(f64::NAN);
        frame.x0_hat = step.x0_hat;
        // A file topology's coordinates are the ground truth; names alone have none, so the first
        // prediction (or state) stands in until the run closes and is measured against its clean end.
        let tracker = tracker.get_or_insert_with(|| {
            let reference = if has_truth {
                structure.positions.clone()
            } else {
                frame.x0_hat.clone().unwrap_or_else(|| frame.x_t.clone())
            };
            MetricsTracker::new(structure, &reference)
        });
        let metrics = tracker.push(structure, &frame);
        if !has_truth {
            kept.push(frame.clone());
        }
        sink(StreamEvent::Frame {
            run,
            frame: Box::new((frame, metrics)),
        });
        index += 1;
    }
}
