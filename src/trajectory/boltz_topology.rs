//! Boltz's structure NPZ (`StructureV2.dump` / `Structure.dump`: `np.savez_compressed` of structured
//! arrays `atoms`, `residues`, `chains`, …; `boltz/data/types.py`) as a topology: chains with their
//! residues and present atoms. NumPy writes the records packed, each field at the running offset of
//! the ones before it; Boltz-1 stores atom names as four `i1` codes (character − 32), Boltz-2 as `<U4`.

use npyz::{DType, TypeChar};

use super::array_file::{check_npy_header, npy_header_span, read_npz_members};
use crate::structure::{AtomRecord, Structure};

/// One structured array: its records' bytes and the fields' layout.
struct Records<'a> {
    data: &'a [u8],
    len: usize,
    item: usize,
    fields: Vec<(String, DType, usize)>,
}

impl<'a> Records<'a> {
    fn of(name: &str, bytes: &'a [u8]) -> Result<Self, String> {
        check_npy_header(bytes).map_err(|e| format!("{name}: {e}"))?;
        let file = npyz::NpyFile::new(bytes).map_err(|e| format!("{name}: {e}"))?;
        let DType::Record(fields) = file.dtype() else {
            return Err(format!("{name} is not a structured array"));
        };
        let len = usize::try_from(file.len()).map_err(|_| format!("{name}: too long"))?;
        let mut offset = 0;
        let mut layout = Vec::with_capacity(fields.len());
        for field in fields {
            let size = field
                .dtype
                .num_bytes()
                .ok_or(format!("{name}: odd field size"))?;
            layout.push((field.name, field.dtype, offset));
            offset += size;
        }
        let start = npy_header_span(bytes)
            .map(|(at, length)| at + length)
            .ok_or(format!("{name}: truncated header"))?;
        let data = bytes
            .get(start..)
            .filter(|d| d.len() >= len.saturating_mul(offset))
            .ok_or(format!("{name}: truncated data"))?;
        Ok(Self {
            data,
            len,
            item: offset,
            fields: layout,
        })
    }

    fn field(&self, row: usize, name: &str) -> Result<(&DType, &'a [u8]), String> {
        let (_, dtype, offset) = self
            .fields
            .iter()
            .find(|(n, _, _)| n == name)
            .ok_or(format!("no field {name}"))?;
        let size = dtype.num_bytes().unwrap_or(0);
        let at = row * self.item + offset;
        Ok((dtype, &self.data[at..at + size]))
    }

    fn int(&self, row: usize, name: &str) -> Result<i64, String> {
        match self.field(row, name)? {
            (DType::Plain(t), b) if t.type_char() == TypeChar::Int && b.len() == 4 => Ok(
                i64::from(i32::from_le_bytes(b.try_into().map_err(|_| "i4")?)),
            ),
            (DType::Plain(_), b) if b.len() == 1 => Ok(i64::from(b[0])),
            _ => Err(format!("{name} is not an integer")),
        }
    }

    fn text(&self, row: usize, name: &str) -> Result<String, String> {
        let (dtype, b) = self.field(row, name)?;
        let text: String = match dtype {
            DType::Plain(t) if t.type_char() == TypeChar::UnicodeStr => b
                .chunks_exact(4)
                .filter_map(|c| char::from_u32(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                .collect(),
            DType::Plain(t) if t.type_char() == TypeChar::ByteStr => {
                b.iter().map(|&c| char::from(c)).collect()
            }
            // Boltz-1: `[ord(c) - 32 for c in name]`.
            DType::Array(4, _) => b.iter().map(|&c| char::from(c.wrapping_add(32))).collect(),
            _ => return Err(format!("{name} is not text")),
        };
        Ok(text
            .trim_matches(|c: char| c == '\0' || c.is_whitespace())
            .to_owned())
    }

    fn coords(&self, row: usize) -> Result<[f32; 3], String> {
        let (_, b) = self.field(row, "coords")?;
        let value = |k: usize| {
            b.get(4 * k..4 * k + 4)
                .and_then(|v| v.try_into().ok())
                .map(f32::from_le_bytes)
                .ok_or("coords are not 3 float32")
        };
        Ok([value(0)?, value(1)?, value(2)?])
    }

    fn flag(&self, row: usize, name: &str) -> Result<bool, String> {
        Ok(self.field(row, name)?.1.first().is_some_and(|&b| b != 0))
    }
}

/// A Boltz structure: the topology of its present atoms, and which of all its atoms they are.
#[derive(Debug, Clone)]
pub struct BoltzTopology {
    /// Chains, residues and present atoms, at the file's coordinates.
    pub structure: Structure,
    /// Index of each kept atom among all the file's atoms.
    pub present: Vec<usize>,
    /// All the file's atoms, present or not (the length of a Boltz sampler's coordinates).
    pub total_atoms: usize,
}

/// Reads a Boltz structure NPZ, or says why it is not one.
pub fn read_boltz_topology(name: &str, bytes: &[u8]) -> Result<BoltzTopology, String> {
    let members = read_npz_members(bytes)?;
    let member = |key: &str| {
        members
            .iter()
            .find(|(n, _)| n == key)
            .map(|(_, b)| b.as_slice())
            .ok_or(format!("not a Boltz structure: no `{key}` array"))
    };
    let (atoms, residues, chains) = (
        Records::of("atoms", member("atoms")?)?,
        Records::of("residues", member("residues")?)?,
        Records::of("chains", member("chains")?)?,
    );
    let mut records = Vec::new();
    let mut present = Vec::new();
    for c in 0..chains.len {
        let chain = chains.text(c, "name")?;
        let first = usize::try_from(chains.int(c, "res_idx")?).map_err(|_| "res_idx")?;
        let count = usize::try_from(chains.int(c, "res_num")?).map_err(|_| "res_num")?;
        for r in first..(first + count).min(residues.len) {
            let residue_name = residues.text(r, "name")?;
            let number = residues.int(r, "res_idx")? as isize + 1;
            let start = usize::try_from(residues.int(r, "atom_idx")?).map_err(|_| "atom_idx")?;
            let n = usize::try_from(residues.int(r, "atom_num")?).map_err(|_| "atom_num")?;
            for a in start..(start + n).min(atoms.len) {
                if !atoms.flag(a, "is_present")? {
                    continue;
                }
                records.push(AtomRecord {
                    chain: chain.clone(),
                    residue_number: number,
                    residue_name: residue_name.clone(),
                    atom_name: atoms.text(a, "name")?,
                    position: atoms.coords(a)?,
                });
                present.push(a);
            }
        }
    }
    if records.is_empty() {
        return Err("the Boltz structure has no present atoms".to_owned());
    }
    Ok(BoltzTopology {
        structure: Structure::from_atom_records(name, &records),
        present,
        total_atoms: atoms.len,
    })
}
