//! How the view shows the frames, beyond choosing them: the colours while nothing has moved, the
//! atoms' size against the clean structure, the network view's scale and the camera that follows.

use super::state::AppState;
use crate::render::{ColorMode, Scene, bounding_sphere, network_view};
use crate::sampler::Frame;
use crate::structure::select_atoms;

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
        if !self.settings.network_view {
            return positions;
        }
        let sigma_data = self.settings.preset.preset().schedule.sigma_data;
        network_view(positions, frame.sigma, sigma_data)
    }
}

/// The colour of atoms a selection leaves out while "dim others" is on.
const DIMMED: [f32; 4] = [0.30, 0.30, 0.33, 1.0];

impl AppState {
    /// Reads the selection string again when it or the structure changed.
    pub(super) fn refresh_selection(&mut self) {
        let text = self.settings.selection.trim().to_owned();
        let structure = std::sync::Arc::as_ptr(&self.structure) as usize;
        if self
            .selection_cache
            .as_ref()
            .is_some_and(|(t, s, _)| *t == text && *s == structure)
        {
            return;
        }
        let read = select_atoms(&self.structure, &text).map(std::sync::Arc::new);
        self.selection_cache = (!text.is_empty()).then_some((text, structure, read));
    }

    /// The atoms the selection picks (none when it is empty or cannot be read).
    pub fn selected(&self) -> Option<std::sync::Arc<Vec<bool>>> {
        match &self.selection_cache {
            Some((_, _, Ok(mask))) => Some(std::sync::Arc::clone(mask)),
            _ => None,
        }
    }

    /// Why the selection string cannot be read, in one line (shown under its box).
    pub fn selection_error(&self) -> Option<&str> {
        match &self.selection_cache {
            Some((_, _, Err(e))) => Some(e),
            _ => None,
        }
    }

    /// Greys out or hides the atoms the selection leaves out (the atoms layer's spheres, in atom
    /// order; a hidden atom keeps its place with no size, so picking still finds atoms by index).
    pub(super) fn mark_selection(&self, scene: &mut Scene) {
        let Some(mask) = self.selected() else { return };
        let (dim, hide) = (
            self.settings.selection_dims_others,
            self.settings.selection_hides_others,
        );
        if !(dim || hide) || !self.settings.layers.atoms {
            return;
        }
        let atoms = self.structure.atom_count().min(scene.opaque_spheres.len());
        for (sphere, &kept) in scene.opaque_spheres[..atoms].iter_mut().zip(mask.iter()) {
            if kept {
                continue;
            }
            if hide {
                sphere.radius = 0.0;
            } else {
                sphere.color = DIMMED;
            }
        }
    }

    /// The camera fitted to the selected atoms as shown.
    pub(super) fn focus_selection(&mut self) {
        let Some(mask) = self.selected() else { return };
        let atoms = &self.shown.scene.opaque_spheres;
        let picked: Vec<[f32; 3]> = atoms
            .iter()
            .zip(mask.iter())
            .filter(|(_, k)| **k)
            .map(|(a, _)| a.position)
            .collect();
        if picked.is_empty() {
            return;
        }
        let (center, radius) = bounding_sphere(&picked);
        self.camera.fit(center, radius, 1.5);
        self.follow_goal = None;
    }
}
