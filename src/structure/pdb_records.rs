//! A lenient walk over PDB records that accepts what gemmi accepts and hands pdbtbx only what we use:
//! one canonical text per model, of 80-column ATOM/HETATM records.
//!
//! The record rules follow gemmi's reader (`src/pdb.cpp`, `read_pdb_from_stream`): a model opens at MODEL
//! or at the first atom outside one, closes at ENDMDL, and reading stops at END; a MODEL while a model
//! with atoms is open, an atom record shorter than its coordinates, a misformatted charge and an ANISOU
//! before any atom are refused as gemmi refuses them. Every other record (REMARK, MASTER, CONECT, SSBOND,
//! LINK, SEQRES, …) carries nothing we use and is dropped before pdbtbx sees it, so its checks of those
//! records can never stop a structure from opening.

use super::export::coordinate_field;

/// gemmi reads at most this many columns of a line (`max_line_length`).
const MAX_COLUMNS: usize = 120;
/// Columns of a canonical atom record.
const RECORD_COLUMNS: usize = 80;

/// Atom records of one model, canonical, ready for pdbtbx.
#[derive(Debug, Default)]
pub(super) struct ModelText {
    /// MODEL number (the model's position for models opened by an atom record).
    number: i64,
    /// Canonical records, one per line.
    pub(super) text: Vec<u8>,
    /// Atom records in `text`.
    atoms: usize,
}

/// Splits PDB text into canonical per-model texts, or says (one line) why gemmi would refuse it.
pub(super) fn canonical_models(text: &[u8]) -> Result<Vec<ModelText>, String> {
    let mut models: Vec<ModelText> = Vec::new();
    let mut open: Option<usize> = None;
    // gemmi's `chain`: the chain part atoms are being added to (reset by MODEL and ENDMDL).
    let mut chain: Option<[u8; 2]> = None;
    for (index, raw) in text.split(|&b| b == b'\n').enumerate() {
        let line_number = index + 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = &line[..line.len().min(MAX_COLUMNS)];
        let wrong = |what: &str| format!("line {line_number}: {what}");
        if record_is(line, b"ATOM") || record_is(line, b"HETA") {
            if line.len() < 54 {
                return Err(wrong(&format!(
                    "atom record too short ({} columns; its coordinates end at column 54)",
                    line.len()
                )));
            }
            let chain_name = [column(line, 20), column(line, 21)];
            if chain != Some(chain_name) {
                if open.is_none() {
                    // A single model usually has no MODEL record; MD frames may be split by ENDMDL alone.
                    let number = models.len() as i64 + 1;
                    if models.iter().any(|m| m.number == number) {
                        return Err(wrong("ATOM/HETATM between models"));
                    }
                    models.push(ModelText {
                        number,
                        ..ModelText::default()
                    });
                    open = Some(models.len() - 1);
                }
                chain = Some(chain_name);
            }
            check_charge(line).map_err(|e| wrong(&e))?;
            let model = &mut models[open.unwrap_or_default()];
            let record = canonical_atom(line, model.atoms).map_err(|e| wrong(&e))?;
            model.text.extend_from_slice(&record);
            model.text.push(b'\n');
            model.atoms += 1;
        } else if record_is(line, b"ANIS") {
            if open.is_none_or(|m| models[m].atoms == 0) || chain.is_none() {
                return Err(wrong("ANISOU record not directly after ATOM/HETATM"));
            }
        } else if record_is(line, b"MODE") {
            if open.is_some() && chain.is_some() {
                return Err(wrong("MODEL without ENDMDL"));
            }
            // The serial sits in columns 11-14; writers that do not pad to 80 end the line earlier.
            let number =
                leading_int(line.get(6..line.len().min(14)).unwrap_or_default()).unwrap_or(0);
            let index = match models.iter().position(|m| m.number == number) {
                Some(i) if models[i].atoms > 0 => {
                    return Err(wrong(&format!("duplicate MODEL number {number}")));
                }
                Some(i) => i,
                None => {
                    models.push(ModelText {
                        number,
                        ..ModelText::default()
                    });
                    models.len() - 1
                }
            };
            open = Some(index);
            chain = None;
        } else if record_is(line, b"ENDM") {
            open = None;
            chain = None;
        } else if line.len() >= 3
            && line[..3].eq_ignore_ascii_case(b"END")
            && line.get(3).is_none_or(|c| *c == b' ')
        {
            break;
        } else if line.starts_with(b"data_") && open.is_none() {
            return Err(wrong("this is mmCIF, not PDB (name it .cif)"));
        }
    }
    models.retain(|m| m.atoms > 0);
    Ok(models)
}

/// gemmi's record test: the first four columns, case-blind.
fn record_is(line: &[u8], record: &[u8; 4]) -> bool {
    line.len() >= 4 && line[..4].eq_ignore_ascii_case(record)
}

fn column(line: &[u8], index: usize) -> u8 {
    line.get(index).copied().unwrap_or(b' ')
}

fn field(line: &[u8], range: std::ops::Range<usize>) -> &str {
    let bytes = line
        .get(range.start.min(line.len())..range.end.min(line.len()))
        .unwrap_or_default();
    std::str::from_utf8(bytes).unwrap_or_default().trim()
}

/// An optionally signed run of digits after blanks, as gemmi's `read_int` reads it.
fn leading_int(bytes: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(bytes).ok()?.trim_start();
    let end = text
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
        .map_or(text.len(), |(i, _)| i);
    text[..end].parse().ok()
}

/// Columns 79–80: a digit and a sign in either order, or blank (gemmi's `read_charge`).
fn check_charge(line: &[u8]) -> Result<(), String> {
    if line.len() <= 78 {
        return Ok(());
    }
    let (mut digit, mut sign) = (column(line, 78), column(line, 79));
    if sign.is_ascii_digit() {
        std::mem::swap(&mut digit, &mut sign);
    }
    if digit.is_ascii_digit() && !matches!(sign, b'+' | b'-' | 0 | b' ' | b'\t') {
        return Err(format!(
            "wrong format for charge: {}{}",
            digit as char, sign as char
        ));
    }
    Ok(())
}

/// The 80-column record pdbtbx reads without complaint: fields we use copied, a serial number that fits,
/// occupancy and B-factor where the line had none, an element only where it names one, no charge.
fn canonical_atom(line: &[u8], index_in_model: usize) -> Result<[u8; RECORD_COLUMNS], String> {
    let mut out = [b' '; RECORD_COLUMNS];
    let hetero = record_is(line, b"HETA");
    out[..6].copy_from_slice(if hetero { b"HETATM" } else { b"ATOM  " });
    // Serials overflow five columns in large files; ours only tell atoms of one model apart.
    let serial = format!("{:>5}", index_in_model % 99_999 + 1);
    out[6..11].copy_from_slice(serial.as_bytes());
    copy_printable(&mut out[12..16], line, 12);
    out[16] = printable(column(line, 16));
    copy_printable(&mut out[17..20], line, 17);
    if out[17..20] == *b"   " {
        out[17..20].copy_from_slice(b"UNK");
    }
    out[21] = printable(column(line, 21));
    let residue_number = leading_int(line.get(22..26).unwrap_or_default())
        .unwrap_or(0)
        .clamp(-999, 9999);
    out[22..26].copy_from_slice(format!("{residue_number:>4}").as_bytes());
    out[26] = printable(column(line, 26));
    let fixed = [30usize, 38, 46].map(|start| {
        field(line, start..start + 8)
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
    });
    // Far-flung coordinates (early diffusion frames at σ ≈ 2560 Å) overflow `%8.3f` and run together
    // ("367.539-3066.7965158.459"); their decimals still tell them apart. Columns after them shift,
    // so occupancy and B-factor are then the defaults.
    // An overflow can also leave three fields that parse, wrongly ("-3066.79", "65158.45"): `%8.3f`
    // pads every shorter number to eight columns, so the numbers run past column 54 exactly when one
    // overflowed, and the occupancy's first column (a space in every writer) then holds a digit.
    let runs_on = matches!(line.get(54), Some(c) if c.is_ascii_digit() || *c == b'.');
    let overflowed = (runs_on || fixed.iter().any(Option::is_none))
        .then(|| overflowed_coordinates(line.get(30..).unwrap_or_default()))
        .flatten();
    let shifted = fixed.iter().any(Option::is_none) || overflowed.is_some();
    if shifted {
        let Some(values) = overflowed else {
            let axis = fixed.iter().position(Option::is_none).unwrap_or(0);
            let start = 30 + 8 * axis;
            return Err(format!(
                "coordinate {} is not a number: {:?}",
                ["x", "y", "z"][axis],
                field(line, start..start + 8)
            ));
        };
        for (k, v) in values.iter().enumerate() {
            out[30 + 8 * k..38 + 8 * k].copy_from_slice(coordinate_field(*v).as_bytes());
        }
    } else {
        out[30..54].copy_from_slice(&line[30..54]);
    }
    // pdbtbx requires both to be finite and not negative (it panics sharing out a negative occupancy).
    for (start, default) in [(54usize, b"  1.00"), (60, b"  0.00")] {
        let ok = !shifted
            && line.len() >= start + 6
            && field(line, start..start + 6)
                .parse::<f64>()
                .is_ok_and(|v| v.is_finite() && v >= 0.0);
        if ok {
            out[start..start + 6].copy_from_slice(&line[start..start + 6]);
        } else {
            out[start..start + 6].copy_from_slice(default);
        }
    }
    let element = field(line, 76..78);
    if !element.is_empty()
        && element.chars().all(|c| c.is_ascii_alphabetic())
        && pdbtbx::Element::from_symbol(element).is_some()
    {
        let padded = format!("{:>2}", element.to_ascii_uppercase());
        out[76..78].copy_from_slice(padded.as_bytes());
    }
    Ok(out)
}

/// Three numbers with exactly three decimals each (`-?\d+\.\d{3}`), read one after the other from the
/// start of `text` with nothing but spaces between them: the coordinates of an overflowed record.
fn overflowed_coordinates(text: &[u8]) -> Option<[f64; 3]> {
    let mut at = 0;
    let mut values = [0.0; 3];
    for value in &mut values {
        while text.get(at) == Some(&b' ') {
            at += 1;
        }
        let start = at;
        if text.get(at) == Some(&b'-') {
            at += 1;
        }
        let digits = at;
        while text.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if at == digits || text.get(at) != Some(&b'.') {
            return None;
        }
        at += 1;
        if !text.get(at..at + 3)?.iter().all(u8::is_ascii_digit) {
            return None;
        }
        at += 3;
        *value = std::str::from_utf8(&text[start..at]).ok()?.parse().ok()?;
    }
    Some(values)
}

fn printable(c: u8) -> u8 {
    if c.is_ascii_graphic() { c } else { b' ' }
}

fn copy_printable(out: &mut [u8], line: &[u8], start: usize) {
    for (k, slot) in out.iter_mut().enumerate() {
        *slot = printable(column(line, start + k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn models(text: &str) -> Result<Vec<ModelText>, String> {
        canonical_models(text.as_bytes())
    }

    const ATOM: &str =
        "ATOM      1  N   ASP A 152      21.554  34.953  27.691  1.00 20.00           N";

    #[test]
    fn records_we_do_not_use_are_dropped() {
        let text = format!("HEADER x\nMASTER    0 0 0 99\nREMARK\n{ATOM}\nCONECT    1    2\nEND\n");
        let m = models(&text).unwrap();
        assert_eq!(m.len(), 1);
        let body = String::from_utf8(m[0].text.clone()).unwrap();
        assert_eq!(body.lines().count(), 1);
        assert_eq!(body.lines().next().unwrap().len(), RECORD_COLUMNS);
    }

    #[test]
    fn short_lines_get_occupancy_and_b_factor() {
        let m = models(&ATOM[..54]).unwrap();
        let line = String::from_utf8(m[0].text.clone()).unwrap();
        assert_eq!(&line[54..66], "  1.00  0.00");
        assert_eq!(&line[30..54], &ATOM[30..54]);
        assert!(models(&ATOM[..53]).unwrap_err().contains("too short"));
    }

    #[test]
    fn models_follow_gemmi() {
        // MODEL lines that end right after their number (BoltzGen's, AlphaFold2's unpadded) keep it.
        let short = format!("MODEL     1\n{ATOM}\nENDMDL\nMODEL     2\n{ATOM}\nENDMDL\n");
        assert_eq!(
            models(&short)
                .unwrap()
                .iter()
                .map(|m| m.number)
                .collect::<Vec<_>>(),
            [1, 2]
        );
        // Atoms after ENDMDL without MODEL open a new model; END stops reading.
        let text = format!("MODEL 1\n{ATOM}\nENDMDL\n{ATOM}\nEND\n{ATOM}\n");
        assert_eq!(models(&text).unwrap().len(), 2);
        let unclosed = format!("MODEL 1\n{ATOM}\nMODEL 2\n{ATOM}\n");
        assert!(
            models(&unclosed)
                .unwrap_err()
                .contains("MODEL without ENDMDL")
        );
        let duplicate = format!("MODEL 1\n{ATOM}\nENDMDL\nMODEL 1\n{ATOM}\n");
        assert!(models(&duplicate).unwrap_err().contains("duplicate MODEL"));
    }

    #[test]
    fn charges_are_checked_then_dropped() {
        // ATOM ends at column 78 (the element); the charge takes columns 79-80.
        let with = |charge: &str| format!("{ATOM}{charge}");
        assert!(models(&with("1+")).is_ok());
        assert!(models(&with("-1")).is_ok());
        assert!(models(&with("0")).is_ok());
        assert!(models(&with("90")).unwrap_err().contains("charge"));
        let m = models(&with("2+")).unwrap();
        assert_eq!(&m[0].text[78..80], b"  ");
    }

    #[test]
    fn overflowed_coordinates_are_read_by_their_decimals() {
        // BoltzGen's early frames: y = -3066.796 takes nine columns and z runs into it.
        let line =
            "ATOM      1  N   ASP A 152     367.539-3066.7965158.459  1.00 20.00           N";
        let m = models(line).unwrap();
        let text = String::from_utf8(m[0].text.clone()).unwrap();
        let read: Vec<f64> = [30usize, 38, 46]
            .iter()
            .map(|&k| text[k..k + 8].trim().parse().unwrap())
            .collect();
        assert!((read[0] - 367.539).abs() < 1e-9, "{read:?}");
        assert!((read[1] + 3066.796).abs() < 0.01, "{read:?}");
        assert!((read[2] - 5158.459).abs() < 1e-9, "{read:?}");
        assert_eq!(
            overflowed_coordinates(b"1.5 2.000 3.000"),
            None,
            "three decimals each"
        );
        assert_eq!(
            overflowed_coordinates(b"  -12345.678 1.000-2.000"),
            Some([-12345.678, 1.0, -2.0])
        );
    }

    #[test]
    fn our_writers_fewer_decimals_stay_fixed_columns() {
        // sigmascope's writer fits far-out values with fewer decimals: its fields are not a stream.
        let ours = "ATOM      1  N   ASP A 152    -1234.567890.123  12.345  1.00 20.00           N";
        let m = models(ours).unwrap();
        let text = String::from_utf8(m[0].text.clone()).unwrap();
        assert_eq!(&text[30..54], "-1234.567890.123  12.345");
    }

    #[test]
    fn bad_coordinates_are_refused_with_the_line() {
        let bad = ATOM.replace("21.554", "21.5x4");
        let err = models(&bad).unwrap_err();
        assert!(err.starts_with("line 1: coordinate x"), "{err}");
    }
}
