//! Generated exercise recordings: a real face doing a movement a known number of times, or
//! several movements one after another, with varied strength, hold and pause, the other side at
//! a chosen fraction, the head drifting a little and the strength jittering from frame to
//! frame, as a person's would. The schedule of every repetition is known, to check an analysis
//! against.

use image::RgbImage;

use super::deform::{
    SYNTHETIC_MOVEMENTS, SyntheticMovement, add_displacement, warp_face, warp_face_lids_over_eyes,
};
use super::{Motion, moving_frame};
use crate::landmarks::Landmarks;
use crate::symmetry::frame::Vec3;
use crate::symmetry::{FaceFrame, MovementId};

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

/// Still seconds between two movements of a sequence, on top of the last repetition's pause:
/// long enough that the counter has ended one movement before the next starts (it ends a
/// repetition within a frame or two of the face relaxing).
const REST_BETWEEN_MOVEMENTS_S: f64 = 1.0;

/// One movement's repetitions within a recording.
#[derive(Clone, Debug)]
struct Segment {
    id: MovementId,
    movement: SyntheticMovement,
    plan: Vec<RepetitionSpec>,
}

/// One repetition as placed in a recording: which movement, when it starts (seconds from the
/// recording's start) and how it goes. What a test checks the analysis against.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScheduledRepetition {
    /// Movement id.
    pub movement: MovementId,
    /// When the rise starts, seconds from the recording's start.
    pub start_s: f64,
    /// The repetition.
    pub spec: RepetitionSpec,
}

impl ScheduledRepetition {
    /// When the hold starts and ends, seconds from the recording's start.
    pub fn hold_s(&self) -> (f64, f64) {
        let from = self.start_s + self.spec.rise_s;
        (from, from + self.spec.hold_s)
    }

    /// When the face is back at rest, seconds from the recording's start (the pause after the
    /// repetition not included).
    pub fn end_s(&self) -> f64 {
        self.start_s + self.spec.rise_s + self.spec.hold_s + self.spec.fall_s
    }
}

/// A generated recording of one movement, or of several in sequence.
pub struct ExerciseRecording {
    face: RgbImage,
    landmarks: Landmarks,
    frame: FaceFrame,
    segments: Vec<Segment>,
    /// Strength of the subject's right side relative to the left.
    pub right_strength: f64,
    /// Still seconds before the first repetition (a neutral face to calibrate on).
    pub lead_s: f64,
    /// Still seconds between two movements, after the last repetition's pause.
    pub between_s: f64,
    /// Frames per second.
    pub fps: f64,
    /// Largest frame-to-frame change of strength added as jitter (uniform, ±).
    pub jitter: f64,
    /// The head's slow drift over the recording.
    pub drift: Motion,
    /// Synkinesis: another synthetic movement made along with every repetition on each side,
    /// at this fraction of that side's strength (the eye narrowing with a smile,
    /// [`EYE_NARROWING`](super::twitch::EYE_NARROWING), a risen lower lid drawn over the eye:
    /// [`warp_face_lids_over_eyes`]); `None`: nothing.
    pub synkinesis: Option<(SyntheticMovement, f64)>,
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
        movement_id: MovementId,
        plan: Vec<RepetitionSpec>,
    ) -> Option<Self> {
        Self::sequence(face, landmarks, frame, vec![(movement_id, plan)])
    }

    /// `face` doing each movement of `segments` by its plan, in order, with
    /// [`REST_BETWEEN_MOVEMENTS_S`] of rest between two movements; `None` if a movement has no
    /// synthetic form. Defaults as for [`ExerciseRecording::new`].
    pub fn sequence(
        face: RgbImage,
        landmarks: Landmarks,
        frame: FaceFrame,
        segments: Vec<(MovementId, Vec<RepetitionSpec>)>,
    ) -> Option<Self> {
        let segments = segments
            .into_iter()
            .map(|(movement_id, plan)| {
                let (id, movement) =
                    SYNTHETIC_MOVEMENTS.iter().find(|(id, _)| *id == movement_id)?;
                Some(Segment { id: *id, movement: *movement, plan })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            face,
            landmarks,
            frame,
            segments,
            right_strength: 0.5,
            lead_s: 1.0,
            between_s: REST_BETWEEN_MOVEMENTS_S,
            fps: 10.0,
            jitter: 0.05,
            drift: Motion { shift_px: [3.0, 2.0], roll_deg: 2.0 },
            synkinesis: None,
        })
    }

    /// Every repetition in order, placed in time.
    pub fn schedule(&self) -> Vec<ScheduledRepetition> {
        let mut t = self.lead_s;
        let mut out = Vec::new();
        for (i, segment) in self.segments.iter().enumerate() {
            if i > 0 {
                t += self.between_s;
            }
            for spec in &segment.plan {
                out.push(ScheduledRepetition { movement: segment.id, start_s: t, spec: *spec });
                t += spec.duration();
            }
        }
        out
    }

    /// Number of frames: the lead, every repetition, the rests between movements, and one
    /// second of rest after.
    pub fn len(&self) -> usize {
        let rests = self.between_s * self.segments.len().saturating_sub(1) as f64;
        let reps: f64 =
            self.segments.iter().flat_map(|s| &s.plan).map(RepetitionSpec::duration).sum();
        ((self.lead_s + reps + rests + 1.0) * self.fps).ceil() as usize
    }

    /// Whether there are no frames (never: the lead and the rest after are always there).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The movement under way at frame `index` (`None` at rest) and the healthy (left) side's
    /// strength, jitter included.
    fn movement_at(&self, index: usize) -> (Option<&SyntheticMovement>, f64) {
        let t = index as f64 / self.fps;
        let base = self.schedule().into_iter().find_map(|rep| {
            let into = t - rep.start_s;
            (0.0..rep.spec.duration()).contains(&into).then(|| {
                let segment = self.segments.iter().find(|s| s.id == rep.movement);
                (segment.map(|s| &s.movement), rep.spec.strength_at(into))
            })
        });
        let (movement, strength) = base.unwrap_or((None, 0.0));
        if strength <= 0.0 {
            return (None, 0.0);
        }
        // Deterministic jitter from the frame number (a hash, uniform in ±1).
        let h = (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let unit = ((h >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0;
        (movement, (strength + self.jitter * unit).clamp(0.0, 1.0))
    }

    /// The healthy (left) side's strength at frame `index`, jitter included.
    pub fn strength(&self, index: usize) -> f64 {
        self.movement_at(index).1
    }

    /// Where the landmarks are (face coordinates) when the left side moves with strength `s`
    /// (the right with [`Self::right_strength`] of it), synkinesis included.
    pub fn displaced(&self, movement: &SyntheticMovement, s: f64) -> Vec<Vec3> {
        let base = &self.frame.landmarks;
        let right = s * self.right_strength;
        let mut moved = movement.displaced(base, s, right);
        if let Some((co, k)) = self.synkinesis {
            add_displacement(&mut moved, &co.displaced(base, k * s, k * right), base);
        }
        moved
    }

    /// Frame `index`.
    pub fn frame(&self, index: usize) -> RgbImage {
        let moved = match self.movement_at(index) {
            (Some(movement), s) if s > 0.0 => {
                let to = self.displaced(movement, s);
                if self.synkinesis.is_some() {
                    warp_face_lids_over_eyes(&self.face, &self.landmarks, &self.frame, &to)
                } else {
                    warp_face(&self.face, &self.landmarks, &self.frame, &to).0
                }
            }
            _ => self.face.clone(),
        };
        moving_frame(&moved, index, self.len(), self.drift)
    }

    /// The synthetic movement of repetition `rep` (see [`Self::schedule`]).
    pub fn movement_of(&self, rep: &ScheduledRepetition) -> Option<&SyntheticMovement> {
        self.segments.iter().find(|s| s.id == rep.movement).map(|s| &s.movement)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symmetry::MovementId::{Pucker, Smile};
    use crate::symmetry::frame::TEMPLATE;

    /// A recording on a blank image whose landmarks are the face frame's template (100 px per
    /// IOD): enough for timing, no model needed. `None` as [`ExerciseRecording::sequence`].
    fn blank(segments: Vec<(MovementId, Vec<RepetitionSpec>)>) -> Option<ExerciseRecording> {
        let mut points = vec![[0.0f32; 3]; crate::landmarks::NUM_LANDMARKS];
        for (i, p) in TEMPLATE {
            points[i] = p.map(|v| (200.0 + 100.0 * v) as f32);
        }
        let landmarks = Landmarks::new(points).unwrap();
        let frame = FaceFrame::fit(&landmarks).unwrap();
        ExerciseRecording::sequence(RgbImage::new(8, 8), landmarks, frame, segments)
    }

    /// Movements follow one another with the rest between them; `new` is a sequence of one.
    #[test]
    fn a_sequence_places_each_movement_after_the_last() {
        let plan = varied_repetitions(2);
        let one = blank(vec![(Smile, plan.clone())]).unwrap();
        let two = blank(vec![(Smile, plan.clone()), (Pucker, plan.clone())]).unwrap();
        let reps = two.schedule();
        assert_eq!(
            reps.iter().map(|r| r.movement).collect::<Vec<_>>(),
            [Smile, Smile, Pucker, Pucker]
        );
        let smiles: f64 = plan.iter().map(RepetitionSpec::duration).sum();
        assert!((reps[2].start_s - (two.lead_s + smiles + two.between_s)).abs() < 1e-9);
        assert_eq!(one.schedule()[..], reps[..2]);
        let extra = (smiles + two.between_s) * two.fps;
        assert!((two.len() as f64 - one.len() as f64 - extra).abs() <= 1.0);
    }

    /// The strength is zero at rest and between movements, and the plan's in each hold.
    #[test]
    fn strength_follows_the_schedule() {
        let plan = varied_repetitions(2);
        let mut rec = blank(vec![(Smile, plan.clone()), (Pucker, plan)]).unwrap();
        rec.jitter = 0.0;
        assert_eq!(rec.strength(0), 0.0);
        for rep in rec.schedule() {
            let (from, to) = rep.hold_s();
            let mid = ((from + to) / 2.0 * rec.fps).round() as usize;
            assert_eq!(rec.strength(mid), rep.spec.strength);
            assert_eq!(rec.movement_at(mid).1, rep.spec.strength);
        }
        let last = rec.schedule()[1];
        let rest = ((last.end_s() + last.spec.pause_s + rec.between_s / 2.0) * rec.fps) as usize;
        assert_eq!(rec.strength(rest), 0.0);
    }
}
