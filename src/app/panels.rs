//! Side panels: structure, noise (with the per-level table), sampler and diagnosis.

use eframe::egui;

use super::diagnosis::{Control, Finding};
use super::settings::{Settings, SigmaInput};
use crate::choice::Choice;
use crate::denoiser::DenoiserChoice;
use crate::denoiser::learned::PreconditionMode;
use crate::noise::{
    GroupSizes, NoiseCell, WEIGHT_PRESETS, expected_centred_mean_squares, expected_mean_squares,
    rms_3d,
};
use crate::sampler::{PresetName, SamplerChoice, StartNoise};
use crate::structure::{BUNDLED, Structure};

/// What the structure panel asks for.
#[derive(Debug, Default)]
pub struct StructureAction {
    /// Open this file (a recent one).
    pub open: Option<std::path::PathBuf>,
    /// Ask for a file to open (Open…).
    pub pick_file: bool,
    /// Ask for a run to open (Open run…).
    pub pick_run: bool,
    /// Load this bundled structure.
    pub bundled: Option<usize>,
    /// The selection changed: reload.
    pub reload: bool,
}

/// Structure panel: open, bundled examples, recent files, selection, counts, load errors.
pub fn structure_ui(
    ui: &mut egui::Ui,
    s: &Structure,
    settings: &mut Settings,
    error: Option<&str>,
) -> StructureAction {
    let mut action = StructureAction::default();
    ui.heading(&s.name);
    ui.label(format!(
        "{} atoms, {} residues, {} chain{}",
        s.atom_count(),
        s.residue_count(),
        s.chain_count(),
        if s.chain_count() == 1 { "" } else { "s" }
    ));
    ui.label(format!(
        "chains {} · {:.2} atoms per residue · model {} of {}",
        s.chain_ids().join(" "),
        s.mean_atoms_per_residue(),
        s.model_number,
        s.model_count
    ));
    if let Some(e) = error {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
    ui.horizontal_wrapped(|ui| {
        action.pick_file = ui.button("Open…").clicked();
        action.pick_run = ui
            .button("Open run…")
            .on_hover_text("a trajectory of another tool: NPZ/NPY arrays or a multi-MODEL PDB/mmCIF of these atoms")
            .clicked();
        for (i, b) in BUNDLED.iter().enumerate() {
            if ui.button(b.name).on_hover_text(b.description).clicked() {
                action.bundled = Some(i);
            }
        }
    });
    ui.horizontal_wrapped(|ui| {
        action.reload |= ui
            .checkbox(&mut settings.keep_hydrogens, "hydrogens")
            .changed();
        action.reload |= ui.checkbox(&mut settings.keep_water, "water").changed();
        action.reload |= ui
            .checkbox(&mut settings.drop_hetero, "drop hetero")
            .changed();
    });
    if !settings.recent_files.is_empty() {
        ui.collapsing("Recent files", |ui| {
            for path in &settings.recent_files {
                let name = path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                if ui
                    .button(name)
                    .on_hover_text(path.display().to_string())
                    .clicked()
                {
                    action.open = Some(path.clone());
                }
            }
        });
    }
    action
}

fn figure_cell(ui: &mut egui::Ui, measured: Option<f64>, expected: f64) {
    match measured {
        Some(m) => ui.label(format!("{m:.3} ({expected:.3})")),
        None => ui.label(format!("– ({expected:.3})")),
    };
}

/// Noise panel: weights, sigma, seed and the per-level table (expected; measured after Apply, which
/// the worker draws while `drawing`). Returns true when Apply was clicked.
pub fn noise_ui(
    ui: &mut egui::Ui,
    s: &Structure,
    settings: &mut Settings,
    measured: Option<&NoiseCell>,
    drawing: bool,
    highlight: bool,
) -> bool {
    let frame = egui::Frame::group(ui.style()).stroke(if highlight {
        egui::Stroke::new(2.0, egui::Color32::YELLOW)
    } else {
        ui.visuals().widgets.noninteractive.bg_stroke
    });
    frame
        .show(ui, |ui| {
            ui.strong("Noise");
            let apply = weights_and_sigma_ui(ui, settings, drawing);
            noise_figures_ui(ui, s, settings, measured);
            apply
        })
        .inner
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
    s: &Structure,
    settings: &Settings,
    measured: Option<&NoiseCell>,
) {
    let sigma = settings.noise_sigma();
    let Ok(noise) = settings.noise() else {
        ui.colored_label(
            ui.visuals().error_fg_color,
            "Weights must be non-negative and not all zero.",
        );
        return;
    };
    let sizes = GroupSizes::of(s);
    let e = expected_mean_squares(&sizes, noise.model.stds(sigma));
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
            if name == "chain" && s.chain_count() < 2 {
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
    let c = expected_centred_mean_squares(&sizes, noise.model.stds(sigma));
    let measured_centred = |f: Option<f64>| f.map_or_else(|| "–".to_owned(), |v| format!("{v:.3}"));
    ui.label(format!(
        "centred: atom {} ({:.3}), residue {} ({:.3}); the translation takes {:.0}% of the variance",
        measured_centred(measured.map(|m| m.centred.atom.measured)),
        rms_3d(c.atom),
        measured_centred(measured.map(|m| m.centred.residue.measured)),
        rms_3d(c.residue),
        c.translation_share(&e) * 100.0
    ))
    .on_hover_text("3-D RMS displacement per point, Å, after removing the atom mean (Boltz/AF3 centring); measured (expected)");
}

/// What the sampler panel asks for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SamplerAction {
    /// New run from the current settings.
    pub reset: bool,
    /// One step.
    pub step: bool,
    /// All remaining steps, off the UI thread.
    pub run_to_end: bool,
    /// Stop a run in progress.
    pub cancel: bool,
}

/// Sampler panel: preset, steps, churn, step_scale, solver, augmentation, start, preconditioning, denoiser.
pub fn sampler_ui(
    ui: &mut egui::Ui,
    settings: &mut Settings,
    has_ensemble: bool,
    busy: Option<(usize, usize)>,
    highlight: Option<Control>,
) -> SamplerAction {
    let stroke = if highlight.is_some() {
        egui::Stroke::new(2.0, egui::Color32::YELLOW)
    } else {
        ui.visuals().widgets.noninteractive.bg_stroke
    };
    egui::Frame::group(ui.style())
        .stroke(stroke)
        .show(ui, |ui| {
            ui.strong("Sampler");
            let edm = family_and_preset_ui(ui, settings);
            update_rule_ui(ui, settings, edm);
            denoiser_choice_ui(ui, settings, has_ensemble);
            run_buttons_ui(ui, busy)
        })
        .inner
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
        ui.weak("Flow matching and DDPM take the steps, start, seed, noise weights and denoiser; their prior σ is the preset's σ_data. DDPM caps the steps at its T = 50.");
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
fn run_buttons_ui(ui: &mut egui::Ui, busy: Option<(usize, usize)>) -> SamplerAction {
    let mut action = SamplerAction::default();
    ui.horizontal(|ui| {
        action.reset = ui.button("Reset").clicked();
        ui.add_enabled_ui(busy.is_none(), |ui| {
            action.step = ui.button("Step").clicked();
            action.run_to_end = ui.button("Run to end").clicked();
        });
        if busy.is_some() {
            action.cancel = ui.button("Cancel").clicked();
        }
    });
    if let Some((done, total)) = busy {
        ui.add(
            egui::ProgressBar::new(done as f32 / total.max(1) as f32)
                .text(format!("{done} / {total} steps")),
        );
    }
    action
}

/// Diagnosis: findings in plain words; returns the control a clicked finding points to.
pub fn diagnosis_ui(ui: &mut egui::Ui, findings: &[Finding]) -> Option<Control> {
    let mut clicked = None;
    ui.strong("Diagnosis");
    for f in findings {
        ui.horizontal_wrapped(|ui| {
            let color = if f.warning {
                egui::Color32::from_rgb(255, 190, 80)
            } else {
                ui.visuals().text_color()
            };
            ui.colored_label(color, if f.warning { "!" } else { "•" });
            if ui
                .link(egui::RichText::new(&f.text).color(color))
                .on_hover_text("show the control that changes this")
                .clicked()
            {
                clicked = Some(f.control);
            }
        });
    }
    clicked
}
