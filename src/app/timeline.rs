//! The timeline as state + commands (rerun's `TimeControl` pattern): the UI emits commands, the state
//! applies them, the viewport reads the resolved frame. Scrubbing never recomputes the sampler.

use crate::sampler::SubStep;

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
    /// Play from the last frame toward the first.
    SetReverse(bool),
    /// Frames advanced per tick while playing (the ends are always shown).
    SetStride(usize),
    /// Show each step's sub-steps (the churned state, the second-order point) between its frames.
    SetSubsteps(bool),
}

/// What of the timeline is persisted between sessions (the timeline itself holds it while running).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Playback {
    /// Frames per second while playing.
    pub fps: f32,
    /// End behaviour.
    pub loop_mode: LoopMode,
    /// Playing backwards.
    #[serde(default)]
    pub reverse: bool,
    /// Frames per tick.
    #[serde(default = "one")]
    pub stride: usize,
    /// Sub-steps shown (and second-order points recorded by new runs).
    #[serde(default)]
    pub substeps: bool,
}

fn one() -> usize {
    1
}

impl TimeControl {
    /// The playback speed, loop mode, direction and stride, to persist.
    pub fn playback(&self) -> Playback {
        Playback {
            fps: self.fps,
            loop_mode: self.loop_mode,
            reverse: self.reverse,
            stride: self.stride,
            substeps: self.show_substeps,
        }
    }

    /// Takes a persisted playback.
    pub fn set_playback(&mut self, playback: Playback) {
        self.apply(TimelineCommand::SetFps(playback.fps));
        self.apply(TimelineCommand::SetLoopMode(playback.loop_mode));
        self.apply(TimelineCommand::SetReverse(playback.reverse));
        self.apply(TimelineCommand::SetStride(playback.stride));
        self.apply(TimelineCommand::SetSubsteps(playback.substeps));
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
    /// Playing from the last frame toward the first.
    pub reverse: bool,
    /// Frames advanced per tick.
    pub stride: usize,
    /// The sub-step of the frame's step shown instead of the frame (sub-steps come before their frame).
    pub sub: Option<SubStep>,
    /// Whether stepping and playback go through the sub-steps (then one position a tick, no stride).
    pub show_substeps: bool,
    /// The sub-steps each frame's step recorded, in order.
    substeps: Vec<Vec<SubStep>>,
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
            reverse: false,
            stride: 1,
            sub: None,
            show_substeps: false,
            substeps: Vec::new(),
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
                // Play from an end starts over from the other one.
                let (end, start) = if self.reverse {
                    (0, self.last())
                } else {
                    (self.last(), 0)
                };
                if self.playing && self.current == end && self.loop_mode != LoopMode::Bounce {
                    self.current = start;
                    self.sub = None;
                }
                self.direction = if self.reverse { -1 } else { 1 };
            }
            TimelineCommand::StepBack => {
                self.playing = false;
                self.go_to(self.moved_by(-1, 1).unwrap_or((self.current, self.sub)));
            }
            TimelineCommand::StepForward => {
                self.playing = false;
                self.go_to(self.moved_by(1, 1).unwrap_or((self.current, self.sub)));
            }
            TimelineCommand::First => self.go_to((0, None)),
            TimelineCommand::Last => self.go_to((self.last(), None)),
            TimelineCommand::SetFrameClamped(k) => self.go_to((k.min(self.last()), None)),
            TimelineCommand::SetSubsteps(on) => {
                self.show_substeps = on;
                self.sub = None;
            }
            TimelineCommand::SetFps(fps) => self.fps = fps.clamp(0.5, 120.0),
            TimelineCommand::SetLoopMode(mode) => self.loop_mode = mode,
            TimelineCommand::SetReverse(reverse) => {
                self.reverse = reverse;
                self.direction = if reverse { -1 } else { 1 };
            }
            TimelineCommand::SetStride(stride) => self.stride = stride.clamp(1, 1000),
        }
    }

    /// The number of frames changed (a run grew or was reset); `follow` jumps to the newest frame.
    pub fn set_frame_count(&mut self, count: usize, follow: bool) {
        self.frame_count = count;
        self.substeps.truncate(count);
        if follow || self.current >= count {
            self.go_to((count.saturating_sub(1), None));
        }
    }

    /// The sub-steps each frame's step recorded (`Frame::substeps`), in frame order.
    pub fn set_substeps(&mut self, substeps: Vec<Vec<SubStep>>) {
        self.substeps = substeps;
        if self
            .sub
            .is_some_and(|s| !self.substeps_of(self.current).contains(&s))
        {
            self.sub = None;
        }
    }

    fn substeps_of(&self, frame: usize) -> &[SubStep] {
        self.substeps.get(frame).map_or(&[], Vec::as_slice)
    }

    fn go_to(&mut self, (frame, sub): Position) {
        self.current = frame;
        self.sub = sub;
    }

    /// Advances playback by `dt_secs`; returns true when the frame changed.
    pub fn update(&mut self, dt_secs: f32) -> bool {
        if !self.playing || self.frame_count < 2 {
            return false;
        }
        self.pending_secs += dt_secs;
        let period = 1.0 / self.fps;
        let before = (self.current, self.sub);
        while self.pending_secs >= period {
            self.pending_secs -= period;
            self.advance();
            if !self.playing {
                self.pending_secs = 0.0;
                break;
            }
        }
        (self.current, self.sub) != before
    }

    /// The position `stride` frames on in `direction`, clamped to the ends, or with sub-steps shown
    /// the next position through them; none past an end.
    fn moved_by(&self, direction: i8, stride: usize) -> Option<Position> {
        if self.show_substeps {
            return self.next_position(direction);
        }
        let last = self.last();
        match direction {
            d if d > 0 && self.current >= last => None,
            d if d > 0 => Some(((self.current + stride).min(last), None)),
            _ if self.current == 0 => None,
            _ => Some((self.current.saturating_sub(stride), None)),
        }
    }

    /// The next position in `direction` when each frame is preceded by its step's sub-steps.
    fn next_position(&self, direction: i8) -> Option<Position> {
        let here = self.substeps_of(self.current);
        let at = self.sub.and_then(|s| here.iter().position(|&k| k == s));
        if direction > 0 {
            match at {
                Some(i) => Some((self.current, here.get(i + 1).copied())),
                None if self.current >= self.last() => None,
                None => {
                    let next = self.current + 1;
                    Some((next, self.substeps_of(next).first().copied()))
                }
            }
        } else {
            match at {
                Some(0) => self.current.checked_sub(1).map(|k| (k, None)),
                Some(i) => Some((self.current, Some(here[i - 1]))),
                None => match here.last() {
                    Some(&last) => Some((self.current, Some(last))),
                    None => self.current.checked_sub(1).map(|k| (k, None)),
                },
            }
        }
    }

    fn moved(&self, direction: i8) -> Option<Position> {
        self.moved_by(direction, self.stride)
    }

    fn advance(&mut self) {
        let (first, last) = if self.reverse {
            ((self.last(), None), (0, None))
        } else {
            ((0, None), (self.last(), None))
        };
        let forward: i8 = if self.reverse { -1 } else { 1 };
        match self.loop_mode {
            LoopMode::Loop => self.go_to(self.moved(forward).unwrap_or(first)),
            LoopMode::Once => {
                let next = self.moved(forward).unwrap_or(last);
                self.go_to(next);
                self.playing = next != last;
            }
            LoopMode::Bounce => {
                if self.moved(self.direction).is_none() {
                    self.direction = -self.direction;
                }
                let here = (self.current, self.sub);
                self.go_to(self.moved(self.direction).unwrap_or(here));
            }
        }
    }
}

/// A place on the timeline: a frame, or one of its step's sub-steps shown before it.
type Position = (usize, Option<SubStep>);

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

    #[test]
    fn reverse_and_stride_keep_the_ends() {
        let mut t = control(10);
        t.apply(TimelineCommand::SetStride(4));
        t.apply(TimelineCommand::TogglePlayPause);
        let mut seen = vec![t.current];
        for _ in 0..3 {
            t.update(0.1);
            seen.push(t.current);
        }
        assert_eq!(seen, [0, 4, 8, 9], "a stride lands on the last frame");
        t.update(0.1);
        assert_eq!(t.current, 0, "then loops");
        t.apply(TimelineCommand::SetReverse(true));
        t.apply(TimelineCommand::SetLoopMode(LoopMode::Once));
        t.apply(TimelineCommand::SetFrameClamped(9));
        let mut back = vec![t.current];
        while t.playing {
            t.update(0.1);
            back.push(t.current);
        }
        assert_eq!(back, [9, 5, 1, 0], "reverse, once: stops at frame 0");
        // Play again from the end of a reverse run starts at the last frame.
        t.apply(TimelineCommand::TogglePlayPause);
        assert_eq!(t.current, 9);
    }

    #[test]
    fn sub_steps_come_before_their_frame_both_ways() {
        use SubStep::{Churned, SecondOrder};
        let mut t = control(3);
        t.set_substeps(vec![vec![], vec![Churned, SecondOrder], vec![Churned]]);
        t.apply(TimelineCommand::SetSubsteps(true));
        let mut forward = vec![(t.current, t.sub)];
        for _ in 0..6 {
            t.apply(TimelineCommand::StepForward);
            forward.push((t.current, t.sub));
        }
        let want = [
            (0, None),
            (1, Some(Churned)),
            (1, Some(SecondOrder)),
            (1, None),
            (2, Some(Churned)),
            (2, None),
            (2, None),
        ];
        assert_eq!(
            forward, want,
            "forward through the sub-steps, stopping at the end"
        );
        let mut back = vec![(t.current, t.sub)];
        for _ in 0..6 {
            t.apply(TimelineCommand::StepBack);
            back.push((t.current, t.sub));
        }
        let mut reversed = want[..6].to_vec();
        reversed.reverse();
        assert_eq!(back[..6], reversed[..], "and back the same way");
        // Playback goes through them one tick each; hiding them again shows frames only.
        t.apply(TimelineCommand::SetStride(5));
        t.apply(TimelineCommand::TogglePlayPause);
        t.update(0.1);
        assert_eq!(
            (t.current, t.sub),
            (1, Some(Churned)),
            "no stride through sub-steps"
        );
        t.apply(TimelineCommand::SetSubsteps(false));
        assert_eq!(t.sub, None);
        t.update(0.1);
        assert_eq!((t.current, t.sub), (2, None));
    }
}
