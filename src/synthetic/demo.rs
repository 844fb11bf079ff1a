//! The built-in demo: a public-domain face (Grace Hopper, US Navy portrait; see
//! tests/data/faces/README.md) doing the exercises with the face-warping tool, the subject's
//! right side at half strength, so the app shows something real on a machine with no camera.

use image::RgbImage;

use super::deform::{SYNTHETIC_MOVEMENTS, apply_movement};
use crate::capture::{CaptureError, FrameSource};
use crate::frame::Frame;
use crate::landmarks::{FaceLandmarker, LandmarkError, Landmarks};
use crate::symmetry::{FaceFrame, MovementId};

/// The demo face, PNG.
const FACE_PNG: &[u8] = include_bytes!("../../tests/data/faces/grace_hopper.png");
/// Frames per second the demo is made at.
const DEMO_FPS: f64 = 30.0;
/// Seconds per repetition: rise, hold, relax, rest (one second each).
const REPETITION_SECS: f64 = 4.0;
/// Repetitions of each movement before the next.
const REPETITIONS: u64 = 2;
/// Seconds of relaxed face at the start of each round of movements: enough for a neutral
/// face to be calibrated (a few still seconds) whenever the demo is started.
const REST_SECS: f64 = 6.0;
/// Strength of the subject's right side (the left moves fully).
const WEAK_SIDE_STRENGTH: f64 = 0.5;
/// The movements the demo does, in the guided session's order: those whose synthetic form the
/// measures are shown to read (docs/validation.md). Not eye closure: the face mesh does not
/// follow a warped lid, so the demo would show a closure the app cannot see.
const DEMO_MOVEMENTS: [MovementId; 5] = [
    MovementId::BrowLift,
    MovementId::NoseWrinkle,
    MovementId::Smile,
    MovementId::Pucker,
    MovementId::CheekPuff,
];

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The built-in face could not be decoded.
    #[error("the demo face cannot be decoded: {0}")]
    Face(#[from] image::ImageError),
    /// The models failed on it.
    #[error(transparent)]
    Landmarks(#[from] LandmarkError),
    /// No face was found on it.
    #[error("no face found in the demo face")]
    NoFace,
}

/// An endless loop of one-sided exercises on a real face.
pub struct DemoSource {
    face: RgbImage,
    landmarks: Landmarks,
    frame: FaceFrame,
    next: u64,
}

impl DemoSource {
    /// Finds the demo face's landmarks once (with the given models).
    pub fn new(landmarker: &mut FaceLandmarker) -> Result<Self, DemoError> {
        let face = image::load_from_memory(FACE_PNG)?.to_rgb8();
        let found = landmarker.faces(&face)?;
        let landmarks = found.into_iter().next().ok_or(DemoError::NoFace)?.landmarks;
        let frame = FaceFrame::fit(&landmarks).map_err(|_| DemoError::NoFace)?;
        Ok(Self { face, landmarks, frame, next: 0 })
    }

    /// The movement id and strength (0–1) shown at frame `index`.
    pub fn phase(index: u64) -> (MovementId, f64) {
        let per_rep = (REPETITION_SECS * DEMO_FPS) as u64;
        let per_movement = per_rep * REPETITIONS;
        let rest = (REST_SECS * DEMO_FPS) as u64;
        let cycle = rest + per_movement * DEMO_MOVEMENTS.len() as u64;
        let at = index % cycle;
        let Some(at) = at.checked_sub(rest) else { return (DEMO_MOVEMENTS[0], 0.0) };
        let id = DEMO_MOVEMENTS[(at / per_movement) as usize];
        let t_s = (at % per_rep) as f64 / DEMO_FPS; // into the repetition
        let strength = match t_s {
            t_s if t_s < 1.0 => t_s,
            t_s if t_s < 2.0 => 1.0,
            t_s if t_s < 3.0 => 3.0 - t_s,
            _ => 0.0,
        };
        (id, strength)
    }
}

impl FrameSource for DemoSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        let (id, strength) = Self::phase(self.next);
        let image = match SYNTHETIC_MOVEMENTS.iter().find(|(m, _)| *m == id) {
            Some((_, movement)) if strength > 0.0 => {
                apply_movement(
                    &self.face,
                    &self.landmarks,
                    &self.frame,
                    movement,
                    strength,
                    strength * WEAK_SIDE_STRENGTH,
                )
                .0
            }
            _ => self.face.clone(),
        };
        Ok(Some(Frame::numbered(image, &mut self.next)))
    }

    fn describe(&self) -> String {
        "demo (built-in face, right side at half strength)".into()
    }

    fn frames_per_second(&self) -> Option<f64> {
        Some(DEMO_FPS)
    }
}
