//! Calibrating the neutral face over a few still seconds: the first frame is taken as the
//! provisional neutral, every later frame of the window is scored against it, and the
//! neutral is kept only if nothing moved. "Moved" uses each movement's own threshold, so a
//! neutral is accepted exactly when no movement would have registered during the window.

use crate::symmetry::movements::movement;
use crate::symmetry::{FrameScore, Measure};

/// Seconds the face must stay still: a few, as long as a held exercise is not.
pub const CALIBRATION_S: f64 = 2.0;
/// Frames the window must hold at least, so a stalled camera cannot calibrate on one frame.
pub const MIN_CALIBRATION_FRAMES: usize = 5;
/// Fraction of the window's frames in which the eyes may read as closing (blinks: about one
/// every 3–4 s lasting 0.1–0.4 s, so up to a fifth of a 2-s window, with margin). More means
/// the eyes were held shut, or the provisional neutral caught a blink (then every later
/// frame reads as the eyes opening wider).
pub const BLINK_ALLOWANCE: f64 = 0.3;

/// Where a calibration stands after a frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Stillness {
    /// Still so far; this fraction of the window done.
    Holding(f64),
    /// Still for the whole window: the provisional neutral can be kept.
    Still,
    /// Not still, for this reason (said to the person).
    Moved(String),
}

/// The still-face test over one calibration window.
#[derive(Clone, Debug)]
pub struct StillnessCheck {
    start_s: f64,
    frames: usize,
    eyes_moved: usize,
}

impl StillnessCheck {
    /// A window starting at `start_s` (the provisional neutral's time).
    pub fn new(start_s: f64) -> Self {
        Self { start_s, frames: 0, eyes_moved: 0 }
    }

    /// The frame at `t_s`, scored against the provisional neutral.
    pub fn push(&mut self, t_s: f64, score: &FrameScore) -> Stillness {
        if let Some(flag) = score.flags.first() {
            return Stillness::Moved(format!("{flag}"));
        }
        for m in &score.movements {
            let Some(def) = movement(m.movement) else { continue };
            if m.left.abs().max(m.right.abs()) < def.min_excursion {
                continue;
            }
            if matches!(def.measure, Measure::Closure { .. }) {
                self.eyes_moved += 1;
            } else {
                return Stillness::Moved(format!(
                    "your face moved ({}): relax it and hold still",
                    def.name.to_lowercase()
                ));
            }
        }
        self.frames += 1;
        let elapsed = t_s - self.start_s;
        if elapsed < CALIBRATION_S || self.frames < MIN_CALIBRATION_FRAMES {
            return Stillness::Holding((elapsed / CALIBRATION_S).clamp(0.0, 1.0));
        }
        if self.eyes_moved as f64 > BLINK_ALLOWANCE * self.frames as f64 {
            return Stillness::Moved(
                "your eyes closed or opened wide: keep them gently open and try again".into(),
            );
        }
        Stillness::Still
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symmetry::{CORE_MOVEMENTS, FrameFlag, MovementScore};

    /// A frame where every movement has the given excursions, except eye closure's.
    fn frame(excursion: f64, closure: f64) -> FrameScore {
        FrameScore {
            pose: None,
            flags: Vec::new(),
            movements: CORE_MOVEMENTS
                .iter()
                .map(|m| {
                    let e = if m.id == "eye_closure" { closure } else { excursion };
                    MovementScore::from_excursions(m, e, e)
                })
                .collect(),
        }
    }

    fn run(frames: impl IntoIterator<Item = FrameScore>, fps: f64) -> Stillness {
        let mut check = StillnessCheck::new(0.0);
        let mut last = Stillness::Holding(0.0);
        for (i, score) in frames.into_iter().enumerate() {
            last = check.push((i + 1) as f64 / fps, &score);
            if !matches!(last, Stillness::Holding(_)) {
                break;
            }
        }
        last
    }

    /// Noise under every threshold for the window: still, and not before the window is up.
    #[test]
    fn a_still_face_is_accepted_after_the_window() {
        let mut check = StillnessCheck::new(0.0);
        assert_eq!(check.push(1.0, &frame(0.01, 0.02)), Stillness::Holding(0.5));
        assert_eq!(run((0..60).map(|_| frame(0.01, 0.02)), 30.0), Stillness::Still);
    }

    /// One frame over a movement's threshold, either way, rejects.
    #[test]
    fn any_movement_rejects() {
        let mut frames: Vec<FrameScore> = (0..60).map(|_| frame(0.0, 0.0)).collect();
        frames[30] = frame(0.04, 0.0);
        assert!(matches!(run(frames.clone(), 30.0), Stillness::Moved(_)));
        frames[30] = frame(-0.04, 0.0);
        assert!(matches!(run(frames, 30.0), Stillness::Moved(_)));
    }

    /// Blinks are allowed; eyes shut for most of the window are not.
    #[test]
    fn blinks_pass_but_shut_eyes_do_not() {
        let blink = (0..60).map(|i| frame(0.0, if (20..28).contains(&i) { 0.8 } else { 0.0 }));
        assert_eq!(run(blink, 30.0), Stillness::Still);
        let shut = (0..60).map(|i| frame(0.0, if i > 10 { 0.8 } else { 0.0 }));
        assert!(matches!(run(shut, 30.0), Stillness::Moved(_)));
    }

    /// A flagged frame (head turned, face lost) rejects with its reason.
    #[test]
    fn a_flagged_frame_rejects_with_its_reason() {
        let mut check = StillnessCheck::new(0.0);
        let flagged =
            FrameScore { pose: None, flags: vec![FrameFlag::NoFace], movements: Vec::new() };
        assert_eq!(check.push(0.1, &flagged), Stillness::Moved(FrameFlag::NoFace.to_string()));
    }

    /// A stalled source cannot calibrate on too few frames, however long it takes.
    #[test]
    fn too_few_frames_keep_holding() {
        assert!(matches!(run((0..4).map(|_| frame(0.0, 0.0)), 1.0), Stillness::Holding(_)));
    }
}
