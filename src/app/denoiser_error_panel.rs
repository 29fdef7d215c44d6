//! The denoiser-error panel (note 001's diagnostic): the RMSE of the sampler panel's denoiser's x̂0 at
//! atoms, residue and chain centroids at each σ of the noise table's z grid, and the flow-matching
//! velocity norms, predicted against target.

use eframe::egui;
use egui_plot::{Legend, Line, LineStyle, Plot, PlotPoints};

use super::command::AppCommand;
use super::panel::Panel;
use super::plots::level_color;
use super::settings::Settings;
use super::state::AppState;
use crate::choice::Choice as _;
use crate::denoiser::DenoiserErrorRow;
use crate::structure::Level;

/// The denoiser-error panel (no state of its own).
pub struct DenoiserErrorPanel;

impl Panel for DenoiserErrorPanel {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, _: &mut Settings) -> Vec<AppCommand> {
        denoiser_error_ui(
            ui,
            state.denoiser_error_rows(),
            state.denoiser_error_pending(),
        )
    }
}

fn denoiser_error_ui(
    ui: &mut egui::Ui,
    rows: Option<&[DenoiserErrorRow]>,
    running: bool,
) -> Vec<AppCommand> {
    let mut commands = Vec::new();
    ui.collapsing("Denoiser error per σ", |ui| {
        ui.add_enabled_ui(!running, |ui| {
            if ui
                .button("Measure")
                .on_hover_text("RMSE of x0_hat from the ground truth at 7 σ (z = -3 … 3 of the preset's training distribution), 4 draws each, with the sampler panel's denoiser and the noise panel's weights")
                .clicked()
            {
                commands.push(AppCommand::MeasureDenoiserError);
            }
        });
        let Some(rows) = rows.filter(|r| !r.is_empty()) else {
            return;
        };
        let log = |v: f64| v.max(1e-4).log10();
        let curve = |pick: &dyn Fn(&DenoiserErrorRow) -> Option<f64>| -> Vec<[f64; 2]> {
            rows.iter()
                .filter_map(|r| pick(r).map(|v| [r.sigma.log10(), log(v)]))
                .collect()
        };
        let levels: [(&str, egui::Color32, Vec<[f64; 2]>); 3] = [
            (Level::Atom, curve(&|r| Some(r.atom))),
            (Level::Residue, curve(&|r| Some(r.residue))),
            (Level::Chain, curve(&|r| r.chain)),
        ]
        .map(|(level, points)| (level.name(), level_color(level), points));
        Plot::new("denoiser error")
            .id(super::plots::plot_id("denoiser error"))
            .height(140.0)
            .legend(Legend::default())
            .x_axis_label("log10 σ (Å)")
            .y_axis_label("log10 RMSE of x0_hat (Å)")
            .show(ui, |plot| {
                for (name, color, points) in levels {
                    if !points.is_empty() {
                        plot.line(Line::new(name, PlotPoints::from(points)).color(color));
                    }
                }
            });
        ui.label("Flow-matching reading of the same states: velocity norm per atom");
        Plot::new("velocity norms")
            .id(super::plots::plot_id("velocity norms"))
            .height(110.0)
            .legend(Legend::default())
            .x_axis_label("log10 σ (Å)")
            .y_axis_label("log10 |v| (Å per unit t)")
            .show(ui, |plot| {
                plot.line(Line::new(
                    "predicted",
                    PlotPoints::from(curve(&|r| Some(r.velocity_norm_predicted))),
                ));
                plot.line(
                    Line::new(
                        "target",
                        PlotPoints::from(curve(&|r| Some(r.velocity_norm_target))),
                    )
                    .style(LineStyle::dashed_loose()),
                );
            });
        egui::Grid::new("denoiser error rows").striped(true).show(ui, |ui| {
            for head in ["σ Å", "atom", "residue", "chain"] {
                ui.strong(head);
            }
            ui.end_row();
            for r in rows {
                ui.label(format!("{:.3}", r.sigma));
                ui.label(format!("{:.3}", r.atom));
                ui.label(format!("{:.3}", r.residue));
                ui.label(r.chain.map_or_else(|| "-".to_owned(), |c| format!("{c:.3}")));
                ui.end_row();
            }
        });
    });
    commands
}
