//! The external-denoiser protocol, version 1 (README "Your denoiser in the loop"): every message is one
//! JSON header line, then the raw little-endian arrays its `arrays` list names, in order. The messages
//! are typed here; `python/sigmascope/denoiser.py` (the Python package's `serve`) is the client.

use std::io::BufRead;

use serde::{Deserialize, Serialize};

use crate::geometry::RigidTransform;
use crate::structure::Structure;

/// The protocol's name, in the first message.
pub const PROTOCOL: &str = "sigmascope-denoiser";
/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// Arrays larger than this many bytes are refused (a header that claims more is not a reply).
const MAX_ARRAY_BYTES: usize = 1 << 34;

/// One array that follows a header: its name, NumPy dtype string and shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArraySpec {
    /// `<f4` (little-endian f32) or `<i4` (little-endian i32).
    pub dtype: String,
    /// What the array is (`x`, `x0_hat`, `reference`, …).
    pub name: String,
    /// Its shape, C order.
    pub shape: Vec<u64>,
}

impl ArraySpec {
    fn new(name: &str, dtype: &str, shape: &[usize]) -> Self {
        Self {
            dtype: dtype.to_owned(),
            name: name.to_owned(),
            shape: shape.iter().map(|&n| n as u64).collect(),
        }
    }

    /// The bytes that follow the header for this array, or why it cannot be read.
    fn byte_len(&self) -> Result<usize, String> {
        let item: usize = match self.dtype.as_str() {
            "<f4" | "<i4" => 4,
            other => {
                return Err(format!(
                    "the denoiser sent an array of dtype {other:?}; use <f4"
                ));
            }
        };
        self.shape
            .iter()
            .try_fold(item, |bytes, &n| {
                bytes.checked_mul(usize::try_from(n).ok()?)
            })
            .filter(|&bytes| bytes < MAX_ARRAY_BYTES)
            .ok_or_else(|| format!("the denoiser sent an array of shape {:?}", self.shape))
    }
}

/// The rigid map from the data's frame to x's, rows: y = x R + t.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WirePose {
    /// R.
    pub rotation: [[f64; 3]; 3],
    /// t.
    pub translation: [f64; 3],
}

/// The first message: the structure's topology; its arrays are `atom_residue` <i4 [N], `residue_chain`
/// <i4 [R] and `reference` <f4 [N, 3].
#[derive(Debug, Clone, Serialize)]
pub struct Hello<'a> {
    arrays: [ArraySpec; 3],
    atom_names: &'a [String],
    atoms: usize,
    chain_ids: Vec<String>,
    chains: usize,
    elements: Vec<&'a str>,
    protocol: &'static str,
    residue_names: Vec<&'a str>,
    residue_numbers: Vec<isize>,
    residues: usize,
    version: u32,
}

/// A denoiser call: x <f4 [N, 3] at `sigma`, with the step's numbers.
#[derive(Debug, Clone, Serialize)]
pub struct DenoiseCall {
    arrays: [ArraySpec; 1],
    #[serde(rename = "frame_from_data")]
    pose: Option<WirePose>,
    level_sigmas: Option<[f64; 3]>,
    sigma: f64,
    step: usize,
}

/// What sigmascope sends the child.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request<'a> {
    /// The topology, first.
    Hello(Hello<'a>),
    /// One denoiser call.
    Denoise(DenoiseCall),
    /// The run is over.
    Stop,
}

impl<'a> Request<'a> {
    /// The hello message of `structure` (its arrays' bytes are `hello_arrays`).
    pub fn hello(structure: &'a Structure) -> Self {
        let (atoms, residues) = (structure.atom_count(), structure.residue_count());
        Self::Hello(Hello {
            arrays: [
                ArraySpec::new("atom_residue", "<i4", &[atoms]),
                ArraySpec::new("residue_chain", "<i4", &[residues]),
                ArraySpec::new("reference", "<f4", &[atoms, 3]),
            ],
            atom_names: &structure.atom_names,
            atoms,
            chain_ids: structure.chain_ids(),
            chains: structure.chain_count(),
            elements: structure.elements.iter().map(|e| e.symbol()).collect(),
            protocol: PROTOCOL,
            residue_names: structure.residues.iter().map(|r| r.name.as_str()).collect(),
            residue_numbers: structure.residues.iter().map(|r| r.number).collect(),
            residues,
            version: PROTOCOL_VERSION,
        })
    }

    /// A call on x of `atoms` atoms.
    pub fn denoise(
        atoms: usize,
        sigma: f64,
        step: usize,
        level_sigmas: Option<[f64; 3]>,
        pose: Option<&RigidTransform>,
    ) -> Self {
        Self::Denoise(DenoiseCall {
            arrays: [ArraySpec::new("x", "<f4", &[atoms, 3])],
            pose: pose.map(|f| WirePose {
                rotation: f.rotation,
                translation: f.translation,
            }),
            level_sigmas,
            sigma,
            step,
        })
    }

    /// The header line, newline included. Keys are written in sorted order, as version 1 always has.
    pub fn header_line(&self) -> Result<Vec<u8>, serde_json::Error> {
        // A `Value`'s map keeps its keys sorted, which fixes the bytes whatever the field order.
        let mut bytes = serde_json::to_vec(&serde_json::to_value(self)?)?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

/// The bytes of the hello message's arrays, in its order.
pub fn hello_arrays(structure: &Structure) -> [Vec<u8>; 3] {
    let reference: Vec<f32> = structure.positions.iter().flatten().copied().collect();
    [
        i32_bytes(structure.atom_residue.iter().map(|&r| r as i32)),
        i32_bytes(structure.residue_chain.iter().map(|&c| c as i32)),
        f32_bytes(&reference),
    ]
}

/// What the child answers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    /// The answer to hello.
    Ready {
        /// The protocol version the child speaks.
        #[serde(default)]
        version: u64,
    },
    /// The answer to a call: one array `x0_hat` <f4 [N, 3].
    X0Hat {
        /// The arrays that followed.
        #[serde(default)]
        arrays: Vec<ArraySpec>,
    },
    /// The child could not answer.
    Error {
        /// Its message.
        #[serde(default)]
        message: Option<String>,
    },
    /// A message of another type.
    #[serde(other)]
    Other,
}

/// One message read from the child: its header line as written, the typed reply and its arrays.
#[derive(Debug, Clone)]
pub struct Received {
    /// The header line, trimmed (for messages that quote it).
    pub header: String,
    /// The reply it holds.
    pub reply: Reply,
    /// Each array's bytes, in the header's order.
    pub payloads: Vec<Vec<u8>>,
}

/// Just the framing of a header: which arrays follow it.
#[derive(Deserialize)]
struct Framing {
    #[serde(default)]
    arrays: Vec<ArraySpec>,
}

/// Reads one message; `Ok(None)` at the end of the stream.
pub fn read_message(reader: &mut impl BufRead) -> Result<Option<Received>, String> {
    let mut line = String::new();
    let read = reader
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the denoiser's reply: {e}"))?;
    if read == 0 {
        return Ok(None);
    }
    let header = line.trim().to_owned();
    let not_a_header = |e: serde_json::Error| {
        format!("the denoiser wrote a line that is not a protocol header ({e}): {header:.120}")
    };
    let framing: Framing = serde_json::from_str(&header).map_err(not_a_header)?;
    let reply: Reply = serde_json::from_str(&header).map_err(not_a_header)?;
    let mut payloads = Vec::with_capacity(framing.arrays.len());
    for spec in &framing.arrays {
        let mut bytes = vec![0u8; spec.byte_len()?];
        reader
            .read_exact(&mut bytes)
            .map_err(|e| format!("the denoiser's array was cut short: {e}"))?;
        payloads.push(bytes);
    }
    Ok(Some(Received {
        header,
        reply,
        payloads,
    }))
}

/// Little-endian bytes of `values` (a plain copy on little-endian hosts).
pub fn f32_bytes(values: &[f32]) -> Vec<u8> {
    if cfg!(target_endian = "little") {
        bytemuck::cast_slice::<f32, u8>(values).to_vec()
    } else {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }
}

/// f32 values of little-endian bytes.
pub fn f32_values(bytes: &[u8]) -> Vec<f32> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The header bytes the `json!` maps of version 1 wrote: keys sorted, nulls for absent numbers.
    #[test]
    fn headers_keep_version_one_bytes() {
        let call = Request::denoise(2, 1.5, 7, None, None);
        let line = String::from_utf8(call.header_line().unwrap()).unwrap();
        assert_eq!(
            line,
            "{\"arrays\":[{\"dtype\":\"<f4\",\"name\":\"x\",\"shape\":[2,3]}],\"frame_from_data\":null,\
             \"level_sigmas\":null,\"sigma\":1.5,\"step\":7,\"type\":\"denoise\"}\n"
        );
        let stop = String::from_utf8(Request::Stop.header_line().unwrap()).unwrap();
        assert_eq!(stop, "{\"type\":\"stop\"}\n");
        let old = serde_json::json!({
            "type": "denoise",
            "step": 3,
            "sigma": 0.25,
            "level_sigmas": [1.0, 0.5, 0.25],
            "frame_from_data": {"rotation": RigidTransform::IDENTITY.rotation, "translation": [1.0, 2.0, 3.0]},
            "arrays": [{"name": "x", "dtype": "<f4", "shape": [4, 3]}],
        });
        let frame = RigidTransform {
            translation: [1.0, 2.0, 3.0],
            ..RigidTransform::IDENTITY
        };
        let typed = Request::denoise(4, 0.25, 3, Some([1.0, 0.5, 0.25]), Some(&frame));
        let mut expected = serde_json::to_vec(&old).unwrap();
        expected.push(b'\n');
        assert_eq!(typed.header_line().unwrap(), expected);
    }

    #[test]
    fn replies_are_typed_and_bad_frames_refused() {
        let bytes = f32_bytes(&[1.0, 2.0, 3.0]);
        let mut stream = b"{\"type\": \"x0_hat\", \"arrays\": [{\"name\": \"x0_hat\", \"dtype\": \"<f4\", \"shape\": [1, 3]}]}\n".to_vec();
        stream.extend_from_slice(&bytes);
        stream.extend_from_slice(
            b"{\"type\": \"ready\", \"version\": 1, \"name\": \"m\"}\n{\"type\": \"hm\"}\n",
        );
        let mut reader = std::io::Cursor::new(stream);
        let first = read_message(&mut reader).unwrap().unwrap();
        assert!(matches!(first.reply, Reply::X0Hat { ref arrays } if arrays[0].shape == [1, 3]));
        assert_eq!(f32_values(&first.payloads[0]), [1.0, 2.0, 3.0]);
        let ready = read_message(&mut reader).unwrap().unwrap();
        assert_eq!(ready.reply, Reply::Ready { version: 1 });
        assert_eq!(
            read_message(&mut reader).unwrap().unwrap().reply,
            Reply::Other
        );
        assert!(read_message(&mut reader).unwrap().is_none());

        let refused =
            |text: &[u8]| read_message(&mut std::io::Cursor::new(text.to_vec())).unwrap_err();
        assert!(refused(b"hello\n").contains("not a protocol header"));
        assert!(refused(b"{\"type\":\"x0_hat\",\"arrays\":[{\"name\":\"x\",\"dtype\":\"<f8\",\"shape\":[1]}]}\n").contains("dtype \"<f8\""));
        assert!(refused(b"{\"type\":\"x0_hat\",\"arrays\":[{\"name\":\"x\",\"dtype\":\"<f4\",\"shape\":[4294967296,4294967296]}]}\n").contains("shape"));
        assert!(refused(b"{\"type\":\"x0_hat\",\"arrays\":[{\"name\":\"x\",\"dtype\":\"<f4\",\"shape\":[2]}]}\n\0\0").contains("cut short"));
    }
}
