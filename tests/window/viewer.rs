//! The viewer for diffusion frames: colours that read before a run, a camera that follows the frames
//! (and a lock), playback direction and stride, and the keys' help, as a user drives them.

#![expect(clippy::unwrap_used)]

use crate::common;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use sigmascope::app::{AppCommand, AppState, Settings, SigmascopeApp, TimelineCommand};
use sigmascope::render::ColorMode;
use sigmascope::structure::{LoadOptions, default_structure};

fn state(steps: usize) -> AppState {
    let structure = default_structure().load(&LoadOptions::default()).unwrap();
    let settings = Settings {
        steps,
        ..Settings::default()
    };
    AppState::new(structure, settings, common::cpu().clone(), || {})
}

#[test]
fn displacement_colours_wait_for_a_run_that_moves() {
    let mut s = state(4);
    assert_eq!(s.settings().color_by, ColorMode::DisplacementResidue);
    assert_eq!(
        s.shown_color_mode(),
        ColorMode::Chain,
        "nothing has moved yet"
    );
    s.apply(AppCommand::Step(4));
    common::settle(&mut s);
    assert!(s.run().frames.len() > 1);
    assert_eq!(s.shown_color_mode(), ColorMode::DisplacementResidue);
    assert!(
        s.scene().0.legend.is_some(),
        "the palette's scale is on screen"
    );
}

#[test]
fn the_camera_follows_the_frames_unless_locked() {
    let mut s = state(6);
    s.apply(AppCommand::Step(6));
    common::settle(&mut s);
    for _ in 0..60 {
        s.tick(0.05);
    }
    let clean = s.camera().distance;
    // Back to the noisiest frame: the camera eases out to take in its cloud, without a jump.
    s.apply(AppCommand::Timeline(TimelineCommand::First));
    s.tick(0.016);
    let first_tick = s.camera().distance;
    for _ in 0..60 {
        s.tick(0.05);
    }
    let noisy = s.camera().distance;
    let fitted = s
        .camera()
        .fitted_to(s.scene().0.center, s.scene().0.radius, 1.5);
    assert!(noisy > 3.0 * clean, "{noisy} vs {clean}");
    assert!((noisy - fitted.distance).abs() < 1e-3 * fitted.distance);
    assert!(
        first_tick > clean && first_tick < noisy,
        "eased: {clean} < {first_tick} < {noisy}"
    );
    // Locked, scrubbing leaves the camera where it is.
    let mut settings = s.settings().clone();
    settings.camera_lock = true;
    s.apply(AppCommand::UpdateSettings(Box::new(settings)));
    s.apply(AppCommand::Timeline(TimelineCommand::Last));
    for _ in 0..20 {
        s.tick(0.05);
    }
    assert_eq!(s.camera().distance, noisy);
}

fn harness() -> Option<Harness<'static, SigmascopeApp>> {
    let compute = common::wgpu_or_skip()?;
    let structure = default_structure().load(&LoadOptions::default()).unwrap();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .wgpu()
        .build_eframe(move |cc| SigmascopeApp::with_compute(cc, structure, Some(compute)));
    h.run_steps(3);
    Some(h)
}

#[test]
fn reverse_stride_and_the_keys_help_are_controls() {
    let Some(mut h) = harness() else { return };
    h.get_by_label("reverse").click();
    h.run_steps(2);
    assert!(h.state().state().timeline().reverse);
    h.key_press(egui::Key::R);
    h.run_steps(2);
    assert!(
        !h.state().state().timeline().reverse,
        "R plays forward again"
    );
    h.state_mut()
        .apply(AppCommand::Timeline(TimelineCommand::SetStride(3)));
    h.run_steps(2);
    assert_eq!(h.state().state().timeline().stride, 3);
    h.get_by_label("?").click();
    h.run_steps(2);
    assert!(
        h.query_by_label("play / pause").is_some(),
        "the help lists the keys"
    );
    h.key_press(egui::Key::F1);
    h.run_steps(2);
    assert!(h.query_by_label("play / pause").is_none(), "F1 closes it");
}

/// The atoms' positions the view draws (the atoms layer's spheres, in atom order).
fn drawn(s: &AppState) -> Vec<[f32; 3]> {
    s.scene().0.opaque_spheres[..s.structure().atom_count()]
        .iter()
        .map(|a| a.position)
        .collect()
}

#[test]
fn hold_steady_and_the_network_view_change_what_is_drawn() {
    let mut s = state(6);
    s.apply(AppCommand::Step(6));
    common::settle(&mut s);
    s.apply(AppCommand::Timeline(TimelineCommand::SetFrameClamped(2)));
    let frame = s.run().frames[2].x_t_in_data();
    let truth = s.structure().positions.clone();
    let mut settings = s.settings().clone();
    settings.hold_steady = sigmascope::render::HoldSteady::Reference;
    s.apply(AppCommand::UpdateSettings(Box::new(settings.clone())));
    let held = drawn(&s);
    // Superposed onto the truth: the same RMSD as after superposition, the truth's centroid.
    let superposed = sigmascope::geometry::superposed_rmsd(&frame, &truth);
    assert!((common::rms_between(&held, &truth) - superposed).abs() < 1e-3 * superposed.max(1.0));
    // The network view scales the frame by σ_data/√(σ² + σ_data²).
    settings.hold_steady = sigmascope::render::HoldSteady::None;
    settings.network_view = true;
    s.apply(AppCommand::UpdateSettings(Box::new(settings)));
    let sigma = s.run().frames[2].sigma;
    let sigma_data = s.settings().preset.preset().schedule.sigma_data;
    let c = (sigma_data / (sigma * sigma + sigma_data * sigma_data).sqrt()) as f32;
    let scaled = drawn(&s);
    for (p, q) in scaled.iter().zip(&frame).take(50) {
        assert!((0..3).all(|k| (p[k] - q[k] * c).abs() < 1e-3 * q[k].abs().max(1.0)));
    }
}

#[test]
fn the_split_view_draws_the_state_and_the_prediction_with_one_camera() {
    let Some(mut h) = harness() else { return };
    four_steps_at_frame_one(&mut h, |_| {});
    assert!(
        h.state().state().prediction_scene().is_none(),
        "off by default"
    );
    h.get_by_label("x_t | x0_hat").click();
    h.run_steps(3);
    let s = h.state().state();
    let (prediction, _) = s.prediction_scene().expect("the right half's scene");
    let frame = &s.run().frames[1];
    let x0 = frame.x0_in_data().unwrap();
    let atoms = s.structure().atom_count();
    for (sphere, p) in prediction.opaque_spheres[..atoms].iter().zip(&x0).take(50) {
        assert!((0..3).all(|k| (sphere.position[k] - p[k]).abs() < 1e-4));
    }
    assert!(h.query_by_label_contains("x_t · 1/4").is_some());
    assert!(h.query_by_label_contains("x0_hat · 1/4").is_some());
}

/// Four steps with the camera locked and `change` applied to the settings, then frame 1 shown.
fn four_steps_at_frame_one(
    h: &mut Harness<'static, SigmascopeApp>,
    change: impl FnOnce(&mut Settings),
) {
    let mut settings = h.state().state().settings().clone();
    settings.steps = 4;
    settings.camera_lock = true;
    change(&mut settings);
    h.state_mut()
        .apply(AppCommand::UpdateSettings(Box::new(settings)));
    h.state_mut().apply(AppCommand::Step(4));
    let start = std::time::Instant::now();
    while h.state().state().run().frames.len() < 5 || h.state().state().is_busy() {
        assert!(start.elapsed() < std::time::Duration::from_secs(60));
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    h.state_mut()
        .apply(AppCommand::Timeline(TimelineCommand::SetFrameClamped(1)));
}

/// A small window on 1CRN after a short run, at frame 1, with `change` applied to the settings.
fn small_window_at_frame_one(
    change: impl FnOnce(&mut Settings),
) -> Option<Harness<'static, SigmascopeApp>> {
    let compute = common::wgpu_or_skip()?;
    let structure = sigmascope::structure::find_bundled("1crn")
        .unwrap()
        .load(&LoadOptions::default())
        .unwrap();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1100.0, 640.0))
        .with_options(common::kittest_options(1100.0, 640.0))
        .wgpu()
        .build_eframe(move |cc| SigmascopeApp::with_compute(cc, structure, Some(compute)));
    four_steps_at_frame_one(&mut h, change);
    h.state_mut().apply(AppCommand::FitCamera);
    h.run_steps(3);
    Some(h)
}

fn snapshot_of(name: &str, change: fn(&mut Settings)) {
    let Some(mut h) = small_window_at_frame_one(change) else {
        return;
    };
    common::require_golden(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("tests/snapshots/{name}.png")),
    );
    h.snapshot(name);
}

#[test]
fn split_view_snapshot() {
    snapshot_of("split_view", |s| s.split_view = true);
}

#[test]
fn network_view_snapshot() {
    snapshot_of("network_view", |s| s.network_view = true);
}

#[test]
fn a_selection_dims_hides_focuses_and_holds_steady_on_its_atoms() {
    let mut s = state(4);
    let mut settings = s.settings().clone();
    settings.selection = "chain A and resid 10-20".to_owned();
    settings.color_by = ColorMode::Element;
    s.apply(AppCommand::UpdateSettings(Box::new(settings.clone())));
    let mask = s.selected().unwrap();
    let st = s.structure();
    let want = (0..st.atom_count())
        .filter(|&a| {
            let r = &st.residues[st.atom_residue[a] as usize];
            st.chains[r.chain as usize].id == "A" && (10..=20).contains(&r.number)
        })
        .count();
    assert_eq!(mask.iter().filter(|&&k| k).count(), want);
    let outside = mask.iter().position(|&k| !k).unwrap();
    let inside = mask.iter().position(|&k| k).unwrap();
    let spheres = &s.scene().0.opaque_spheres;
    assert_ne!(
        spheres[outside].color, spheres[inside].color,
        "others dimmed"
    );
    settings.selection_hides_others = true;
    s.apply(AppCommand::UpdateSettings(Box::new(settings.clone())));
    assert_eq!(s.scene().0.opaque_spheres[outside].radius, 0.0);
    assert!(s.scene().0.opaque_spheres[inside].radius > 0.0);
    let whole = s.camera().distance;
    s.apply(AppCommand::FocusSelection);
    assert!(
        s.camera().distance < 0.5 * whole,
        "{} vs {whole}",
        s.camera().distance
    );
    // Held steady on the selection, the selected atoms of a frame sit on the reference's.
    s.apply(AppCommand::Step(4));
    common::settle(&mut s);
    s.apply(AppCommand::Timeline(TimelineCommand::SetFrameClamped(3)));
    settings.selection_hides_others = false;
    settings.hold_steady = sigmascope::render::HoldSteady::Reference;
    settings.selection_superposes = true;
    s.apply(AppCommand::UpdateSettings(Box::new(settings)));
    let frame = s.run().frames[3].x_t_in_data();
    let truth = s.structure().positions.clone();
    let pick = |p: &[[f32; 3]]| -> Vec<[f32; 3]> {
        p.iter()
            .zip(mask.iter())
            .filter(|(_, k)| **k)
            .map(|(p, _)| *p)
            .collect()
    };
    let drawn_selected = pick(&drawn(&s));
    let expected = sigmascope::geometry::superposed_onto(&pick(&frame), &pick(&truth));
    for (p, q) in drawn_selected.iter().zip(&expected) {
        assert!((0..3).all(|k| (p[k] - q[k]).abs() < 1e-2), "{p:?} vs {q:?}");
    }
}

#[test]
fn a_selection_that_cannot_be_read_is_one_line_under_the_box() {
    let Some(mut h) = harness() else { return };
    let field = |node: &egui_kittest::kittest::AccessKitNode<'_>| {
        node.role() == egui::Role::TextInput && node.value().as_deref() == Some("")
    };
    h.get_by(field).focus();
    h.run_steps(1);
    h.get_by(field).type_text("resid 5-x");
    h.run_steps(3);
    assert_eq!(h.state().state().settings().selection, "resid 5-x");
    let error = h.state().state().selection_error().unwrap().to_owned();
    assert!(
        error.contains("not a residue number") && !error.contains('\n'),
        "{error}"
    );
    assert!(h.query_by_label(&error).is_some(), "shown under the box");
}

#[test]
fn export_movie_writes_a_gif_of_the_view_off_the_ui_thread() {
    let Some(mut h) = harness() else { return };
    let mut settings = h.state().state().settings().clone();
    settings.steps = 3;
    h.state_mut()
        .apply(AppCommand::UpdateSettings(Box::new(settings)));
    h.state_mut().apply(AppCommand::Step(3));
    let wait = |h: &mut Harness<'static, SigmascopeApp>, done: &dyn Fn(&AppState) -> bool| {
        let start = std::time::Instant::now();
        while !done(h.state().state()) || h.state().state().is_busy() {
            assert!(start.elapsed() < std::time::Duration::from_secs(120));
            h.step();
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    };
    wait(&mut h, &|s| s.run().frames.len() == 4);
    assert!(
        h.state()
            .state()
            .can_export(sigmascope::app::ExportKind::MovieGif)
    );
    let dir = common::scratch("movie-export");
    let gif = dir.join("run.gif");
    h.state_mut().apply(AppCommand::Export(
        sigmascope::app::ExportKind::MovieGif,
        gif.clone(),
    ));
    wait(&mut h, &|_| true);
    let bytes = std::fs::read(&gif).unwrap();
    assert!(bytes.starts_with(b"GIF89a"));
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(std::io::Cursor::new(bytes)).unwrap();
    let mut frames = 0;
    while let Some(f) = decoder.read_next_frame().unwrap() {
        assert_eq!((f.width, f.height), (640, 480));
        frames += 1;
    }
    assert_eq!(frames, 4, "one picture per frame at stride 1");
}

#[test]
fn bonds_come_from_residue_templates_in_every_frame() {
    let mut s = state(3);
    s.apply(AppCommand::Step(3));
    common::settle(&mut s);
    s.apply(AppCommand::Timeline(TimelineCommand::First));
    let lines = s.scene().0.lines.len();
    let mut settings = s.settings().clone();
    settings.layers.bonds = true;
    s.apply(AppCommand::UpdateSettings(Box::new(settings)));
    let bonds = sigmascope::structure::template_bonds(s.structure());
    let scene = s.scene().0;
    assert_eq!(scene.lines.len(), lines + 2 * bonds.len());
    // In the noisiest frame a bond still joins its two atoms wherever the noise put them.
    let atoms = &scene.opaque_spheres;
    let first = &scene.lines[lines..lines + 2];
    let [a, b] = bonds[0];
    assert_eq!(first[0].position[..3], atoms[a as usize].position);
    assert_eq!(first[1].position[..3], atoms[b as usize].position);
}

#[test]
fn a_calpha_tube_follows_each_chain_after_the_atoms() {
    let mut s = state(3);
    let mut settings = s.settings().clone();
    settings.layers.tube = true;
    s.apply(AppCommand::UpdateSettings(Box::new(settings)));
    let st = s.structure();
    let segments: usize = st
        .chains
        .iter()
        .map(|c| {
            (c.residues.start..c.residues.end)
                .filter(|&r| {
                    let range = st.residues[r as usize].atoms.clone();
                    // Cα, or P for nucleic acids (4HHB's phosphate ions count as trace points too).
                    range
                        .into_iter()
                        .any(|a| ["CA", "P"].contains(&st.atom_names[a as usize].as_str()))
                })
                .count()
                .saturating_sub(1)
        })
        .sum();
    let spheres = &s.scene().0.opaque_spheres;
    assert_eq!(
        spheres.len(),
        st.atom_count() + 6 * segments,
        "six pieces a segment, after the atoms"
    );
    // The first piece of a chain sits on its first Cα.
    let ca = (0..st.atom_count())
        .find(|&a| st.atom_names[a] == "CA")
        .unwrap();
    assert_eq!(spheres[st.atom_count()].position, spheres[ca].position);
}

#[test]
fn sub_steps_show_the_churned_state_and_the_second_order_point_before_each_frame() {
    let Some(mut h) = harness() else { return };
    h.get_by_label("sub-steps").click();
    h.run_steps(2);
    assert!(h.state().state().timeline().show_substeps);
    four_steps_at_frame_one(&mut h, |s| {
        s.choose_preset(sigmascope::sampler::PresetName::Edm);
        s.split_view = true;
    });
    h.run_steps(2);
    let frame = h.state().state().run().frames[1].clone();
    assert!(frame.second_order.is_some(), "recorded with sub-steps on");
    // From frame 0, → goes to step 1's churned state, then its second-order point, then frame 1.
    h.state_mut()
        .apply(AppCommand::Timeline(TimelineCommand::First));
    let atoms = h.state().state().structure().atom_count();
    let mut seen = Vec::new();
    for _ in 0..3 {
        h.key_press(egui::Key::ArrowRight);
        h.run_steps(2);
        let s = h.state().state();
        seen.push((s.timeline().current, s.timeline().sub));
        let want = match s.timeline().sub {
            Some(kind) => frame.substep_frame(kind).unwrap().x_t_in_data(),
            None => frame.x_t_in_data(),
        };
        let got = drawn(s);
        let worst = got
            .iter()
            .zip(&want)
            .flat_map(|(a, b)| (0..3).map(move |k| (a[k] - b[k]).abs()))
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-3, "{:?}: drawn is off by {worst}", seen.last());
        assert_eq!(got.len(), atoms.min(want.len()));
    }
    use sigmascope::sampler::SubStep::{Churned, SecondOrder};
    assert_eq!(
        seen,
        [(1, Some(Churned)), (1, Some(SecondOrder)), (1, None)]
    );
    h.key_press(egui::Key::ArrowLeft);
    h.run_steps(2);
    let label = format!("second-order x_E of step 1/4 · σ {:.1} Å", frame.sigma);
    assert!(
        h.query_all_by_label_contains(&label).next().is_some(),
        "{label}"
    );
    assert!(h.query_by_label_contains("x0_hat · second-order").is_some());
    assert!(
        h.query_by_label_contains("second-order x_E · sigma")
            .is_some(),
        "the timeline says so"
    );
}
