//! The noise panel: the weights (a preset or sliders), σ by z or in Å, the seed and Apply, and the
//! per-level table: each level's 3-D RMS displacement in closed form beside what the applied draw
//! measured, and what centring leaves of it.

use std::sync::Arc;

use eframe::egui;

use super::command::AppCommand;
use super::diagnosis::Control;
use super::panel::{Panel, group};
use super::settings::{Settings, SigmaInput};
use super::state::AppState;
use crate::noise::{
    CentredMeanSquares, GroupSizes, LevelMeanSquares, NoiseCell, WEIGHT_PRESETS,
    expected_centred_mean_squares, expected_mean_squares, rms_3d,
};
use crate::structure::Structure;

/// The closed forms of one structure, weights and σ.
struct ClosedForms {
    structure: Arc<Structure>,
    weights: [f64; 3],
    sigma: f64,
    uncentred: LevelMeanSquares,
    centred: CentredMeanSquares,
}

/// The noise panel; keeps the closed forms until the structure, the weights or σ change (they reduce
/// over every residue and chain).
#[derive(Default)]
pub struct NoisePanel {
    figures: Option<ClosedForms>,
}

impl NoisePanel {
    /// The closed forms for `structure` under `draft`'s weights and σ; none when the weights are refused.
    fn closed_forms(
        &mut self,
        structure: &Arc<Structure>,
        draft: &Settings,
    ) -> Option<&ClosedForms> {
        let sigma = draft.noise_sigma();
        let current = self.figures.as_ref().is_some_and(|f| {
            Arc::ptr_eq(&f.structure, structure) && f.weights == draft.weights && f.sigma == sigma
        });
        if !current {
            self.figures = draft.noise().ok().map(|noise| {
                let sizes = GroupSizes::of(structure);
                let stds = noise.model.stds(sigma);
                ClosedForms {
                    structure: Arc::clone(structure),
                    weights: draft.weights,
                    sigma,
                    uncentred: expected_mean_squares(&sizes, stds),
                    centred: expected_centred_mean_squares(&sizes, stds),
                }
            });
        }
        self.figures.as_ref()
    }
}

impl Panel for NoisePanel {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, draft: &mut Settings) -> Vec<AppCommand> {
        let highlighted = state.focus() == Some(Control::NoiseWeights);
        let measured = state.applied_noise().map(|a| &a.cell);
        let chains = state.structure().chain_count();
        group(ui, highlighted)
            .show(ui, |ui| {
                ui.strong("Noise");
                let apply = weights_and_sigma_ui(ui, draft, state.noise_pending());
                let figures = self.closed_forms(&state.structure, draft);
                noise_figures_ui(ui, figures, chains, measured);
                if apply {
                    vec![AppCommand::ApplyNoise]
                } else {
                    Vec::new()
                }
            })
            .inner
    }
}

fn figure_cell(ui: &mut egui::Ui, measured: Option<f64>, expected: f64) {
    match measured {
        Some(m) => ui.label(format!("{m:.3} ({expected:.3})")),
        None => ui.label(format!("– ({expected:.3})")),
    };
}

/// The weights (a preset or sliders), σ by z or in Å, the seed and Apply; true when Apply was clicked.
fn weights_and_sigma_ui(ui: &mut egui::Ui, settings: &mut Settings, drawing: bool) -> bool {
    let mut apply = false;
    let current = settings.weight_preset_name().unwrap_or("custom");
    egui::ComboBox::new("weights preset", "weights")
        .selected_text(current)
        .show_ui(ui, |ui| {
            for (name, w) in WEIGHT_PRESETS {
                if ui.selectable_label(current == name, name).clicked() {
                    settings.weights = w;
                }
            }
            if ui
                .selectable_label(settings.weights == [0.0, 0.0, 1.0], "flat")
                .clicked()
            {
                settings.weights = [0.0, 0.0, 1.0];
            }
        });
    for (label, k) in [("w_c", 0), ("w_r", 1), ("w_a", 2)] {
        ui.add(
            egui::Slider::new(&mut settings.weights[k], 0.0..=10.0)
                .text(label)
                .fixed_decimals(2),
        );
    }
    ui.horizontal(|ui| {
        ui.radio_value(&mut settings.sigma_input, SigmaInput::Z, "z");
        ui.radio_value(&mut settings.sigma_input, SigmaInput::Direct, "sigma Å");
        match settings.sigma_input {
            SigmaInput::Z => ui.add(egui::Slider::new(&mut settings.z, -3.0..=3.0).text("z value")),
            SigmaInput::Direct => ui.add(
                egui::DragValue::new(&mut settings.sigma)
                    .speed(0.1)
                    .range(0.001..=5000.0)
                    .prefix("sigma "),
            ),
        };
    });
    let sigma = settings.noise_sigma();
    ui.horizontal(|ui| {
        let seed = ui.label(format!("sigma = {sigma:.3} Å · seed"));
        ui.add(egui::DragValue::new(&mut settings.seed))
            .labelled_by(seed.id);
        ui.add_enabled_ui(!drawing, |ui| {
            apply = ui
                .button("Apply")
                .on_hover_text("Draw this noise and show the noised structure")
                .clicked();
        });
        if drawing {
            ui.spinner();
            ui.label("drawing…");
        }
    });
    apply
}

/// The per-level table (measured beside the closed form), the expected residue/atom ratio and what
/// centring leaves of each level's noise.
fn noise_figures_ui(
    ui: &mut egui::Ui,
    figures: Option<&ClosedForms>,
    chains: usize,
    measured: Option<&NoiseCell>,
) {
    let Some(ClosedForms {
        uncentred: e,
        centred: c,
        ..
    }) = figures
    else {
        ui.colored_label(
            ui.visuals().error_fg_color,
            "Weights must be non-negative and not all zero.",
        );
        return;
    };
    egui::Grid::new("noise table").striped(true).show(ui, |ui| {
        ui.label("level");
        ui.label("abs, 3-D RMS Å: measured (expected)");
        ui.label("rel");
        ui.end_row();
        // (level, expected abs², expected rel², measured (abs, rel)).
        type Row<'a> = (&'a str, f64, f64, Option<(f64, f64)>);
        let rows: [Row<'_>; 3] = [
            (
                "atom",
                e.atom_abs,
                e.atom_rel,
                measured.map(|c| (c.atom.abs.measured, c.atom.rel.measured)),
            ),
            (
                "residue",
                e.residue_abs,
                e.residue_rel,
                measured.map(|c| (c.residue.abs.measured, c.residue.rel.measured)),
            ),
            (
                "chain",
                e.chain_abs,
                e.chain_rel,
                measured.and_then(|c| c.chain.map(|l| (l.abs.measured, l.rel.measured))),
            ),
        ];
        for (name, abs, rel, m) in rows {
            ui.label(name);
            if name == "chain" && chains < 2 {
                ui.label("undefined (one chain)");
                ui.label("");
            } else {
                // The closed forms are per coordinate; the table shows 3-D RMS.
                figure_cell(ui, m.map(|v| v.0), rms_3d(abs));
                figure_cell(ui, m.map(|v| v.1), rms_3d(rel));
            }
            ui.end_row();
        }
    });
    let ratio = (e.residue_abs / e.atom_abs).sqrt();
    ui.label(format!("expected residue/atom ratio {ratio:.2}"));
    // What centring (augmentation, and always with one chain) leaves of each level's noise.
    let measured_centred = |f: Option<f64>| f.map_or_else(|| "–".to_owned(), |v| format!("{v:.3}"));
    ui.label(format!(
        "centred: atom {} ({:.3}), residue {} ({:.3}); the translation takes {:.0}% of the variance",
        measured_centred(measured.map(|m| m.centred.atom.measured)),
        rms_3d(c.atom),
        measured_centred(measured.map(|m| m.centred.residue.measured)),
        rms_3d(c.residue),
        c.translation_share(e) * 100.0
    ))
    .on_hover_text("3-D RMS displacement per point, Å, after removing the atom mean (Boltz/AF3 centring); measured (expected)");
}
