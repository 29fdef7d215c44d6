//! The contract every panel keeps (egui's demo app's `View`, rerun's per-panel state): a panel owns
//! only its own widget state, reads the window's state, edits this frame's settings draft, and returns
//! what it asks for as `AppCommand`s. `AppState::apply` is the one place shared state changes; the
//! window answers `AppCommand::ChooseFile` with its file dialog. A new panel is one type implementing
//! `Panel` and one entry in the window's list.

use eframe::egui;

use super::command::AppCommand;
use super::settings::Settings;
use super::state::AppState;

/// One panel of the window.
pub trait Panel {
    /// Draws the panel: reads `state`, edits `draft` (the settings as this frame's widgets change
    /// them) and returns the commands it asks for, in order.
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, draft: &mut Settings) -> Vec<AppCommand>;
}

/// The group frame of a panel, outlined when a clicked finding points to one of its controls.
pub(super) fn group(ui: &egui::Ui, highlighted: bool) -> egui::Frame {
    egui::Frame::group(ui.style()).stroke(if highlighted {
        egui::Stroke::new(2.0, egui::Color32::YELLOW)
    } else {
        ui.visuals().widgets.noninteractive.bg_stroke
    })
}
