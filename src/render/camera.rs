//! Orbit camera around a target (glam): yaw, pitch, distance, vertical field of view.

use glam::{Mat4, Vec3, Vec4};

/// A camera orbiting `target` at `distance`; yaw about +Y, pitch up from the XZ plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrbitCamera {
    /// Point looked at, Å.
    pub target: Vec3,
    /// Rotation about +Y, radians (0 looks along -Z from +Z).
    pub yaw: f32,
    /// Elevation, radians, within ±89°.
    pub pitch: f32,
    /// Distance from the target, Å.
    pub distance: f32,
    /// Vertical field of view, radians.
    pub fov_y: f32,
}

crate::choice::choices! {
    /// Standard view directions.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ViewPreset {
        /// A three-quarter view, fitted.
        Fit = "fit",
        /// Looking along -Z, fitted.
        Front = "front",
        /// Looking along -X, fitted.
        Side = "side",
    }
}

impl OrbitCamera {
    /// A camera of `view` direction fitted to the bounding sphere (`center`, `radius`) at `aspect` = w / h.
    pub fn fitted(view: ViewPreset, center: Vec3, radius: f32, aspect: f32) -> Self {
        let (yaw, pitch) = match view {
            ViewPreset::Fit => (30f32.to_radians(), 20f32.to_radians()),
            ViewPreset::Front => (0.0, 0.0),
            ViewPreset::Side => (90f32.to_radians(), 0.0),
        };
        let mut camera = Self {
            target: center,
            yaw,
            pitch,
            distance: 1.0,
            fov_y: 45f32.to_radians(),
        };
        camera.fit(center, radius, aspect);
        camera
    }

    /// Moves back until the whole bounding sphere is inside the narrower of the two fields of view.
    pub fn fit(&mut self, center: Vec3, radius: f32, aspect: f32) {
        let half_y = self.fov_y * 0.5;
        let half_x = (half_y.tan() * aspect).atan();
        let half = half_y.min(half_x);
        self.target = center;
        self.distance = radius.max(1.0) / half.sin() * 1.05;
    }

    /// This camera's orientation, fitted to a sphere for an image of `aspect`: what an export draws, so
    /// the whole structure is in the picture whatever the view was zoomed or panned to.
    pub fn fitted_to(&self, center: Vec3, radius: f32, aspect: f32) -> Self {
        let mut camera = *self;
        camera.fit(center, radius, aspect);
        camera
    }

    /// Eye position, Å.
    pub fn eye(&self) -> Vec3 {
        let direction = Vec3::new(
            self.pitch.cos() * self.yaw.sin(),
            self.pitch.sin(),
            self.pitch.cos() * self.yaw.cos(),
        );
        self.target + direction * self.distance
    }

    /// Orbits by yaw/pitch deltas (radians); distance is unchanged.
    pub fn orbit(&mut self, delta_yaw: f32, delta_pitch: f32) {
        self.yaw += delta_yaw;
        let limit = 89f32.to_radians();
        self.pitch = (self.pitch + delta_pitch).clamp(-limit, limit);
    }

    /// Zooms by a factor (< 1 moves closer).
    pub fn zoom(&mut self, factor: f32) {
        self.distance = (self.distance * factor).max(1.0);
    }

    /// Moves the target in the view plane by (dx, dy) Å.
    pub fn pan(&mut self, dx: f32, dy: f32) {
        let world_from_view = self.view_from_world().inverse();
        let right = world_from_view.transform_vector3(Vec3::X);
        let up = world_from_view.transform_vector3(Vec3::Y);
        self.target += right * dx + up * dy;
    }

    /// The view matrix (right-handed, looking along -Z in view space).
    pub fn view_from_world(&self) -> Mat4 {
        glam::camera::rh::view::look_at_mat4(self.eye(), self.target, Vec3::Y)
    }

    /// Perspective projection with depth in 0..1, near and far planes around the target.
    pub fn clip_from_view(&self, aspect: f32, scene_radius: f32) -> Mat4 {
        let near = (self.distance - scene_radius * 1.5)
            .max(self.distance * 0.01)
            .max(0.05);
        let far = self.distance + scene_radius * 1.5 + 10.0;
        // wgpu's clip space: depth 0..1, y up (glam's `directx` convention).
        glam::camera::rh::proj::directx::perspective(self.fov_y, aspect, near, far)
    }

    /// Projects a world point to normalised device coordinates (x, y in -1..1, z in 0..1 inside).
    pub fn project(&self, point: Vec3, aspect: f32, scene_radius: f32) -> Vec3 {
        let clip = self.clip_from_view(aspect, scene_radius)
            * self.view_from_world()
            * Vec4::from((point, 1.0));
        clip.truncate() / clip.w
    }
}

/// The centroid of `points` and the radius about it that holds them all, plus an atom's margin.
pub fn bounding_sphere(points: &[[f32; 3]]) -> (Vec3, f32) {
    let center = points
        .iter()
        .fold(Vec3::ZERO, |acc, p| acc + Vec3::from(*p))
        / points.len().max(1) as f32;
    let radius = points
        .iter()
        .map(|p| Vec3::from(*p).distance(center))
        .fold(1.0f32, f32::max)
        + 2.0;
    (center, radius)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orbit_keeps_distance_and_target() {
        let mut c = OrbitCamera::fitted(ViewPreset::Fit, Vec3::new(1.0, 2.0, 3.0), 10.0, 1.5);
        let d = c.distance;
        c.orbit(1.0, 0.3);
        assert!((c.eye().distance(c.target) - d).abs() < 1e-3);
        c.orbit(0.0, 10.0);
        assert!(c.pitch <= 89f32.to_radians());
    }
}
