//! Calibrating the neutral face over a few still seconds: one frame of the followed face is
//! taken as the provisional neutral, every later frame of the window is scored against it,
//! and the neutral is kept only if nothing moved. "Moved" is the repetition counter's own rule (a
//! movement's 3-frame median at or beyond its threshold for the minimum hold), so a neutral
//! is accepted exactly when no repetition could have started during the window, while one
//! frame of landmark jitter (the mesh's depth moves lip points by up to ±0.026 IOD between
//! frames of an identical image) cannot refuse it.

use std::collections::VecDeque;

use super::repetitions::{MIN_HOLD_S, START_FACTOR};
use crate::symmetry::movements::movement;
use crate::symmetry::{FrameScore, Measure, MovementId};

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
    /// Per movement id: the three newest activations (larger side, either direction) and
    /// since when their median has been at or beyond the threshold.
    recent: Vec<(MovementId, VecDeque<f64>, Option<f64>)>,
}

impl StillnessCheck {
    /// A window starting at `start_s` (the provisional neutral's time).
    pub fn new(start_s: f64) -> Self {
        Self { start_s, frames: 0, eyes_moved: 0, recent: Vec::new() }
    }

    /// Whether `movement`'s filtered activation has now been over its threshold for the
    /// minimum hold.
    fn held(&mut self, id: MovementId, activation: f64, threshold: f64, t_s: f64) -> bool {
        let index = match self.recent.iter().position(|(m, _, _)| *m == id) {
            Some(i) => i,
            None => {
                self.recent.push((id, VecDeque::new(), None));
                self.recent.len() - 1
            }
        };
        let (_, values, over_since) = &mut self.recent[index];
        values.push_back(activation);
        if values.len() > 3 {
            values.pop_front();
        }
        let mut sorted: Vec<f64> = values.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        let median = if sorted.len() == 3 { sorted[1] } else { 0.0 };
        if median < threshold {
            *over_since = None;
            return false;
        }
        let since = *over_since.get_or_insert(t_s);
        t_s - since >= MIN_HOLD_S
    }

    /// The frame at `t_s`, scored against the provisional neutral.
    pub fn push(&mut self, t_s: f64, score: &FrameScore) -> Stillness {
        if let Some(flag) = score.flags.first() {
            return Stillness::Moved(format!("{flag}"));
        }
        for m in &score.movements {
            let def = movement(m.movement);
            let activation = m.left.abs().max(m.right.abs());
            let threshold = START_FACTOR * def.min_excursion;
            if matches!(def.measure, Measure::Closure { .. }) {
                self.eyes_moved += usize::from(activation >= threshold);
            } else if self.held(def.id, activation, threshold, t_s) {
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
                    let e = if m.id == MovementId::EyeClosure { closure } else { excursion };
                    MovementScore::from_excursions(m, e, e)
                })
                .collect(),
            regions: None,
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

    /// A movement held over its threshold, either way, for the minimum hold rejects; one
    /// or two jittery frames do not, nor does a movement too short to be a repetition.
    #[test]
    fn a_held_movement_rejects_jitter_does_not() {
        let with = |range: std::ops::Range<usize>, e: f64| {
            (0..60).map(move |i| frame(if range.contains(&i) { e } else { 0.0 }, 0.0))
        };
        assert!(matches!(run(with(30..40, 0.04), 30.0), Stillness::Moved(_)));
        assert!(matches!(run(with(30..40, -0.04), 30.0), Stillness::Moved(_)));
        assert_eq!(run(with(30..31, 0.06), 30.0), Stillness::Still);
        assert_eq!(run(with(30..32, 0.06), 30.0), Stillness::Still);
        assert_eq!(run(with(30..36, 0.06), 30.0), Stillness::Still, "0.17 s is under the hold");
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
        let flagged = FrameScore::no_face();
        assert_eq!(check.push(0.1, &flagged), Stillness::Moved(FrameFlag::NoFace.to_string()));
    }

    /// A stalled source cannot calibrate on too few frames, however long it takes.
    #[test]
    fn too_few_frames_keep_holding() {
        assert!(matches!(run((0..4).map(|_| frame(0.0, 0.0)), 1.0), Stillness::Holding(_)));
    }
}
