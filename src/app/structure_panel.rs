//! The structure panel: the structure's counts, Open…, Open run…, the bundled examples, the selection
//! and the recent files.

use eframe::egui;

use super::command::{AppCommand, DialogPurpose};
use super::panel::Panel;
use super::settings::Settings;
use super::state::AppState;
use crate::choice::Choice;
use crate::structure::BUNDLED;
use crate::trajectory::{FrameSchedule, ImportAlignment};

/// The structure panel (no state of its own).
pub struct StructurePanel;

impl Panel for StructurePanel {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, draft: &mut Settings) -> Vec<AppCommand> {
        let mut commands = Vec::new();
        let s = state.structure();
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
        if let Some(e) = state.load_error() {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        ui.horizontal_wrapped(|ui| {
            if ui.button("Open…").clicked() {
                commands.push(AppCommand::ChooseFile(DialogPurpose::Open));
            }
            if ui
                .button("Open run…")
                .on_hover_text("a run of another tool: NPZ/NPY arrays (sigmascope's, AlphaFold2 atom37/atom14, Cα) or a multi-model PDB/mmCIF (.gz); opened with its own atoms when they are not these")
                .clicked()
            {
                commands.push(AppCommand::ChooseFile(DialogPurpose::OpenRun));
            }
            if ui
                .button("Open steps…")
                .on_hover_text("a folder of per-step structure files (step_0.pdb, step_1.pdb, …) as one run")
                .clicked()
            {
                commands.push(AppCommand::ChooseFile(DialogPurpose::OpenRunFolder));
            }
            for (i, b) in BUNDLED.iter().enumerate() {
                if ui.button(b.name).on_hover_text(b.description).clicked() {
                    commands.push(AppCommand::OpenBundled(i));
                }
            }
        });
        let mut reload = false;
        ui.horizontal_wrapped(|ui| {
            reload |= ui
                .checkbox(&mut draft.keep_hydrogens, "hydrogens")
                .changed();
            reload |= ui.checkbox(&mut draft.keep_water, "water").changed();
            reload |= ui.checkbox(&mut draft.drop_hetero, "drop hetero").changed();
        });
        if reload {
            commands.push(AppCommand::Reload);
        }
        run_import_ui(ui, state, draft, &mut commands);
        recent_files_ui(ui, draft, &mut commands);
        commands
    }
}

/// How runs of other tools are read when opened: their superposition and σ per frame.
fn run_import_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    draft: &mut Settings,
    commands: &mut Vec<AppCommand>,
) {
    ui.horizontal_wrapped(|ui| {
        let listening = state.listening_on();
        let mut listen = listening.is_some();
        let hover = listening.map_or_else(
            || "listen for runs streamed from your own loop (python: sigmascope.connect) on 127.0.0.1:9876 or SIGMASCOPE_ADDRESS".to_owned(),
            |a| format!("listening on {a}"),
        );
        if ui.checkbox(&mut listen, "listen").on_hover_text(hover).changed() {
            commands.push(AppCommand::Listen(listen, None));
        }
        ui.label("runs:");
        egui::ComboBox::new("run alignment", "align")
            .selected_text(draft.run_alignment.name())
            .show_ui(ui, |ui| {
                for &choice in ImportAlignment::ALL {
                    ui.selectable_value(&mut draft.run_alignment, choice, choice.name())
                        .on_hover_text(choice.summary());
                }
            });
        let shown = draft.run_schedule.map_or("the file's", Choice::name);
        egui::ComboBox::new("run schedule", "σ")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut draft.run_schedule, None, "the file's")
                    .on_hover_text("σ from the file (an NPZ's sigma), none otherwise");
                for &choice in FrameSchedule::ALL {
                    ui.selectable_value(&mut draft.run_schedule, Some(choice), choice.name())
                        .on_hover_text(choice.summary());
                }
            });
    });
}

fn recent_files_ui(ui: &mut egui::Ui, draft: &Settings, commands: &mut Vec<AppCommand>) {
    if draft.recent_files.is_empty() {
        return;
    }
    ui.collapsing("Recent files", |ui| {
        for path in &draft.recent_files {
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            if ui
                .button(name)
                .on_hover_text(path.display().to_string())
                .clicked()
            {
                commands.push(AppCommand::Open(path.clone()));
            }
        }
    });
}
