//! A sampler run taken one step at a time, whatever its family (EDM, flow matching, DDPM): what the
//! window's worker steps.

use super::error::SamplerError;
use super::frame::Frame;

/// A run in progress: its grid of noise levels and the frames recorded so far (frame 0 is the start).
pub trait SteppedRun: Send {
    /// Takes one step and records its frame; does nothing once the run is done.
    fn step(&mut self) -> Result<Option<&Frame>, SamplerError>;

    /// The recorded frames.
    fn frames(&self) -> &[Frame];

    /// Moves the coordinates of recorded frame `index` out (`Frame::take_coordinates`); none past the
    /// frames recorded.
    fn take_coordinates(&mut self, index: usize) -> Option<Frame>;

    /// Lets recorded frames keep their coordinates on a wgpu device, up to `budget` bytes in all
    /// (`Frame::on_device`); nothing is kept on burn's CPU backend.
    fn keep_frames_on_device(&mut self, budget: u64);

    /// The noise level of each grid point (EDM σ, or the EDM-equivalent σ of another family), Å; one
    /// more value than steps.
    fn sigmas(&self) -> &[f64];

    /// Steps taken so far.
    fn steps_taken(&self) -> usize {
        self.frames().len() - 1
    }

    /// Steps of the run.
    fn total_steps(&self) -> usize {
        self.sigmas().len() - 1
    }

    /// True when every step has been taken.
    fn is_done(&self) -> bool {
        self.steps_taken() >= self.total_steps()
    }
}
