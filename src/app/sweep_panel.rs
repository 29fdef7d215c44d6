//! The step-sweep panel: the sampler to sweep, its step counts and seeds, and the final RMSD and
//! TM-score of every run (one point per steps and seed); a click on a point loads that run.

use eframe::egui;
use egui_plot::{Legend, Plot, PlotPoints, Points};

use super::command::AppCommand;
use super::panel::Panel;
use super::settings::Settings;
use super::state::AppState;
use crate::sampler::SamplerChoice;
use crate::trajectory::SweepPoint;

/// The panel's own state: the step counts as typed (the settings hold them parsed) and why the text
/// does not parse, shown under the box.
pub struct SweepPanel {
    steps_text: String,
    steps_error: Option<String>,
}

impl SweepPanel {
    /// The panel showing the step counts of `settings`.
    pub fn new(settings: &Settings) -> Self {
        let text = settings
            .sweep_steps
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(",");
        Self {
            steps_text: text,
            steps_error: None,
        }
    }
}

impl Panel for SweepPanel {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, draft: &mut Settings) -> Vec<AppCommand> {
        sweep_ui(ui, self, draft, state.sweep_points(), state.sweep_pending())
    }
}

/// Step counts from 1 to 10 000, comma-separated; an error names the first that does not parse.
pub fn parse_step_counts(text: &str) -> Result<Vec<usize>, String> {
    let counts = text
        .split(',')
        .map(|s| {
            s.trim()
                .parse::<usize>()
                .ok()
                .filter(|&n| (1..=10_000).contains(&n))
                .ok_or_else(|| {
                    format!(
                        "sweep steps: {:?} is not a step count from 1 to 10000",
                        s.trim()
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if counts.is_empty() {
        return Err("sweep steps: give at least one step count".to_owned());
    }
    Ok(counts)
}

fn sweep_ui(
    ui: &mut egui::Ui,
    panel: &mut SweepPanel,
    draft: &mut Settings,
    points: Option<&[SweepPoint]>,
    running: bool,
) -> Vec<AppCommand> {
    let mut commands = Vec::new();
    ui.collapsing("Step sweep", |ui| {
        egui::ComboBox::new("sweep sampler", "sampler")
            .selected_text(draft.sweep_sampler.label())
            .show_ui(ui, |ui| {
                for choice in SamplerChoice::ALL {
                    ui.selectable_value(&mut draft.sweep_sampler, choice, choice.label());
                }
            });
        ui.horizontal(|ui| {
            let steps = ui.label("steps");
            let edit = ui
                .add(egui::TextEdit::singleline(&mut panel.steps_text).desired_width(140.0))
                .labelled_by(steps.id);
            if edit.changed() {
                match parse_step_counts(&panel.steps_text) {
                    Ok(counts) => {
                        draft.sweep_steps = counts;
                        panel.steps_error = None;
                    }
                    Err(e) => panel.steps_error = Some(e),
                }
            }
            let seeds = ui.label("seeds");
            ui.add(egui::DragValue::new(&mut draft.sweep_seeds).range(1..=20))
                .labelled_by(seeds.id);
        });
        if let Some(e) = &panel.steps_error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        ui.add_enabled_ui(!running && panel.steps_error.is_none(), |ui| {
            if ui
                .button("Run sweep")
                .on_hover_text("final RMSD, TM-score and abnormal bonds per step count, with the sampler panel's denoiser and the noise panel's weights")
                .clicked()
            {
                commands.push(AppCommand::RunSweep);
            }
        });
        let Some(points) = points.filter(|p| !p.is_empty()) else {
            return;
        };
        let at = |p: &SweepPoint| (p.steps as f64).log10();
        let rmsd: Vec<[f64; 2]> = points
            .iter()
            .map(|p| [at(p), p.final_rmsd.max(1e-4).log10()])
            .collect();
        let tm: Vec<[f64; 2]> = points
            .iter()
            .filter_map(|p| p.tm_score.map(|t| [at(p), t]))
            .collect();
        let response = Plot::new("sweep")
            .id(super::plots::plot_id("sweep"))
            .height(140.0)
            .legend(Legend::default())
            .x_axis_label("log10 steps")
            .show(ui, |plot| {
                plot.points(Points::new("log10 final RMSD (Å)", PlotPoints::from(rmsd)).radius(3.0));
                plot.points(
                    Points::new("TM-score", PlotPoints::from(tm))
                        .radius(3.0)
                        .color(egui::Color32::LIGHT_GREEN),
                );
                (plot.response().clicked())
                    .then(|| plot.pointer_coordinate())
                    .flatten()
            });
        if let Some(click) = response.inner
            && let Some(p) = nearest(points, click.x)
        {
            commands.push(AppCommand::LoadSweepRun {
                steps: p.steps,
                seed: p.seed,
            });
        }
        let bonds = points
            .iter()
            .map(|p| format!("{} steps seed {}: {:.0}%", p.steps, p.seed, p.abnormal_bond_share * 100.0))
            .collect::<Vec<_>>()
            .join(" · ");
        ui.weak(format!("abnormal bonds: {bonds}"));
    });
    commands
}

/// The point whose step count is nearest `log10_steps` (the first seed of it).
fn nearest(points: &[SweepPoint], log10_steps: f64) -> Option<&SweepPoint> {
    points.iter().min_by(|a, b| {
        let d = |p: &SweepPoint| ((p.steps as f64).log10() - log10_steps).abs();
        d(a).total_cmp(&d(b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_counts_parse_or_name_what_does_not() {
        assert_eq!(parse_step_counts(" 5, 10,200 "), Ok(vec![5, 10, 200]));
        let e = parse_step_counts("5, ten").unwrap_err();
        assert!(e.contains("\"ten\""), "{e}");
        assert!(parse_step_counts("0").is_err() && parse_step_counts("").is_err());
    }
}
