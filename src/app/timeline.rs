//! The timeline as state + commands (rerun's `TimeControl` pattern): the UI emits commands, the state
//! applies them, the viewport reads the resolved frame. Scrubbing never recomputes the sampler.

/// What happens at the last frame while playing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LoopMode {
    /// Start again at frame 0.
    Loop,
    /// Stop at the end.
    Once,
    /// Reverse direction at either end.
    Bounce,
}

/// Everything the timeline UI (and keys) can ask for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimelineCommand {
    /// Play or pause.
    TogglePlayPause,
    /// One frame back.
    StepBack,
    /// One frame forward.
    StepForward,
    /// Frame 0.
    First,
    /// The last frame.
    Last,
    /// Jump to a frame (clamped to the frames there are).
    SetFrameClamped(usize),
    /// Playback speed in frames per second.
    SetFps(f32),
    /// Loop mode.
    SetLoopMode(LoopMode),
}

/// What of the timeline is persisted between sessions (the timeline itself holds it while running).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Playback {
    /// Frames per second while playing.
    pub fps: f32,
    /// End behaviour.
    pub loop_mode: LoopMode,
}

impl TimeControl {
    /// The playback speed and loop mode, to persist.
    pub fn playback(&self) -> Playback {
        Playback {
            fps: self.fps,
            loop_mode: self.loop_mode,
        }
    }

    /// Takes a persisted playback speed and loop mode.
    pub fn set_playback(&mut self, playback: Playback) {
        self.apply(TimelineCommand::SetFps(playback.fps));
        self.apply(TimelineCommand::SetLoopMode(playback.loop_mode));
    }
}

/// The timeline's state.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeControl {
    /// The index of the frame shown (the timeline's position).
    pub current: usize,
    /// Frames available.
    pub frame_count: usize,
    /// Playing or paused.
    pub playing: bool,
    /// Frames per second while playing.
    pub fps: f32,
    /// End behaviour.
    pub loop_mode: LoopMode,
    /// +1 forward, -1 backward (bounce).
    direction: i8,
    /// Time accumulated towards the next frame, seconds.
    pending_secs: f32,
}

impl Default for TimeControl {
    fn default() -> Self {
        Self {
            current: 0,
            frame_count: 0,
            playing: false,
            fps: 10.0,
            loop_mode: LoopMode::Loop,
            direction: 1,
            pending_secs: 0.0,
        }
    }
}

impl TimeControl {
    fn last(&self) -> usize {
        self.frame_count.saturating_sub(1)
    }

    /// Applies a command.
    pub fn apply(&mut self, command: TimelineCommand) {
        match command {
            TimelineCommand::TogglePlayPause => {
                self.playing = !self.playing && self.frame_count > 1;
                self.pending_secs = 0.0;
                if self.playing && self.current == self.last() && self.loop_mode != LoopMode::Bounce
                {
                    self.current = 0;
                }
            }
            TimelineCommand::StepBack => {
                self.playing = false;
                self.current = self.current.saturating_sub(1);
            }
            TimelineCommand::StepForward => {
                self.playing = false;
                self.current = (self.current + 1).min(self.last());
            }
            TimelineCommand::First => self.current = 0,
            TimelineCommand::Last => self.current = self.last(),
            TimelineCommand::SetFrameClamped(k) => self.current = k.min(self.last()),
            TimelineCommand::SetFps(fps) => self.fps = fps.clamp(0.5, 120.0),
            TimelineCommand::SetLoopMode(mode) => self.loop_mode = mode,
        }
    }

    /// The number of frames changed (a run grew or was reset); `follow` jumps to the newest frame.
    pub fn set_frame_count(&mut self, count: usize, follow: bool) {
        self.frame_count = count;
        if follow || self.current >= count {
            self.current = count.saturating_sub(1);
        }
    }

    /// Advances playback by `dt_secs`; returns true when the frame changed.
    pub fn update(&mut self, dt_secs: f32) -> bool {
        if !self.playing || self.frame_count < 2 {
            return false;
        }
        self.pending_secs += dt_secs;
        let period = 1.0 / self.fps;
        let before = self.current;
        while self.pending_secs >= period {
            self.pending_secs -= period;
            self.advance();
            if !self.playing {
                self.pending_secs = 0.0;
                break;
            }
        }
        self.current != before
    }

    fn advance(&mut self) {
        let last = self.last();
        match self.loop_mode {
            LoopMode::Loop => {
                self.current = if self.current >= last {
                    0
                } else {
                    self.current + 1
                }
            }
            LoopMode::Once => {
                if self.current >= last {
                    self.playing = false;
                } else {
                    self.current += 1;
                }
            }
            LoopMode::Bounce => {
                if (self.direction > 0 && self.current >= last)
                    || (self.direction < 0 && self.current == 0)
                {
                    self.direction = -self.direction;
                }
                self.current = if self.direction > 0 {
                    self.current + 1
                } else {
                    self.current - 1
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn control(frames: usize) -> TimeControl {
        let mut t = TimeControl::default();
        t.set_frame_count(frames, false);
        t.apply(TimelineCommand::First);
        t
    }

    #[test]
    fn commands_clamp_and_step() {
        let mut t = control(5);
        t.apply(TimelineCommand::SetFrameClamped(99));
        assert_eq!(t.current, 4);
        t.apply(TimelineCommand::StepForward);
        assert_eq!(t.current, 4);
        t.apply(TimelineCommand::StepBack);
        assert_eq!(t.current, 3);
        t.apply(TimelineCommand::First);
        t.apply(TimelineCommand::StepBack);
        assert_eq!(t.current, 0);
    }

    #[test]
    fn playback_modes() {
        let mut t = control(3);
        t.apply(TimelineCommand::SetFps(10.0));
        t.apply(TimelineCommand::TogglePlayPause);
        assert!(t.update(0.25));
        assert_eq!(t.current, 2);
        t.update(0.1);
        assert_eq!(t.current, 0, "loop: 2 → 0");
        t.apply(TimelineCommand::SetLoopMode(LoopMode::Once));
        t.update(0.5);
        assert_eq!(t.current, 2);
        assert!(!t.playing);
        t.apply(TimelineCommand::SetLoopMode(LoopMode::Bounce));
        t.apply(TimelineCommand::TogglePlayPause);
        t.update(0.1);
        assert_eq!(t.current, 1, "bounce turns around at the end");
        t.update(0.1);
        assert_eq!(t.current, 0);
        t.update(0.1);
        assert_eq!(t.current, 1);
    }
}
