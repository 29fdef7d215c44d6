//! Every window interaction as a command on `AppState`, with no window and no GPU: the worker computes
//! on burn's CPU backend, and each expectation is worked out here from the structure and the frames.

#![expect(clippy::unwrap_used)]

use crate::common;

use sigmascope::app::{
    AppCommand, AppState, ExportKind, NOISE_PANEL_DRAWS, Settings, TimelineCommand,
};
use sigmascope::render::ColorMode;
use sigmascope::structure::{BUNDLED, default_structure, load_path};

fn state_with(settings: Settings) -> AppState {
    let structure = default_structure().load(&Default::default()).unwrap();
    AppState::new(structure, settings, common::cpu().clone(), || {})
}

fn state() -> AppState {
    state_with(Settings {
        steps: 6,
        ..Settings::default()
    })
}

fn bundled_index(name: &str) -> usize {
    BUNDLED.iter().position(|b| b.name == name).unwrap()
}

fn distance(a: [f32; 3], b: [f32; 3]) -> f32 {
    (0..3).map(|k| (a[k] - b[k]).powi(2)).sum::<f32>().sqrt()
}

fn mean(points: impl Iterator<Item = [f32; 3]>) -> [f32; 3] {
    let (mut sum, mut n) = ([0.0f64; 3], 0.0);
    for p in points {
        for k in 0..3 {
            sum[k] += f64::from(p[k]);
        }
        n += 1.0;
    }
    sum.map(|v| (v / n) as f32)
}

#[test]
fn a_file_that_cannot_be_read_keeps_the_structure_and_says_why() {
    let mut s = state();
    let bad = common::scratch("state-bad").join("broken.pdb");
    std::fs::write(&bad, "this is not a structure\n").unwrap();
    s.apply(AppCommand::Open(bad));
    common::settle(&mut s);
    assert_eq!(s.structure().name, "4hhb");
    assert!(s.load_error().unwrap().contains("broken.pdb"));
    s.apply(AppCommand::ShowLoadError("startup: missing.pdb".to_owned()));
    assert_eq!(s.load_error(), Some("startup: missing.pdb"));
}

#[test]
fn opening_a_file_replaces_the_structure_drops_the_run_and_remembers_it() {
    let mut s = state();
    s.apply(AppCommand::Step(1));
    common::settle(&mut s);
    assert_eq!(s.run().frames.len(), 2);
    let path = common::scratch("state-open").join("1crn.pdb");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/1crn.pdb"),
        &path,
    )
    .unwrap();
    s.apply(AppCommand::Open(path.clone()));
    // The file is read on the worker: until it arrives the structure and its run stay.
    assert!(s.is_busy());
    assert_eq!(s.structure().name, "4hhb");
    assert_eq!(s.run().frames.len(), 2);
    common::settle(&mut s);
    assert_eq!(
        s.structure().atom_count(),
        load_path(&path, &Default::default()).unwrap().atom_count()
    );
    assert!(s.run().frames.is_empty() && s.load_error().is_none());
    assert_eq!(s.settings().recent_files.first(), Some(&path));
    s.apply(AppCommand::OpenBundled(bundled_index("4hhb")));
    assert_eq!(s.structure().name, "4hhb");
}

#[test]
fn steps_arrive_as_frames_and_scrubbing_shows_each_frame_again() {
    let mut s = state();
    s.apply(AppCommand::Step(1));
    common::settle(&mut s);
    s.apply(AppCommand::Step(2));
    common::settle(&mut s);
    assert_eq!(s.run().frames.len(), 4);
    assert_eq!(s.run().metrics.len(), 4);
    assert_eq!(s.timeline().current, 3, "the timeline follows new frames");
    let last = s.scene_text();
    s.apply(AppCommand::Timeline(TimelineCommand::First));
    assert_eq!(s.timeline().current, 0);
    assert_ne!(s.scene_text(), last, "frame 0 is the noisy start");
    s.apply(AppCommand::Timeline(TimelineCommand::Last));
    assert_eq!(s.scene_text(), last);
    // Frame 3's metrics measure frame 3: its RMSD after superposition, worked out from its atoms.
    let frame = &s.run().frames[3];
    let unaligned = frame
        .x_t_in_data()
        .iter()
        .zip(&s.structure().positions)
        .map(|(a, b)| f64::from(distance(*a, *b)).powi(2))
        .sum::<f64>()
        / s.structure().atom_count() as f64;
    assert!(s.run().metrics[3].rmsd <= unaligned.sqrt() + 1e-6);
}

#[test]
fn a_cancel_stops_the_run_behind_a_queued_reset_and_later_steps_still_run() {
    let mut s = state_with(Settings {
        steps: 200,
        ..Settings::default()
    });
    s.apply(AppCommand::Reset);
    s.apply(AppCommand::Step(usize::MAX));
    s.apply(AppCommand::Cancel);
    common::settle(&mut s);
    assert!(
        s.run().frames.len() < 201,
        "{} frames",
        s.run().frames.len()
    );
    let before = s.run().frames.len();
    s.apply(AppCommand::Step(1));
    common::settle(&mut s);
    assert_eq!(s.run().frames.len(), before + 1);
}

#[test]
fn apply_noise_draws_on_the_worker_and_measures_near_the_closed_form() {
    let mut s = state();
    s.apply(AppCommand::ApplyNoise);
    // The UI thread only sent the command.
    assert!(s.noise_pending() && s.applied_noise().is_none());
    assert_eq!(s.progress(), Some((0, NOISE_PANEL_DRAWS)));
    common::settle(&mut s);
    let applied = s.applied_noise().unwrap();
    let cell = &applied.cell;
    // 32 draws of 4558 atoms: the atom figure is within a few percent of its closed form.
    let (m, e) = (cell.atom.abs.measured, cell.atom.abs.expected);
    assert!((m / e - 1.0).abs() < 0.05, "{m} vs {e}");
    // The shown structure is the truth plus one draw of that size.
    let s2 = s.structure();
    let rms = (applied
        .noised
        .iter()
        .zip(&s2.positions)
        .map(|(a, b)| f64::from(distance(*a, *b)).powi(2))
        .sum::<f64>()
        / s2.atom_count() as f64)
        .sqrt();
    assert!((rms / e - 1.0).abs() < 0.3, "{rms} vs {e}");
    assert!(s.scene_text() != state().scene_text());
    // A run replaces the noised view.
    s.apply(AppCommand::Step(1));
    common::settle(&mut s);
    assert!(s.applied_noise().is_none());
}

#[test]
fn pin_keeps_the_runs_curves_until_unpinned() {
    let mut s = state();
    s.apply(AppCommand::Pin);
    assert!(s.pinned().is_none(), "nothing to pin before a run");
    s.apply(AppCommand::Step(2));
    common::settle(&mut s);
    s.apply(AppCommand::Pin);
    assert_eq!(s.pinned().unwrap().metrics, s.run().metrics);
    s.apply(AppCommand::Unpin);
    assert!(s.pinned().is_none());
}

#[test]
fn a_focused_residue_is_outlined_and_centered_until_cleared() {
    let mut s = state();
    let residue = 42;
    s.apply(AppCommand::FocusResidue(residue));
    assert!(s.scene_text().contains("outline: 12 segments"));
    let st = s.structure();
    let centroid = mean(
        (0..st.atom_count())
            .filter(|&a| st.atom_residue[a] as usize == residue)
            .map(|a| st.positions[a]),
    );
    assert!(distance(s.camera().target.into(), centroid) < 1e-3);
    s.apply(AppCommand::ClearOutline);
    assert!(!s.scene_text().contains("outline"));
    let past = s.structure().residue_count();
    s.apply(AppCommand::FocusResidue(past));
    assert!(s.highlighted_residue().is_none());
}

#[test]
fn new_weights_change_the_diagnosis() {
    let mut s = state();
    let finding = |s: &AppState| {
        s.findings()
            .into_iter()
            .map(|f| f.finding.text)
            .find(|t| t.starts_with("Independent residue noise"))
            .unwrap()
    };
    let before = finding(&s);
    let mut settings = s.settings().clone();
    settings.weights = [1.0, 4.0, 4.0];
    s.apply(AppCommand::UpdateSettings(Box::new(settings)));
    assert_ne!(finding(&s), before);
    assert!(finding(&s).contains("67%"), "{}", finding(&s));
}

#[test]
fn the_scene_is_rebuilt_only_when_what_it_shows_changes() {
    let mut s = state();
    let (_, version) = s.scene();
    s.apply(AppCommand::Hover(Some(3)));
    s.apply(AppCommand::DismissStatus);
    assert_eq!(s.scene().1, version, "hover and status leave the scene");
    let mut settings = s.settings().clone();
    // Before a run the displacement palette is shown as chain colours: choosing chain changes nothing.
    settings.color_by = ColorMode::Chain;
    s.apply(AppCommand::UpdateSettings(Box::new(settings.clone())));
    assert_eq!(s.scene().1, version);
    settings.color_by = ColorMode::Element;
    s.apply(AppCommand::UpdateSettings(Box::new(settings)));
    assert_eq!(s.scene().1, version + 1);
}

#[test]
fn the_tooltip_names_the_atom_and_its_displacements_at_every_level() {
    let mut s = state();
    s.apply(AppCommand::Step(1));
    common::settle(&mut s);
    s.apply(AppCommand::Timeline(TimelineCommand::First));
    let atom = 100;
    s.apply(AppCommand::Hover(Some(atom)));
    assert_eq!(s.hovered_atom(), Some(atom));
    let text = s.tooltip_text(atom).unwrap();
    let st = s.structure();
    let shown = s.run().frames[0].x_t_in_data();
    let r = st.atom_residue[atom] as usize;
    let in_r = |p: &[[f32; 3]]| {
        mean(
            (0..st.atom_count())
                .filter(|&a| st.atom_residue[a] as usize == r)
                .map(|a| p[a]),
        )
    };
    let atom_d = distance(shown[atom], st.positions[atom]);
    let residue_d = distance(in_r(&shown), in_r(&st.positions));
    assert!(
        text.contains(&format!("atom {atom_d:.2} Å, residue {residue_d:.2} Å")),
        "{text} vs {atom_d:.2} {residue_d:.2}"
    );
    assert!(text.contains(&st.atom_names[atom]));
    s.apply(AppCommand::Hover(Some(st.atom_count() + 5)));
    assert_eq!(s.hovered_atom(), None, "an atom past the end is no atom");
}

#[test]
fn the_plots_csv_holds_one_row_per_frame_with_the_runs_figures() {
    let mut s = state();
    let dir = common::scratch("state-csv");
    let path = dir.join("metrics.csv");
    s.apply(AppCommand::Export(ExportKind::PlotsCsv, path.clone()));
    assert!(
        s.status().unwrap().starts_with("export failed"),
        "no run yet"
    );
    assert!(!path.exists());
    s.apply(AppCommand::Step(3));
    common::settle(&mut s);
    s.apply(AppCommand::Export(ExportKind::PlotsCsv, path.clone()));
    // The file is written off the UI thread.
    assert_eq!(s.status().unwrap(), format!("writing {}…", path.display()));
    common::settle(&mut s);
    assert_eq!(s.status().unwrap(), format!("wrote {}", path.display()));
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "frame");
    assert_eq!(&header[4], "rmsd_3d_atom");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), s.run().frames.len());
    for (row, (frame, m)) in rows.iter().zip(s.run().frames.iter().zip(&s.run().metrics)) {
        assert_eq!(row[0].parse::<usize>().unwrap(), frame.index);
        assert_eq!(row[1].parse::<f64>().unwrap(), frame.sigma);
        assert_eq!(row[4].parse::<f64>().unwrap(), m.rmsd);
        // 4HHB has four chains: the chain column is filled.
        assert_eq!(row[6].parse::<f64>().unwrap(), m.levels.chain.unwrap().rmsd);
    }
    // Frame 0 has no motion: an empty field, not a zero.
    assert_eq!(&rows[0][7], "");
    s.apply(AppCommand::DismissStatus);
    assert!(s.status().is_none());
}

#[test]
fn a_selection_change_reloads_the_structure() {
    let mut s = state();
    let without = s.structure().atom_count();
    let mut settings = s.settings().clone();
    settings.keep_water = true;
    s.apply(AppCommand::UpdateSettings(Box::new(settings)));
    s.apply(AppCommand::Reload);
    let waters = default_structure()
        .load(&sigmascope::structure::LoadOptions {
            selection: sigmascope::structure::Selection {
                keep_water: true,
                ..Default::default()
            },
            ..Default::default()
        })
        .unwrap()
        .atom_count();
    assert!(waters > without);
    assert_eq!(s.structure().atom_count(), waters);
}

#[test]
fn the_camera_commands_fit_and_center_as_asked() {
    let mut s = state();
    let atom = 7;
    s.apply(AppCommand::CenterOnAtom(atom));
    let p = s.structure().positions[atom];
    assert!(distance(s.camera().target.into(), p) < 1e-3);
    s.apply(AppCommand::FitCamera);
    let (scene, _) = s.scene();
    assert!(distance(s.camera().target.into(), scene.center.into()) < 1e-3);
    let mut moved = *s.camera();
    moved.distance *= 2.0;
    s.apply(AppCommand::SetCamera(moved));
    assert_eq!(*s.camera(), moved);
}

#[test]
fn a_finding_highlights_its_control() {
    let mut s = state();
    assert!(s.focus().is_none());
    s.apply(AppCommand::HighlightControl(
        sigmascope::app::Control::Schedule,
    ));
    assert_eq!(s.focus(), Some(sigmascope::app::Control::Schedule));
}

#[test]
fn the_run_exports_as_mmcif_tracks_and_as_npz_that_open_again() {
    let mut s = state();
    s.apply(AppCommand::Step(3));
    common::settle(&mut s);
    let dir = common::scratch("state-run-exports");
    let (cif, npz) = (dir.join("xt.cif"), dir.join("run.npz"));
    s.apply(AppCommand::Export(ExportKind::StateTrack, cif.clone()));
    common::settle(&mut s);
    assert_eq!(s.status().unwrap(), format!("wrote {}", cif.display()));
    s.apply(AppCommand::Export(ExportKind::RunNpz, npz.clone()));
    common::settle(&mut s);
    assert_eq!(s.status().unwrap(), format!("wrote {}", npz.display()));
    // Both open as runs of the same frames.
    let frames = s.run().frames.len();
    for path in [cif, npz] {
        s.apply(AppCommand::OpenRun(path.clone()));
        common::settle(&mut s);
        assert_eq!(s.run().frames.len(), frames, "{}", path.display());
        assert!(matches!(
            s.run().source,
            sigmascope::trajectory::RunSource::Imported { .. }
        ));
    }
    // The noised structure needs an applied noise first.
    s.apply(AppCommand::Export(
        ExportKind::NoisedStructure,
        dir.join("n.pdb"),
    ));
    assert!(
        s.status().unwrap().contains("apply a noise first"),
        "{:?}",
        s.status()
    );
}

#[test]
fn a_sweep_runs_on_the_worker_and_a_point_loads_its_run() {
    let mut s = state_with(Settings {
        sweep_sampler: sigmascope::sampler::SamplerChoice::Family(
            sigmascope::sampler::FamilyPreset::FmOde,
        ),
        sweep_steps: vec![5, 10],
        sweep_seeds: 2,
        ..Settings::default()
    });
    s.apply(AppCommand::RunSweep);
    assert!(s.sweep_pending());
    common::settle(&mut s);
    let points = s.sweep_points().unwrap().to_vec();
    assert_eq!(points.len(), 4);
    for p in &points {
        // The exact denoiser: flow matching returns the truth.
        assert!(
            p.final_rmsd < 1e-3 && (p.tm_score.unwrap() - 1.0).abs() < 1e-6,
            "{p:?}"
        );
    }
    s.apply(AppCommand::LoadSweepRun { steps: 5, seed: 1 });
    common::settle(&mut s);
    assert_eq!(s.run().frames.len(), 6);
    assert_eq!(
        s.run().source,
        sigmascope::trajectory::RunSource::Sweep { steps: 5, seed: 1 }
    );
    // No step count is one message, and nothing runs (text that does not parse stays in the panel).
    let mut settings = s.settings().clone();
    settings.sweep_steps = Vec::new();
    s.apply(AppCommand::UpdateSettings(Box::new(settings)));
    s.apply(AppCommand::RunSweep);
    assert!(!s.sweep_pending());
    assert!(
        s.status().unwrap().contains("at least one step count"),
        "{:?}",
        s.status()
    );
}

#[test]
fn the_sampler_panel_steps_flow_matching_and_ddpm_frame_by_frame() {
    use sigmascope::geometry::superposed_rmsd;
    use sigmascope::sampler::{FamilyPreset, SamplerChoice};
    for (choice, steps, frames) in [
        (SamplerChoice::Family(FamilyPreset::FmOde), 8, 9),
        (SamplerChoice::Family(FamilyPreset::FmSde), 8, 9),
        // DDPM starts at τ = T − 1 = 49 and caps the steps there.
        (SamplerChoice::Family(FamilyPreset::ResfoldDdpm), 80, 50),
    ] {
        let mut s = state_with(Settings {
            sampler: choice,
            steps,
            ..Settings::default()
        });
        s.apply(AppCommand::Step(3));
        common::settle(&mut s);
        assert_eq!(
            s.run().frames.len(),
            4,
            "{choice:?}: three steps, one frame each"
        );
        // Frame 0 is the prior draw at the preset's σ_data, far from the truth.
        let truth = &s.structure().positions.clone();
        assert!(superposed_rmsd(&s.run().frames[0].x_t, truth) > 5.0);
        s.apply(AppCommand::Step(usize::MAX));
        common::settle(&mut s);
        assert_eq!(s.run().frames.len(), frames, "{choice:?}");
        // Each step's σ is below the one before: the run walks from noise to data.
        let sigmas: Vec<f64> = s.run().frames.iter().map(|f| f.sigma).collect();
        assert!(
            sigmas.windows(2).all(|w| w[1] < w[0]),
            "{choice:?}: {sigmas:?}"
        );
        // The exact denoiser brings every family back to the truth.
        let last = &s.run().frames.last().unwrap().x_t;
        assert!(superposed_rmsd(last, truth) < 1e-2, "{choice:?}");
        assert!((s.run().metrics.last().unwrap().tm_score.unwrap() - 1.0).abs() < 1e-4);
    }
}

#[test]
fn the_denoiser_error_panel_measures_seven_sigmas_on_the_worker() {
    let mut s = state_with(Settings {
        weights: [0.0, 0.0, 1.0],
        ..Settings::default()
    });
    s.apply(AppCommand::MeasureDenoiserError);
    assert!(s.denoiser_error_pending());
    common::settle(&mut s);
    let rows = s.denoiser_error_rows().unwrap().to_vec();
    // z = -3 … 3 of boltz2's training distribution: σ = 16 exp(-1.2 + 1.5 z).
    assert_eq!(rows.len(), 7);
    for (r, z) in rows.iter().zip(-3..=3) {
        let want = 16.0 * (-1.2 + 1.5 * f64::from(z)).exp();
        assert!(
            (r.sigma - want).abs() < 1e-9 * want,
            "{} vs {want}",
            r.sigma
        );
        // The exact denoiser returns the truth at every level.
        assert!(r.atom < 1e-3 && r.residue < 1e-3, "{r:?}");
        // The target velocity of flat noise is (1 - t)/t d - x0, whose RMS the exact denoiser's
        // prediction matches.
        let rel =
            (r.velocity_norm_predicted - r.velocity_norm_target).abs() / r.velocity_norm_target;
        assert!(rel < 1e-3, "{r:?}");
    }
}

#[test]
fn the_train_panel_trains_on_the_worker_and_its_model_samples() {
    use sigmascope::denoiser::DenoiserChoice;
    let out = common::scratch("state-train").join("model.mpk");
    let mut s = state_with(Settings {
        train_steps: 4,
        train_out: Some(out.clone()),
        steps: 5,
        ..Settings::default()
    });
    s.apply(AppCommand::OpenBundled(bundled_index("1crn")));
    s.apply(AppCommand::Train);
    assert!(s.training_pending());
    common::settle(&mut s);
    let view = s.training().unwrap();
    assert_eq!(view.losses.len(), 4, "one loss record per step");
    let header = view.header.as_ref().unwrap();
    assert_eq!(header.report.len(), 7);
    assert_eq!(header.shape, [327, 46, 1]);
    // The checkpoint names the device the window trained on.
    assert_eq!(header.device, common::cpu().describe());
    assert!(out.is_file());
    assert_eq!(s.settings().trained_model.as_deref(), Some(out.as_path()));
    // The model is a denoiser choice: a run with it steps like any other.
    let mut settings = s.settings().clone();
    settings.denoiser = DenoiserChoice::Learned(out);
    s.apply(AppCommand::UpdateSettings(Box::new(settings)));
    s.apply(AppCommand::Step(usize::MAX));
    common::settle(&mut s);
    assert_eq!(s.run().frames.len(), 6, "{:?}", s.status());
    assert!(s.run().metrics.last().unwrap().rmsd.is_finite());
    // Pinned to compare with another model's run, the legend names the model's file.
    s.apply(AppCommand::Pin);
    assert!(
        s.pinned().unwrap().label.contains("model.mpk"),
        "{}",
        s.pinned().unwrap().label
    );
    // On another structure the model is refused with one message, and nothing runs.
    s.apply(AppCommand::OpenBundled(bundled_index("1l2y")));
    s.apply(AppCommand::Step(1));
    common::settle(&mut s);
    assert!(
        s.status().unwrap().contains("was trained on 1crn"),
        "{:?}",
        s.status()
    );
}
