//! The renderer: WGSL validation, scene snapshots as text, pixel snapshots on the software adapter,
//! camera math and picking. `UPDATE_SNAPSHOTS=1 cargo test --test gpu render` rewrites the goldens in
//! `tests/snapshots/` (make them on lavapipe, as CI renders there).

#![expect(clippy::unwrap_used)]

use crate::common;

use common::{bundled, compare_images, require_golden, updating};

use std::path::PathBuf;
use std::sync::OnceLock;

use glam::Vec3;
use sigmascope::compute::{WgpuHandles, open_wgpu_device};
use sigmascope::render::{
    ColorMode, Layers, OrbitCamera, SHADER_FILES, Scene, SceneOptions, ViewPreset, build_scene,
    pick_atom, render_headless, scene_text, shader_source, write_png,
};
use sigmascope::structure::Structure;

fn snapshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name)
}

/// A deterministic "noised" frame: every residue shifted by its own offset, every atom jittered a little.
fn noised(s: &Structure) -> Vec<[f32; 3]> {
    s.positions
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let r = s.atom_residue[i] as f32;
            let a = i as f32;
            [
                p[0] + 3.0 * (r * 0.7).sin() + 0.4 * (a * 1.3).cos(),
                p[1] + 3.0 * (r * 1.1).cos() + 0.4 * (a * 0.9).sin(),
                p[2] + 2.0 * (r * 0.5).sin() + 0.4 * (a * 2.1).sin(),
            ]
        })
        .collect()
}

#[test]
fn every_wgsl_file_validates_with_naga() {
    for (path, _) in SHADER_FILES {
        let source = shader_source(path).unwrap();
        let module = naga::front::wgsl::parse_str(&source)
            .unwrap_or_else(|e| panic!("{path}: {}", e.emit_to_string(&source)));
        naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::all(),
        )
        .validate(&module)
        .unwrap_or_else(|e| panic!("{path}: {e:?}"));
    }
    // Every file in shaders/ is compiled in.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut on_disk = Vec::new();
    for entry in walk(&dir) {
        on_disk.push(
            entry
                .strip_prefix(&dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/"),
        );
    }
    on_disk.sort();
    let mut listed: Vec<String> = SHADER_FILES.iter().map(|(p, _)| (*p).to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "wgsl") {
            out.push(path);
        }
    }
    out
}

struct Case {
    name: &'static str,
    structure: &'static str,
    color_by: ColorMode,
    layers: &'static str,
    noised: bool,
    size: [u32; 2],
}

const CASES: [Case; 4] = [
    Case {
        name: "1crn_element",
        structure: "1crn",
        color_by: ColorMode::Element,
        layers: "atoms,trace",
        noised: false,
        size: [320, 240],
    },
    Case {
        name: "4hhb_chain_centroids",
        structure: "4hhb",
        color_by: ColorMode::Chain,
        layers: "atoms,chains",
        noised: false,
        size: [400, 300],
    },
    Case {
        name: "4hhb_noised_residue_displacement",
        structure: "4hhb",
        color_by: ColorMode::DisplacementResidue,
        layers: "atoms,arrows",
        noised: true,
        size: [400, 300],
    },
    Case {
        name: "1crn_ghost",
        structure: "1crn",
        color_by: ColorMode::Residue,
        layers: "atoms,ghost,trace",
        noised: true,
        size: [320, 240],
    },
];

fn case_scene(case: &Case) -> (Structure, Scene, OrbitCamera) {
    let s = bundled(case.structure);
    let atoms = if case.noised {
        noised(&s)
    } else {
        s.positions.clone()
    };
    let options = SceneOptions {
        layers: Layers::parse(case.layers).unwrap(),
        color_by: case.color_by,
        ..SceneOptions::default()
    };
    let scene = build_scene(&s, &atoms, &s.positions, None, &options);
    let camera = OrbitCamera::fitted(
        ViewPreset::Fit,
        scene.center,
        scene.radius,
        case.size[0] as f32 / case.size[1] as f32,
    );
    (s, scene, camera)
}

#[test]
fn scene_snapshots_as_text() {
    for case in &CASES[..3] {
        let (_, scene, camera) = case_scene(case);
        let text = scene_text(&scene, &camera, case.size[0] as f32 / case.size[1] as f32);
        let path = snapshot_path(&format!("scene_{}.txt", case.name));
        require_golden(&path);
        if updating() {
            std::fs::write(&path, &text).unwrap();
        }
        let golden = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text, golden,
            "scene {} changed; UPDATE_SNAPSHOTS=1 to accept",
            case.name
        );
    }
    let (s, scene, _) = case_scene(&CASES[2]);
    assert_eq!(scene.counts.atoms, s.atom_count());
    assert_eq!(scene.counts.arrows, s.residue_count() + s.chain_count());
    let legend = scene.legend.unwrap();
    assert_eq!(legend.min, 0.0);
    assert!(legend.max > 1.0 && legend.max < 6.0, "{}", legend.max);
}

#[test]
fn outlined_residue_gets_a_box_around_its_atoms() {
    let s = bundled("1crn");
    let residue = 7;
    let options = SceneOptions {
        outline_residue: Some(residue),
        ..SceneOptions::default()
    };
    let plain = truth_scene(&s, &SceneOptions::default());
    let outlined = truth_scene(&s, &options);
    assert_eq!(outlined.counts.outline, 12);
    assert_eq!(outlined.lines.len(), plain.lines.len() + 24);
    let camera = OrbitCamera::fitted(ViewPreset::Fit, outlined.center, outlined.radius, 1.0);
    assert!(scene_text(&outlined, &camera, 1.0).contains("outline: 12 segments"));
    // The box: every corner is a min or max of the residue's atoms ± 1 Å on each axis, every atom
    // lies inside, and each of the 12 edges runs along exactly one axis.
    let range = s.residues[residue].atoms.clone();
    let atoms = &s.positions[range.start as usize..range.end as usize];
    let bound = |axis: usize, pick: fn(f32, f32) -> f32| {
        atoms.iter().map(|p| p[axis]).reduce(pick).unwrap()
    };
    let edges = &outlined.lines[plain.lines.len()..];
    for axis in 0..3 {
        let (lo, hi) = (bound(axis, f32::min) - 1.0, bound(axis, f32::max) + 1.0);
        assert!(edges.iter().all(|v| {
            let x = v.position[axis];
            (x - lo).abs() < 1e-4 || (x - hi).abs() < 1e-4
        }));
    }
    for pair in edges.chunks(2) {
        let moved = (0..3)
            .filter(|&k| (pair[0].position[k] - pair[1].position[k]).abs() > 1e-4)
            .count();
        assert_eq!(moved, 1);
    }
    // An index past the last residue draws nothing.
    let past = SceneOptions {
        outline_residue: Some(s.residue_count()),
        ..SceneOptions::default()
    };
    assert_eq!(truth_scene(&s, &past).counts.outline, 0);
}

/// The scene of a structure's own coordinates (no reference offset, no previous frame).
fn truth_scene(s: &Structure, options: &SceneOptions) -> Scene {
    build_scene(s, &s.positions, &s.positions, None, options)
}

fn gpu() -> Option<&'static WgpuHandles> {
    static GPU: OnceLock<Option<WgpuHandles>> = OnceLock::new();
    GPU.get_or_init(|| match open_wgpu_device() {
        Ok(h) => Some(h),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must have a wgpu adapter: {e}"
            );
            None
        }
    })
    .as_ref()
}

#[test]
fn the_outline_shows_through_the_atoms() {
    let Some(gpu) = gpu() else { return };
    let s = bundled("1crn");
    // A residue in the middle of the chain, with atoms all around it.
    let residue = s.residue_count() / 2;
    let cyan_pixels = |atoms_on: bool| {
        let options = SceneOptions {
            layers: Layers {
                atoms: atoms_on,
                trace: false,
                ..Layers::default()
            },
            outline_residue: Some(residue),
            ..SceneOptions::default()
        };
        let scene = truth_scene(&s, &options);
        let camera = OrbitCamera::fitted(ViewPreset::Fit, scene.center, scene.radius, 1.0);
        let rgba = render_headless(&gpu.device, &gpu.queue, &scene, &camera, [256, 256]).unwrap();
        rgba.chunks(4)
            .filter(|p| p[0] < 120 && p[1] > 200 && p[2] > 200)
            .count()
    };
    let over_atoms = cyan_pixels(true);
    // Drawn last without a depth test and opaque: the same pixels with or without atoms in front.
    assert!(over_atoms > 50, "{over_atoms}");
    assert_eq!(over_atoms, cyan_pixels(false));
}

fn read_png(path: &std::path::Path) -> Vec<u8> {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buffer).unwrap();
    buffer.truncate(info.buffer_size());
    buffer
}

#[test]
fn pixel_snapshots_on_the_software_adapter() {
    let Some(gpu) = gpu() else {
        eprintln!("skipped: no wgpu adapter");
        return;
    };
    for case in &CASES {
        let (_, scene, camera) = case_scene(case);
        let rgba = render_headless(&gpu.device, &gpu.queue, &scene, &camera, case.size).unwrap();
        let path = snapshot_path(&format!("{}.png", case.name));
        require_golden(&path);
        if updating() {
            write_png(&path, case.size[0], case.size[1], &rgba).unwrap();
        }
        let golden = read_png(&path);
        if let Err(e) = compare_images(&rgba, &golden) {
            let new = snapshot_path(&format!("{}.new.png", case.name));
            write_png(&new, case.size[0], case.size[1], &rgba).unwrap();
            panic!("{}: {e}; see {}", case.name, new.display());
        }
        // Something was drawn: not just the background.
        let background = rgba
            .chunks_exact(4)
            .filter(|p| p[0] < 20 && p[1] < 20 && p[2] < 30)
            .count();
        assert!(
            background < rgba.len() / 4 * 95 / 100,
            "{}: almost empty",
            case.name
        );
    }
    // A deliberate change, the camera orbited by 40°, must fail the comparison.
    let case = &CASES[0];
    let (_, scene, mut camera) = case_scene(case);
    camera.orbit(40f32.to_radians(), 0.0);
    let moved = render_headless(&gpu.device, &gpu.queue, &scene, &camera, case.size).unwrap();
    assert!(compare_images(&moved, &read_png(&snapshot_path("1crn_element.png"))).is_err());
}

#[test]
fn fitted_camera_sees_every_atom() {
    for (name, aspect) in [("1crn", 4.0 / 3.0), ("4hhb", 0.6), ("4hhb", 2.0)] {
        let s = bundled(name);
        let scene = truth_scene(&s, &SceneOptions::default());
        for view in [ViewPreset::Fit, ViewPreset::Front, ViewPreset::Side] {
            let camera = OrbitCamera::fitted(view, scene.center, scene.radius, aspect);
            for p in &s.positions {
                let ndc = camera.project(Vec3::from(*p), aspect, scene.radius);
                assert!(
                    ndc.x.abs() <= 1.0 && ndc.y.abs() <= 1.0,
                    "{name} {view:?}: {ndc}"
                );
                assert!(
                    (0.0..=1.0).contains(&ndc.z),
                    "{name} {view:?}: depth {}",
                    ndc.z
                );
            }
        }
    }
}

#[test]
fn picking_returns_the_atom_under_its_projected_center() {
    let s = bundled("1crn");
    let scene = truth_scene(&s, &SceneOptions::default());
    let (w, h) = (320.0, 240.0);
    let camera = OrbitCamera::fitted(ViewPreset::Fit, scene.center, scene.radius, w / h);
    // The atom nearest the eye cannot be hidden behind another one.
    let eye = camera.eye();
    let nearest = (0..s.atom_count())
        .min_by(|&a, &b| {
            Vec3::from(s.positions[a])
                .distance(eye)
                .total_cmp(&Vec3::from(s.positions[b]).distance(eye))
        })
        .unwrap();
    let ndc = camera.project(Vec3::from(s.positions[nearest]), w / h, scene.radius);
    let pixel = [(ndc.x + 1.0) * 0.5 * w, (1.0 - ndc.y) * 0.5 * h];
    assert_eq!(pick_atom(&scene, &camera, pixel, w, h), Some(nearest));
    assert_eq!(
        pick_atom(&scene, &camera, [1.0, 1.0], w, h),
        None,
        "a corner shows background"
    );
}

#[test]
#[should_panic(expected = "missing snapshot golden")]
fn a_missing_golden_fails_unless_updating() {
    if updating() {
        // Rewriting goldens: a missing one is written, so there is nothing to check here.
        panic!("missing snapshot golden (skipped while updating)");
    }
    require_golden(&snapshot_path("no_such_golden.png"));
}

#[test]
fn an_exported_view_is_fitted_whatever_the_view_was_zoomed_to() {
    // Issue 13: the PNG export fitted the camera, then put the view's zoom and pan back.
    let s = bundled("4hhb");
    let scene = truth_scene(&s, &SceneOptions::default());
    let mut view = OrbitCamera::fitted(ViewPreset::Fit, scene.center, scene.radius, 1.0);
    view.orbit(0.7, 0.3);
    view.distance *= 0.1;
    view.target += Vec3::new(15.0, -9.0, 4.0);
    let aspect = 1280.0 / 800.0;
    let exported = view.fitted_to(scene.center, scene.radius, aspect);
    assert_eq!(
        (exported.yaw, exported.pitch),
        (view.yaw, view.pitch),
        "orientation kept"
    );
    let outside = |camera: &OrbitCamera| {
        s.positions
            .iter()
            .filter(|p| {
                let ndc = camera.project(Vec3::from(**p), aspect, scene.radius);
                ndc.x.abs() > 1.0 || ndc.y.abs() > 1.0
            })
            .count()
    };
    assert_eq!(outside(&exported), 0);
    assert!(outside(&view) > 0, "the zoomed view itself cuts atoms off");
}

/// burn on the test binary's wgpu device (one runtime per device: made once).
fn gpu_compute(gpu: &WgpuHandles) -> &'static sigmascope::compute::ComputeDevice {
    static COMPUTE: OnceLock<sigmascope::compute::ComputeDevice> = OnceLock::new();
    COMPUTE.get_or_init(|| {
        sigmascope::compute::ComputeDevice::from_wgpu(
            gpu.instance.clone(),
            gpu.adapter.clone(),
            gpu.device.clone(),
            gpu.queue.clone(),
        )
        .unwrap()
    })
}

/// Draws `scene` (uploaded whole, or keeping the atoms last uploaded) with or without rows.
fn draw_with(
    gpu: &WgpuHandles,
    renderer: &mut sigmascope::render::SceneRenderer,
    scene: &Scene,
    camera: &OrbitCamera,
    keep_atoms: bool,
) -> Vec<u8> {
    if keep_atoms {
        renderer.upload_keeping_atoms(&gpu.device, &gpu.queue, scene, camera);
    } else {
        renderer.upload(&gpu.device, &gpu.queue, scene, camera);
    }
    let mut encoder = gpu.device.create_command_encoder(&Default::default());
    renderer.draw(&mut encoder);
    gpu.queue.submit([encoder.finish()]);
    renderer.read_color(&gpu.device, &gpu.queue).unwrap()
}

#[test]
fn atoms_drawn_from_device_rows_are_where_uploaded_atoms_are() {
    use burn::tensor::{Tensor, TensorData};
    use sigmascope::compute::{CoordinateLayout, DeviceRows};
    use sigmascope::geometry::{RigidTransform, random_rotation};
    use sigmascope::render::{AtomRows, SceneRenderer};

    let Some(gpu) = gpu() else { return };
    let compute = gpu_compute(gpu);
    let s = bundled("1crn");
    let shown = noised(&s);
    // The sampler keeps its state in the data frame and the view maps it into the frame it shows.
    let transform = RigidTransform {
        rotation: random_rotation(&mut sigmascope::rng::SplitMix64::new(3, 0)),
        translation: [4.0, -2.5, 7.0],
    };
    let data = transform.inverse().apply_all(&shown);
    let n = data.len();
    let rows: Vec<f32> = (0..3)
        .flat_map(|k| data.iter().map(move |p| p[k]))
        .collect();
    // Rows that start 256 bytes into their buffer (a slice of a longer tensor).
    let padded: Vec<f32> = std::iter::repeat_n(f32::NAN, 64).chain(rows).collect();
    let padded = Tensor::<1>::from_data(TensorData::new(padded, [64 + 3 * n]), &compute.device);
    let rows = DeviceRows::keep(
        &padded.slice(64..64 + 3 * n).reshape([3, n]),
        CoordinateLayout::Rows,
    )
    .unwrap();
    assert_eq!(rows.atoms(), n);

    let size = [200, 160];
    let scene = build_scene(&s, &shown, &s.positions, None, &SceneOptions::default());
    let camera = OrbitCamera::fitted(ViewPreset::Fit, scene.center, scene.radius, 1.25);
    let uploaded = render_headless(&gpu.device, &gpu.queue, &scene, &camera, size).unwrap();
    // The same scene with every atom at the centre: drawn from the rows, atoms are where the rows say.
    let mut misplaced = scene.clone();
    for sphere in &mut misplaced.opaque_spheres {
        sphere.position = scene.center.to_array();
    }
    let mut renderer = SceneRenderer::new(&gpu.device, None).unwrap();
    renderer.ensure_target(&gpu.device, size);
    let select = |renderer: &mut SceneRenderer, rows: Option<&DeviceRows>| {
        let rows = rows.map(|r| AtomRows::mapped(r.wgpu_slice().unwrap(), &transform));
        renderer
            .select_atom_rows(&gpu.device, &gpu.queue, rows)
            .unwrap();
    };
    select(&mut renderer, Some(&rows));
    let from_rows = draw_with(gpu, &mut renderer, &misplaced, &camera, false);
    assert!(renderer.draws_atoms_from_rows());
    compare_images(&from_rows, &uploaded).unwrap();
    // Points [N, 3] (the flow-matching and DDPM state) draw the same.
    let points: Vec<f32> = data.iter().flatten().copied().collect();
    let points = Tensor::<2>::from_data(TensorData::new(points, [n, 3]), &compute.device);
    let points = DeviceRows::keep(&points, CoordinateLayout::Points).unwrap();
    select(&mut renderer, Some(&points));
    let from_points = draw_with(gpu, &mut renderer, &misplaced, &camera, false);
    compare_images(&from_points, &uploaded).unwrap();
    select(&mut renderer, Some(&rows));
    // A scene that keeps the uploaded atoms (radii, colors) still draws them from the rows.
    let kept = draw_with(gpu, &mut renderer, &scene, &camera, true);
    compare_images(&kept, &uploaded).unwrap();
    // Without rows the misplaced atoms are drawn where they were uploaded: the comparison can fail.
    select(&mut renderer, None);
    let misdrawn = draw_with(gpu, &mut renderer, &misplaced, &camera, false);
    assert!(!renderer.draws_atoms_from_rows());
    assert!(compare_images(&misdrawn, &uploaded).is_err());
}

#[test]
fn a_scene_rebuilt_into_another_ones_buffers_is_built_afresh() {
    use sigmascope::render::rebuild_scene;
    let (s, other) = (bundled("4hhb"), bundled("1crn"));
    let every_layer = SceneOptions {
        layers: Layers::parse("atoms,residues,chains,trace,ghost,arrows").unwrap(),
        color_by: ColorMode::DisplacementResidue,
        outline_residue: Some(3),
        ..SceneOptions::default()
    };
    let shown = noised(&s);
    for options in [SceneOptions::default(), every_layer] {
        for recycled in [
            build_scene(&s, &s.positions, &s.positions, None, &every_layer),
            build_scene(&other, &other.positions, &other.positions, None, &options),
            Scene::default(),
        ] {
            let rebuilt = rebuild_scene(recycled, &s, &shown, &s.positions, None, &options);
            assert_eq!(
                rebuilt,
                build_scene(&s, &shown, &s.positions, None, &options)
            );
        }
    }
}
