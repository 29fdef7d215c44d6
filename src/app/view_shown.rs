//! How the view shows the frames, beyond choosing them: the colours while nothing has moved, the
//! atoms' size against the clean structure, the network view's scale and the camera that follows.

use super::state::AppState;
use crate::render::{ColorMode, bounding_sphere};
use crate::sampler::Frame;

impl AppState {
    /// Eases the camera toward the fit of the frame shown (a noisy frame is many times the structure's
    /// size); true while it moves. Locked, or with no run, the camera stays where the user put it.
    pub(super) fn follow_frames(&mut self, dt: f32) -> bool {
        let Some((target, distance)) = self.follow_goal else {
            return false;
        };
        if self.settings.camera_lock {
            self.follow_goal = None;
            return false;
        }
        // Most of the way in a fifth of a second, whatever the frame rate.
        let k = 1.0 - (-dt.max(0.0) * 12.0).exp();
        self.camera.target += (target - self.camera.target) * k;
        self.camera.distance += (distance - self.camera.distance) * k;
        let close = (self.camera.distance - distance).abs() < 1e-3 * distance
            && self.camera.target.distance(target) < 1e-3 * distance;
        if close {
            self.camera.target = target;
            self.camera.distance = distance;
            self.follow_goal = None;
        }
        true
    }

    /// How wide the clean structure is on screen: the structure's coordinates, or the run's last frame
    /// for a topology without any (a streamed run named only by its atoms).
    pub(super) fn clean_radius(&self) -> f32 {
        let positions = &self.structure.positions;
        if positions.iter().flatten().any(|&v| v != 0.0) {
            return bounding_sphere(positions).1;
        }
        self.run
            .frames
            .last()
            .map_or(f32::MAX, |f| bounding_sphere(&f.x_t).1)
    }

    /// The colours the view uses: the chosen ones, except chain colours while nothing has moved (no
    /// run yet), where a displacement palette would paint every atom its zero colour.
    pub fn shown_color_mode(&self) -> ColorMode {
        let moves = matches!(
            self.settings.color_by,
            ColorMode::DisplacementAtom
                | ColorMode::DisplacementResidue
                | ColorMode::DisplacementChain
                | ColorMode::Independent
        );
        if moves && self.run.frames.len() < 2 && self.results.applied_noise.is_none() {
            ColorMode::Chain
        } else {
            self.settings.color_by
        }
    }

    /// `positions` of `frame` as the network view shows them: scaled by σ_data/√(σ² + σ_data²) (EDM's
    /// c_in times σ_data, Karras et al. 2022 table 1), the preset's σ_data; as they are otherwise.
    pub(super) fn network_scaled(&self, frame: &Frame, positions: Vec<[f32; 3]>) -> Vec<[f32; 3]> {
        if !self.settings.network_view || !frame.sigma.is_finite() {
            return positions;
        }
        let sigma_data = self.settings.preset.preset().schedule.sigma_data;
        let c = (sigma_data / (frame.sigma.powi(2) + sigma_data.powi(2)).sqrt()) as f32;
        positions.iter().map(|p| p.map(|v| v * c)).collect()
    }
}
