//! The small panels: the diagnosis (findings in plain words, each pointing to the control that changes
//! it) and the exports.

use eframe::egui;

use super::command::{AppCommand, DialogPurpose};
use super::export::ExportKind;
use super::panel::Panel;
use super::settings::Settings;
use super::state::AppState;

/// The diagnosis panel (no state of its own).
pub struct DiagnosisPanel;

impl Panel for DiagnosisPanel {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, _: &mut Settings) -> Vec<AppCommand> {
        let mut commands = Vec::new();
        ui.strong("Diagnosis");
        for f in state.findings() {
            ui.horizontal_wrapped(|ui| {
                let color = if f.is_warning() {
                    egui::Color32::from_rgb(255, 190, 80)
                } else {
                    ui.visuals().text_color()
                };
                ui.colored_label(color, if f.is_warning() { "!" } else { "•" });
                if ui
                    .link(egui::RichText::new(f.text()).color(color))
                    .on_hover_text("show the control that changes this")
                    .clicked()
                {
                    commands.push(AppCommand::HighlightControl(f.control));
                }
            });
        }
        commands
    }
}

/// The export panel: one button per kind, enabled when there is something to write.
pub struct ExportPanel;

impl Panel for ExportPanel {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, _: &mut Settings) -> Vec<AppCommand> {
        let mut commands = Vec::new();
        ui.strong("Export");
        ui.horizontal_wrapped(|ui| {
            for kind in ExportKind::ALL {
                if ui
                    .add_enabled(state.can_export(kind), egui::Button::new(kind.label()))
                    .clicked()
                {
                    commands.push(AppCommand::ChooseFile(DialogPurpose::Export(kind)));
                }
            }
            if state.export_pending() && ui.button("Cancel export").clicked() {
                commands.push(AppCommand::CancelExport);
            }
        });
        commands
    }
}
