//! The noise table as text: the seed notebook's layout (z, sigma, then per noise atom, residue, chain,
//! r/a), each figure measured with its expected value beside it, then one plain sentence per noise.

use std::fmt::Write as _;

use super::table::{Figure, NoiseCell, TableRow};

/// A number with about three significant digits.
fn num(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// `measured (expected)`.
fn pair(f: &Figure) -> String {
    format!("{} ({})", num(f.measured), num(f.expected))
}

const CELL: usize = 17;

/// The table as aligned text.
pub fn table_text(rows: &[TableRow]) -> String {
    let mut out = String::new();
    let Some(first) = rows.first() else {
        return out;
    };
    let names: Vec<&str> = first.noises.0.iter().map(|(n, _)| n.as_str()).collect();
    write!(out, "{:>5} {:>8} ", "", "").ok();
    for name in &names {
        write!(out, "| {:<w$}", name, w = 4 * CELL).ok();
    }
    out.push('\n');
    write!(out, "{:>5} {:>8} ", "z", "sigma").ok();
    for _ in &names {
        write!(
            out,
            "| {:<CELL$}{:<CELL$}{:<CELL$}{:<CELL$}",
            "atom", "residue", "chain", "r/a"
        )
        .ok();
    }
    out.push('\n');
    for row in rows {
        let z = row.z.map_or_else(|| "-".to_owned(), |z| format!("{z:.2}"));
        write!(out, "{:>5} {:>8} ", z, num(row.sigma)).ok();
        for (_, cell) in &row.noises.0 {
            let chain = cell
                .chain
                .as_ref()
                .map_or_else(|| "undefined".to_owned(), |c| pair(&c.abs));
            write!(
                out,
                "| {:<CELL$}{:<CELL$}{:<CELL$}{:<CELL$}",
                pair(&cell.atom.abs),
                pair(&cell.residue.abs),
                chain,
                pair(&cell.residue_over_atom)
            )
            .ok();
        }
        out.push('\n');
    }
    out.push_str(
        "each figure: 3-D RMS displacement per point in Å (rms_3d), measured (expected)\n",
    );
    if first.noises.0.iter().any(|(_, c)| c.chain.is_none()) {
        out.push_str("chain: undefined with one chain (a single point has no spread)\n");
    }
    out
}

/// One sentence on how independently residues move under this noise.
pub fn residue_sentence(name: &str, cell: &NoiseCell) -> String {
    let share = &cell.residue.independent_share;
    let own_noise = cell.weights.residue / cell.weights.sum();
    let verdict = if share.expected < 0.5 {
        "residues move almost rigidly with their chain"
    } else if share.expected < 0.8 {
        "residues partly follow their chain"
    } else {
        "residues move mostly on their own"
    };
    format!(
        "{name}: {verdict}: residue noise of their own is {:.0}% of sigma (sqrt(w_r/w_sum)); the independent share of residue motion is {} measured ({} expected), residue/atom {} ({})",
        own_noise.sqrt() * 100.0,
        num(share.measured),
        num(share.expected),
        num(cell.residue_over_atom.measured),
        num(cell.residue_over_atom.expected),
    )
}

/// What centring (Boltz/AF3, our augmentation) takes and leaves, in words.
pub fn centred_sentence(name: &str, sigma: f64, cell: &NoiseCell) -> String {
    let c = &cell.centred;
    format!(
        "{name}, centred: the global translation takes {:.0}% of the atoms' noise variance; atoms then see an effective σ of {}σ and residue centroids {}σ (3-D RMS displacement measured {} and {} Å at σ {}), residue/atom {}",
        c.translation_share * 100.0,
        num(c.atom.expected / (sigma * 3f64.sqrt())),
        num(c.residue.expected / (sigma * 3f64.sqrt())),
        num(c.atom.measured),
        num(c.residue.measured),
        num(sigma),
        num(c.residue_over_atom.expected),
    )
}

/// The per-noise sentences, taken from the first row (weights may vary with sigma; the first is shown).
pub fn summary_text(rows: &[TableRow]) -> String {
    rows.first().map_or_else(String::new, |row| {
        row.noises
            .0
            .iter()
            .map(|(name, cell)| {
                residue_sentence(name, cell)
                    + "\n"
                    + &centred_sentence(name, row.sigma, cell)
                    + "\n"
            })
            .collect()
    })
}
