//! The timeline panel: the scrubber with σ ticks at each power of ten, play and pause, steps, first and
//! last, loop mode and fps, and the keys (which leave a focused text field alone). It only returns
//! timeline commands; `TimeControl` applies them.

use eframe::egui;

use super::command::AppCommand;
use super::panel::Panel;
use super::settings::Settings;
use super::state::AppState;
use super::timeline::{LoopMode, TimeControl, TimelineCommand};
use crate::sampler::SubStep;

/// The frames where sigma drops below a power of ten, with that power (Å); none for a final 0.
fn sigma_decade_crossings(sigmas: &[f64]) -> Vec<(usize, f64)> {
    let decade = |s: f64| {
        if s > 0.0 {
            s.log10().floor() as i32
        } else {
            i32::MIN
        }
    };
    sigmas
        .windows(2)
        .enumerate()
        .filter(|(_, pair)| decade(pair[0]) != decade(pair[1]) && pair[1] > 0.0)
        .map(|(k, pair)| (k + 1, 10f64.powi(decade(pair[0]))))
        .collect()
}

/// Ticks under the scrubber's rail where sigma crosses a power of ten (…, 100, 10, 1, 0.1 Å).
fn sigma_ticks(ui: &egui::Ui, rect: egui::Rect, sigmas: &[f64]) {
    if sigmas.len() < 2 {
        return;
    }
    let rail_width = ui.spacing().slider_width;
    let inset = rect.height() * 0.5;
    let last = (sigmas.len() - 1) as f32;
    let painter = ui.painter();
    for (frame, _) in sigma_decade_crossings(sigmas) {
        let x = rect.left() + inset + frame as f32 / last * (rail_width - 2.0 * inset);
        painter.line_segment(
            [
                egui::pos2(x, rect.bottom() - 4.0),
                egui::pos2(x, rect.bottom()),
            ],
            egui::Stroke::new(1.0, ui.visuals().weak_text_color()),
        );
    }
}

/// The scrubber's hover text: which tick is which power of ten.
fn sigma_ticks_hover(sigmas: &[f64]) -> String {
    let crossings = sigma_decade_crossings(sigmas);
    if crossings.is_empty() {
        return "ticks mark where sigma crosses a power of ten".to_owned();
    }
    let list: Vec<String> = crossings
        .iter()
        .map(|(frame, power)| format!("frame {frame}: below {}", format_power(*power)))
        .collect();
    format!(
        "ticks mark where sigma crosses a power of ten\n{}",
        list.join("\n")
    )
}

/// 1000 Å, 10 Å, 0.01 Å: powers of ten without trailing zeros.
fn format_power(power: f64) -> String {
    if power >= 1.0 {
        format!("{power:.0} Å")
    } else {
        format!("{} Å", format!("{power:.6}").trim_end_matches('0'))
    }
}

/// The timeline panel (no state of its own: `TimeControl` is the state's).
pub struct TimelinePanel;

impl Panel for TimelinePanel {
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, _: &mut Settings) -> Vec<AppCommand> {
        let sigmas: Vec<f64> = state.run().frames.iter().map(|f| f.sigma).collect();
        let sub = state.timeline().sub.and_then(|kind| {
            let frame = state.run().frames.get(state.timeline().current)?;
            Some((kind, frame.substep_sigma(kind)?))
        });
        timeline_ui(ui, state.timeline(), &sigmas, sub)
            .into_iter()
            .map(AppCommand::Timeline)
            .collect()
    }
}

/// Timeline: scrubber with sigma ticks, play/pause, step, first/last, loop mode, fps.
fn timeline_ui(
    ui: &mut egui::Ui,
    t: &TimeControl,
    frame_sigmas: &[f64],
    sub: Option<(SubStep, f64)>,
) -> Vec<TimelineCommand> {
    let mut commands = Vec::new();
    let sigma = frame_sigmas.get(t.current).copied();
    ui.horizontal(|ui| {
        if ui.button("|<").on_hover_text("first (Home)").clicked() {
            commands.push(TimelineCommand::First);
        }
        if ui.button("<").on_hover_text("back (←)").clicked() {
            commands.push(TimelineCommand::StepBack);
        }
        let play = if t.playing { "Pause" } else { "Play" };
        if ui
            .button(play)
            .on_hover_text("play / pause (Space)")
            .clicked()
        {
            commands.push(TimelineCommand::TogglePlayPause);
        }
        if ui.button(">").on_hover_text("forward (→)").clicked() {
            commands.push(TimelineCommand::StepForward);
        }
        if ui.button(">|").on_hover_text("last (End)").clicked() {
            commands.push(TimelineCommand::Last);
        }
        let mut frame = t.current;
        let last = t.frame_count.saturating_sub(1);
        ui.add_enabled_ui(t.frame_count > 1, |ui| {
            ui.spacing_mut().slider_width = 320.0;
            let response = ui
                .add(egui::Slider::new(&mut frame, 0..=last.max(1)).text("frame"))
                .on_hover_text(sigma_ticks_hover(frame_sigmas));
            if response.changed() {
                commands.push(TimelineCommand::SetFrameClamped(frame));
            }
            sigma_ticks(ui, response.rect, frame_sigmas);
        });
        ui.label(format!("{} frames", t.frame_count));
        match (sub, sigma) {
            (Some((kind, s)), _) => {
                ui.strong(format!("{} · sigma {s:.4} Å", kind.label()));
            }
            (None, Some(s)) => {
                ui.label(format!("sigma {s:.4} Å"));
            }
            (None, None) => {}
        }
        let mut mode = t.loop_mode;
        egui::ComboBox::new("loop mode", "at the end")
            .selected_text(format!("{mode:?}"))
            .show_ui(ui, |ui| {
                for m in [LoopMode::Loop, LoopMode::Once, LoopMode::Bounce] {
                    ui.selectable_value(&mut mode, m, format!("{m:?}"));
                }
            });
        if mode != t.loop_mode {
            commands.push(TimelineCommand::SetLoopMode(mode));
        }
        let mut fps = t.fps;
        if ui
            .add(
                egui::DragValue::new(&mut fps)
                    .range(0.5..=120.0)
                    .suffix(" fps"),
            )
            .changed()
        {
            commands.push(TimelineCommand::SetFps(fps));
        }
        playback_direction_ui(ui, t, &mut commands);
    });
    if !text_field_has_focus(ui.ctx()) {
        commands.extend(timeline_keys(ui, t));
    }
    commands
}

/// The timeline's keys pressed this frame, as commands.
fn timeline_keys(ui: &egui::Ui, t: &TimeControl) -> Vec<TimelineCommand> {
    ui.input(|i| {
        let mut k = Vec::new();
        if i.key_pressed(egui::Key::Space) {
            k.push(TimelineCommand::TogglePlayPause);
        }
        if i.key_pressed(egui::Key::ArrowLeft) {
            k.push(TimelineCommand::StepBack);
        }
        if i.key_pressed(egui::Key::ArrowRight) {
            k.push(TimelineCommand::StepForward);
        }
        if i.key_pressed(egui::Key::Home) {
            k.push(TimelineCommand::First);
        }
        if i.key_pressed(egui::Key::End) {
            k.push(TimelineCommand::Last);
        }
        if i.key_pressed(egui::Key::R) {
            k.push(TimelineCommand::SetReverse(!t.reverse));
        }
        k
    })
}

/// The keys of the window, as the help lists them.
pub const KEYS: [(&str, &str); 9] = [
    ("Space", "play / pause"),
    ("Left / Right", "one frame (or sub-step) back / forward"),
    ("Home / End", "first / last frame"),
    ("R", "play in reverse / forward"),
    ("drag", "orbit the camera"),
    ("right or middle drag", "pan"),
    ("scroll", "zoom"),
    ("double-click an atom", "centre on it"),
    ("F1 or ?", "this help"),
];

/// Reverse, stride and the keys' help.
fn playback_direction_ui(ui: &mut egui::Ui, t: &TimeControl, commands: &mut Vec<TimelineCommand>) {
    let mut reverse = t.reverse;
    if ui
        .checkbox(&mut reverse, "reverse")
        .on_hover_text("play from the last frame toward the first (R)")
        .changed()
    {
        commands.push(TimelineCommand::SetReverse(reverse));
    }
    let mut stride = t.stride;
    if ui
        .add(
            egui::DragValue::new(&mut stride)
                .range(1..=1000)
                .prefix("stride "),
        )
        .on_hover_text("frames advanced per tick while playing; the ends are always shown")
        .changed()
    {
        commands.push(TimelineCommand::SetStride(stride));
    }
    let mut substeps = t.show_substeps;
    if ui
        .checkbox(&mut substeps, "sub-steps")
        .on_hover_text(
            "step through each step's churned state x̂ (at t̂, what the denoiser saw) and, for Heun \
             and Chai-1, the second-order point x_E (at σ_next) before its frame; runs started with \
             this on record the second-order points",
        )
        .changed()
    {
        commands.push(TimelineCommand::SetSubsteps(substeps));
    }
    let help_id = egui::Id::unique("keys help");
    let mut open = ui.data(|d| d.get_temp::<bool>(help_id).unwrap_or(false));
    let pressed = !text_field_has_focus(ui.ctx())
        && ui.input(|i| {
            i.key_pressed(egui::Key::F1)
                || i.events
                    .iter()
                    .any(|e| matches!(e, egui::Event::Text(t) if t == "?"))
        });
    if ui.button("?").on_hover_text("keys (F1)").clicked() || pressed {
        open = !open;
    }
    egui::Window::new("Keys")
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .show(ui.ctx(), |ui| {
            egui::Grid::new("keys grid").show(ui, |ui| {
                for (key, what) in KEYS {
                    ui.strong(key);
                    ui.label(what);
                    ui.end_row();
                }
            });
        });
    ui.data_mut(|d| d.insert_temp(help_id, open));
}

/// Whether a text field (or a number being typed into) has the keyboard: the timeline's keys are then
/// the field's own, so a space typed into a command does not toggle play.
fn text_field_has_focus(ctx: &egui::Context) -> bool {
    ctx.memory(|m| m.focused())
        .is_some_and(|id| egui::text_edit::TextEditState::load(ctx, id).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decade_crossings_name_the_frame_and_the_power_passed() {
        let sigmas = [2560.0, 766.9, 178.6, 28.3, 2.3, 0.04, 0.0];
        assert_eq!(
            sigma_decade_crossings(&sigmas),
            vec![(1, 1000.0), (3, 100.0), (4, 10.0), (5, 1.0)]
        );
        let hover = sigma_ticks_hover(&sigmas);
        assert!(hover.contains("frame 1: below 1000 Å"), "{hover}");
        assert!(hover.contains("frame 5: below 1 Å"), "{hover}");
        assert_eq!(format_power(0.01), "0.01 Å");
    }
}
