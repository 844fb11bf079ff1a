//! Known one-sided movements run through the whole pipeline: a real neutral face is warped so
//! that the subject's left side moves fully and the right side with strength r, the model
//! finds the landmarks again, and both scoring paths (mesh only, and skin motion) measure it.
//! Used by the validation tests and by `examples/validation_table.rs`.

use image::RgbImage;

use crate::analysis::calibration::{Calibration, MirrorImage, mirrored_neutral};
use crate::landmarks::{FaceLandmarker, LandmarkError};
use crate::symmetry::movements::movement;
use crate::symmetry::score::{MovementScore, NeutralError};
use crate::symmetry::{FaceFrame, FrameFlag, FrameScore, Method, MovementId, NeutralFace, Side};

use super::deform::{SYNTHETIC_MOVEMENTS, apply_movement};

/// One warped face, measured.
#[derive(Clone, Debug)]
pub struct KnownMovement {
    /// Movement id.
    pub movement: MovementId,
    /// Strength of the right side's movement (the left moves fully).
    pub strength: f64,
    /// The excursions the warp applied, left and right, by the movement's own measure.
    pub truth: [f64; 2],
    /// Mesh-only score.
    pub mesh: MovementScore,
    /// Skin-motion score.
    pub flow: MovementScore,
    /// Skin-motion scores of the other core movements on the same frame: cross-talk, which
    /// should read as no movement.
    pub others: Vec<MovementScore>,
    /// The skin-motion score after the mirror check ([`Calibration::check`], as `facesym
    /// score` and `analyze` make it): the same as `flow` but for its `mirror_difference`, and
    /// without a ratio when the frame's mirror image reads it differently. `None` when the
    /// neutral's or the frame's mirror image could not be scored.
    pub checked: Option<MovementScore>,
}

/// Why a validation case could not run.
#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    /// The model failed.
    #[error(transparent)]
    Landmarks(#[from] LandmarkError),
    /// No face (or no face after warping).
    #[error("no face found")]
    NoFace,
    /// The neutral face is unusable.
    #[error(transparent)]
    Neutral(#[from] NeutralError),
    /// A warped frame was flagged.
    #[error("warped frame flagged: {0}")]
    Flagged(FrameFlag),
}

/// Warps `image` for every movement of [`SYNTHETIC_MOVEMENTS`] and every strength in
/// `strengths`, and measures each.
pub fn known_movements(
    landmarker: &mut FaceLandmarker,
    image: &RgbImage,
    strengths: &[f64],
) -> Result<Vec<KnownMovement>, ValidationError> {
    let faces = landmarker.faces(image)?;
    let landmarks = &faces.first().ok_or(ValidationError::NoFace)?.landmarks;
    let direct = NeutralFace::calibrate(image, landmarks)?;
    let frame = FaceFrame::fit(landmarks).map_err(ValidationError::Flagged)?;
    let calibration = Calibration { direct, mirrored: mirrored_neutral(landmarker, image)? };
    let mut out = Vec::new();
    for (id, synthetic) in SYNTHETIC_MOVEMENTS {
        let definition = movement(id);
        for &r in strengths {
            let (warped, _) = apply_movement(image, landmarks, &frame, &synthetic, 1.0, r);
            let moved = synthetic.displaced(&frame.landmarks, 1.0, r);
            let truth = [Side::Left, Side::Right]
                .map(|side| definition.measure.excursion(side, &frame.landmarks, &moved));
            let found = landmarker.faces(&warped)?;
            let warped_landmarks = &found.first().ok_or(ValidationError::NoFace)?.landmarks;
            // This movement's score and the others'.
            let split = |score: FrameScore| {
                if let Some(flag) = score.flags.first() {
                    return Err(ValidationError::Flagged(flag.clone()));
                }
                let (this, others): (Vec<_>, Vec<_>) =
                    score.movements.into_iter().partition(|m| m.movement == id);
                let this = this.into_iter().next().ok_or(ValidationError::NoFace)?;
                Ok((this, others))
            };
            let neutral = &calibration.direct;
            let (mesh, _) = split(neutral.score(Method::MeshOnly, &warped, warped_landmarks))?;
            let direct = neutral.score(Method::SkinMotion, &warped, warped_landmarks);
            let mut checked = direct.clone();
            let mirror = MirrorImage::Find(landmarker);
            let checked = calibration
                .check(Method::SkinMotion, &mut checked, &warped, mirror)?
                .then(|| checked.movements.into_iter().find(|m| m.movement == id))
                .flatten();
            let (flow, others) = split(direct)?;
            out.push(KnownMovement {
                movement: id,
                strength: r,
                truth,
                mesh,
                flow,
                others,
                checked,
            });
        }
    }
    Ok(out)
}
