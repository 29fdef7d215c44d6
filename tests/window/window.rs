//! The debugger window under egui_kittest on the software adapter: boot, step, scrub, weights and
//! diagnosis, load errors, and one full-window snapshot. `UPDATE_SNAPSHOTS=1` rewrites the snapshot.

#![expect(clippy::unwrap_used)]

use crate::common;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use sigmascope::app::{AppCommand, DialogBackend, FileDialogs, SigmascopeApp};
use sigmascope::compute::ComputeDevice;
use sigmascope::structure::{LoadOptions, default_structure};

const WIDTH: f32 = 1280.0;
const HEIGHT: f32 = 800.0;

/// One compute device for every app in this binary: burn's CPU backend (the renderer uses kittest's wgpu).
fn compute() -> ComputeDevice {
    static CPU: OnceLock<ComputeDevice> = OnceLock::new();
    CPU.get_or_init(ComputeDevice::cpu).clone()
}

fn harness() -> Option<Harness<'static, SigmascopeApp>> {
    harness_with(false)
}

/// The harness; `allow_missing_glyphs` for egui_file's dialog, whose file and folder icons egui's
/// fonts do not have.
fn harness_with(allow_missing_glyphs: bool) -> Option<Harness<'static, SigmascopeApp>> {
    if sigmascope::compute::open_wgpu_device().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have a wgpu adapter"
        );
        eprintln!("skipped: no wgpu adapter");
        return None;
    }
    let structure = default_structure().load(&LoadOptions::default()).unwrap();
    let mut builder = Harness::builder();
    if allow_missing_glyphs {
        builder = builder.allow_missing_glyphs();
    }
    let mut h = builder
        .with_size(eframe::egui::vec2(WIDTH, HEIGHT))
        .with_options(common::kittest_options(WIDTH, HEIGHT))
        .wgpu()
        .build_eframe(move |cc| SigmascopeApp::with_compute(cc, structure, Some(compute())));
    h.run_steps(3);
    Some(h)
}

/// Sets the sampler's step count as the panel's drag value does.
fn set_steps(h: &mut Harness<'static, SigmascopeApp>, steps: usize) {
    let mut settings = h.state().state().settings().clone();
    settings.steps = steps;
    h.state_mut()
        .apply(AppCommand::UpdateSettings(Box::new(settings)));
}

/// Steps the UI until `done` holds or 60 s pass (the sampler runs in a worker thread).
fn wait_for(h: &mut Harness<'static, SigmascopeApp>, done: impl Fn(&SigmascopeApp) -> bool) {
    let start = Instant::now();
    while !done(h.state()) || h.state().state().is_busy() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for the worker"
        );
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    h.run_steps(2);
}

#[test]
fn boots_on_the_default_structure_with_its_counts() {
    let Some(h) = harness() else { return };
    assert_eq!(h.state().state().structure().name, "4hhb");
    h.get_by_label("4558 atoms, 580 residues, 4 chains");
    h.get_by_label("Step");
}

#[test]
fn step_adds_a_frame_and_scrubbing_shows_the_same_scene() {
    let Some(mut h) = harness() else { return };
    set_steps(&mut h, 6);
    // The camera stays put (following the frames it would still be easing when the scene is compared).
    let mut settings = h.state().state().settings().clone();
    settings.camera_lock = true;
    h.state_mut()
        .apply(AppCommand::UpdateSettings(Box::new(settings)));
    h.get_by_label("Step").click();
    wait_for(&mut h, |a| a.state().run().frames.len() == 2);
    assert_eq!(h.state().state().timeline().frame_count, 2);
    assert_eq!(h.state().state().run().metrics.len(), 2);
    h.get_by_label("Step").click();
    wait_for(&mut h, |a| a.state().run().frames.len() == 3);
    assert_eq!(h.state().state().timeline().frame_count, 3);
    assert_eq!(h.state().state().run().metrics.len(), 3);

    let at_last = h.state().state().scene_text();
    h.get_by_label("|<").click();
    h.run_steps(2);
    assert_eq!(h.state().state().timeline().current, 0);
    let at_first = h.state().state().scene_text();
    assert_ne!(at_first, at_last, "frame 0 is the noisy start");
    h.get_by_label(">|").click();
    h.run_steps(2);
    assert_eq!(h.state().state().timeline().current, 2);
    assert_eq!(
        h.state().state().scene_text(),
        at_last,
        "scrubbing back shows the same scene"
    );
}

fn finding_with(app: &SigmascopeApp, start: &str) -> String {
    app.state()
        .findings()
        .into_iter()
        .map(|f| f.finding.text)
        .find(|t| t.starts_with(start))
        .unwrap()
}

#[test]
fn weights_preset_changes_expected_ratio_and_diagnosis() {
    let Some(mut h) = harness() else { return };
    let before = finding_with(h.state(), "Independent residue noise");
    assert!(
        before.contains("38%")
            && before.contains("0.95")
            && before.contains("move with their chain"),
        "{before}"
    );
    h.get_by_label("expected residue/atom ratio 0.95");
    h.get_by_label("weights").click();
    h.run_steps(2);
    h.get_by_label("rebalanced").click();
    h.run_steps(3);
    // The closed form over 4HHB's residues: sqrt((w_c + w_r + w_a mean(1/n_r)) / w_sum) for (1, 4, 4).
    let s = h.state().state().structure();
    let mean_inverse = s
        .atoms_per_residue()
        .iter()
        .map(|&n| 1.0 / n as f64)
        .sum::<f64>()
        / s.residue_count() as f64;
    let ratio = format!("{:.2}", ((1.0 + 4.0 + 4.0 * mean_inverse) / 9.0f64).sqrt());
    let after = finding_with(h.state(), "Independent residue noise");
    assert!(
        after.contains("67%") && after.contains(&ratio),
        "{after} vs {ratio}"
    );
    assert_ne!(after, before);
    h.get_by_label(&format!("expected residue/atom ratio {ratio}"));
}

#[test]
fn a_load_error_is_shown_and_the_structure_kept() {
    let Some(mut h) = harness() else { return };
    let bad = std::env::temp_dir().join(format!("sigmascope-app-{}-bad.pdb", std::process::id()));
    std::fs::write(&bad, "this is not a structure\n").unwrap();
    h.state_mut().apply(AppCommand::Open(bad.clone()));
    wait_for(&mut h, |_| true);
    assert_eq!(h.state().state().structure().name, "4hhb");
    let error = h.state().state().load_error().unwrap().to_owned();
    assert!(error.contains("bad.pdb"), "{error}");
    h.get_by_label(&error);
    std::fs::remove_file(bad).unwrap();
}

#[test]
fn full_window_snapshot_after_a_few_steps() {
    let Some(mut h) = harness() else { return };
    set_steps(&mut h, 8);
    h.get_by_label("Run to end").click();
    wait_for(&mut h, |a| a.state().run().frames.len() == 9);
    h.run_steps(3);
    common::require_golden(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/app_window.png"),
    );
    h.snapshot("app_window");
}

#[test]
fn switching_structure_during_a_run_drops_its_frames() {
    let Some(mut h) = harness() else { return };
    set_steps(&mut h, 200);
    h.get_by_label("Run to end").click();
    h.run_steps(2);
    h.get_by_label("1crn").click();
    wait_for(&mut h, |a| !a.state().is_busy());
    h.run_steps(3);
    assert_eq!(h.state().state().structure().name, "1crn");
    assert_eq!(
        h.state().state().run().frames.len(),
        0,
        "frames of the 4HHB run must not land on 1CRN"
    );
    h.get_by_label("Step").click();
    wait_for(&mut h, |a| a.state().run().frames.len() == 2);
    assert_eq!(h.state().state().run().metrics.len(), 2);
}

#[test]
fn a_focused_residue_is_outlined_until_cleared() {
    let Some(mut h) = harness() else { return };
    let residue = 42;
    h.state_mut().apply(AppCommand::FocusResidue(residue));
    h.run_steps(2);
    assert!(
        h.state()
            .state()
            .scene_text()
            .contains("outline: 12 segments")
    );
    let r = &h.state().state().structure().residues[residue];
    let label = format!(
        "heat-map residue {} {} (chain {}), outlined",
        r.name,
        r.label(),
        h.state().state().structure().chains[r.chain as usize].id
    );
    h.get_by_label(&label);
    h.get_by_label("×").click();
    h.run_steps(2);
    assert!(!h.state().state().scene_text().contains("outline"));
    assert!(h.query_by_label(&label).is_none());
    // Out of range: ignored.
    let past = h.state().state().structure().residue_count();
    h.state_mut().apply(AppCommand::FocusResidue(past));
    h.run_steps(1);
    assert!(!h.state().state().scene_text().contains("outline"));
}

#[test]
fn a_file_that_cannot_be_opened_keeps_the_structure_and_says_why() {
    let Some(mut h) = harness() else { return };
    let bad = common::scratch("bad-open").join("broken.pdb");
    std::fs::write(&bad, "MODEL 1\nATOM      1  N   ALA A   1       1.000\n").unwrap();
    h.state_mut().apply(AppCommand::Open(bad.clone()));
    wait_for(&mut h, |_| true);
    assert_eq!(
        h.state().state().structure().name,
        "4hhb",
        "the current structure stays"
    );
    let message = h.state().state().load_error().unwrap().to_owned();
    assert!(
        message.contains("broken.pdb") && message.contains("too short"),
        "{message}"
    );
    h.get_by_label(&message);
    // A startup error (`sigmascope FILE` with a bad FILE) is shown the same way.
    h.state_mut().apply(AppCommand::ShowLoadError(
        "cannot read missing.pdb: not found".to_owned(),
    ));
    h.run_steps(2);
    h.get_by_label("cannot read missing.pdb: not found");
}

/// The bounds the heat map was last drawn with.
fn heatmap_bounds(h: &Harness<'static, SigmascopeApp>) -> egui_plot::PlotBounds {
    *egui_plot::PlotMemory::load(&h.ctx, sigmascope::app::plot_id("heatmap"))
        .expect("the heat map was drawn")
        .bounds()
}

#[test]
fn plots_fit_their_data_when_it_arrives_and_when_it_changes() {
    // After a run on 1IGY the heat map showed an empty range until double-clicked: every plot is reset to
    // its data when a run starts or a frame arrives, and the heat map has one row per residue.
    let Some(mut h) = harness() else { return };
    let covers = |b: &egui_plot::PlotBounds, rows: f64, frames: f64| {
        b.min()[1] <= 1e-6
            && b.max()[1] >= rows - 1e-6
            && b.min()[0] <= 1e-6
            && b.max()[0] >= frames - 1e-6
    };
    set_steps(&mut h, 4);
    h.get_by_label("Run to end").click();
    wait_for(&mut h, |a| a.state().run().frames.len() == 5);
    h.run_steps(3);
    assert_eq!(h.state().heatmap_rows(), Some(580), "4HHB has 580 residues");
    let b = heatmap_bounds(&h);
    assert!(covers(&b, 580.0, 5.0), "{b:?}");
    assert!(b.max()[1] < 700.0, "{b:?}");
    h.get_by_label("1crn").click();
    wait_for(&mut h, |a| !a.state().is_busy());
    h.get_by_label("Run to end").click();
    wait_for(&mut h, |a| a.state().run().frames.len() == 5);
    h.run_steps(3);
    assert_eq!(h.state().heatmap_rows(), Some(46), "1CRN has 46 residues");
    let b = heatmap_bounds(&h);
    assert!(covers(&b, 46.0, 5.0), "{b:?}");
    assert!(
        b.max()[1] < 100.0,
        "refitted to 1CRN's rows, not 4HHB's: {b:?}"
    );
}

#[test]
fn the_in_window_file_dialog_opens_a_file_and_writes_an_export() {
    // Without an XDG desktop portal rfd returns nothing; the in-window dialog must do the whole job.
    let Some(mut h) = harness_with(true) else {
        return;
    };
    h.state_mut()
        .set_file_dialogs(FileDialogs::new(DialogBackend::InWindow, "test"));
    let dir = common::scratch("in-window-dialog");
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    std::fs::copy(assets.join("1crn.pdb"), dir.join("first.pdb")).unwrap();
    std::fs::copy(assets.join("1l2y.pdb"), dir.join("second.pdb")).unwrap();
    // Dialogs start in the folder of the structure on screen.
    h.state_mut().apply(AppCommand::Open(dir.join("first.pdb")));
    wait_for(&mut h, |_| true);
    assert!(
        h.state()
            .status_line()
            .contains("file dialog: in-window (test)")
    );
    h.get_by_label("Open…").click();
    h.run_steps(3);
    assert!(h.state().file_dialogs().is_open());
    h.get_by_label("🗋 second.pdb").click();
    h.run_steps(2);
    h.get_by_label("Open").click();
    h.run_steps(3);
    wait_for(&mut h, |_| true);
    assert!(!h.state().file_dialogs().is_open());
    assert_eq!(
        h.state().state().structure().source_path.as_deref(),
        Some(dir.join("second.pdb").as_path())
    );
    // An export through the same dialog: the suggested name in the structure's folder.
    set_steps(&mut h, 2);
    h.get_by_label("Run to end").scroll_to_me();
    h.run_steps(2);
    h.get_by_label("Run to end").click_accesskit();
    wait_for(&mut h, |a| a.state().run().frames.len() == 3);
    // The export buttons sit below the fold of the left panel.
    h.get_by_label("plots CSV…").scroll_to_me();
    h.run_steps(2);
    h.get_by_label("plots CSV…").click_accesskit();
    h.run_steps(3);
    assert!(
        h.state().file_dialogs().is_open(),
        "{:?}",
        h.state().state().status()
    );
    h.get_by_label("Save").click();
    h.run_steps(3);
    wait_for(&mut h, |_| true);
    let written = dir.join(format!(
        "{}_metrics.csv",
        h.state().state().structure().name
    ));
    let text = std::fs::read_to_string(&written).unwrap();
    assert_eq!(text.lines().count(), 4, "a header and three frames: {text}");
}

#[test]
fn the_train_panel_trains_a_model_that_the_sampler_panel_offers() {
    let Some(mut h) = harness() else { return };
    let index = sigmascope::structure::BUNDLED
        .iter()
        .position(|b| b.name == "1crn")
        .unwrap();
    h.state_mut().apply(AppCommand::OpenBundled(index));
    let out = common::scratch("app-train").join("panel.mpk");
    let mut settings = h.state().state().settings().clone();
    settings.train_steps = 3;
    h.state_mut()
        .apply(AppCommand::UpdateSettings(Box::new(settings)));
    h.run_steps(2);
    // The panel sits below the fold of the left panel.
    h.get_by_label("Train a denoiser").scroll_to_me();
    h.run_steps(2);
    h.get_by_label("Train a denoiser").click_accesskit();
    h.run_steps(3);
    // The checkpoint goes where the "save to" field says.
    h.get_by_label("save to").scroll_to_me();
    h.run_steps(2);
    h.get_by_label("save to").focus();
    h.run_steps(1);
    h.get_by_label("save to").type_text(&out.to_string_lossy());
    h.run_steps(2);
    assert_eq!(
        h.state().state().settings().train_out.as_deref(),
        Some(out.as_path())
    );
    h.get_by_label("Train").scroll_to_me();
    h.run_steps(2);
    h.get_by_label("Train").click_accesskit();
    h.run_steps(2);
    wait_for(&mut h, |a| {
        a.state().training().is_some_and(|t| t.header.is_some())
    });
    assert!(out.is_file(), "{:?}", h.state().state().status());
    // The per-σ report's table and the sampler panel's new choice are on screen.
    h.get_by_label("|grad|");
    h.get_by_label("learned (panel.mpk)");
}

#[test]
fn frames_computed_on_the_view_device_are_drawn_from_gpu_memory() {
    if sigmascope::compute::open_wgpu_device().is_err() {
        return;
    }
    // The window's own wgpu setup and no compute device given: burn computes on the view's device, as
    // the window does on a GPU.
    let structure = default_structure().load(&LoadOptions::default()).unwrap();
    let setup = sigmascope::app::native_options().wgpu_options.wgpu_setup;
    let mut h = Harness::builder()
        .with_size(eframe::egui::vec2(WIDTH, HEIGHT))
        .with_options(common::kittest_options(WIDTH, HEIGHT))
        .wgpu_setup(setup)
        .build_eframe(move |cc| SigmascopeApp::with_compute(cc, structure, None));
    h.run_steps(3);
    assert_ne!(
        h.state().state().compute().kind,
        sigmascope::compute::ComputeKind::Cpu
    );
    let view_after_run = |h: &mut Harness<'static, SigmascopeApp>| {
        set_steps(h, 5);
        h.get_by_label("Run to end").click();
        wait_for(h, |a| a.state().run().frames.len() == 6);
        h.state_mut().apply(AppCommand::Timeline(
            sigmascope::app::TimelineCommand::SetFrameClamped(3),
        ));
        h.run_steps(3);
        (h.render().unwrap().into_raw(), h.state().status_line())
    };
    let (from_device, status) = view_after_run(&mut h);
    assert!(h.state().state().draws_frame_from_device(), "{status}");
    assert!(status.contains("frame drawn from GPU memory"), "{status}");
    // The same run (same seed, same device) with its atoms uploaded draws the same window.
    h.state_mut().keep_frames_on_device(0);
    wait_for(&mut h, |a| a.state().run().frames.len() == 1);
    let (uploaded, status) = view_after_run(&mut h);
    assert!(!h.state().state().draws_frame_from_device(), "{status}");
    common::compare_images(&from_device, &uploaded).unwrap();
    // And a frame apart is not the same window: the comparison sees the atoms.
    h.state_mut().apply(AppCommand::Timeline(
        sigmascope::app::TimelineCommand::SetFrameClamped(0),
    ));
    h.run_steps(3);
    assert!(common::compare_images(&h.render().unwrap().into_raw(), &uploaded).is_err());
}

/// Space toggles play, except while a text field has the keyboard: a space typed into the external
/// denoiser's command is the command's, and the run does not start playing.
#[test]
fn timeline_keys_leave_a_focused_text_field_alone() {
    let Some(mut h) = harness() else { return };
    set_steps(&mut h, 6);
    for frames in [2, 3] {
        h.get_by_label("Step").click();
        wait_for(&mut h, |a| a.state().run().frames.len() == frames);
    }
    h.key_press(eframe::egui::Key::Space);
    h.run_steps(2);
    assert!(h.state().state().timeline().playing, "space plays");
    h.key_press(eframe::egui::Key::Space);
    h.run_steps(2);
    assert!(!h.state().state().timeline().playing, "space pauses");

    let command = h.state().state().settings().external_command.clone();
    let field = |node: &egui_kittest::kittest::AccessKitNode<'_>| {
        node.role() == eframe::egui::Role::TextInput && node.value().as_deref() == Some(&command)
    };
    h.get_by(field).focus();
    h.run_steps(1);
    h.key_press(eframe::egui::Key::Space);
    h.get_by(field).type_text(" ");
    h.run_steps(2);
    assert!(
        !h.state().state().timeline().playing,
        "a space typed into a text field toggled play"
    );
    assert_eq!(
        h.state().state().settings().external_command,
        format!("{command} "),
        "the space went to the field"
    );
}
