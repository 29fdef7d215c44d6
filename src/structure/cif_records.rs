//! A lenient pass over mmCIF that accepts what gemmi accepts and hands pdbtbx only what we use: one
//! canonical `atom_site` loop per model.
//!
//! pdbtbx checks that the atoms of every model correspond to the first model's by serial number, which
//! no mmCIF ensemble passes (atom ids run on across models), and its reader stops the process on
//! missing values of required columns. So the file is tokenized here (CIF 1.1 syntax: quoted strings
//! end at a quote followed by white space, text fields run between lines that start with `;`), every
//! loop is checked to hold whole rows as gemmi checks it, and the `atom_site` rows are rewritten per
//! model with the columns pdbtbx reads, each value present and well formed.

use std::fmt::Write as _;

/// Splits mmCIF text into canonical per-model texts, or says (one line) why it cannot be read.
pub(super) fn canonical_models(text: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let Some(table) = atom_site(text)? else {
        return Ok(Vec::new());
    };
    let columns = Columns::find(&table.tags)?;
    let row_count = table.values.len() / table.tags.len();
    // Rows of each model, models in order of first appearance (gemmi's order).
    let mut model_keys: Vec<&[u8]> = Vec::new();
    let mut model_rows: Vec<Vec<usize>> = Vec::new();
    for row in 0..row_count {
        let key: &[u8] = columns
            .model
            .map_or(b"1", |c| table.values[row * table.tags.len() + c]);
        match model_keys.iter().position(|k| *k == key) {
            Some(m) => model_rows[m].push(row),
            None => {
                model_keys.push(key);
                model_rows.push(vec![row]);
            }
        }
    }
    model_rows
        .iter()
        .enumerate()
        .map(|(m, rows)| canonical_text(&table, &columns, rows, m + 1))
        .collect()
}

/// The `atom_site` tags and their values in row order.
struct Table<'a> {
    tags: Vec<String>,
    values: Vec<&'a [u8]>,
}

/// Columns of `atom_site` we read (indices into the row).
struct Columns {
    group: Option<usize>,
    element: Option<usize>,
    atom_name: usize,
    alt_id: Option<usize>,
    residue_name: Option<usize>,
    label_chain: Option<usize>,
    auth_chain: Option<usize>,
    label_seq: Option<usize>,
    auth_seq: Option<usize>,
    insertion: Option<usize>,
    xyz: [usize; 3],
    occupancy: Option<usize>,
    b_factor: Option<usize>,
    model: Option<usize>,
}

impl Columns {
    fn find(tags: &[String]) -> Result<Self, String> {
        let find = |name: &str| tags.iter().position(|t| t.eq_ignore_ascii_case(name));
        let required = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| find(n))
                .ok_or_else(|| format!("the atom_site loop has no _atom_site.{} column", names[0]))
        };
        Ok(Self {
            group: find("group_PDB"),
            element: find("type_symbol"),
            atom_name: required(&["label_atom_id", "auth_atom_id"])?,
            alt_id: find("label_alt_id"),
            residue_name: find("label_comp_id").or_else(|| find("auth_comp_id")),
            label_chain: find("label_asym_id"),
            auth_chain: find("auth_asym_id"),
            label_seq: find("label_seq_id"),
            auth_seq: find("auth_seq_id"),
            insertion: find("pdbx_PDB_ins_code"),
            xyz: [
                required(&["Cartn_x"])?,
                required(&["Cartn_y"])?,
                required(&["Cartn_z"])?,
            ],
            occupancy: find("occupancy"),
            b_factor: find("B_iso_or_equiv"),
            model: find("pdbx_PDB_model_num"),
        })
    }
}

/// The canonical loop of one model: the columns pdbtbx reads, every value present and well formed.
fn canonical_text(
    table: &Table<'_>,
    columns: &Columns,
    rows: &[usize],
    model_number: usize,
) -> Result<Vec<u8>, String> {
    let mut out = String::with_capacity(rows.len() * 96 + 512);
    out.push_str("data_sigmascope\nloop_\n");
    for tag in [
        "group_PDB",
        "id",
        "type_symbol",
        "label_atom_id",
        "label_alt_id",
        "label_comp_id",
        "label_asym_id",
        "auth_asym_id",
        "label_seq_id",
        "auth_seq_id",
        "pdbx_PDB_ins_code",
        "Cartn_x",
        "Cartn_y",
        "Cartn_z",
        "occupancy",
        "B_iso_or_equiv",
        "pdbx_PDB_model_num",
    ] {
        let _ = writeln!(out, "_atom_site.{tag}");
    }
    // Large files format their rows in contiguous parts on the cores (the load runs before anything
    // else can use them); the parts join in row order, and an error is the first row's in that order.
    const ROWS_PER_PART: usize = 16_384;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let parts = cores.min(rows.len() / ROWS_PER_PART).max(1);
    let part_len = rows.len().div_ceil(parts).max(1);
    let format_part = |first: usize| -> Result<String, String> {
        let part = &rows[first..(first + part_len).min(rows.len())];
        let mut text = String::with_capacity(part.len() * 96);
        for (k, &row) in part.iter().enumerate() {
            atom_row(&mut text, table, columns, row, first + k + 1, model_number)?;
        }
        Ok(text)
    };
    let starts: Vec<usize> = (0..rows.len()).step_by(part_len).collect();
    let texts: Vec<Result<String, String>> = if starts.len() < 2 {
        starts.iter().map(|&first| format_part(first)).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = starts
                .iter()
                .map(|&first| scope.spawn(move || format_part(first)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    };
    for text in texts {
        out.push_str(&text?);
    }
    Ok(out.into_bytes())
}

/// Writes `atom_site` row `row` of `table` as canonical row `serial` of model `model_number`.
fn atom_row(
    out: &mut String,
    table: &Table<'_>,
    columns: &Columns,
    row: usize,
    serial: usize,
    model_number: usize,
) -> Result<(), String> {
    let width = table.tags.len();
    let value = |c: Option<usize>| c.and_then(|c| present(table.values[row * width + c]));
    let row_error = |what: String| format!("atom_site row {}: {what}", row + 1);
    let name =
        value(Some(columns.atom_name)).ok_or_else(|| row_error("no atom name".to_owned()))?;
    let hetero = value(columns.group).is_some_and(|g| g.eq_ignore_ascii_case("HETATM"));
    let element = value(columns.element)
        .filter(|e| pdbtbx::Element::from_symbol(e).is_some())
        .unwrap_or("X");
    let residue_name = value(columns.residue_name).unwrap_or("UNK");
    let label_chain = value(columns.label_chain)
        .or(value(columns.auth_chain))
        .unwrap_or("A");
    let auth_chain = value(columns.auth_chain).unwrap_or(label_chain);
    let integer = |c| value(c).and_then(|v| v.parse::<i64>().ok());
    let label_seq = integer(columns.label_seq);
    let auth_seq = integer(columns.auth_seq).or(label_seq);
    let mut xyz = [""; 3];
    let mut formatted = [String::new(), String::new(), String::new()];
    for (k, &c) in columns.xyz.iter().enumerate() {
        let text = value(Some(c)).unwrap_or("");
        let v = number(text)
            .filter(|v| v.abs() < 1e8)
            .ok_or_else(|| row_error(format!("Cartn_{} is not a number", ["x", "y", "z"][k])))?;
        // A plain decimal is passed on as written (pdbtbx parses the same text to the same value);
        // anything else (an uncertainty, an exponent) is written out.
        if plain_decimal(text) {
            xyz[k] = text;
        } else {
            formatted[k] = v.to_string();
        }
    }
    let occupancy = value(columns.occupancy).and_then(number).unwrap_or(1.0);
    let b_factor = value(columns.b_factor).and_then(number).unwrap_or(0.0);
    out.push_str(if hetero { "HETATM " } else { "ATOM " });
    let _ = write!(out, "{serial} ");
    for v in [
        Some(element),
        Some(name),
        value(columns.alt_id),
        Some(residue_name),
    ] {
        push_token(out, v, ".");
    }
    push_token(out, Some(label_chain), "");
    push_token(out, Some(auth_chain), "");
    for seq in [label_seq, auth_seq] {
        match seq {
            Some(v) => {
                let _ = write!(out, "{v} ");
            }
            None => out.push_str(". "),
        }
    }
    push_token(out, value(columns.insertion), "?");
    for k in 0..3 {
        out.push_str(if xyz[k].is_empty() {
            &formatted[k]
        } else {
            xyz[k]
        });
        out.push(' ');
    }
    let _ = writeln!(
        out,
        "{} {} {model_number}",
        finite_or(occupancy, 1.0),
        finite_or(b_factor, 0.0)
    );
    Ok(())
}

/// Digits with an optional sign and fraction (`-12.345`, `7`): text that every reader parses alike.
fn plain_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction)
}

/// pdbtbx requires occupancy and B-factor to be finite and not negative.
fn finite_or(v: f64, default: f64) -> f64 {
    if v.is_finite() && (0.0..1e8).contains(&v) {
        v
    } else {
        default
    }
}

/// A value unless it is CIF's missing (`?`) or inapplicable (`.`), as text.
fn present(raw: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(raw).ok()?;
    (!text.is_empty() && text != "?" && text != ".").then_some(text)
}

/// A CIF number, without its standard uncertainty (`1.234(5)`).
fn number(text: &str) -> Option<f64> {
    let text = text.split('(').next().unwrap_or(text);
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Appends a value and a space as one CIF token that pdbtbx reads as text, or `missing` for none:
/// always quoted, since pdbtbx's lexer reads a bare token that starts with `.` or `?` as a missing
/// value and the rest of it as the next value. The quote is one the value does not hold (`O5'` stays
/// `O5'`); white space, control characters and a value holding both quotes (no valid atom, residue or
/// chain name does) become `_`.
fn push_token(out: &mut String, value: Option<&str>, missing: &str) {
    let Some(value) = value else {
        out.push_str(missing);
        out.push(' ');
        return;
    };
    let quote = if value.contains('"') { '\'' } else { '"' };
    out.push(quote);
    out.extend(value.chars().map(|c| {
        if c.is_ascii_graphic() && c != quote {
            c
        } else {
            '_'
        }
    }));
    out.push(quote);
    out.push(' ');
}

/// The `atom_site` category of the first data block, after checking the whole block's loops.
fn atom_site(text: &[u8]) -> Result<Option<Table<'_>>, String> {
    let mut tokens = Tokens {
        text,
        pos: 0,
        line: 1,
    };
    let mut table: Option<Table<'_>> = None;
    let mut seen_block = false;
    let mut pending = tokens.next()?;
    while let Some(token) = pending {
        pending = match token {
            Token::DataBlock => {
                if seen_block {
                    break;
                }
                seen_block = true;
                tokens.next()?
            }
            Token::Loop => {
                let line = tokens.line;
                let mut tags = Vec::new();
                let mut next = tokens.next()?;
                while let Some(Token::Tag(tag)) = next {
                    tags.push(tag);
                    next = tokens.next()?;
                }
                let mut values = Vec::new();
                while let Some(Token::Value(v)) = next {
                    values.push(v);
                    next = tokens.next()?;
                }
                let category = tags.first().map(|t| category_of(t)).unwrap_or_default();
                if tags.is_empty() || values.len() % tags.len() != 0 {
                    return Err(format!(
                        "line {line}: wrong number of values in loop {}",
                        String::from_utf8_lossy(category)
                    ));
                }
                if category.eq_ignore_ascii_case(b"_atom_site") && table.is_none() {
                    table = Some(Table {
                        tags: column_names(&tags),
                        values,
                    });
                }
                next
            }
            Token::Tag(tag) => {
                let line = tokens.line;
                let Some(Token::Value(value)) = tokens.next()? else {
                    return Err(format!(
                        "line {line}: {} has no value",
                        String::from_utf8_lossy(tag)
                    ));
                };
                // A structure of one atom may give atom_site as single items, not as a loop.
                if category_of(tag).eq_ignore_ascii_case(b"_atom_site") {
                    let t = table.get_or_insert_with(|| Table {
                        tags: Vec::new(),
                        values: Vec::new(),
                    });
                    t.tags.extend(column_names(&[tag]));
                    t.values.push(value);
                }
                tokens.next()?
            }
            Token::Value(_) => {
                return Err(format!("line {}: a value without a tag", tokens.line));
            }
            Token::Frame => tokens.next()?,
        };
    }
    if !seen_block {
        return Err("no data_ block: this is not mmCIF".to_owned());
    }
    Ok(table.filter(|t| !t.values.is_empty()))
}

fn category_of(tag: &[u8]) -> &[u8] {
    tag.iter()
        .position(|&b| b == b'.')
        .map_or(tag, |dot| &tag[..dot])
}

fn column_names(tags: &[&[u8]]) -> Vec<String> {
    tags.iter()
        .map(|t| {
            let dot = t.iter().position(|&b| b == b'.').map_or(t.len(), |d| d + 1);
            String::from_utf8_lossy(&t[dot..]).into_owned()
        })
        .collect()
}

enum Token<'a> {
    DataBlock,
    Loop,
    /// `save_` frames and `global_`/`stop_` words: nothing we read.
    Frame,
    Tag(&'a [u8]),
    Value(&'a [u8]),
}

struct Tokens<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> Tokens<'a> {
    fn next(&mut self) -> Result<Option<Token<'a>>, String> {
        let text = self.text;
        loop {
            while self.pos < text.len() && text[self.pos].is_ascii_whitespace() {
                if text[self.pos] == b'\n' {
                    self.line += 1;
                }
                self.pos += 1;
            }
            if self.pos >= text.len() {
                return Ok(None);
            }
            if text[self.pos] == b'#' {
                while self.pos < text.len() && text[self.pos] != b'\n' {
                    self.pos += 1;
                }
                continue;
            }
            break;
        }
        let start = self.pos;
        let at_line_start = start == 0 || text[start - 1] == b'\n';
        let c = text[start];
        if c == b';' && at_line_start {
            return self.text_field().map(|v| Some(Token::Value(v)));
        }
        if c == b'\'' || c == b'"' {
            // A quoted string ends at the same quote followed by white space (CIF 1.1).
            let mut end = start + 1;
            loop {
                match text.get(end) {
                    None | Some(b'\n') => {
                        return Err(format!("line {}: unterminated quoted string", self.line));
                    }
                    Some(&q) if q == c && text.get(end + 1).is_none_or(u8::is_ascii_whitespace) => {
                        break;
                    }
                    Some(_) => end += 1,
                }
            }
            self.pos = end + 1;
            return Ok(Some(Token::Value(&text[start + 1..end])));
        }
        while self.pos < text.len() && !text[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
        let word = &text[start..self.pos];
        let starts = |prefix: &[u8]| {
            word.len() >= prefix.len() && word[..prefix.len()].eq_ignore_ascii_case(prefix)
        };
        Ok(Some(if c == b'_' {
            Token::Tag(word)
        } else if starts(b"data_") {
            Token::DataBlock
        } else if word.eq_ignore_ascii_case(b"loop_") {
            Token::Loop
        } else if starts(b"save_") || starts(b"global_") || starts(b"stop_") {
            Token::Frame
        } else {
            Token::Value(word)
        }))
    }

    /// A text field: from a line starting with `;` to the next line starting with `;`.
    fn text_field(&mut self) -> Result<&'a [u8], String> {
        let text = self.text;
        let opened = self.line;
        let body = self.pos + 1;
        let mut i = body;
        while i < text.len() {
            if text[i] == b'\n' {
                self.line += 1;
                if text.get(i + 1) == Some(&b';') {
                    self.pos = i + 2;
                    return Ok(&text[body..i]);
                }
            }
            i += 1;
        }
        Err(format!("line {opened}: unterminated text field"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENSEMBLE: &str = "data_x\n#\nloop_\n_atom_site.group_PDB\n_atom_site.id\n_atom_site.type_symbol\n\
_atom_site.label_atom_id\n_atom_site.label_comp_id\n_atom_site.label_asym_id\n_atom_site.label_seq_id\n\
_atom_site.Cartn_x\n_atom_site.Cartn_y\n_atom_site.Cartn_z\n_atom_site.pdbx_PDB_model_num\n\
ATOM 1 N N ALA A 1 1.0 2.0 3.0 1\nATOM 2 C \"C5'\" ALA A 1 1.5(2) 2.0 3.0 1\n\
ATOM 3 N N ALA A 1 1.1 2.0 3.0 2\nATOM 4 C \"C5'\" ALA A 1 1.6 2.0 3.0 2\n#\n\
loop_\n_other.a\n_other.b\n1 2\n3 ;x\n";

    #[test]
    fn models_are_split_and_renumbered() {
        let models = canonical_models(ENSEMBLE.as_bytes()).unwrap();
        assert_eq!(models.len(), 2);
        let second = String::from_utf8(models[1].clone()).unwrap();
        let rows: Vec<&str> = second.lines().filter(|l| l.starts_with("ATOM")).collect();
        assert_eq!(rows.len(), 2);
        // Serial numbers restart, the model is renumbered, quotes and uncertainties are gone; plain
        // decimals pass as written.
        assert!(
            rows[0].starts_with(r#"ATOM 1 "N" "N" . "ALA" "A" "A" 1 1 ? 1.1 2.0 3.0 1 0 2"#),
            "{}",
            rows[0]
        );
        assert!(rows[1].contains(r#" "C5'" "#), "{}", rows[1]);
        let first = String::from_utf8(models[0].clone()).unwrap();
        assert!(first.contains(" 1.5 2.0 3.0 "), "{first}");
    }

    /// A model of many rows is formatted in parts on the cores: rows keep their order and serial
    /// numbers, and a bad row in a later part is the error named.
    #[test]
    fn a_large_model_keeps_its_row_order() {
        let rows = 40_000;
        let mut text = String::from(
            "data_x\nloop_\n_atom_site.group_PDB\n_atom_site.label_atom_id\n_atom_site.label_comp_id\n\
_atom_site.label_asym_id\n_atom_site.label_seq_id\n_atom_site.Cartn_x\n_atom_site.Cartn_y\n\
_atom_site.Cartn_z\n",
        );
        for r in 0..rows {
            text.push_str(&format!("ATOM CA ALA A {} {r}.5 -{r} 1e1\n", r + 1));
        }
        let model =
            String::from_utf8(canonical_models(text.as_bytes()).unwrap().remove(0)).unwrap();
        let atoms: Vec<&str> = model.lines().filter(|l| l.starts_with("ATOM")).collect();
        assert_eq!(atoms.len(), rows);
        for (r, line) in atoms.iter().enumerate() {
            let fields: Vec<&str> = line.split(' ').collect();
            assert_eq!(fields[1], (r + 1).to_string());
            assert_eq!(fields[11..14], [&format!("{r}.5"), &format!("-{r}"), "10"]);
        }
        let bad = text.replace("ATOM CA ALA A 30001 30000.5", "ATOM CA ALA A 30001 x");
        let err = canonical_models(bad.as_bytes()).unwrap_err();
        assert_eq!(err, "atom_site row 30001: Cartn_x is not a number");
    }

    #[test]
    fn a_loop_with_a_partial_row_is_refused() {
        let broken = ENSEMBLE.replace("1 2\n3 ;x\n", "1 2\n3\n");
        let err = canonical_models(broken.as_bytes()).unwrap_err();
        assert!(
            err.contains("wrong number of values in loop _other"),
            "{err}"
        );
    }

    #[test]
    fn text_fields_and_comments_are_tokens_of_cif() {
        let text = "data_x\n_a.b\n;line one\nline two\n;\n_c.d 'it''s' # comment\nloop_\n_atom_site.label_atom_id\n\
_atom_site.Cartn_x\n_atom_site.Cartn_y\n_atom_site.Cartn_z\nCA 1 2 3\n";
        let models = canonical_models(text.as_bytes()).unwrap();
        assert_eq!(models.len(), 1);
        let err = canonical_models(b"data_x\n_a.b 'open\n").unwrap_err();
        assert!(err.contains("unterminated"), "{err}");
    }

    #[test]
    fn missing_coordinates_are_named() {
        let text = ENSEMBLE.replace("1.0 2.0 3.0 1", "? 2.0 3.0 1");
        let err = canonical_models(text.as_bytes()).unwrap_err();
        assert_eq!(err, "atom_site row 1: Cartn_x is not a number");
        let no_column = ENSEMBLE.replace("_atom_site.Cartn_z", "_atom_site.Cartn_w");
        let err = canonical_models(no_column.as_bytes()).unwrap_err();
        assert!(err.contains("_atom_site.Cartn_z"), "{err}");
    }
}
