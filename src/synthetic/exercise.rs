//! Generated exercise recordings: a real face doing a movement a known number of times, with
//! varied strength, hold and pause, the other side at a chosen fraction, the head drifting a
//! little and the strength jittering from frame to frame, as a person's would.

use image::RgbImage;

use super::deform::{SYNTHETIC_MOVEMENTS, SyntheticMovement, apply_movement};
use super::{Motion, moving_frame};
use crate::landmarks::Landmarks;
use crate::symmetry::FaceFrame;

/// One repetition's timing (seconds) and strength (0–1 of the synthetic movement).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RepetitionSpec {
    /// Strength at the hold.
    pub strength: f64,
    /// From rest to the hold.
    pub rise_s: f64,
    /// At full strength.
    pub hold_s: f64,
    /// Back to rest.
    pub fall_s: f64,
    /// At rest before the next.
    pub pause_s: f64,
}

impl RepetitionSpec {
    fn duration(&self) -> f64 {
        self.rise_s + self.hold_s + self.fall_s + self.pause_s
    }

    /// Strength `t` seconds into this repetition.
    fn strength_at(&self, t: f64) -> f64 {
        let ramp = |x: f64| x.clamp(0.0, 1.0);
        if t < self.rise_s {
            self.strength * ramp(t / self.rise_s)
        } else if t < self.rise_s + self.hold_s {
            self.strength
        } else if t < self.rise_s + self.hold_s + self.fall_s {
            self.strength * ramp(1.0 - (t - self.rise_s - self.hold_s) / self.fall_s)
        } else {
            0.0
        }
    }
}

/// `n` repetitions with strength 0.6–1.0, hold 0.5–1.2 s and pause 0.6–1.2 s, varied by a
/// fixed pattern so a test sees short and long, weak and strong ones.
pub fn varied_repetitions(n: usize) -> Vec<RepetitionSpec> {
    (0..n)
        .map(|i| RepetitionSpec {
            strength: [1.0, 0.7, 0.85, 0.6][i % 4],
            rise_s: [0.4, 0.3, 0.5][i % 3],
            hold_s: [0.6, 1.2, 0.5, 0.9, 0.7][i % 5],
            fall_s: [0.4, 0.5][i % 2],
            pause_s: [0.8, 0.6, 1.2][i % 3],
        })
        .collect()
}

/// A generated recording of one movement.
pub struct ExerciseRecording {
    face: RgbImage,
    landmarks: Landmarks,
    frame: FaceFrame,
    movement: SyntheticMovement,
    plan: Vec<RepetitionSpec>,
    /// Strength of the subject's right side relative to the left.
    pub right_strength: f64,
    /// Still seconds before the first repetition (a neutral face to calibrate on).
    pub lead_s: f64,
    /// Frames per second.
    pub fps: f64,
    /// Largest frame-to-frame change of strength added as jitter (uniform, ±).
    pub jitter: f64,
    /// The head's slow drift over the recording.
    pub drift: Motion,
}

impl ExerciseRecording {
    /// `face` (with its landmarks and face frame) doing synthetic movement `movement_id`
    /// (see [`SYNTHETIC_MOVEMENTS`]) by `plan`; `None` for a movement that has no synthetic
    /// form. Defaults: 10 fps, 1 s lead, right side at half strength, ±0.05 strength jitter,
    /// head drifting ±3 px and ±2°.
    pub fn new(
        face: RgbImage,
        landmarks: Landmarks,
        frame: FaceFrame,
        movement_id: &str,
        plan: Vec<RepetitionSpec>,
    ) -> Option<Self> {
        let movement = SYNTHETIC_MOVEMENTS.iter().find(|(id, _)| *id == movement_id)?.1;
        Some(Self {
            face,
            landmarks,
            frame,
            movement,
            plan,
            right_strength: 0.5,
            lead_s: 1.0,
            fps: 10.0,
            jitter: 0.05,
            drift: Motion { shift_px: [3.0, 2.0], roll_deg: 2.0 },
        })
    }

    /// Number of frames: the lead, every repetition, and one second of rest after.
    pub fn len(&self) -> usize {
        let total = self.lead_s + self.plan.iter().map(RepetitionSpec::duration).sum::<f64>() + 1.0;
        (total * self.fps).ceil() as usize
    }

    /// Whether there are no frames (never: the lead and the rest after are always there).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The healthy (left) side's strength at frame `index`, jitter included.
    pub fn strength(&self, index: usize) -> f64 {
        let mut t = index as f64 / self.fps - self.lead_s;
        let mut base = 0.0;
        if t >= 0.0 {
            for rep in &self.plan {
                if t < rep.duration() {
                    base = rep.strength_at(t);
                    break;
                }
                t -= rep.duration();
            }
        }
        if base <= 0.0 {
            return 0.0;
        }
        // Deterministic jitter from the frame number (a hash, uniform in ±1).
        let h = (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let unit = ((h >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0;
        (base + self.jitter * unit).clamp(0.0, 1.0)
    }

    /// Frame `index`.
    pub fn frame(&self, index: usize) -> RgbImage {
        let s = self.strength(index);
        let moved = if s > 0.0 {
            apply_movement(
                &self.face,
                &self.landmarks,
                &self.frame,
                &self.movement,
                s,
                s * self.right_strength,
            )
            .0
        } else {
            self.face.clone()
        };
        moving_frame(&moved, index, self.len(), self.drift)
    }
}
