//! Noise lab: flat and multiscale noise drawn on the burn device, and the per-level displacement
//! table (measured next to the closed form) that shows how much of each level's motion is its own.

mod draw;
mod expected;
mod fused;
mod host_churn;
mod normals;
mod report;
mod rows;
mod segments;
mod table;
mod weights;

pub use draw::{HierarchyTensors, draw_noise};
pub use expected::{
    AXES, CentredMeanSquares, GroupSizes, LevelMeanSquares, MeanSquaresBasis,
    expected_centred_mean_squares, expected_mean_squares, rms_3d,
};
pub use fused::add_noise_rows;
pub use normals::{normal, standard_normal, with_seed};
pub use report::{residue_sentence, summary_text, table_text};
pub use rows::{LEVEL_COLUMNS, draw_noise_rows, level_mean_squares};
pub use table::{
    CentredFigures, Figure, LevelFigures, NoiseCell, NoiseCells, NoiseTable, NoiseTableSpec,
    SigmaPoint, TABLE_UNITS, TABLE_Z, TableRow, TrainingSigma, noise_table,
};
pub use weights::{
    ConstantWeights, LevelSchedule, LevelStds, LevelWeights, LogSigmaRamp, NamedNoise, NoiseError,
    NoiseModel, WEIGHT_PRESETS, parse_noise,
};
