//! The per-frame table as text, for `sample` and `analyze`.

use crate::trajectory::FrameMetrics;

/// One text line per frame (every frame up to 25, else about 25 evenly spread plus the last).
pub fn frames_text(metrics: &[FrameMetrics]) -> String {
    let stride = metrics.len().div_ceil(25).max(1);
    let mut out = format!(
        "{:>5} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>7}\n",
        "frame",
        "sigma",
        "rmsd",
        "res_rmsd",
        "chn_rmsd",
        "res_move",
        "chn_move",
        "res_own",
        "bonds"
    );
    for (i, m) in metrics.iter().enumerate() {
        if i % stride != 0 && i + 1 != metrics.len() {
            continue;
        }
        let opt = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"));
        out.push_str(&format!(
            "{:>5} {:>10.4} {:>9.3} {:>9.3} {:>9} {:>9} {:>9} {:>8} {:>6.1}%\n",
            m.index,
            m.sigma,
            m.rmsd,
            m.levels.residue.rmsd,
            opt(m.levels.chain.map(|c| c.rmsd)),
            opt(m.levels.residue.motion),
            opt(m.levels.chain.and_then(|c| c.motion)),
            opt(m.levels.residue.independent_share),
            m.abnormal_bonds.share * 100.0
        ));
    }
    out
}
