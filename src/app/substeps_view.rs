//! Which frame the view shows when the timeline stands on a sub-step: the step's churned state or
//! second-order point as a frame of its own (`Frame::substep_frame`), and the position before it, so
//! motion arrows and "hold steady onto the previous frame" follow the sub-steps too.

use std::borrow::Cow;

use super::state::AppState;
use crate::sampler::Frame;

impl AppState {
    /// The frame on screen: the timeline's frame, or its step's sub-step when the timeline stands on
    /// one (none before a run).
    pub(super) fn shown_frame(&self) -> Option<Cow<'_, Frame>> {
        let frame = self.run.frames.get(self.timeline.current)?;
        Some(match self.timeline.sub {
            Some(kind) => Cow::Owned(frame.substep_frame(kind)?),
            None => Cow::Borrowed(frame),
        })
    }

    /// The position before the one on screen: the sub-step before it, or the previous frame.
    pub(super) fn frame_before_shown(&self) -> Option<Cow<'_, Frame>> {
        let current = self.timeline.current;
        let frame = self.run.frames.get(current)?;
        let substeps = if self.timeline.show_substeps {
            frame.substeps()
        } else {
            Vec::new()
        };
        let at = match self.timeline.sub {
            Some(kind) => substeps.iter().position(|&k| k == kind),
            None => Some(substeps.len()),
        };
        match at {
            Some(i) if i > 0 => frame.substep_frame(substeps[i - 1]).map(Cow::Owned),
            _ => current
                .checked_sub(1)
                .and_then(|k| self.run.frames.get(k))
                .map(Cow::Borrowed),
        }
    }

    /// What the timeline stands on, for labels: "frame 3/50 · σ 12.3 Å", or the sub-step with its σ.
    pub fn position_label(&self) -> Option<String> {
        let t = &self.timeline;
        let frame = self.run.frames.get(t.current)?;
        let of = format!("{}/{}", t.current, t.frame_count.saturating_sub(1));
        Some(match t.sub {
            Some(kind) => format!(
                "{} of step {of} · σ {:.1} Å",
                kind.label(),
                frame.substep_sigma(kind).unwrap_or(f64::NAN)
            ),
            None => format!("{of} · σ {:.1} Å", frame.sigma),
        })
    }
}
