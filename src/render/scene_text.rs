//! A scene as stable text, for snapshot tests and bug reports.

use std::fmt::Write as _;

use super::camera::OrbitCamera;
use super::scene::Scene;

fn fmt3(v: impl IntoIterator<Item = f32>) -> String {
    v.into_iter()
        .map(|x| format!("{x:.3}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The scene as stable text for snapshot tests: counts, bounds, legend, camera matrices, first instances.
pub fn scene_text(scene: &Scene, camera: &OrbitCamera, aspect: f32) -> String {
    let mut out = String::new();
    let c = &scene.counts;
    writeln!(
        out,
        "layers: atoms {} residues {} chains {} trace {} ghost {} arrows {}",
        c.atoms, c.residues, c.chains, c.trace, c.ghost, c.arrows
    )
    .ok();
    if c.outline > 0 {
        writeln!(out, "outline: {} segments", c.outline).ok();
    }
    writeln!(
        out,
        "bounds: center ({}) radius {:.3}",
        fmt3(scene.center.to_array()),
        scene.radius
    )
    .ok();
    match &scene.legend {
        Some(l) => writeln!(out, "legend: {} [{:.3}, {:.3}]", l.label, l.min, l.max).ok(),
        None => writeln!(out, "legend: none").ok(),
    };
    writeln!(
        out,
        "camera: eye ({}) target ({}) distance {:.3} fov_y {:.3}",
        fmt3(camera.eye().to_array()),
        fmt3(camera.target.to_array()),
        camera.distance,
        camera.fov_y
    )
    .ok();
    for (name, m) in [
        ("view_from_world", camera.view_from_world()),
        (
            "clip_from_view",
            camera.clip_from_view(aspect, scene.radius),
        ),
    ] {
        writeln!(out, "{name}:").ok();
        for row in 0..4 {
            writeln!(out, "  {}", fmt3(m.row(row).to_array())).ok();
        }
    }
    for (name, list) in [
        ("opaque", &scene.opaque_spheres),
        ("translucent", &scene.translucent_spheres),
    ] {
        writeln!(out, "{name}: {}", list.len()).ok();
        for i in list.iter().take(4) {
            writeln!(
                out,
                "  pos ({}) r {:.3} color ({})",
                fmt3(i.position),
                i.radius,
                fmt3(i.color)
            )
            .ok();
        }
    }
    writeln!(out, "lines: {} vertices", scene.lines.len()).ok();
    for v in scene.lines.iter().take(4) {
        writeln!(
            out,
            "  pos ({}) color ({})",
            fmt3(v.position),
            fmt3(v.color)
        )
        .ok();
    }
    out
}
