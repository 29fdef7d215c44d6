//! Plots of a run (egui_plot): per-level RMSD, per-level motion, independent residue share, the sigma
//! schedule against the training density, preconditioning per level, and the residue × frame heat map.
//! A cursor marks the current frame; clicking a plot jumps to the frame under the pointer.

use eframe::egui;
use egui_plot::{Legend, Line, LineStyle, Plot, PlotImage, PlotPoint, PlotPoints, Span, VLine};

use super::run_view::PinnedRun;
use crate::choice::Choice as _;
use crate::render::viridis;
use crate::sampler::Frame;
use crate::sampler::{SamplerPreset, Z_999};
use crate::structure::Level;
use crate::trajectory::RunSource;
use crate::trajectory::{COLUMNS, Column, FrameMetrics, frame_rows};

/// Data the plots read.
pub struct PlotData<'a> {
    /// Current run's frames.
    pub frames: &'a [Frame],
    /// Current run's metrics.
    pub metrics: &'a [FrameMetrics],
    /// Pinned run.
    pub pinned: Option<&'a PinnedRun>,
    /// The sigma schedule of the current settings.
    pub sigmas: &'a [f64],
    /// Current preset.
    pub preset: &'a SamplerPreset,
    /// Frame shown.
    pub frame: usize,
    /// Show per-level coefficients (else global only).
    pub per_level: bool,
    /// Residues of the structure (rows of the heat map).
    pub residues: usize,
    /// Changes whenever the run is replaced.
    pub run_id: u64,
    /// Where the run came from (an imported file may lack keys some plots need).
    pub source: &'a RunSource,
    /// Fit every plot to its data this frame (the data arrived or changed).
    pub refit: bool,
}

/// The id a plot keeps its state under (its bounds, for tests: `egui_plot::PlotMemory::load`).
pub fn plot_id(name: &str) -> egui::Id {
    egui::Id::unique(("sigmascope plot", name))
}

/// `plot` under its fixed id, fitted to its data again when `refit` (egui_plot keeps the bounds a user
/// zoomed to, or the first data's, until it is reset).
fn fitted<'a>(plot: Plot<'a>, name: &str, refit: bool) -> Plot<'a> {
    let plot = plot.id(plot_id(name));
    if refit { plot.reset() } else { plot }
}

fn series(metrics: &[FrameMetrics], value: impl Fn(&FrameMetrics) -> Option<f64>) -> Vec<[f64; 2]> {
    metrics
        .iter()
        .filter_map(|m| value(m).map(|v| [m.index as f64, v]))
        .collect()
}

/// Distances span 1e-3..1e3 Å over a run: plot them as log10 so the end of the run stays visible.
fn log_series(
    metrics: &[FrameMetrics],
    value: impl Fn(&FrameMetrics) -> Option<f64>,
) -> Vec<[f64; 2]> {
    series(metrics, |m| value(m).map(|v| v.max(1e-4).log10()))
}

/// The colour every plot draws `level` in.
pub(super) fn level_color(level: Level) -> egui::Color32 {
    match level {
        Level::Atom => egui::Color32::from_rgb(120, 170, 255),
        Level::Residue => egui::Color32::from_rgb(255, 200, 60),
        Level::Chain => egui::Color32::from_rgb(240, 90, 200),
    }
}

type LevelValue = fn(&FrameMetrics, Level) -> Option<f64>;

fn level_rmsd(m: &FrameMetrics, level: Level) -> Option<f64> {
    m.levels.at(level).map(|l| l.rmsd)
}

fn level_x0_rmsd(m: &FrameMetrics, level: Level) -> Option<f64> {
    m.levels.at(level).and_then(|l| l.x0_rmsd)
}

fn level_motion(m: &FrameMetrics, level: Level) -> Option<f64> {
    m.levels.at(level).and_then(|l| l.motion)
}

/// Draws the current-frame cursor; returns where the plot was clicked, if it was.
fn cursor_and_click(
    plot: &mut egui_plot::PlotUi<'_>,
    frame: usize,
) -> Option<egui_plot::PlotPoint> {
    plot.vline(VLine::new("frame", frame as f64).color(egui::Color32::GRAY));
    plot.response()
        .clicked()
        .then(|| plot.pointer_coordinate())
        .flatten()
}

/// The frame under a clicked plot point.
fn frame_at(point: egui_plot::PlotPoint) -> usize {
    point.x.round().max(0.0) as usize
}

/// The TM-score line (linear, 0–1) beside the log10 RMSD curves, and the pinned run's dashed.
fn tm_score_lines(plot: &mut egui_plot::PlotUi<'_>, data: &PlotData<'_>) {
    let color = egui::Color32::LIGHT_GREEN;
    plot.line(
        Line::new(
            "TM-score (Cα, linear 0-1)",
            PlotPoints::from(series(data.metrics, |m| m.tm_score)),
        )
        .color(color),
    );
    if let Some(pinned) = data.pinned {
        plot.line(
            Line::new(
                format!("TM-score ({})", pinned.label),
                PlotPoints::from(series(&pinned.metrics, |m| m.tm_score)),
            )
            .color(color)
            .style(LineStyle::dashed_loose()),
        );
    }
}

/// A per-level plot (with the TM-score when `tm_score`); returns the frame clicked.
fn level_plot(
    ui: &mut egui::Ui,
    id: &str,
    data: &PlotData<'_>,
    value: LevelValue,
    y_label: &str,
    tm_score: bool,
) -> Option<usize> {
    let response = fitted(Plot::new(id), id, data.refit)
        .height(140.0)
        .legend(Legend::default())
        .x_axis_label("frame")
        .y_axis_label(y_label)
        .show(ui, |plot| {
            for &level in Level::ALL {
                let (name, color) = (level.name(), level_color(level));
                let points = log_series(data.metrics, |m| value(m, level));
                if !points.is_empty() {
                    plot.line(Line::new(name, PlotPoints::from(points)).color(color));
                }
                if let Some(pinned) = data.pinned {
                    let points = log_series(&pinned.metrics, |m| value(m, level));
                    if !points.is_empty() {
                        let label = format!("{name} ({})", pinned.label);
                        plot.line(
                            Line::new(label, PlotPoints::from(points))
                                .color(color)
                                .style(LineStyle::dashed_loose()),
                        );
                    }
                }
            }
            if tm_score {
                tm_score_lines(plot, data);
            }
            cursor_and_click(plot, data.frame)
        });
    response.inner.map(frame_at)
}

/// Independent residue share of motion per frame.
fn share_plot(ui: &mut egui::Ui, data: &PlotData<'_>) -> Option<usize> {
    let response = fitted(
        Plot::new("independent share"),
        "independent share",
        data.refit,
    )
    .height(120.0)
    .include_y(0.0)
    .include_y(1.0)
    .legend(Legend::default())
    .x_axis_label("frame")
    .y_axis_label("residue own share")
    .show(ui, |plot| {
        plot.line(Line::new(
            "independent residue share",
            PlotPoints::from(series(data.metrics, |m| m.levels.residue.independent_share)),
        ));
        if let Some(pinned) = data.pinned {
            plot.line(
                Line::new(
                    pinned.label.clone(),
                    PlotPoints::from(series(&pinned.metrics, |m| {
                        m.levels.residue.independent_share
                    })),
                )
                .style(LineStyle::dashed_loose()),
            );
        }
        cursor_and_click(plot, data.frame)
    });
    response.inner.map(frame_at)
}

/// Each cause's additive share of the residue centroids' net motion per step (sampler runs).
fn cause_plot(ui: &mut egui::Ui, data: &PlotData<'_>) -> Option<usize> {
    type Pick = fn(crate::trajectory::Shares) -> f64;
    let causes: [(&str, egui::Color32, Pick); 3] = [
        ("churn", egui::Color32::from_rgb(120, 200, 255), |c| c.churn),
        ("alignment", egui::Color32::GRAY, |c| c.rigid),
        (
            "denoiser update",
            egui::Color32::from_rgb(255, 170, 60),
            |c| c.denoiser,
        ),
    ];
    let response = fitted(Plot::new("motion by cause"), "motion by cause", data.refit)
        .height(120.0)
        .legend(Legend::default())
        .x_axis_label("frame")
        .y_axis_label("share of net motion")
        .show(ui, |plot| {
            for (name, color, pick) in causes {
                let points = series(data.metrics, |m| {
                    m.motion_by_cause.and_then(|c| c.shares.residue).map(pick)
                });
                if !points.is_empty() {
                    plot.line(Line::new(name, PlotPoints::from(points)).color(color));
                }
            }
            cursor_and_click(plot, data.frame)
        });
    response.inner.map(frame_at)
}

/// Schedule (log10 sigma and t̂ per step) against the training density of log10 sigma; out-of-range shaded.
fn schedule_plot(ui: &mut egui::Ui, data: &PlotData<'_>) {
    let training = data.preset.training();
    let steps: Vec<[f64; 2]> = data
        .sigmas
        .iter()
        .enumerate()
        .filter(|(_, s)| **s > 0.0)
        .map(|(i, s)| [s.log10(), i as f64])
        .collect();
    // Coverage is judged at t_hat (`training_coverage`); σ is shown beside it.
    let t_hats: Vec<[f64; 2]> = data
        .preset
        .step_levels()
        .iter()
        .enumerate()
        .filter(|(_, s)| s.t_hat > 0.0)
        .map(|(i, s)| [s.t_hat.log10(), i as f64])
        .collect();
    let ln10 = std::f64::consts::LN_10;
    let mean = (training.scale.ln() + training.p_mean) / ln10;
    let std = training.p_std / ln10;
    let n = data.sigmas.len().max(2) as f64;
    // The density of log10 sigma, scaled to the steps' axis so both fit one plot.
    let density: Vec<[f64; 2]> = (0..=200)
        .map(|k| {
            let x = mean - 5.0 * std + k as f64 * 10.0 * std / 200.0;
            let d = (-0.5 * ((x - mean) / std).powi(2)).exp();
            [x, d * n]
        })
        .collect();
    let hi = training.sigma_at(Z_999).log10();
    let lo = training.sigma_at(-Z_999).log10();
    let top = steps.iter().chain(&t_hats).map(|p| p[0]).fold(hi, f64::max);
    fitted(Plot::new("schedule"), "schedule", data.refit)
        .height(130.0)
        .legend(Legend::default())
        .x_axis_label("log10 sigma (Å)")
        .y_axis_label("step")
        .show(ui, |plot| {
            plot.span(
                Span::new("above training 99.9%", hi..=top.max(hi) + 0.1)
                    .fill(egui::Color32::from_rgba_unmultiplied(255, 80, 80, 40)),
            );
            plot.span(
                Span::new("below training 0.1%", (lo - 2.0)..=lo)
                    .fill(egui::Color32::from_rgba_unmultiplied(255, 80, 80, 40)),
            );
            plot.line(
                Line::new("training density", PlotPoints::from(density))
                    .color(egui::Color32::LIGHT_GREEN),
            );
            plot.line(Line::new("σ", PlotPoints::from(steps)).color(egui::Color32::WHITE));
            plot.line(
                Line::new(
                    "t_hat = σ(1+γ), where the denoiser runs",
                    PlotPoints::from(t_hats),
                )
                .color(egui::Color32::from_rgb(255, 170, 60)),
            );
            if let Some(f) = data.frames.get(data.frame).filter(|f| f.sigma > 0.0) {
                plot.vline(VLine::new("frame", f.sigma.log10()).color(egui::Color32::GRAY));
            }
        });
}

/// c_skip and c_out per step, globally and at the residue and chain levels.
fn precondition_plot(ui: &mut egui::Ui, data: &PlotData<'_>) -> Option<usize> {
    let response = fitted(Plot::new("preconditioning"), "preconditioning", data.refit)
        .height(120.0)
        .legend(Legend::default())
        .x_axis_label("frame")
        .y_axis_label("c_skip")
        .show(ui, |plot| {
            // The atom level's coefficients are the global σ's.
            let pick = |level: Level| {
                data.frames
                    .iter()
                    .filter_map(|f| {
                        let p = f.precondition?;
                        let c = match level {
                            Level::Atom => p.global,
                            Level::Residue => p.residue,
                            Level::Chain => p.chain,
                        };
                        Some([f.index as f64, c.c_skip])
                    })
                    .collect::<Vec<_>>()
            };
            let levels = if data.per_level { 3 } else { 1 };
            for &level in Level::ALL.iter().take(levels) {
                let label = match level {
                    Level::Atom => "global",
                    other => other.name(),
                };
                plot.line(
                    Line::new(format!("c_skip {label}"), PlotPoints::from(pick(level)))
                        .color(level_color(level)),
                );
            }
            cursor_and_click(plot, data.frame)
        });
    response.inner.map(frame_at)
}

/// The heat map's image: one texel per (frame, residue), remade when the run grows or changes.
#[derive(Default)]
pub struct HeatmapTexture {
    /// (run id, frames, residues) of the image.
    key: Option<(u64, usize, usize)>,
    texture: Option<egui::TextureHandle>,
    /// Residues per image row (1 unless the structure has more residues than a texture has rows).
    residues_per_row: usize,
}

impl HeatmapTexture {
    /// Image rows (residues, unless binned to fit the GPU's largest texture).
    pub fn rows(&self) -> Option<usize> {
        self.texture.as_ref().map(|t| t.size()[1])
    }

    fn update(&mut self, ctx: &egui::Context, data: &PlotData<'_>, residues: usize) {
        let frames = data.metrics.len();
        let key = (data.run_id, frames, residues);
        if self.key == Some(key) && self.texture.is_some() {
            return;
        }
        let max_side = ctx.input(|i| i.max_texture_side).max(1);
        self.residues_per_row = residues.div_ceil(max_side).max(1);
        let rows = residues.div_ceil(self.residues_per_row);
        let value = |m: &FrameMetrics, row: usize| {
            let span =
                row * self.residues_per_row..((row + 1) * self.residues_per_row).min(residues);
            let n = span.len().max(1) as f32;
            span.map(|r| m.residue_motion.get(r).copied().unwrap_or(0.0))
                .sum::<f32>()
                / n
        };
        let max = data
            .metrics
            .iter()
            .flat_map(|m| (0..rows).map(move |row| value(m, row)))
            .fold(0.0f32, f32::max)
            .ln_1p()
            .max(1e-6);
        // Texture row 0 is the top of the plot: the last residue.
        let mut pixels = Vec::with_capacity(frames * rows);
        for row in (0..rows).rev() {
            for m in data.metrics {
                let [r, g, b, _] = viridis(value(m, row).ln_1p() / max);
                pixels.push(egui::Color32::from_rgb(
                    (r * 255.0) as u8,
                    (g * 255.0) as u8,
                    (b * 255.0) as u8,
                ));
            }
        }
        let image = egui::ColorImage::new([frames, rows], pixels);
        self.texture =
            Some(ctx.load_texture("residue heat map", image, egui::TextureOptions::NEAREST));
        self.key = Some(key);
    }
}

/// Residue × frame heat map of residue motion, one row per residue; returns (frame, residue) clicked.
fn heatmap_plot(
    ui: &mut egui::Ui,
    data: &PlotData<'_>,
    texture: &mut HeatmapTexture,
) -> Option<(usize, usize)> {
    let frames = data.metrics.len();
    let residues = data
        .metrics
        .first()
        .map_or(0, |m| m.residue_motion.len())
        .min(data.residues);
    if frames < 2 || residues == 0 {
        ui.label("Residue × frame motion appears after the first step.");
        return None;
    }
    texture.update(ui.ctx(), data, residues);
    let handle = texture.texture.as_ref()?;
    let response = fitted(Plot::new("heatmap"), "heatmap", data.refit)
        .height(160.0)
        .x_axis_label("frame")
        .y_axis_label("residue")
        .show(ui, |plot| {
            plot.image(PlotImage::new(
                "ln(1 + residue motion)",
                handle.id(),
                PlotPoint::new(frames as f64 / 2.0, residues as f64 / 2.0),
                egui::vec2(frames as f32, residues as f32),
            ));
            plot.vline(VLine::new("frame", data.frame as f64 + 0.5).color(egui::Color32::WHITE));
            (plot.response().clicked())
                .then(|| plot.pointer_coordinate())
                .flatten()
        });
    response.inner.map(|p| {
        let frame = (p.x.floor().max(0.0) as usize).min(frames - 1);
        let residue = (p.y.floor().max(0.0) as usize).min(residues - 1);
        (frame, residue)
    })
}

/// What a click on the plots asked for.
#[derive(Debug, Default)]
pub struct PlotClick {
    /// Jump to this frame.
    pub frame: Option<usize>,
    /// Highlight this residue.
    pub residue: Option<usize>,
}

/// Any column of the per-frame table (`trajectory::COLUMNS`) against the frame: a figure added there
/// is plotted here without a plot of its own.
fn column_plot(ui: &mut egui::Ui, data: &PlotData<'_>, column: &mut usize) -> Option<usize> {
    let Some(chosen) = COLUMNS.get(*column) else {
        *column = 0;
        return None;
    };
    let label = |c: &Column| {
        if c.unit.is_empty() {
            c.name.to_owned()
        } else {
            format!("{} ({})", c.name, c.unit)
        }
    };
    let before = *column;
    egui::ComboBox::new("plotted column", "figure")
        .selected_text(label(chosen))
        .show_ui(ui, |ui| {
            for (k, c) in COLUMNS.iter().enumerate() {
                ui.selectable_value(column, k, label(c));
            }
        });
    let value = COLUMNS[*column].value;
    let points: Vec<[f64; 2]> = frame_rows(data.frames, data.metrics)
        .iter()
        .filter_map(|row| value(row).map(|v| [row.metrics.index as f64, v]))
        .collect();
    let refit = data.refit || *column != before;
    let response = fitted(Plot::new("column"), "column", refit)
        .height(120.0)
        .show(ui, |plot| {
            plot.line(Line::new(COLUMNS[*column].name, PlotPoints::from(points)));
            cursor_and_click(plot, data.frame)
        });
    response.inner.map(frame_at)
}

/// All plots, stacked; `column` is the column the figure plot shows (an index into `COLUMNS`).
pub fn plots_ui(
    ui: &mut egui::Ui,
    data: &PlotData<'_>,
    heatmap: &mut HeatmapTexture,
    column: &mut usize,
) -> PlotClick {
    let mut click = PlotClick::default();
    egui::ScrollArea::vertical().show(ui, |ui| {

        ui.label("3-D RMSD from ground truth after superposition (log10 Å), and the TM-score of the Cα (0–1)");
        click.frame = click
            .frame
            .or(level_plot(ui, "rmsd", data, level_rmsd, "log10 RMSD; TM-score", true));
        ui.label("3-D RMSD of the denoiser's x0_hat from ground truth, per level (log10 Å; 0 clamps to -4)");
        if let Some(note) = data.source.missing_note("x0_hat", "This plot") {
            ui.weak(note);
        }
        click.frame = click
            .frame
            .or(level_plot(ui, "x0 rmsd", data, level_x0_rmsd, "log10 x0_hat RMSD", false));
        ui.label("3-D RMS motion per step, augmentation undone (log10 Å)");
        click.frame = click
            .frame
            .or(level_plot(ui, "motion", data, level_motion, "log10 motion", false));
        ui.label("Share of residue motion independent of the chain");
        click.frame = click.frame.or(share_plot(ui, data));
        ui.label("Each cause's share of the residue centroids' net motion per step: churn noise, alignment, denoiser update (they sum to 1; below 0 a cause works against the others)");
        if let Some(note) = data.source.missing_note("x0_hat", "The split by cause") {
            ui.weak(note);
        }
        click.frame = click.frame.or(cause_plot(ui, data));
        ui.label("Schedule (σ, and t_hat where the denoiser runs) against the training σ density");
        if let Some(note) = data.source.missing_note("sigma", "The run's σ") {
            ui.weak(note);
        }
        schedule_plot(ui, data);
        ui.label("Preconditioning per level");
        click.frame = click.frame.or(precondition_plot(ui, data));
        ui.label("Residue × frame motion");
        if let Some((frame, residue)) = heatmap_plot(ui, data, heatmap) {
            click.frame = Some(frame);
            click.residue = Some(residue);
        }
        ui.label("Any per-frame figure (the CSV's columns)");
        click.frame = click.frame.or(column_plot(ui, data, column));
    });
    click
}
