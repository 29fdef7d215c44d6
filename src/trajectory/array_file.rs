//! NPY arrays and NPZ archives of trajectories written by other tools (no topology, no device).
//! npyz reads the arrays (any byte order, float32/float64/integer/string dtypes, C or Fortran order);
//! zip reads the archives `np.savez` and `np.savez_compressed` write (stored or deflated, with data
//! descriptors, zip64). The trajectory keys are the README's: `x_t` [frames, atoms, 3] and, when present,
//! `x0_hat` (same shape), `sigma` [frames], `atom_names`, `residue_index`, `chain_index` [atoms].

use std::io::{Cursor, Read as _, Write as _};

use npyz::{Order, TypeChar, WriterBuilder as _};

/// The largest array member read from an archive (a corrupt size must not allocate without bound).
const MAX_MEMBER_BYTES: u64 = 1 << 32;

/// The values of an array, in C order.
#[derive(Debug, Clone, PartialEq)]
pub enum ArrayValues {
    /// Floating-point values.
    Float(Vec<f64>),
    /// Integer or boolean values.
    Int(Vec<i64>),
    /// Byte or unicode strings.
    Text(Vec<String>),
}

/// One array: its shape and values in C order.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    /// Shape.
    pub shape: Vec<usize>,
    /// Values, C order.
    pub values: ArrayValues,
}

/// Reorders Fortran-order values (first index fastest) into C order (last index fastest).
fn fortran_to_c<T: Clone>(shape: &[usize], values: Vec<T>) -> Vec<T> {
    if shape.len() < 2 {
        return values;
    }
    let total = values.len();
    let mut out = Vec::with_capacity(total);
    let mut index = vec![0usize; shape.len()];
    for _ in 0..total {
        // Position of `index` in Fortran order.
        let (mut offset, mut stride) = (0, 1);
        for (i, n) in index.iter().zip(shape) {
            offset += i * stride;
            stride *= n;
        }
        out.push(values[offset].clone());
        // Advance `index` in C order.
        for d in (0..shape.len()).rev() {
            index[d] += 1;
            if index[d] < shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    out
}

/// Brackets nest at most this deep in the headers NumPy writes (a structured dtype's field with a
/// sub-array shape: `[('coords', '<f4', (3,))]`).
const MAX_HEADER_NESTING: usize = 4;

/// Where an NPY file's header text starts and how long it is (version 1 stores the length in two
/// bytes, versions 2 and 3 in four); its data starts right after.
pub fn npy_header_span(bytes: &[u8]) -> Option<(usize, usize)> {
    match bytes.get(6)? {
        1 => Some((
            10,
            usize::from(u16::from_le_bytes([*bytes.get(8)?, *bytes.get(9)?])),
        )),
        _ => Some((
            12,
            u32::from_le_bytes(bytes.get(8..12)?.try_into().ok()?) as usize,
        )),
    }
}

/// Refuses an NPY header npyz would take long to parse: its parser backtracks on deep nesting, so a
/// few hundred bytes of brackets take seconds.
pub fn check_npy_header(bytes: &[u8]) -> Result<(), String> {
    let (start, length) =
        npy_header_span(bytes).ok_or("not a readable NPY array: truncated header")?;
    let end = start.saturating_add(length).min(bytes.len());
    let header = &bytes[start.min(end)..end];
    let mut depth = 0usize;
    for &c in header {
        match c {
            b'[' | b'(' | b'{' => depth += 1,
            b']' | b')' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_HEADER_NESTING {
            return Err("not a readable NPY array: its header nests too deep".to_owned());
        }
    }
    Ok(())
}

/// Parses one NPY file.
pub fn read_npy(bytes: &[u8]) -> Result<NpyArray, String> {
    check_npy_header(bytes)?;
    let file = npyz::NpyFile::new(bytes).map_err(|e| format!("not a readable NPY array: {e}"))?;
    let shape: Vec<usize> = file
        .shape()
        .iter()
        .map(|&n| usize::try_from(n).map_err(|_| "NPY shape too large".to_owned()))
        .collect::<Result<_, _>>()?;
    let len = shape
        .iter()
        .try_fold(1usize, |a, &n| a.checked_mul(n))
        .ok_or("NPY shape too large")?;
    let npyz::DType::Plain(type_str) = file.dtype() else {
        return Err("NPY structured arrays are not supported; save plain arrays".to_owned());
    };
    let item = type_str.size_field().max(1) as usize;
    if len.saturating_mul(item) > bytes.len() {
        return Err(format!(
            "NPY data truncated: shape {shape:?} of {type_str} needs {} bytes",
            len.saturating_mul(item)
        ));
    }
    let order = file.order();
    let bad = |e: std::io::Error| format!("cannot read the NPY data: {e}");
    let values = match (type_str.type_char(), type_str.size_field()) {
        (TypeChar::Float, 4) => ArrayValues::Float(
            file.into_vec::<f32>()
                .map_err(bad)?
                .into_iter()
                .map(f64::from)
                .collect(),
        ),
        (TypeChar::Float, 8) => ArrayValues::Float(file.into_vec::<f64>().map_err(bad)?),
        (TypeChar::Int, 1) => ArrayValues::Int(ints(file.into_vec::<i8>().map_err(bad)?)),
        (TypeChar::Int, 2) => ArrayValues::Int(ints(file.into_vec::<i16>().map_err(bad)?)),
        (TypeChar::Int, 4) => ArrayValues::Int(ints(file.into_vec::<i32>().map_err(bad)?)),
        (TypeChar::Int, 8) => ArrayValues::Int(file.into_vec::<i64>().map_err(bad)?),
        (TypeChar::Uint | TypeChar::Bool, 1) => {
            ArrayValues::Int(ints(file.into_vec::<u8>().map_err(bad)?))
        }
        (TypeChar::Uint, 2) => ArrayValues::Int(ints(file.into_vec::<u16>().map_err(bad)?)),
        (TypeChar::Uint, 4) => ArrayValues::Int(ints(file.into_vec::<u32>().map_err(bad)?)),
        (TypeChar::ByteStr | TypeChar::UnicodeStr, _) => ArrayValues::Text(
            file.into_vec::<String>()
                .map_err(bad)?
                .into_iter()
                .map(|s| s.trim_end_matches('\0').to_owned())
                .collect(),
        ),
        _ => {
            return Err(format!(
                "unsupported dtype {type_str}; use float32 or float64 coordinates"
            ));
        }
    };
    let values = match (order, values) {
        (Order::C, v) => v,
        (Order::Fortran, ArrayValues::Float(v)) => ArrayValues::Float(fortran_to_c(&shape, v)),
        (Order::Fortran, ArrayValues::Int(v)) => ArrayValues::Int(fortran_to_c(&shape, v)),
        (Order::Fortran, ArrayValues::Text(v)) => ArrayValues::Text(fortran_to_c(&shape, v)),
    };
    Ok(NpyArray { shape, values })
}

fn ints<T: Into<i64>>(values: Vec<T>) -> Vec<i64> {
    values.into_iter().map(Into::into).collect()
}

/// Every array of an NPZ archive, by name (the member name without `.npy`), in archive order.
pub fn read_npz(bytes: &[u8]) -> Result<Vec<(String, NpyArray)>, String> {
    read_npz_members(bytes)?
        .into_iter()
        .map(|(name, data)| {
            let array = read_npy(&data).map_err(|e| format!("NPZ member {name}: {e}"))?;
            Ok((name, array))
        })
        .collect()
}

/// The members of an NPZ archive, each an NPY file's bytes, named without `.npy`.
pub fn read_npz_members(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("not a readable NPZ: {e}"))?;
    let mut members = Vec::new();
    for i in 0..archive.len() {
        let mut member = archive
            .by_index(i)
            .map_err(|e| format!("cannot read NPZ member {i}: {e}"))?;
        if member.is_dir() {
            continue;
        }
        let name = member
            .name()
            .map_err(|e| format!("NPZ member {i} has an unreadable name: {e}"))?
            .trim_end_matches(".npy")
            .to_owned();
        if member.size() > MAX_MEMBER_BYTES {
            return Err(format!("NPZ member {name} is larger than 4 GiB"));
        }
        let mut data = Vec::new();
        (&mut member)
            .take(MAX_MEMBER_BYTES)
            .read_to_end(&mut data)
            .map_err(|e| format!("cannot read NPZ member {name}: {e}"))?;
        members.push((name, data));
    }
    Ok(members)
}

/// Coordinate frames [frames, atoms, 3], f32.
pub type CoordinateFrames = Vec<Vec<[f32; 3]>>;

/// A trajectory array file: the coordinates and whatever else it carries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArrayTrajectory {
    /// The sampler state per frame.
    pub x_t: CoordinateFrames,
    /// The denoiser's prediction per frame (`x0_hat`).
    pub x0_hat: Option<CoordinateFrames>,
    /// The noise level per frame, Å (`sigma`).
    pub sigma: Option<Vec<f64>>,
    /// Atom names per atom, to match atoms with a topology (`atom_names`).
    pub atom_names: Option<Vec<String>>,
    /// Residue sequence number per atom (`residue_index`).
    pub residue_index: Option<Vec<i64>>,
    /// Chain ordinal per atom, 0-based in topology order (`chain_index`).
    pub chain_index: Option<Vec<i64>>,
    /// Residue name per atom (`residue_names`), when the file names them.
    pub residue_names: Option<Vec<String>>,
    /// Chain id per atom (`chain_ids`), when the file names them.
    pub chain_ids: Option<Vec<String>>,
}

fn coordinate_frames(name: &str, array: &NpyArray) -> Result<CoordinateFrames, String> {
    let [frames, atoms, 3] = array.shape[..] else {
        return Err(format!(
            "{name}: expected shape [frames, atoms, 3], found {:?}",
            array.shape
        ));
    };
    let ArrayValues::Float(values) = &array.values else {
        return Err(format!("{name}: coordinates must be float32 or float64"));
    };
    Ok((0..frames)
        .map(|f| {
            values[f * atoms * 3..(f + 1) * atoms * 3]
                .chunks_exact(3)
                .map(|c| [c[0] as f32, c[1] as f32, c[2] as f32])
                .collect()
        })
        .collect())
}

/// Reads an NPY array [frames, atoms, 3] (x_t alone) or an NPZ with the trajectory keys; an NPZ
/// without `x_t` uses its first array of that shape (`np.savez(path, frames)` names it `arr_0`).
pub fn read_array_trajectory(bytes: &[u8]) -> Result<ArrayTrajectory, String> {
    if !bytes.starts_with(b"PK") {
        let array = read_npy(bytes)?;
        return Ok(ArrayTrajectory {
            x_t: coordinate_frames("x_t", &array)?,
            ..ArrayTrajectory::default()
        });
    }
    trajectory_of_arrays(&read_npz(bytes)?)
}

/// The trajectory in an NPZ's arrays (see `read_array_trajectory`).
pub fn trajectory_of_arrays(arrays: &[(String, NpyArray)]) -> Result<ArrayTrajectory, String> {
    let get = |key: &str| arrays.iter().find(|(n, _)| n == key).map(|(_, a)| a);
    let x_t = match get("x_t") {
        Some(a) => coordinate_frames("x_t", a)?,
        None => {
            let (name, array) = arrays
                .iter()
                .find(|(_, a)| a.shape.len() == 3 && a.shape[2] == 3)
                .ok_or("NPZ without x_t (or any array [frames, atoms, 3])")?;
            coordinate_frames(name, array)?
        }
    };
    let frames = x_t.len();
    let atoms = x_t.first().map_or(0, Vec::len);
    let x0_hat = get("x0_hat")
        .map(|a| coordinate_frames("x0_hat", a))
        .transpose()?;
    if let Some(x0) = &x0_hat
        && (x0.len() != frames || x0.first().map_or(0, Vec::len) != atoms)
    {
        return Err(format!(
            "x0_hat has {} frames of {} atoms but x_t has {frames} of {atoms}",
            x0.len(),
            x0.first().map_or(0, Vec::len)
        ));
    }
    let per = |key: &str, want: usize| -> Result<Option<&NpyArray>, String> {
        match get(key) {
            Some(a) if a.shape != [want] => {
                Err(format!("{key} has shape {:?}; expected [{want}]", a.shape))
            }
            other => Ok(other),
        }
    };
    let sigma = per("sigma", frames)?
        .map(|a| match &a.values {
            ArrayValues::Float(v) => Ok(v.clone()),
            ArrayValues::Int(v) => Ok(v.iter().map(|&i| i as f64).collect()),
            ArrayValues::Text(_) => Err("sigma must be numeric".to_owned()),
        })
        .transpose()?;
    let integers = |key: &str| -> Result<Option<Vec<i64>>, String> {
        per(key, atoms)?
            .map(|a| match &a.values {
                ArrayValues::Int(v) => Ok(v.clone()),
                _ => Err(format!("{key} must be integers")),
            })
            .transpose()
    };
    let texts = |key: &str| -> Result<Option<Vec<String>>, String> {
        per(key, atoms)?
            .map(|a| match &a.values {
                ArrayValues::Text(v) => Ok(v.iter().map(|s| s.trim().to_owned()).collect()),
                _ => Err(format!("{key} must be strings")),
            })
            .transpose()
    };
    Ok(ArrayTrajectory {
        x_t,
        x0_hat,
        sigma,
        atom_names: texts("atom_names")?,
        residue_index: integers("residue_index")?,
        chain_index: integers("chain_index")?,
        residue_names: texts("residue_names")?,
        chain_ids: texts("chain_ids")?,
    })
}

/// σ per frame from a sidecar's bytes: an NPY array, or numbers separated by spaces, commas or new
/// lines (brackets allowed); each finite and not negative.
pub fn read_sigmas(bytes: &[u8]) -> Result<Vec<f64>, String> {
    if bytes.starts_with(b"\x93NUMPY") {
        let values = match read_npy(bytes)?.values {
            ArrayValues::Float(v) => v,
            ArrayValues::Int(v) => v.iter().map(|&i| i as f64).collect(),
            ArrayValues::Text(_) => return Err("σ must be numbers".to_owned()),
        };
        return match values.iter().find(|v| !v.is_finite() || **v < 0.0) {
            Some(bad) => Err(format!("{bad} is not a σ")),
            None => Ok(values),
        };
    }
    let text = String::from_utf8_lossy(bytes);
    text.split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| format!("{s:?} is not a σ"))
        })
        .collect()
}

/// The x_t frames of an NPY or NPZ trajectory.
pub fn read_array_frames(bytes: &[u8]) -> Result<CoordinateFrames, String> {
    read_array_trajectory(bytes).map(|t| t.x_t)
}

/// One array to write.
pub enum NpzEntry<'a> {
    /// float32 values of `shape`, C order.
    F32(&'a str, Vec<u64>, Vec<f32>),
    /// float64 values.
    F64(&'a str, Vec<u64>, Vec<f64>),
    /// int64 values.
    I64(&'a str, Vec<u64>, Vec<i64>),
    /// Unicode strings (NumPy's `<U`), one dimension.
    Text(&'a str, Vec<String>),
}

fn npy_of<T: npyz::AutoSerialize>(shape: &[u64], values: &[T]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut writer = npyz::WriteOptions::new()
            .default_dtype()
            .shape(shape)
            .writer(&mut out)
            .begin_nd()?;
        for v in values {
            writer.push(v)?;
        }
        writer.finish()?;
    }
    Ok(out)
}

/// An NPZ archive (deflated, as `np.savez_compressed` writes) of `entries`.
pub fn npz_bytes(entries: &[NpzEntry<'_>]) -> std::io::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for entry in entries {
        let (name, bytes) = match entry {
            NpzEntry::F32(name, shape, v) => (name, npy_of(shape, v)?),
            NpzEntry::F64(name, shape, v) => (name, npy_of(shape, v)?),
            NpzEntry::I64(name, shape, v) => (name, npy_of(shape, v)?),
            NpzEntry::Text(name, v) => {
                let width = v
                    .iter()
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(1)
                    .max(1);
                let mut out = Vec::new();
                {
                    let dtype = npyz::DType::Plain(
                        format!("<U{width}")
                            .parse()
                            .map_err(|e| std::io::Error::other(format!("{e}")))?,
                    );
                    let mut writer = npyz::WriteOptions::<str>::new()
                        .dtype(dtype)
                        .shape(&[v.len() as u64])
                        .writer(&mut out)
                        .begin_nd()?;
                    for s in v {
                        writer.push(s.as_str())?;
                    }
                    writer.finish()?;
                }
                (name, out)
            }
        };
        zip.start_file(format!("{name}.npy"), options)
            .map_err(std::io::Error::other)?;
        zip.write_all(&bytes)?;
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy_f32(shape: &[u64], values: &[f32]) -> Vec<u8> {
        npy_of(shape, values).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn fortran_order_is_read_in_c_order() {
        // [[1, 2, 3], [4, 5, 6]] stored column by column.
        let c = fortran_to_c(&[2, 3], vec![1, 4, 2, 5, 3, 6]);
        assert_eq!(c, vec![1, 2, 3, 4, 5, 6]);
        let c = fortran_to_c(&[2, 2, 2], vec![0, 4, 2, 6, 1, 5, 3, 7]);
        assert_eq!(c, vec![0, 1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn npz_round_trips_every_key_and_refuses_bad_shapes() {
        let frames: Vec<f32> = (0..2 * 3 * 3).map(|v| v as f32 * 0.5).collect();
        let bytes = npz_bytes(&[
            NpzEntry::F32("x_t", vec![2, 3, 3], frames.clone()),
            NpzEntry::F64("sigma", vec![2], vec![10.0, 0.0]),
            NpzEntry::Text("atom_names", vec!["N".into(), "CA".into(), "C".into()]),
            NpzEntry::I64("residue_index", vec![3], vec![1, 1, 1]),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let t = read_array_trajectory(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.x_t.len(), 2);
        assert_eq!(t.x_t[1][2], [15.0 * 0.5, 16.0 * 0.5, 17.0 * 0.5]);
        assert_eq!(t.sigma, Some(vec![10.0, 0.0]));
        assert_eq!(
            t.atom_names.as_deref(),
            Some(&["N".to_owned(), "CA".into(), "C".into()][..])
        );
        assert_eq!(t.residue_index, Some(vec![1, 1, 1]));
        assert!(t.x0_hat.is_none() && t.chain_index.is_none());
        let bad = npz_bytes(&[
            NpzEntry::F32("x_t", vec![2, 3, 3], frames),
            NpzEntry::F64("sigma", vec![3], vec![1.0, 2.0, 3.0]),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let e = read_array_trajectory(&bad).err().unwrap_or_default();
        assert!(e.contains("sigma has shape [3]"), "{e}");
    }

    #[test]
    fn npy_errors_are_one_line() {
        assert!(read_npy(b"not numpy").is_err());
        let npy = npy_f32(&[2, 2], &[1.0, 2.0, 3.0, 4.0]);
        let e = read_array_frames(&npy).err().unwrap_or_default();
        assert!(e.contains("expected shape [frames, atoms, 3]"), "{e}");
        // Truncated data.
        let npy = npy_f32(&[1, 2, 3], &[0.0; 6]);
        assert!(read_npy(&npy[..npy.len() - 8]).is_err());
    }
}
