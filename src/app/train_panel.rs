//! The Train panel: the learned denoiser's toggles (one per pitfall), steps, start and cancel, the
//! loss curve per level as it trains, and the per-σ report of the saved model as a table and a plot.

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::command::AppCommand;
use super::panel::Panel;
use super::plots::level_color;
use super::run_view::TrainingView;
use super::settings::Settings;
use super::state::AppState;
use crate::choice::Choice as _;
use crate::denoiser::learned::{
    ConditioningMode, LevelInputs, LossMode, ModelConfig, OutputForm, PreconditionMode,
    TrainConfig, atoms_per_residue, training_memory_budget,
};
use crate::structure::Level;

/// One figure of a loss record.
type LossPick = fn(&crate::denoiser::LossRecord) -> f64;

fn log(v: f64) -> f64 {
    v.max(1e-6).log10()
}

/// A combo box over `choices` (value, label, what it tests).
fn choice<T: PartialEq + Copy>(
    ui: &mut egui::Ui,
    id: &str,
    label: &str,
    value: &mut T,
    choices: &[(T, &str, &str)],
) {
    let current = choices
        .iter()
        .find(|(c, _, _)| c == value)
        .map_or("?", |(_, l, _)| l);
    egui::ComboBox::new(id, label)
        .selected_text(current)
        .show_ui(ui, |ui| {
            for (c, l, hover) in choices {
                ui.selectable_value(value, *c, *l).on_hover_text(*hover);
            }
        });
}

/// The memory a training step may take here, read once per process rather than on every frame the
/// panel is drawn.
fn memory_budget() -> u64 {
    static BUDGET: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *BUDGET.get_or_init(training_memory_budget)
}

/// The Train panel (no state of its own).
pub struct TrainPanel;

impl Panel for TrainPanel {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, draft: &mut Settings) -> Vec<AppCommand> {
        let s = state.structure();
        train_ui(
            ui,
            draft,
            state.training(),
            state.training_pending(),
            (s.atom_count(), s.residue_count()),
        )
    }
}

fn train_ui(
    ui: &mut egui::Ui,
    draft: &mut Settings,
    training: Option<&TrainingView>,
    running: bool,
    (atoms, residues): (usize, usize),
) -> Vec<AppCommand> {
    let mut commands = Vec::new();
    ui.collapsing("Train a denoiser", |ui| {
        toggles_ui(ui, draft);
        steps_and_path_ui(ui, draft);
        let max = ModelConfig::default().max_residues(
            memory_budget(),
            TrainConfig::default().draws,
            atoms_per_residue(atoms, residues),
        );
        ui.weak(format!(
            "noise: the noise panel's weights; up to {max} residues fit this machine (this structure: {residues})"
        ));
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!running && residues <= max, egui::Button::new("Train"))
                .clicked()
            {
                commands.push(AppCommand::Train);
            }
            if running && ui.button("Cancel").clicked() {
                commands.push(AppCommand::Cancel);
            }
        });
        if let Some(view) = training {
            loss_curve_ui(ui, view);
            report_ui(ui, view);
        }
    });
    commands
}

/// One toggle per suspected cause.
fn toggles_ui(ui: &mut egui::Ui, draft: &mut Settings) {
    choice(
        ui,
        "train precondition",
        "preconditioning",
        &mut draft.train_precondition,
        &[
            (
                PreconditionMode::PerLevel,
                "per level",
                "each level's c_in, c_skip, c_out from its effective σ",
            ),
            (
                PreconditionMode::Global,
                "global σ",
                "[note 002 §2]: one σ for every level",
            ),
        ],
    );
    choice(
        ui,
        "train loss",
        "loss",
        &mut draft.train_loss,
        &[
            (
                LossMode::LevelMean,
                "level means",
                "each level's mean, equally weighted",
            ),
            (
                LossMode::EqualSum,
                "equal sum",
                "[note 002 §5]: one mean over all terms; atoms dominate",
            ),
        ],
    );
    choice(
        ui,
        "train conditioning",
        "noise conditioning",
        &mut draft.train_conditioning,
        &[
            (
                ConditioningMode::PerLevel,
                "per level",
                "each level told its own c_noise",
            ),
            (
                ConditioningMode::Global,
                "one scalar",
                "[note 002 §6]: the global c_noise everywhere",
            ),
        ],
    );
    choice(
        ui,
        "train level inputs",
        "residue/chain inputs",
        &mut draft.train_level_inputs,
        &[
            (
                LevelInputs::Embeddings,
                "embeddings",
                "residue type and position, chain index",
            ),
            (
                LevelInputs::Zeros,
                "zeros",
                "[note 002 §7]: only what is pooled from atoms",
            ),
        ],
    );
    choice(
        ui,
        "train output",
        "output",
        &mut draft.train_output,
        &[
            (OutputForm::Edm, "EDM", "c_skip x + c_out F"),
            (OutputForm::X0, "x0", "sigma_data F"),
            (
                OutputForm::Residual,
                "residual",
                "note 001: x + sqrt(t/T) sigma_data F",
            ),
            (OutputForm::Eps, "epsilon", "x - sigma F"),
            (OutputForm::V, "v", "c_skip x - c_out F"),
        ],
    );
    ui.checkbox(
        &mut draft.train_augment,
        "random rotation + translation of the target",
    )
    .on_hover_text("[note 002 §4]");
}

/// The training's steps and where the model is saved.
fn steps_and_path_ui(ui: &mut egui::Ui, draft: &mut Settings) {
    ui.horizontal(|ui| {
        let steps = ui.label("steps");
        ui.add(egui::DragValue::new(&mut draft.train_steps).range(1..=100_000))
            .labelled_by(steps.id);
    });
    ui.horizontal(|ui| {
        let label = ui.label("save to");
        let mut text = draft
            .train_out
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let edit = ui
            .add(
                egui::TextEdit::singleline(&mut text)
                    .hint_text("NAME.learned.CODE.mpk beside the structure")
                    .desired_width(220.0),
            )
            .labelled_by(label.id);
        if edit.changed() {
            let text = text.trim();
            draft.train_out = (!text.is_empty()).then(|| std::path::PathBuf::from(text));
        }
    });
}

/// The loss per level so far.
fn loss_curve_ui(ui: &mut egui::Ui, view: &TrainingView) {
    if !view.losses.is_empty() {
        let curve = |pick: LossPick| -> Vec<[f64; 2]> {
            view.losses
                .iter()
                .map(|l| [l.step as f64, log(pick(l))])
                .collect()
        };
        Plot::new("train loss")
            .id(super::plots::plot_id("train loss"))
            .height(120.0)
            .legend(Legend::default())
            .x_axis_label("step")
            .y_axis_label("log10 loss")
            .show(ui, |plot| {
                plot.line(Line::new("total", PlotPoints::from(curve(|l| l.total))));
                let levels: [LossPick; 3] = [|l| l.atom, |l| l.residue, |l| l.chain];
                for (&level, pick) in Level::ALL.iter().zip(levels) {
                    let color = level_color(level);
                    let line = Line::new(level.name(), PlotPoints::from(curve(pick)));
                    plot.line(line.color(color));
                }
            });
    }
}

/// The saved model's per-σ report: a plot and the table.
fn report_ui(ui: &mut egui::Ui, view: &TrainingView) {
    let Some(header) = &view.header else {
        return;
    };
    if let Some(path) = &view.path {
        ui.weak(format!(
            "{} steps in {:.1} s, saved to {}",
            header.losses.len(),
            header.train_secs,
            path.display()
        ));
    }
    let rows = &header.report;
    Plot::new("train report")
        .id(super::plots::plot_id("train report"))
        .height(120.0)
        .legend(Legend::default())
        .x_axis_label("log10 σ (Å)")
        .y_axis_label("log10 RMSE (Å); log10 |grad|")
        .show(ui, |plot| {
            let levels: [fn(&crate::denoiser::SigmaReportRow) -> f64; 3] =
                [|r| r.atom_rmse, |r| r.residue_rmse, |r| r.chain_rmse];
            for (&level, pick) in Level::ALL.iter().zip(levels) {
                let points: Vec<[f64; 2]> = rows
                    .iter()
                    .map(|r| [r.sigma.log10(), log(pick(r))])
                    .collect();
                let line = Line::new(level.name(), PlotPoints::from(points));
                plot.line(line.color(level_color(level)));
            }
            let grads: Vec<[f64; 2]> = rows
                .iter()
                .map(|r| [r.sigma.log10(), log(r.output_gradient_norm)])
                .collect();
            plot.line(
                Line::new("output-layer gradient", PlotPoints::from(grads))
                    .color(egui::Color32::LIGHT_GRAY),
            );
        });
    egui::Grid::new("train report rows")
        .striped(true)
        .show(ui, |ui| {
            for head in ["z", "σ Å", "atom", "residue", "chain", "|grad|"] {
                ui.strong(head);
            }
            ui.end_row();
            for r in rows {
                ui.label(format!("{:.0}", r.z));
                ui.label(format!("{:.3}", r.sigma));
                ui.label(format!("{:.3}", r.atom_rmse));
                ui.label(format!("{:.3}", r.residue_rmse));
                ui.label(format!("{:.3}", r.chain_rmse));
                ui.label(format!("{:.2e}", r.output_gradient_norm));
                ui.end_row();
            }
        });
}
