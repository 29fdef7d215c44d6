//! Picking on the CPU: the atom sphere under a pixel, by a ray test against the scene's atom instances.

use glam::{Vec3, Vec4};

use super::camera::OrbitCamera;
use super::scene::Scene;

/// Index of the nearest atom sphere hit by the ray through `pixel` (origin top-left) in a
/// `width` × `height` view; `None` when the ray misses every atom.
pub fn pick_atom(
    scene: &Scene,
    camera: &OrbitCamera,
    pixel: [f32; 2],
    width: f32,
    height: f32,
) -> Option<usize> {
    let aspect = width / height;
    let clip_from_world = camera.clip_from_view(aspect, scene.radius) * camera.view_from_world();
    let world_from_clip = clip_from_world.inverse();
    let ndc = [pixel[0] / width * 2.0 - 1.0, 1.0 - pixel[1] / height * 2.0];
    let unproject = |z: f32| {
        let p = world_from_clip * Vec4::new(ndc[0], ndc[1], z, 1.0);
        p.truncate() / p.w
    };
    let origin = unproject(0.0);
    let direction = (unproject(1.0) - origin).normalize_or_zero();
    let mut best: Option<(usize, f32)> = None;
    for (i, sphere) in scene.opaque_spheres.iter().enumerate() {
        let to_center = Vec3::from(sphere.position) - origin;
        let b = to_center.dot(direction);
        let discriminant = b * b - (to_center.length_squared() - sphere.radius * sphere.radius);
        if discriminant < 0.0 {
            continue;
        }
        let t = b - discriminant.sqrt();
        if t > 0.0 && best.is_none_or(|(_, t_best)| t < t_best) {
            best = Some((i, t));
        }
    }
    best.map(|(i, _)| i)
}
