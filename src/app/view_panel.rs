//! The central panel: the view options (colour, layers, track, augmentation, fit), the legend and the
//! outlined residue above the 3D view, which reports the camera, the hovered atom and double clicks.

use eframe::egui;

use super::command::AppCommand;
use super::panel::Panel;
use super::settings::{Settings, TrackView};
use super::state::AppState;
use super::viewport::{ViewSpec, viewport_ui};
use crate::choice::Choice;
use crate::render::{ColorMode, HoldSteady};

/// The central panel; holds why the 3D view cannot draw, if it cannot.
#[derive(Default)]
pub struct ViewPanel {
    /// Shown instead of the view.
    pub(super) viewport_error: Option<String>,
}

impl Panel for ViewPanel {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, draft: &mut Settings) -> Vec<AppCommand> {
        let mut commands = Vec::new();
        view_options_ui(ui, draft, &mut commands);
        selection_ui(ui, state, draft, &mut commands);
        legend_and_outline_ui(ui, state, &mut commands);
        if let Some(e) = &self.viewport_error {
            ui.colored_label(ui.visuals().error_fg_color, e);
            return commands;
        }
        let mut camera = *state.camera();
        let views = views_of(state);
        let input = viewport_ui(ui, &views, &mut camera);
        if camera != *state.camera() {
            commands.push(AppCommand::SetCamera(camera));
        }
        if input.hovered_atom != state.hovered_atom() {
            commands.push(AppCommand::Hover(input.hovered_atom));
        }
        if let Some(atom) = input.centered_atom {
            commands.push(AppCommand::CenterOnAtom(atom));
        }
        commands
    }
}

fn view_options_ui(ui: &mut egui::Ui, draft: &mut Settings, commands: &mut Vec<AppCommand>) {
    ui.horizontal_wrapped(|ui| {
        egui::ComboBox::new("color by", "color")
            .selected_text(format!("{:?}", draft.color_by))
            .show_ui(ui, |ui| {
                for mode in [
                    ColorMode::Element,
                    ColorMode::Chain,
                    ColorMode::Residue,
                    ColorMode::DisplacementAtom,
                    ColorMode::DisplacementResidue,
                    ColorMode::DisplacementChain,
                    ColorMode::Independent,
                ] {
                    ui.selectable_value(&mut draft.color_by, mode, format!("{mode:?}"));
                }
            });
        let l = &mut draft.layers;
        ui.checkbox(&mut l.atoms, "atoms");
        ui.checkbox(&mut l.residues, "residues");
        ui.checkbox(&mut l.chains, "chains");
        ui.checkbox(&mut l.trace, "trace");
        ui.checkbox(&mut l.ghost, "ghost");
        ui.checkbox(&mut l.arrows, "arrows");
        ui.checkbox(&mut l.tube, "Cα tube")
            .on_hover_text("a smooth tube through each chain's Cα atoms");
        ui.checkbox(&mut l.bonds, "bonds")
            .on_hover_text("covalent bonds from residue templates (ball-and-stick), never from distances");
        ui.radio_value(&mut draft.track, TrackView::State, "x_t");
        ui.radio_value(&mut draft.track, TrackView::Prediction, "x0_hat");
        ui.checkbox(&mut draft.split_view, "x_t | x0_hat")
            .on_hover_text("the state and the prediction side by side, one camera for both");
        ui.checkbox(&mut draft.undo_augmentation, "undo augmentation");
        if ui.button("fit").clicked() {
            commands.push(AppCommand::FitCamera);
        }
        egui::ComboBox::new("hold steady", "hold steady")
            .selected_text(draft.hold_steady.name())
            .show_ui(ui, |ui| {
                for &choice in HoldSteady::ALL {
                    ui.selectable_value(&mut draft.hold_steady, choice, choice.name())
                        .on_hover_text(choice.summary());
                }
            });
        ui.checkbox(&mut draft.network_view, "network view").on_hover_text(
            "what the denoiser is given: x · σ_data/√(σ² + σ_data²), in Å of the data (the preset's σ_data)",
        );
        ui.checkbox(&mut draft.camera_lock, "lock camera").on_hover_text(
            "keep the camera where it is; unlocked it follows the frames (fitted to each, eased)",
        );
    });
}

/// The selection box (`chain A and resid 10-50`), what it does to the view, and why a string cannot
/// be read (one line under the box).
fn selection_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    draft: &mut Settings,
    commands: &mut Vec<AppCommand>,
) {
    ui.horizontal_wrapped(|ui| {
        ui.label("select");
        ui.add(
            egui::TextEdit::singleline(&mut draft.selection)
                .hint_text("chain A and resid 10-50")
                .desired_width(180.0),
        )
        .on_hover_text(
            "chain, resid (10-50), resname, name, backbone, motif, diffused, all; and, or, not, ( )",
        );
        if ui
            .add_enabled(state.selected().is_some(), egui::Button::new("focus"))
            .on_hover_text("fit the camera to the selected atoms")
            .clicked()
        {
            commands.push(AppCommand::FocusSelection);
        }
        ui.checkbox(&mut draft.selection_dims_others, "dim others");
        ui.checkbox(&mut draft.selection_hides_others, "hide others");
        ui.checkbox(&mut draft.selection_superposes, "hold steady on it")
            .on_hover_text("hold steady superposes on the selected atoms alone");
    });
    if let Some(e) = state.selection_error() {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
}

/// The viewport's views: the frame as chosen, or its state and prediction side by side.
fn views_of(state: &AppState) -> Vec<ViewSpec<'_>> {
    let main = ViewSpec {
        scene: state.scene(),
        atoms: state.shown_atoms(),
        label: None,
    };
    let Some(prediction) = state.prediction_scene() else {
        return vec![main];
    };
    let step = state.position_label().unwrap_or_default();
    let left = match state.timeline().sub {
        Some(_) => step.clone(),
        None => format!("x_t · {step}"),
    };
    vec![
        ViewSpec {
            label: Some(left),
            ..main
        },
        ViewSpec {
            scene: prediction,
            atoms: (None, prediction.1),
            label: Some(format!("x0_hat · {step}")),
        },
    ]
}

fn legend_and_outline_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<AppCommand>) {
    let (scene, _) = state.scene();
    if let Some(legend) = &scene.legend {
        ui.label(format!(
            "{}: {:.2} … {:.2} (grey at 0, then viridis)",
            legend.label, legend.min, legend.max
        ));
    } else if state.shown_color_mode() != state.settings().color_by {
        ui.label("chain colours until a run moves the atoms");
    }
    let settings = state.settings();
    let mut shown = Vec::new();
    if settings.hold_steady != HoldSteady::None {
        shown.push(format!(
            "held steady onto the {} frame",
            match settings.hold_steady {
                HoldSteady::Previous => "previous",
                HoldSteady::Reference => "reference",
                _ => "last",
            }
        ));
    }
    if settings.network_view {
        shown.push("network view: x · σ_data/√(σ² + σ_data²)".to_owned());
    }
    if !shown.is_empty() {
        ui.label(shown.join("; "));
    }
    let s = state.structure();
    let Some(r) = state.highlighted_residue().and_then(|r| s.residues.get(r)) else {
        return;
    };
    let chain = &s.chains[r.chain as usize].id;
    ui.horizontal(|ui| {
        ui.label(format!(
            "heat-map residue {} {} (chain {chain}), outlined",
            r.name,
            r.label()
        ));
        if ui
            .small_button("×")
            .on_hover_text("clear the outline")
            .clicked()
        {
            commands.push(AppCommand::ClearOutline);
        }
    });
}
