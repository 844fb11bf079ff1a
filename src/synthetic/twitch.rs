//! Generated recordings of a real face at rest with known involuntary movements: one-sided
//! twitches of the lower lid or the mouth corner of chosen size and length, blinks of both
//! eyes, and the small sway and jitter of a head held still. What twitch detection is checked
//! against.

use image::RgbImage;

use super::deform::{
    ControlGroup, SYNTHETIC_MOVEMENTS, SyntheticMovement, add_displacement, warp_face,
};
use super::{Motion, frame_from_original};
use crate::landmarks::Landmarks;
use crate::landmarks::warp::{self, Affine, Border};
use crate::session::events::{Event, EventKind};
use crate::symmetry::frame::Vec3;
use crate::symmetry::regions::Region;
use crate::symmetry::{FaceFrame, MovementId, Side};

/// The lower lid margin rising by 1 IOD (scaled by a twitch's size) and the lid's skin below it
/// by 0.7, the upper lid staying (each group's fall-off is short of it). At a strength of 0.04
/// it is also how the eye narrows in a smile (the cheek pushing the lower lid up): synkinesis.
pub const EYE_NARROWING: SyntheticMovement = LOWER_LID_TWITCH;

const LOWER_LID_TWITCH: SyntheticMovement = SyntheticMovement {
    groups: &[
        ControlGroup {
            controls: &[144, 145, 153],
            displacement_iod: [0.0, -1.0, 0.0],
            falloff_iod: 0.04,
        },
        ControlGroup {
            controls: &[24, 23, 22],
            displacement_iod: [0.0, -0.7, 0.0],
            falloff_iod: 0.04,
        },
    ],
};

/// The mouth corner pulled up and out by 1 IOD (scaled), as in a smile.
const MOUTH_CORNER_TWITCH: SyntheticMovement = SyntheticMovement {
    groups: &[ControlGroup {
        controls: &[61, 78],
        displacement_iod: [-std::f64::consts::FRAC_1_SQRT_2, -std::f64::consts::FRAC_1_SQRT_2, 0.0],
        falloff_iod: 0.15,
    }],
};

/// Rise and fall of a twitch, seconds (each at most a third of it).
const TWITCH_EDGE_S: f64 = 0.05;

/// An involuntary movement placed in a generated recording.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Involuntary {
    /// One side's lower lid or mouth corner moves by `size_iod` (the moving points'
    /// displacement at its height) from `start_s` for `duration_s`.
    Twitch {
        /// [`Region::LowerLid`] or [`Region::MouthCorner`].
        region: Region,
        /// The side that twitches.
        side: Side,
        /// Displacement at the height, IOD.
        size_iod: f64,
        /// Seconds from the recording's start.
        start_s: f64,
        /// From the first movement to the last.
        duration_s: f64,
    },
    /// Both eyes closing as far as the warp closes them and opening again.
    Blink {
        /// Seconds from the recording's start.
        start_s: f64,
        /// From the first movement to the last.
        duration_s: f64,
    },
}

impl Involuntary {
    /// When it starts and ends, seconds.
    pub fn span(&self) -> (f64, f64) {
        match *self {
            Involuntary::Twitch { start_s, duration_s, .. }
            | Involuntary::Blink { start_s, duration_s } => (start_s, start_s + duration_s),
        }
    }

    /// Its strength at `t` (0–1 of its height): a trapezoid for a twitch, a triangle for a
    /// blink.
    fn strength_at(&self, t: f64) -> f64 {
        let (start, end) = self.span();
        if t <= start || t >= end {
            return 0.0;
        }
        let edge = match self {
            Involuntary::Twitch { duration_s, .. } => TWITCH_EDGE_S.min(duration_s / 3.0),
            Involuntary::Blink { duration_s, .. } => duration_s / 2.0,
        };
        ((t - start) / edge).min((end - t) / edge).min(1.0)
    }
}

/// A generated recording of a face at rest.
pub struct RestRecording {
    face: RgbImage,
    landmarks: Landmarks,
    frame: FaceFrame,
    /// What happens, in any order.
    pub events: Vec<Involuntary>,
    /// Length, seconds.
    pub duration_s: f64,
    /// Frames per second.
    pub fps: f64,
    /// The head's slow sway: largest shift (pixels) and roll (degrees), over a period of
    /// [`SWAY_PERIOD_S`].
    pub sway: ([f64; 2], f64),
    /// Largest frame-to-frame jitter of the head, pixels (uniform, ±).
    pub jitter_px: f64,
}

/// Seconds of one sway of the head.
pub const SWAY_PERIOD_S: f64 = 7.0;

impl RestRecording {
    /// `face` (with its landmarks and face frame) still for `duration_s` at 30 fps, swaying
    /// ±1.5 px and ±0.5° and jittering ±0.3 px, with `events`.
    pub fn new(
        face: RgbImage,
        landmarks: Landmarks,
        frame: FaceFrame,
        duration_s: f64,
        events: Vec<Involuntary>,
    ) -> Self {
        Self {
            face,
            landmarks,
            frame,
            events,
            duration_s,
            fps: 30.0,
            sway: ([1.5, 1.0], 0.5),
            jitter_px: 0.3,
        }
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        (self.duration_s * self.fps).round() as usize
    }

    /// Whether there are no frames.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where the landmarks are at `t` (face coordinates): every event under way added.
    fn moved(&self, t: f64) -> Option<Vec<Vec3>> {
        let base = &self.frame.landmarks;
        let mut moved = base.clone();
        let mut any = false;
        for event in &self.events {
            let s = event.strength_at(t);
            if s <= 0.0 {
                continue;
            }
            any = true;
            let displaced = match *event {
                Involuntary::Twitch { region, side, size_iod, .. } => {
                    let movement = match region {
                        Region::LowerLid => &LOWER_LID_TWITCH,
                        _ => &MOUTH_CORNER_TWITCH,
                    };
                    let size = s * size_iod;
                    let (left, right) = if side == Side::Left { (size, 0.0) } else { (0.0, size) };
                    movement.displaced(base, left, right)
                }
                Involuntary::Blink { .. } => {
                    let eyes =
                        SYNTHETIC_MOVEMENTS.iter().find(|(id, _)| *id == MovementId::EyeClosure);
                    let Some((_, movement)) = eyes else { continue };
                    movement.displaced(base, s, s)
                }
            };
            add_displacement(&mut moved, &displaced, base);
        }
        any.then_some(moved)
    }

    /// Frame `index`.
    pub fn frame(&self, index: usize) -> RgbImage {
        let t = index as f64 / self.fps;
        let moved = match self.moved(t) {
            Some(moved) => warp_face(&self.face, &self.landmarks, &self.frame, &moved).0,
            None => self.face.clone(),
        };
        let (w, h) = moved.dimensions();
        let frame_from_face = self.head_at(index, w, h);
        let face_from_frame = frame_from_face.inverse().unwrap_or(frame_from_face);
        warp::warp_rgb(&moved, &face_from_frame, w, h, Border::Replicate)
    }

    /// The head's placement in frame `index` (sway and jitter): face image to frame pixels.
    fn head_at(&self, index: usize, width: u32, height: u32) -> Affine {
        // The sway is `moving_frame`'s path with a period of SWAY_PERIOD_S.
        let period = (self.fps * SWAY_PERIOD_S).round().max(1.0) as usize;
        let ([sx, sy], roll_deg) = self.sway;
        let sway = Motion { shift_px: [sx, sy], roll_deg };
        let mut placed = frame_from_original(width, height, index % period, period, sway);
        // Deterministic jitter from the frame number (a hash, uniform in ±1).
        let unit = |salt: u64| {
            let h = (index as u64 * 2 + salt + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            ((h >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        placed.0[2] += self.jitter_px * unit(0);
        placed.0[5] += self.jitter_px * unit(1);
        placed
    }
}

/// Twitches every 2.5 s through `length_s` seconds (after 2 s of rest), cycling the lower lid and
/// the mouth corner, left and right, sizes 0.02–0.08 IOD (the lower lid to 0.05: a larger
/// rise would close the warped eye) and lengths 0.1–0.5 s with a 0.8-s spasm every fifth;
/// and a blink of 0.2 s between every second pair.
pub fn varied_events(length_s: f64) -> Vec<Involuntary> {
    const CORNER_SIZES: [f64; 6] = [0.02, 0.03, 0.04, 0.05, 0.06, 0.08];
    const LID_SIZES: [f64; 4] = [0.02, 0.03, 0.04, 0.05];
    const LENGTHS: [f64; 5] = [0.1, 0.2, 0.3, 0.5, 0.8];
    let mut events = Vec::new();
    let mut i = 0;
    let mut t = 2.0;
    while t + 1.5 < length_s {
        let region = if i % 2 == 0 { Region::LowerLid } else { Region::MouthCorner };
        let side = if (i / 2) % 2 == 0 { Side::Left } else { Side::Right };
        let size_iod = match region {
            Region::LowerLid => LID_SIZES[(i / 4) % LID_SIZES.len()],
            _ => CORNER_SIZES[(i / 4) % CORNER_SIZES.len()],
        };
        let duration_s = LENGTHS[i % LENGTHS.len()];
        events.push(Involuntary::Twitch { region, side, size_iod, start_s: t, duration_s });
        if i % 4 == 3 && t + 2.3 < length_s {
            events.push(Involuntary::Blink { start_s: t + 1.6, duration_s: 0.2 });
        }
        i += 1;
        t += 2.5;
    }
    events
}

/// How one generated twitch was found.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// The twitch.
    pub twitch: Involuntary,
    /// The event found overlapping it in its region, if one was.
    pub event: Option<Event>,
}

impl Found {
    /// Whether it was found on its side, with start and end within `tolerance_s`.
    pub fn is_right(&self, tolerance_s: f64) -> bool {
        let (Involuntary::Twitch { side, .. }, Some(e)) = (self.twitch, &self.event) else {
            return false;
        };
        let (start, end) = self.twitch.span();
        let side = if side == Side::Left { "left" } else { "right" };
        e.side == side
            && (e.start_s - start).abs() <= tolerance_s
            && (e.end_s - end).abs() <= tolerance_s
    }
}

/// Each generated twitch of `events` with the found event (of `found`) that overlaps it in
/// its region, and the found events that overlap no twitch (false ones).
pub fn match_events(events: &[Involuntary], found: &[Event]) -> (Vec<Found>, Vec<Event>) {
    let mut used = vec![false; found.len()];
    let mut twitches = Vec::new();
    for twitch in events {
        let Involuntary::Twitch { region, .. } = *twitch else { continue };
        let (start, end) = twitch.span();
        let hit = found
            .iter()
            .enumerate()
            .find(|(k, e)| !used[*k] && e.region == region.name() && e.overlaps(start, end, 0.1));
        if let Some((k, _)) = hit {
            used[k] = true;
        }
        twitches.push(Found { twitch: *twitch, event: hit.map(|(_, e)| e.clone()) });
    }
    let blinks_and_false = found.iter().zip(&used).filter(|(_, u)| !**u).map(|(e, _)| e);
    let false_events = blinks_and_false.filter(|e| e.kind != EventKind::Blink).cloned().collect();
    (twitches, false_events)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A twitch rises within its edge, holds its size and is over at its end; a blink peaks
    /// in its middle.
    #[test]
    fn strengths_follow_the_schedule() {
        let twitch = Involuntary::Twitch {
            region: Region::LowerLid,
            side: Side::Left,
            size_iod: 0.04,
            start_s: 1.0,
            duration_s: 0.3,
        };
        assert_eq!(twitch.strength_at(1.0), 0.0);
        assert!((twitch.strength_at(1.025) - 0.5).abs() < 1e-9);
        assert_eq!(twitch.strength_at(1.15), 1.0);
        assert_eq!(twitch.strength_at(1.3), 0.0);
        let short = Involuntary::Twitch {
            region: Region::LowerLid,
            side: Side::Left,
            size_iod: 0.04,
            start_s: 1.0,
            duration_s: 0.09,
        };
        assert!((short.strength_at(1.045) - 1.0).abs() < 1e-9);
        let blink = Involuntary::Blink { start_s: 2.0, duration_s: 0.2 };
        assert!((blink.strength_at(2.1) - 1.0).abs() < 1e-9);
        assert!((blink.strength_at(2.05) - 0.5).abs() < 1e-9);
    }
}
