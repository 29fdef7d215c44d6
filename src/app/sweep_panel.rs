//! The step-sweep panel: the sampler to sweep, its step counts and seeds, and the final RMSD and
//! TM-score of every run (one point per steps and seed); a click on a point loads that run.

use eframe::egui;
use egui_plot::{Legend, Plot, PlotPoints, Points};

use super::command::AppCommand;
use super::settings::{SamplerChoice, Settings};
use crate::trajectory::SweepPoint;

/// The panel; edits `draft` and returns what was asked for.
pub fn sweep_ui(
    ui: &mut egui::Ui,
    draft: &mut Settings,
    points: Option<&[SweepPoint]>,
    running: bool,
) -> Vec<AppCommand> {
    let mut commands = Vec::new();
    ui.collapsing("Step sweep", |ui| {
        egui::ComboBox::new("sweep sampler", "sampler")
            .selected_text(draft.sweep_sampler.label())
            .show_ui(ui, |ui| {
                for (choice, label) in SamplerChoice::ALL {
                    ui.selectable_value(&mut draft.sweep_sampler, choice, label);
                }
            });
        ui.horizontal(|ui| {
            let steps = ui.label("steps");
            ui.add(egui::TextEdit::singleline(&mut draft.sweep_steps).desired_width(140.0))
                .labelled_by(steps.id);
            let seeds = ui.label("seeds");
            ui.add(egui::DragValue::new(&mut draft.sweep_seeds).range(1..=20))
                .labelled_by(seeds.id);
        });
        ui.add_enabled_ui(!running, |ui| {
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
