//! The split view's right half: the frame's prediction x̂0, drawn beside its state with the same
//! camera and options, rebuilt with the state's scene.

use std::sync::Arc;

use super::settings::TrackView;
use super::state::AppState;
use crate::render::{Scene, SceneOptions, build_scene, grow_atoms_with_cloud};

impl AppState {
    /// Builds the prediction's scene when the split view is on and the frame has one; clears it else.
    pub(super) fn rebuild_prediction_scene(&mut self, options: &SceneOptions) {
        let has_prediction = self
            .run
            .frames
            .get(self.timeline.current)
            .is_some_and(|f| f.x0_hat.is_some());
        if !(self.settings.split_view && has_prediction) {
            self.prediction_scene = None;
            return;
        }
        let (positions, previous) = self.track_positions(TrackView::Prediction);
        let mut scene = build_scene(
            &self.structure,
            &positions,
            &self.structure.positions,
            previous.as_deref(),
            options,
        );
        // Its atoms as wide as the state's beside it (both under one camera).
        let shown = self.scene().0.radius.max(scene.radius);
        grow_atoms_with_cloud(&mut scene, shown, self.clean_radius());
        let version = self.prediction_scene.as_ref().map_or(0, |(_, v)| v + 1);
        self.prediction_scene = Some((Arc::new(scene), version));
    }

    /// The split view's right half (x̂0 of the frame on screen), when it shows one.
    pub fn prediction_scene(&self) -> Option<(&Arc<Scene>, u64)> {
        self.prediction_scene.as_ref().map(|(s, v)| (s, *v))
    }
}
