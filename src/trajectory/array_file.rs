//! NPY/NPZ trajectory arrays [frames, atoms, 3] read into coordinate frames (no topology, no device).

use std::io::Read as _;

/// Coordinate frames of an NPY array, or of the first array in an NPZ, of shape [frames, atoms, 3].
pub fn read_array_frames(bytes: &[u8]) -> Result<Vec<Vec<[f32; 3]>>, String> {
    let npy = if bytes.starts_with(b"PK\x03\x04") {
        first_npz_member(bytes)?
    } else {
        bytes.to_vec()
    };
    let (shape, values) = read_npy(&npy)?;
    let [frames, atoms, 3] = shape[..] else {
        return Err(format!(
            "expected shape [frames, atoms, 3], found {shape:?}"
        ));
    };
    Ok((0..frames)
        .map(|f| {
            values[f * atoms * 3..(f + 1) * atoms * 3]
                .chunks_exact(3)
                .map(|c| [c[0], c[1], c[2]])
                .collect()
        })
        .collect())
}

/// Parses an NPY file (version 1–3, little-endian f4 or f8, C order) into its shape and f32 values.
pub fn read_npy(bytes: &[u8]) -> Result<(Vec<usize>, Vec<f32>), String> {
    if !bytes.starts_with(b"\x93NUMPY") || bytes.len() < 10 {
        return Err("not an NPY file (bad magic)".to_owned());
    }
    let (header_len, start) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(format!("unsupported NPY version {v}")),
    };
    let header = std::str::from_utf8(
        bytes
            .get(start..start + header_len)
            .ok_or("truncated NPY header")?,
    )
    .map_err(|_| "NPY header is not text".to_owned())?;
    let field = |key: &str| -> Option<&str> {
        let at = header.find(&format!("'{key}'"))? + key.len() + 2;
        Some(header[at..].trim_start_matches([':', ' ']))
    };
    let descr = field("descr").ok_or("NPY header without descr")?;
    let width = if descr.starts_with("'<f4'") {
        4
    } else if descr.starts_with("'<f8'") {
        8
    } else {
        return Err(format!(
            "unsupported dtype {}; use little-endian float32 or float64",
            &descr[..descr.len().min(6)]
        ));
    };
    if field("fortran_order").is_some_and(|v| v.starts_with("True")) {
        return Err("Fortran-ordered arrays are not supported; save with C order".to_owned());
    }
    let shape_text = field("shape").ok_or("NPY header without shape")?;
    let inner = shape_text
        .trim_start_matches('(')
        .split(')')
        .next()
        .unwrap_or("");
    let shape: Vec<usize> = inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| format!("bad shape {inner}")))
        .collect::<Result<_, _>>()?;
    let count = shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| format!("shape {inner} is too large"))?;
    let data = &bytes[start + header_len..];
    if count
        .checked_mul(width)
        .is_none_or(|needed| data.len() < needed)
    {
        return Err(format!(
            "NPY data truncated: {} bytes for {count} values",
            data.len()
        ));
    }
    let values = if width == 4 {
        data.chunks_exact(4)
            .take(count)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    } else {
        data.chunks_exact(8)
            .take(count)
            .map(|c| f64::from_le_bytes(std::array::from_fn(|i| c[i])) as f32)
            .collect()
    };
    Ok((shape, values))
}

/// The first `.npy` member of an NPZ (a zip of NPY files; stored or deflated, as `np.savez` and
/// `np.savez_compressed` write them).
fn first_npz_member(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let bad = |reason: &str| reason.to_owned();
    let u16_at = |i: usize| {
        bytes
            .get(i..i + 2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let u32_at = |i: usize| {
        bytes
            .get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let mut at = 0;
    while u32_at(at) == Some(0x0403_4b50) {
        let (Some(flags), Some(method), Some(size), Some(name_len), Some(extra_len)) = (
            u16_at(at + 6),
            u16_at(at + 8),
            u32_at(at + 18),
            u16_at(at + 26),
            u16_at(at + 28),
        ) else {
            return Err(bad("truncated NPZ entry"));
        };
        if flags & 0x8 != 0 || size == 0xFFFF_FFFF {
            return Err(bad(
                "NPZ entries with data descriptors or zip64 sizes are not supported; save with np.savez",
            ));
        }
        let member = String::from_utf8_lossy(
            bytes
                .get(at + 30..at + 30 + name_len)
                .ok_or_else(|| bad("truncated NPZ"))?,
        );
        let data_start = at + 30 + name_len + extra_len;
        let data = bytes
            .get(data_start..data_start + size)
            .ok_or_else(|| bad("truncated NPZ data"))?;
        if member.ends_with(".npy") {
            return match method {
                0 => Ok(data.to_vec()),
                8 => {
                    let mut out = Vec::new();
                    flate2::read::DeflateDecoder::new(data)
                        .read_to_end(&mut out)
                        .map_err(|e| bad(&format!("cannot inflate {member}: {e}")))?;
                    Ok(out)
                }
                m => Err(bad(&format!("unsupported NPZ compression method {m}"))),
            };
        }
        at = data_start + size;
    }
    Err(bad("no .npy array inside the NPZ"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(shape: &str, values: &[f32]) -> Vec<u8> {
        let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        for v in values {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    #[test]
    fn npy_round_trip_and_errors() {
        let values: Vec<f32> = (0..12).map(|v| v as f32 * 0.5).collect();
        let (shape, back) = read_npy(&npy("(2, 2, 3)", &values)).unwrap();
        assert_eq!(shape, vec![2, 2, 3]);
        assert_eq!(back, values);
        assert!(read_npy(b"hello").is_err());
        assert!(
            read_npy(&npy("(2, 2, 3)", &values[..5]))
                .unwrap_err()
                .contains("truncated")
        );
    }

    #[test]
    fn stored_npz_member_is_found() {
        let array = npy("(1, 1, 3)", &[1.0, 2.0, 3.0]);
        let mut zip = Vec::new();
        zip.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        zip.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        zip.extend_from_slice(&(array.len() as u32).to_le_bytes());
        zip.extend_from_slice(&(array.len() as u32).to_le_bytes());
        zip.extend_from_slice(&5u16.to_le_bytes());
        zip.extend_from_slice(&0u16.to_le_bytes());
        zip.extend_from_slice(b"x.npy");
        zip.extend_from_slice(&array);
        assert_eq!(first_npz_member(&zip).unwrap(), array);
        assert_eq!(
            read_array_frames(&zip).unwrap(),
            vec![vec![[1.0, 2.0, 3.0]]]
        );
    }
}
