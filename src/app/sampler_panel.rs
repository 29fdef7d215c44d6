//! The sampler panel: the family and EDM preset, the update rule, the start, the preconditioning
//! shown, the denoiser, and the run's buttons and progress.

use eframe::egui;

use super::command::AppCommand;
use super::diagnosis::Control;
use super::panel::{Panel, group};
use super::settings::Settings;
use super::state::AppState;
use crate::choice::Choice;
use crate::denoiser::DenoiserChoice;
use crate::denoiser::learned::PreconditionMode;
use crate::sampler::{PresetName, SamplerChoice, StartNoise};

/// The sampler panel (no state of its own).
pub struct SamplerPanel;

impl Panel for SamplerPanel {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, draft: &mut Settings) -> Vec<AppCommand> {
        let highlighted = state
            .focus()
            .is_some_and(|control| control != Control::NoiseWeights);
        let has_ensemble = state.structure().model_positions.len() >= 2;
        let mut commands = Vec::new();
        group(ui, highlighted).show(ui, |ui| {
            ui.strong("Sampler");
            let edm = family_and_preset_ui(ui, draft);
            update_rule_ui(ui, draft, edm);
            denoiser_choice_ui(ui, draft, has_ensemble);
            run_buttons_ui(ui, state.progress(), &mut commands);
        });
        pin_buttons_ui(ui, state.pinned().is_some(), &mut commands);
        commands
    }
}

/// The family, and for EDM the preset (which sets the step scale, augmentation and solver); true for EDM.
fn family_and_preset_ui(ui: &mut egui::Ui, settings: &mut Settings) -> bool {
    egui::ComboBox::new("sampler family", "family")
        .selected_text(settings.sampler.label())
        .show_ui(ui, |ui| {
            for choice in SamplerChoice::ALL {
                let hover = match choice {
                    SamplerChoice::Edm => "EDM with the preset below",
                    SamplerChoice::Family(family) => family.source(),
                };
                ui.selectable_value(&mut settings.sampler, choice, choice.label())
                    .on_hover_text(hover);
            }
        });
    let edm = settings.sampler == SamplerChoice::Edm;
    if !edm {
        ui.weak("Flow matching and DDPM take the steps, start, seed, noise weights and denoiser; their prior σ is the preset's σ_data. DDPM starts at its last trained step T − 1 = 49 and caps the steps there.");
    }
    ui.add_enabled_ui(edm, |ui| {
        egui::ComboBox::new("sampler preset", "preset")
            .selected_text(settings.preset.name())
            .show_ui(ui, |ui| {
                for &name in PresetName::ALL {
                    if ui
                        .selectable_label(settings.preset == name, name.name())
                        .on_hover_text(name.preset().source)
                        .clicked()
                    {
                        settings.choose_preset(name);
                    }
                }
            })
    });
    edm
}

/// Steps, step scale, and for EDM the churn, solver and augmentation; the start and the
/// preconditioning shown.
fn update_rule_ui(ui: &mut egui::Ui, settings: &mut Settings, edm: bool) {
    ui.horizontal(|ui| {
        let steps = ui.label("steps");
        ui.add(egui::DragValue::new(&mut settings.steps).range(1..=1000))
            .labelled_by(steps.id);
        let scale = ui.label("step_scale");
        ui.add(
            egui::DragValue::new(&mut settings.step_scale)
                .speed(0.01)
                .range(0.1..=3.0),
        )
        .labelled_by(scale.id);
    });
    ui.add_enabled_ui(edm, |ui| {
        ui.horizontal(|ui| {
            ui.checkbox(&mut settings.churn, "churn");
            use crate::sampler::Solver;
            ui.radio_value(&mut settings.solver, Solver::Euler, "Euler");
            ui.radio_value(&mut settings.solver, Solver::Heun, "Heun")
                .on_hover_text("EDM Alg. 2: x_hat + dt (d + d') / 2");
            ui.radio_value(&mut settings.solver, Solver::Chai, "Chai-1")
                .on_hover_text(
                    "chai-lab: the Euler result + dt (d + d') / 2 = x_hat + dt (1.5 d + 0.5 d')",
                );
        });
        ui.checkbox(
            &mut settings.augment,
            "augmentation (center + random rotation)",
        );
    });
    ui.horizontal(|ui| {
        ui.label("start");
        ui.radio_value(&mut settings.start, StartNoise::Multiscale, "multiscale");
        ui.radio_value(&mut settings.start, StartNoise::Isotropic, "isotropic");
    });
    ui.horizontal(|ui| {
        ui.label("preconditioning shown")
            .on_hover_text("Display only: the exact and ensemble denoisers are not preconditioned, so sampling does not change");
        let shown = &mut settings.precondition_shown;
        ui.radio_value(shown, PreconditionMode::Global, "global");
        ui.radio_value(shown, PreconditionMode::PerLevel, "per level");
    });
}

/// The denoiser: a reference one, the last trained model, or the user's external command.
fn denoiser_choice_ui(ui: &mut egui::Ui, settings: &mut Settings, has_ensemble: bool) {
    ui.horizontal(|ui| {
        ui.label("denoiser");
        ui.radio_value(&mut settings.denoiser, DenoiserChoice::Exact, "exact");
        ui.add_enabled_ui(has_ensemble, |ui| {
            ui.radio_value(&mut settings.denoiser, DenoiserChoice::Ensemble, "ensemble")
                .on_disabled_hover_text(
                    "needs a file with several models of the same atoms (1l2y)",
                );
        });
        ui.radio_value(
            &mut settings.denoiser,
            DenoiserChoice::RotationMarginal,
            "rotation-marginal",
        )
        .on_hover_text("The ideal denoiser of a model trained with random rotations: the posterior mean over uniformly rotated copies of the truth");
    });
    if let Some(path) = settings.trained_model.clone() {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        ui.radio_value(
            &mut settings.denoiser,
            DenoiserChoice::Learned(path),
            format!("learned ({name})"),
        )
        .on_hover_text("The model the Train panel saved last");
        ui.checkbox(
            &mut settings.level_outputs,
            "step from the model's residue and chain outputs",
        )
        .on_hover_text("Move x0_hat's residue and chain centroids onto the model's own level predictions before each step");
    }
    ui.horizontal(|ui| {
        let external = matches!(settings.denoiser, DenoiserChoice::External(_));
        if ui
            .radio(external, "external")
            .on_hover_text("Your model in a child process speaking sigmascope's denoiser protocol (README, Your denoiser in the loop)")
            .clicked()
        {
            settings.denoiser = DenoiserChoice::External(settings.external_command.clone());
        }
        let edit = ui.add(
            egui::TextEdit::singleline(&mut settings.external_command)
                .hint_text("command, e.g. python3 my_denoiser.py")
                .desired_width(200.0),
        );
        if edit.changed() && external {
            settings.denoiser = DenoiserChoice::External(settings.external_command.clone());
        }
    });
}

/// Reset, Step, Run to end and Cancel, with the run's progress.
fn run_buttons_ui(ui: &mut egui::Ui, busy: Option<(usize, usize)>, commands: &mut Vec<AppCommand>) {
    let mut push = |clicked: bool, command: AppCommand| {
        if clicked {
            commands.push(command);
        }
    };
    ui.horizontal(|ui| {
        push(ui.button("Reset").clicked(), AppCommand::Reset);
        ui.add_enabled_ui(busy.is_none(), |ui| {
            push(ui.button("Step").clicked(), AppCommand::Step(1));
            push(
                ui.button("Run to end").clicked(),
                AppCommand::Step(usize::MAX),
            );
        });
        if busy.is_some() {
            push(ui.button("Cancel").clicked(), AppCommand::Cancel);
        }
    });
    if let Some((done, total)) = busy {
        ui.add(
            egui::ProgressBar::new(done as f32 / total.max(1) as f32)
                .text(format!("{done} / {total} steps")),
        );
    }
}

/// Pin (keep this run's curves to compare) and Unpin.
fn pin_buttons_ui(ui: &mut egui::Ui, pinned: bool, commands: &mut Vec<AppCommand>) {
    let mut push = |clicked: bool, command: AppCommand| {
        if clicked {
            commands.push(command);
        }
    };
    ui.horizontal(|ui| {
        push(
            ui.button("Pin run")
                .on_hover_text("keep this run's curves to compare")
                .clicked(),
            AppCommand::Pin,
        );
        if pinned {
            push(ui.button("Unpin").clicked(), AppCommand::Unpin);
        }
    });
}
