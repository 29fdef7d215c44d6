//! Per-frame, per-level metrics: RMSD from the ground truth after Kabsch superposition, motion since the
//! previous frame (augmentation and alignment undone), the share of residue and chain motion that is their
//! own (not their parent's rigid motion), per-residue motion for
//! the residue × frame heat map, and the share of abnormal backbone bonds.

use super::level_points::LevelPoints;
use super::motion::{Motion, MotionByCause, imported_causes, motion, sampled_causes};
use crate::geometry::{RigidTransform, rigid_fit, superposed_rmsd, tm_score};
use crate::sampler::Frame;
use crate::structure::Structure;

/// How every trajectory figure is measured (the `units` of `sample --json` and `analyze --json`).
pub const METRIC_UNITS: [(&str, &str); 5] = [
    (
        "rmsd, x0_rmsd, motion, final_rmsd, residue_motion",
        "rmsd_3d: 3-D RMS distance per point, Å",
    ),
    (
        "sigma, t_hat, churn_std",
        "rms_per_coordinate: noise std per coordinate, Å",
    ),
    (
        "independent_share, abnormal_bonds.share, residue_offset_kept, motion_by_cause.shares",
        "unit-free share",
    ),
    (
        "abnormal_bonds",
        "share: backbone Cα–Cα outside 3.5–4.1 Å or C–N outside 1.23–1.43 Å; ca_ca_deviation (Å) and ca_ca_valid_share: FrameDiff's Cα–Cα check, mean |d − 3.80| and d < 3.90 Å",
    ),
    (
        "tm_score",
        "TM-score of the Cα, 0–1: a lower bound of TM-align's, within about 0.015 on noisy frames",
    ),
];

/// Consecutive CA–CA distance range counted as normal: 3.8 ± 0.3 Å.
pub const CA_CA_RANGE: (f64, f64) = (3.5, 4.1);
/// Peptide C–N distance range counted as normal: 1.33 ± 0.1 Å.
pub const PEPTIDE_CN_RANGE: (f64, f64) = (1.23, 1.43);
/// FrameDiff's ideal Cα–Cα distance (openfold's `residue_constants.ca_ca`), Å.
pub const FRAMEDIFF_CA_CA: f64 = 3.802_097_370_96;
/// FrameDiff's tolerance: a Cα–Cα pair is valid below `FRAMEDIFF_CA_CA` + this, Å.
pub const FRAMEDIFF_CA_CA_TOLERANCE: f64 = 0.1;

/// Atom pairs whose distance is checked, taken from the reference where they are bonded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BackboneIndex {
    /// (CA of residue i, CA of residue i + 1) within a chain.
    pub ca_ca: Vec<(usize, usize)>,
    /// (C of residue i, N of residue i + 1) within a chain.
    pub peptide_cn: Vec<(usize, usize)>,
}

pub(super) fn distance(a: [f32; 3], b: [f32; 3]) -> f64 {
    (0..3)
        .map(|k| (f64::from(a[k]) - f64::from(b[k])).powi(2))
        .sum::<f64>()
        .sqrt()
}

impl BackboneIndex {
    /// Consecutive residues of each chain; only pairs that are normal in `reference` (no chain breaks).
    pub fn new(structure: &Structure, reference: &[[f32; 3]]) -> Self {
        let find = |residue: usize, name: &str| {
            let r = &structure.residues[residue];
            (r.atoms.start as usize..r.atoms.end as usize)
                .find(|&i| structure.atom_names[i] == name)
        };
        let mut index = Self::default();
        for chain in &structure.chains {
            for r in chain.residues.start as usize..(chain.residues.end as usize).saturating_sub(1)
            {
                let normal = |a: usize, b: usize, (lo, hi): (f64, f64)| {
                    let d = distance(reference[a], reference[b]);
                    (lo..=hi).contains(&d)
                };
                if let (Some(a), Some(b)) = (find(r, "CA"), find(r + 1, "CA"))
                    && normal(a, b, CA_CA_RANGE)
                {
                    index.ca_ca.push((a, b));
                }
                if let (Some(a), Some(b)) = (find(r, "C"), find(r + 1, "N"))
                    && normal(a, b, PEPTIDE_CN_RANGE)
                {
                    index.peptide_cn.push((a, b));
                }
            }
        }
        index
    }
}

/// Abnormal backbone bonds in one frame.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BondReport {
    /// CA–CA pairs checked.
    pub ca_ca_checked: usize,
    /// CA–CA pairs outside 3.8 ± 0.3 Å.
    pub ca_ca_abnormal: usize,
    /// Peptide C–N pairs checked.
    pub peptide_cn_checked: usize,
    /// Peptide C–N pairs outside 1.33 ± 0.1 Å.
    pub peptide_cn_abnormal: usize,
    /// Abnormal share over both kinds (0 when nothing was checked): backbone only, both ranges 3× looser
    /// than FrameDiff's Cα check below.
    pub share: f64,
    /// FrameDiff's `ca_ca_bond_dev`: the mean |d − 3.80 Å| over the checked Cα–Cα pairs (none without).
    pub ca_ca_deviation: Option<f64>,
    /// FrameDiff's `ca_ca_valid_percent` as a share: the checked Cα–Cα pairs shorter than 3.80 + 0.1 Å
    /// (no lower bound, as FrameDiff's `ca_ca_distance`).
    pub ca_ca_valid_share: Option<f64>,
}

/// Counts abnormal bonds of `positions`.
pub fn bond_report(backbone: &BackboneIndex, positions: &[[f32; 3]]) -> BondReport {
    let abnormal = |pairs: &[(usize, usize)], (lo, hi): (f64, f64)| {
        pairs
            .iter()
            .filter(|&&(a, b)| !(lo..=hi).contains(&distance(positions[a], positions[b])))
            .count()
    };
    let ca = abnormal(&backbone.ca_ca, CA_CA_RANGE);
    let ca_ca: Vec<f64> = backbone
        .ca_ca
        .iter()
        .map(|&(a, b)| distance(positions[a], positions[b]))
        .collect();
    let pairs = ca_ca.len() as f64;
    let (deviation, valid) = (!ca_ca.is_empty())
        .then(|| {
            (
                ca_ca
                    .iter()
                    .map(|d| (d - FRAMEDIFF_CA_CA).abs())
                    .sum::<f64>()
                    / pairs,
                ca_ca
                    .iter()
                    .filter(|&&d| d < FRAMEDIFF_CA_CA + FRAMEDIFF_CA_CA_TOLERANCE)
                    .count() as f64
                    / pairs,
            )
        })
        .unzip();
    let cn = abnormal(&backbone.peptide_cn, PEPTIDE_CN_RANGE);
    let checked = backbone.ca_ca.len() + backbone.peptide_cn.len();
    BondReport {
        ca_ca_checked: backbone.ca_ca.len(),
        ca_ca_abnormal: ca,
        peptide_cn_checked: backbone.peptide_cn.len(),
        peptide_cn_abnormal: cn,
        share: if checked > 0 {
            (ca + cn) as f64 / checked as f64
        } else {
            0.0
        },
        ca_ca_deviation: deviation,
        ca_ca_valid_share: valid,
    }
}

/// Metrics of one level in one frame.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LevelMetrics {
    /// RMSD from the ground truth after Kabsch superposition at this level (Å).
    pub rmsd: f64,
    /// The denoiser's x̂0 at this level: RMSD from the ground truth after superposition (Å); none
    /// without a prediction (the start, imported frames without x̂0).
    pub x0_rmsd: Option<f64>,
    /// RMS motion since the previous frame, augmentation undone (Å); none for the first frame.
    pub motion: Option<f64>,
    /// Share of this level's motion that is its own: what the best rigid motion of its siblings (a chain's
    /// residue centroids, the structure's chain centroids, fitted between the frames) leaves,
    /// sqrt(Σ|q − T(p)|² / Σ|q − p|²), in [0, 1]. Residues and chains (with two or more); a rigid motion
    /// of the whole structure reads 0.
    pub independent_share: Option<f64>,
}

/// Metrics of atoms, residue centroids and chain centroids.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Levels {
    /// Atoms.
    pub atom: LevelMetrics,
    /// Residue centroids.
    pub residue: LevelMetrics,
    /// Chain centroids; none with a single chain.
    pub chain: Option<LevelMetrics>,
}

impl Levels {
    /// The metrics of `level`; none for chains with a single chain.
    pub fn at(&self, level: crate::structure::Level) -> Option<&LevelMetrics> {
        match level {
            crate::structure::Level::Atom => Some(&self.atom),
            crate::structure::Level::Residue => Some(&self.residue),
            crate::structure::Level::Chain => self.chain.as_ref(),
        }
    }
}

/// Everything measured on one frame.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FrameMetrics {
    /// Frame index.
    pub index: usize,
    /// Noise level (null for imported frames).
    pub sigma: f64,
    /// Atom RMSD after superposition (Å).
    pub rmsd: f64,
    /// RMSD of the prediction x̂0 after superposition (Å).
    pub x0_rmsd: Option<f64>,
    /// Per-level metrics.
    pub levels: Levels,
    /// Motion of each residue centroid since the previous frame (Å), for the heat map.
    pub residue_motion: Vec<f32>,
    /// Abnormal backbone bonds.
    pub abnormal_bonds: BondReport,
    /// TM-score of the frame's Cα atoms against the reference's (Zhang & Skolnick 2004, d0 from the
    /// number of Cα); none with fewer than 3 Cα. Its superposition search is thinner than TM-align's,
    /// so it is a lower bound of TM-align's score, within about 0.015 on noisy frames.
    pub tm_score: Option<f64>,
    /// This step's motion split by cause (sampler runs; none for the start and imported frames).
    pub motion_by_cause: Option<MotionByCause>,
    /// How much of the error in each residue's offset from its chain the prediction keeps:
    /// |own(x̂0) − own(truth)| / |own(input) − own(truth)| over all residues, own(p) = residue centroid −
    /// its chain's centroid once p's chain is superposed onto the truth's (so the figure does not
    /// depend on orientation), input = what the denoiser saw (the churned state; for imported frames the
    /// frame's x_t). 0 for the exact denoiser and for one that predicts a rotated copy of the truth; near
    /// 1 for one that carries residues with their chain. None without x̂0 or with a single residue per
    /// chain.
    pub residue_offset_kept: Option<f64>,
}

/// Each residue centroid's offset from its chain's centroid.
fn residue_offsets(structure: &Structure, p: &LevelPoints) -> Vec<[f64; 3]> {
    (0..p.residues.len())
        .map(|r| {
            let c = structure.residue_chain[r] as usize;
            std::array::from_fn(|k| f64::from(p.residues[r][k]) - f64::from(p.chains[c][k]))
        })
        .collect()
}

/// Each residue centroid's offset from its chain's centroid after the chain is superposed onto the
/// truth's (the rigid motion that best fits its residue centroids): a chain's rigid motion, such as the
/// rotated copy of the truth an orientation-blind denoiser predicts, changes none of them.
fn superposed_residue_offsets(
    structure: &Structure,
    p: &LevelPoints,
    truth: &LevelPoints,
) -> Vec<[f64; 3]> {
    let mut offsets = vec![[0.0; 3]; p.residues.len()];
    for (c, chain) in structure.chains.iter().enumerate() {
        let residues = chain.residues.start as usize..chain.residues.end as usize;
        let fit = rigid_fit(
            &p.residues[residues.clone()],
            &truth.residues[residues.clone()],
        );
        for r in residues {
            let moved = fit.apply(p.residues[r]);
            offsets[r] =
                std::array::from_fn(|k| f64::from(moved[k]) - f64::from(truth.chains[c][k]));
        }
    }
    offsets
}

/// `FrameMetrics::residue_offset_kept` of a prediction made from `input`, each chain of both
/// superposed onto the truth's first.
fn residue_offset_kept(
    structure: &Structure,
    input: &LevelPoints,
    prediction: &LevelPoints,
    truth: &LevelPoints,
) -> Option<f64> {
    if structure.residue_count() <= structure.chain_count() {
        return None;
    }
    let (i, p, t) = (
        superposed_residue_offsets(structure, input, truth),
        superposed_residue_offsets(structure, prediction, truth),
        residue_offsets(structure, truth),
    );
    let square = |a: &[f64; 3], b: &[f64; 3]| (0..3).map(|k| (a[k] - b[k]).powi(2)).sum::<f64>();
    let kept: f64 = p.iter().zip(&t).map(|(a, b)| square(a, b)).sum();
    let error: f64 = i.iter().zip(&t).map(|(a, b)| square(a, b)).sum();
    (error > 1e-12).then(|| (kept / error).sqrt())
}

/// Measures frames one at a time against a reference (for runs that grow a frame at a time). Every
/// `push` must pass the structure the tracker was made for.
pub struct MetricsTracker {
    backbone: BackboneIndex,
    /// Atom index of every residue's Cα, and the reference's Cα coordinates.
    alpha_carbons: Vec<usize>,
    reference_alpha_carbons: Vec<[f32; 3]>,
    truth: LevelPoints<'static>,
    /// The previous frame's levels (their buffers reused from frame to frame).
    previous: Option<LevelPoints<'static>>,
    /// The previous frame's x̂0 when it had no churned state (imported runs): the prediction the step
    /// from it moved toward.
    previous_prediction: Option<Vec<[f32; 3]>>,
}

/// The protein Cα atoms (named CA, not hetero: not calcium), in atom order.
pub(super) fn alpha_carbons(structure: &Structure) -> Vec<usize> {
    (0..structure.atom_count())
        .filter(|&a| structure.atom_names[a] == "CA" && !structure.hetero[a])
        .collect()
}

impl MetricsTracker {
    /// A tracker against `reference` (data frame).
    pub fn new(structure: &Structure, reference: &[[f32; 3]]) -> Self {
        let alpha_carbons = alpha_carbons(structure);
        Self {
            backbone: BackboneIndex::new(structure, reference),
            truth: LevelPoints::owned(structure, reference.to_vec()),
            previous: None,
            previous_prediction: None,
            reference_alpha_carbons: alpha_carbons.iter().map(|&a| reference[a]).collect(),
            alpha_carbons,
        }
    }

    /// Measures the next frame (motion is relative to the frame pushed before it, in the truth's frame:
    /// the augmentation is a change of frame and moves nothing, the alignment onto x̂0 is one of the
    /// step's causes).
    /// Every point set is a view of the frame's own coordinates with its transform to the truth's
    /// frame (`LevelPoints`): nothing the size of the atoms is copied but the previous frame's.
    pub fn push(&mut self, s: &Structure, frame: &Frame) -> FrameMetrics {
        let to_truth = frame.pose.inverse();
        let now = LevelPoints::of(s, &frame.x_t, to_truth);
        let alignment = frame.alignment_in_data();
        let before = self.previous.as_ref().map(LevelPoints::view);
        // The step's net motion, the alignment onto x̂0 included: the sum of its causes.
        let moved = before.as_ref().map(|before| motion(s, &now, before));
        let truth = &self.truth;
        let x0 = frame
            .x0_hat
            .as_ref()
            .map(|x0| LevelPoints::of(s, x0, to_truth));
        let churned = frame
            .x_churned
            .as_ref()
            .map(|c| LevelPoints::of(s, c, RigidTransform::IDENTITY));
        let motion_by_cause = match (&before, &churned) {
            (Some(before), None) => self
                .previous_prediction
                .as_ref()
                .map(|p| imported_causes(s, before, p, &now)),
            (Some(before), Some(churned)) => Some(sampled_causes(
                s,
                before,
                churned,
                alignment.as_ref(),
                frame.churn_std > 0.0,
                &now,
            )),
            _ => None,
        };
        let residue_offset_kept = x0
            .as_ref()
            .and_then(|x0| residue_offset_kept(s, churned.as_ref().unwrap_or(&now), x0, truth));
        let levels = level_metrics(s, &now, x0.as_ref(), truth, moved.as_ref());
        // Bond lengths and the TM-score do not change under a rigid motion: the recorded atoms do.
        let recorded = now.recorded_atoms();
        let metrics = FrameMetrics {
            index: frame.index,
            sigma: frame.sigma,
            rmsd: levels.atom.rmsd,
            x0_rmsd: levels.atom.x0_rmsd,
            levels,
            residue_motion: moved.map_or_else(|| vec![0.0; now.residues.len()], |m| m.per_residue),
            abnormal_bonds: bond_report(&self.backbone, recorded),
            tm_score: (self.alpha_carbons.len() >= 3).then(|| {
                let model: Vec<[f32; 3]> =
                    self.alpha_carbons.iter().map(|&a| recorded[a]).collect();
                tm_score(&model, &self.reference_alpha_carbons)
            }),
            motion_by_cause,
            residue_offset_kept,
        };
        drop(before);
        self.keep_as_previous(frame, &now, to_truth);
        metrics
    }
}

impl MetricsTracker {
    /// Takes `frame` as the previous frame without measuring it: what `push` would keep of it for the
    /// next frame (its levels, and its prediction where it recorded no churned state).
    pub fn remember(&mut self, s: &Structure, frame: &Frame) {
        let to_truth = frame.pose.inverse();
        let now = LevelPoints::of(s, &frame.x_t, to_truth);
        self.keep_as_previous(frame, &now, to_truth);
    }

    /// Keeps what the next frame's motion needs of `frame` (its levels `now`): its levels, and its
    /// prediction in the truth's frame where it recorded no churned state (imported runs).
    fn keep_as_previous(&mut self, frame: &Frame, now: &LevelPoints, to_truth: RigidTransform) {
        self.previous_prediction = match &frame.x_churned {
            None => frame.x0_hat.as_ref().map(|x0| to_truth.apply_all(x0)),
            Some(_) => None,
        };
        now.store(self.previous.get_or_insert_with(LevelPoints::empty));
    }
}

/// Each level's RMSD after superposition, x̂0's, motion since the previous frame and own share of it.
fn level_metrics(
    s: &Structure,
    now: &LevelPoints<'_>,
    x0: Option<&LevelPoints<'_>>,
    truth: &LevelPoints<'_>,
    moved: Option<&Motion>,
) -> Levels {
    let truth_atoms = truth.recorded_atoms();
    Levels {
        atom: LevelMetrics {
            rmsd: superposed_rmsd(now.recorded_atoms(), truth_atoms),
            x0_rmsd: x0.map(|p| superposed_rmsd(p.recorded_atoms(), truth_atoms)),
            motion: moved.map(|m| m.atom),
            independent_share: None,
        },
        residue: LevelMetrics {
            rmsd: superposed_rmsd(&now.residues, &truth.residues),
            x0_rmsd: x0.map(|p| superposed_rmsd(&p.residues, &truth.residues)),
            motion: moved.map(|m| m.residue),
            independent_share: moved.and_then(|m| m.residue_share),
        },
        chain: (s.chain_count() >= 2).then(|| LevelMetrics {
            rmsd: superposed_rmsd(&now.chains, &truth.chains),
            x0_rmsd: x0.map(|p| superposed_rmsd(&p.chains, &truth.chains)),
            motion: moved.map(|m| m.chain),
            independent_share: moved.and_then(|m| m.chain_share),
        }),
    }
}

/// How many threads measure a run of `frames` frames: one per core, but none for fewer than a few
/// frames (below that a thread's extra tracker and frame cost more than it saves).
pub(super) fn measuring_threads(frames: usize) -> usize {
    const FRAMES_PER_THREAD: usize = 16;
    crate::compute::cores()
        .min(frames / FRAMES_PER_THREAD)
        .max(1)
}

/// Where a run of `frames` frames is cut into contiguous slices measured on their own cores: slice k is
/// `bounds[k]..bounds[k + 1]`, one per measuring thread.
fn slice_bounds(frames: usize) -> Vec<usize> {
    let slices = measuring_threads(frames);
    (0..=slices).map(|k| k * frames / slices).collect()
}

/// Measures every frame against `reference` (data frame). Frames are compared with transforms undone.
/// Runs of many frames are measured in contiguous slices on the machine's cores; each slice's tracker
/// first takes the frame before its slice, so every figure is what one tracker over the run gives.
pub fn trajectory_metrics(
    structure: &Structure,
    reference: &[[f32; 3]],
    frames: &[Frame],
) -> Vec<FrameMetrics> {
    let bounds = slice_bounds(frames.len());
    let measure = |range: std::ops::Range<usize>| {
        let mut tracker = MetricsTracker::new(structure, reference);
        if range.start > 0 {
            tracker.push(structure, &frames[range.start - 1]);
        }
        frames[range]
            .iter()
            .map(|f| tracker.push(structure, f))
            .collect::<Vec<_>>()
    };
    if bounds.len() == 2 {
        return measure(0..frames.len());
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let range = w[0]..w[1];
                scope.spawn(move || measure(range))
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framediffs_ca_ca_check_is_the_mean_deviation_and_the_share_below_3_9() {
        // Cα–Cα of 3.80, 3.95 and 2.90 Å (a cis-proline-like short pair): FrameDiff counts pairs below
        // 3.80 + 0.1 Å as valid, with no lower bound; the looser backbone range flags only the 2.90.
        let positions = [
            [0.0, 0.0, 0.0],
            [3.8, 0.0, 0.0],
            [7.75, 0.0, 0.0],
            [10.65, 0.0, 0.0],
        ];
        let backbone = BackboneIndex {
            ca_ca: vec![(0, 1), (1, 2), (2, 3)],
            peptide_cn: Vec::new(),
        };
        let report = bond_report(&backbone, &positions);
        let want = [3.8f64, 3.95, 2.9]
            .iter()
            .map(|d| (d - FRAMEDIFF_CA_CA).abs())
            .sum::<f64>()
            / 3.0;
        assert!((report.ca_ca_deviation.unwrap() - want).abs() < 1e-5);
        assert!((report.ca_ca_valid_share.unwrap() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(report.ca_ca_abnormal, 1);
        let none = bond_report(&BackboneIndex::default(), &positions);
        assert_eq!((none.ca_ca_deviation, none.ca_ca_valid_share), (None, None));
    }
}
