//! The live-run protocol, version 1 (README "Live from your own loop"): a client (the Python package
//! `sigmascope`, `python/sigmascope/_protocol.py`) streams one run per connection. Every message is one
//! JSON header line, then the raw arrays its `arrays` list names, in order, the framing of the
//! external-denoiser protocol (`denoiser/external/protocol.rs`):
//!
//! ```text
//! client -> sigmascope  {"protocol": "sigmascope-stream", "version": 1, "type": "hello", "name": "...",
//!                        "token": "..." | null, "topology": {"kind": "file", "file_name": "x.pdb"}
//!                        | {"kind": "atoms", "atom_names": [...], "residue_numbers": [...],
//!                           "residue_names": [...], "chain_ids": [...]},
//!                        "arrays": [topology_file |u1 [bytes]] (kind "file" only)}
//! sigmascope -> client  {"type": "welcome", "version": 1, "atoms": N} | {"type": "error", "message": "..."}
//! client -> sigmascope  {"type": "step", "step": k, "sigma": s | null, "scalars": {...},
//!                        "arrays": [x_t <f4 [N, 3], x0_hat <f4 [N, 3] (optional)]}
//! client -> sigmascope  {"type": "close", "dropped": d}
//! ```
//!
//! Sizes are bounded before anything is allocated: a hello header by `MAX_HELLO_BYTES`, a step header by
//! `MAX_STEP_HEADER_BYTES`, a step's arrays by the topology's atom count.

use std::collections::BTreeMap;
use std::io::{BufRead, Read as _};

use serde::Deserialize;

/// The protocol's name, in the hello message.
pub const STREAM_PROTOCOL: &str = "sigmascope-stream";
/// The version this build speaks.
pub const STREAM_VERSION: u32 = 1;
/// The longest hello header (names of every atom) and topology file accepted.
pub const MAX_HELLO_BYTES: usize = 256 << 20;
/// The longest header of any other message.
pub const MAX_STEP_HEADER_BYTES: usize = 64 << 10;

/// One array after a header.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StreamArray {
    /// What it is (`x_t`, `x0_hat`, `topology_file`).
    pub name: String,
    /// `<f4` or `|u1`.
    pub dtype: String,
    /// Its shape, C order.
    pub shape: Vec<u64>,
}

/// How a run's atoms are named.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TopologySpec {
    /// A PDB/mmCIF file's bytes follow as `topology_file`.
    File {
        /// Its name (the format hint).
        file_name: String,
    },
    /// Per-atom names.
    Atoms {
        /// Atom name per atom.
        atom_names: Vec<String>,
        /// Residue number per atom.
        residue_numbers: Vec<i64>,
        /// Residue name per atom.
        #[serde(default)]
        residue_names: Vec<String>,
        /// Chain id per atom.
        #[serde(default)]
        chain_ids: Vec<String>,
    },
}

/// The first message of a run.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StreamHello {
    /// Must be `STREAM_PROTOCOL`.
    pub protocol: String,
    /// Must be `STREAM_VERSION`.
    pub version: u32,
    /// The run's name, as the window lists it.
    #[serde(default)]
    pub name: Option<String>,
    /// The token a listener on another address than loopback requires.
    #[serde(default)]
    pub token: Option<String>,
    /// The atoms.
    pub topology: TopologySpec,
    /// The arrays that follow.
    #[serde(default)]
    pub arrays: Vec<StreamArray>,
}

/// A message after the hello.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamMessage {
    /// One sampling step.
    Step {
        /// The client's step number.
        #[serde(default)]
        step: Option<u64>,
        /// σ of x_t, Å.
        #[serde(default)]
        sigma: Option<f64>,
        /// Any scalars the client logged.
        #[serde(default)]
        scalars: BTreeMap<String, f64>,
        /// `x_t`, and `x0_hat` when given.
        #[serde(default)]
        arrays: Vec<StreamArray>,
    },
    /// The run is over.
    Close {
        /// Steps the client's queue dropped.
        #[serde(default)]
        dropped: u64,
    },
}

/// A decoded step: the state, the prediction, σ and scalars.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamStep {
    /// The client's step number, if it gave one.
    pub step: Option<u64>,
    /// σ, if given.
    pub sigma: Option<f64>,
    /// x_t, Å.
    pub x_t: Vec<[f32; 3]>,
    /// x̂0, if given.
    pub x0_hat: Option<Vec<[f32; 3]>>,
    /// The client's scalars.
    pub scalars: BTreeMap<String, f64>,
}

/// What follows a hello or step header.
pub enum Decoded {
    /// A step.
    Step(StreamStep),
    /// The end of the run.
    Close {
        /// Steps the client dropped.
        dropped: u64,
    },
}

/// Reads one header line of at most `limit` bytes; `Ok(None)` at the end of the stream.
pub fn read_header(reader: &mut impl BufRead, limit: usize) -> Result<Option<String>, String> {
    let mut line = Vec::new();
    let read = reader
        .take(limit as u64 + 1)
        .read_until(b'\n', &mut line)
        .map_err(|e| format!("cannot read: {e}"))?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        return Err(if line.len() > limit {
            format!("a header longer than {limit} bytes")
        } else {
            "the stream ended inside a header".to_owned()
        });
    }
    String::from_utf8(line)
        .map(|l| Some(l.trim_end().to_owned()))
        .map_err(|_| "a header that is not UTF-8".to_owned())
}

/// Reads an array's bytes, `expected` of them exactly.
fn read_payload(reader: &mut impl BufRead, expected: usize) -> Result<Vec<u8>, String> {
    let mut bytes = vec![0u8; expected];
    reader
        .read_exact(&mut bytes)
        .map_err(|e| format!("an array cut short ({e})"))?;
    Ok(bytes)
}

/// `message` on one line: a client's text quoted in it (an unknown `type`, a name) may hold any
/// character, line breaks included.
fn one_line(message: String) -> String {
    message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Reads the hello; the topology file's bytes when it sends one. Errors are one line.
pub fn read_hello(reader: &mut impl BufRead) -> Result<(StreamHello, Option<Vec<u8>>), String> {
    hello_of(reader).map_err(one_line)
}

fn hello_of(reader: &mut impl BufRead) -> Result<(StreamHello, Option<Vec<u8>>), String> {
    let line = read_header(reader, MAX_HELLO_BYTES)?.ok_or("the client sent nothing")?;
    let hello: StreamHello =
        serde_json::from_str(&line).map_err(|e| format!("not a sigmascope-stream hello ({e})"))?;
    if hello.protocol != STREAM_PROTOCOL || hello.version != STREAM_VERSION {
        return Err(format!(
            "protocol {} version {}; this build speaks {STREAM_PROTOCOL} version {STREAM_VERSION}",
            hello.protocol, hello.version
        ));
    }
    let file = match (&hello.topology, hello.arrays.as_slice()) {
        (TopologySpec::File { .. }, [spec]) if spec.name == "topology_file" => {
            let [bytes] = spec.shape[..] else {
                return Err("topology_file must be one dimension".to_owned());
            };
            let bytes = usize::try_from(bytes)
                .ok()
                .filter(|&b| spec.dtype == "|u1" && b <= MAX_HELLO_BYTES)
                .ok_or("topology_file must be |u1 bytes, at most 256 MiB")?;
            Some(read_payload(reader, bytes)?)
        }
        (TopologySpec::File { .. }, _) => {
            return Err(
                "a file topology needs its bytes as the one array topology_file".to_owned(),
            );
        }
        (TopologySpec::Atoms { .. }, []) => None,
        (TopologySpec::Atoms { .. }, _) => {
            return Err("an atoms topology has no arrays".to_owned());
        }
    };
    Ok((hello, file))
}

/// Reads the next message of a run of `atoms` atoms; `Ok(None)` when the stream ends without a close.
/// Errors are one line.
pub fn read_message(reader: &mut impl BufRead, atoms: usize) -> Result<Option<Decoded>, String> {
    message_of(reader, atoms).map_err(one_line)
}

fn message_of(reader: &mut impl BufRead, atoms: usize) -> Result<Option<Decoded>, String> {
    let Some(line) = read_header(reader, MAX_STEP_HEADER_BYTES)? else {
        return Ok(None);
    };
    let message: StreamMessage =
        serde_json::from_str(&line).map_err(|e| format!("not a step or close ({e})"))?;
    let (step, sigma, scalars, arrays) = match message {
        StreamMessage::Close { dropped } => return Ok(Some(Decoded::Close { dropped })),
        StreamMessage::Step {
            step,
            sigma,
            scalars,
            arrays,
        } => (step, sigma, scalars, arrays),
    };
    if sigma.is_some_and(|s| !s.is_finite() || s < 0.0) {
        return Err(format!("σ {sigma:?} is not a noise level"));
    }
    let (mut x_t, mut x0_hat) = (None, None);
    for spec in &arrays {
        if spec.dtype != "<f4" || spec.shape != [atoms as u64, 3] {
            return Err(format!(
                "{} is {} {:?}; this run needs <f4 [{atoms}, 3]",
                spec.name, spec.dtype, spec.shape
            ));
        }
        let points = positions(&read_payload(reader, atoms * 12)?)
            .ok_or_else(|| format!("{} has NaN or infinite coordinates", spec.name))?;
        match spec.name.as_str() {
            "x_t" if x_t.is_none() => x_t = Some(points),
            "x0_hat" if x0_hat.is_none() => x0_hat = Some(points),
            other => return Err(format!("an array {other:?} the step does not take")),
        }
    }
    let x_t = x_t.ok_or("a step without x_t")?;
    Ok(Some(Decoded::Step(StreamStep {
        step,
        sigma,
        x_t,
        x0_hat,
        scalars,
    })))
}

/// Points of little-endian f32 triples; none when a value is not finite.
fn positions(bytes: &[u8]) -> Option<Vec<[f32; 3]>> {
    let value = |b: &[u8]| f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    bytes
        .chunks_exact(12)
        .map(|c| {
            let p = [value(&c[0..4]), value(&c[4..8]), value(&c[8..12])];
            p.iter().all(|v| v.is_finite()).then_some(p)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step_bytes(header: &str, values: &[f32]) -> Vec<u8> {
        let mut bytes = format!("{header}\n").into_bytes();
        bytes.extend(values.iter().flat_map(|v| v.to_le_bytes()));
        bytes
    }

    const X_T: &str = r#"{"type":"step","step":3,"sigma":1.5,"scalars":{"loss":0.25},"arrays":[{"name":"x_t","dtype":"<f4","shape":[2,3]}]}"#;

    #[test]
    fn steps_and_closes_decode() {
        let mut stream = step_bytes(X_T, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        stream.extend_from_slice(b"{\"type\":\"close\",\"dropped\":4}\n");
        let mut reader = std::io::Cursor::new(stream);
        let Some(Decoded::Step(step)) = read_message(&mut reader, 2).unwrap() else {
            panic!("a step")
        };
        assert_eq!(step.x_t, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        assert_eq!((step.step, step.sigma), (Some(3), Some(1.5)));
        assert_eq!(step.scalars["loss"], 0.25);
        assert!(matches!(
            read_message(&mut reader, 2).unwrap(),
            Some(Decoded::Close { dropped: 4 })
        ));
        assert!(read_message(&mut reader, 2).unwrap().is_none());
    }

    #[test]
    fn hostile_messages_are_refused_in_one_line() {
        let refused = |bytes: Vec<u8>| {
            let e = read_message(&mut std::io::Cursor::new(bytes), 2)
                .err()
                .unwrap();
            assert!(!e.contains('\n'), "{e}");
            e
        };
        assert!(refused(b"garbage\n".to_vec()).contains("not a step"));
        assert!(refused(step_bytes(&X_T.replace("[2,3]", "[3,3]"), &[1.0; 9])).contains("[2, 3]"));
        assert!(refused(step_bytes(X_T, &[1.0, f32::NAN, 0.0, 0.0, 0.0, 0.0])).contains("NaN"));
        assert!(refused(step_bytes(&X_T.replace("1.5", "-1"), &[1.0; 6])).contains("noise level"));
        let long = format!(
            "{{\"type\":\"step\",\"pad\":\"{}\"}}\n",
            "x".repeat(MAX_STEP_HEADER_BYTES)
        );
        assert!(refused(long.into_bytes()).contains("longer than"));
        let cut = step_bytes(X_T, &[1.0; 6]);
        assert!(refused(cut[..cut.len() - 5].to_vec()).contains("cut short"));
        assert!(refused(b"{\"type\":\"step\"".to_vec()).contains("ended inside"));
        // An unknown type with a line break in it (found by fuzz/stream_decoder) is quoted on one line.
        assert!(refused(b"{\"type\":\"st\\nep\"}\n".to_vec()).contains("unknown variant"));
    }

    #[test]
    fn hellos_name_their_protocol_and_topology() {
        let atoms = r#"{"protocol":"sigmascope-stream","version":1,"type":"hello","topology":{"kind":"atoms","atom_names":["CA"],"residue_numbers":[1]}}"#;
        let (hello, file) = read_hello(&mut std::io::Cursor::new(format!("{atoms}\n"))).unwrap();
        assert!(file.is_none());
        assert!(
            matches!(hello.topology, TopologySpec::Atoms { ref atom_names, .. } if atom_names == &["CA"])
        );
        let mut with_file = br#"{"protocol":"sigmascope-stream","version":1,"type":"hello","topology":{"kind":"file","file_name":"x.pdb"},"arrays":[{"name":"topology_file","dtype":"|u1","shape":[4]}]}"#.to_vec();
        with_file.extend_from_slice(b"\nATOM");
        let (_, file) = read_hello(&mut std::io::Cursor::new(with_file)).unwrap();
        assert_eq!(file.as_deref(), Some(&b"ATOM"[..]));
        let other = atoms.replace("\"version\":1", "\"version\":2");
        let e = read_hello(&mut std::io::Cursor::new(format!("{other}\n"))).unwrap_err();
        assert!(e.contains("version 2"), "{e}");
    }
}
