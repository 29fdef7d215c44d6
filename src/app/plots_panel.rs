//! The plots panel: the diagnosis above every plot of the run, with what the plots keep between
//! frames (the heat map's texture, the run they were last fitted to, the column the figure plot shows).

use eframe::egui;

use super::command::AppCommand;
use super::panel::Panel;
use super::panels::DiagnosisPanel;
use super::plots::{HeatmapTexture, PlotData, plots_ui};
use super::settings::Settings;
use super::state::AppState;
use super::timeline::TimelineCommand;
use crate::denoiser::learned::PreconditionMode;

/// The plots panel.
#[derive(Default)]
pub struct PlotsPanel {
    heatmap: HeatmapTexture,
    /// The run the plots were last fitted to: (run id, frames).
    fitted_to: Option<(u64, usize)>,
    /// The figure plot's column (an index into `trajectory::COLUMNS`).
    column: usize,
}

impl PlotsPanel {
    /// Rows of the residue × frame heat map last drawn (one per residue).
    pub fn heatmap_rows(&self) -> Option<usize> {
        self.heatmap.rows()
    }
}

impl Panel for PlotsPanel {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, draft: &mut Settings) -> Vec<AppCommand> {
        let mut commands = DiagnosisPanel.ui(ui, state, draft);
        ui.separator();
        let preset = state.settings().preset();
        let run = state.run();
        let sigmas = if run.sigmas.is_empty() {
            preset.schedule.sigmas()
        } else {
            run.sigmas.clone()
        };
        // Every plot fits its data when a run starts and when a frame arrives.
        let fitted_to = (state.run_id(), run.metrics.len());
        let refit = self.fitted_to != Some(fitted_to);
        self.fitted_to = Some(fitted_to);
        let data = PlotData {
            frames: &run.frames,
            metrics: &run.metrics,
            pinned: state.pinned(),
            sigmas: &sigmas,
            preset: &preset,
            frame: state.timeline().current,
            per_level: state.settings().precondition_shown == PreconditionMode::PerLevel,
            residues: state.structure().residue_count(),
            run_id: state.run_id(),
            source: &run.source,
            refit,
        };
        let click = plots_ui(ui, &data, &mut self.heatmap, &mut self.column);
        if let Some(frame) = click.frame {
            commands.push(AppCommand::Timeline(TimelineCommand::SetFrameClamped(
                frame,
            )));
        }
        if let Some(residue) = click.residue {
            commands.push(AppCommand::FocusResidue(residue));
        }
        commands
    }
}
