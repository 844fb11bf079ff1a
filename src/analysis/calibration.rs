//! The calibration every caller measures against: the neutral face and the same face mirrored,
//! and the one way a frame is scored and checked against its own mirror image.

use image::RgbImage;
use image::imageops::flip_horizontal;

use crate::landmarks::{FaceLandmarker, LandmarkError, Landmarks, largest_face};
use crate::symmetry::flow::SkinTrack;
use crate::symmetry::score::ClosedEyesError;
use crate::symmetry::score::check_against_mirror;
use crate::symmetry::{FaceFrame, FrameScore, Method, MovementId, NeutralError, NeutralFace};

/// Said when the neutral face cannot be found again in its own mirror image, so that no frame
/// can be checked against its mirror image.
pub const NO_MIRROR_CHECK_WARNING: &str = "the neutral face could not be measured in its \
     mirror image, so the scores are not checked against the mirrored frames";

/// What `score` and `analyze` say when eye closure is measured against the person's closed
/// eyes, which read `closed` of the open aperture closed.
pub fn closed_eyes_note(closed: f64) -> String {
    format!(
        "eye closure: a fraction of your closed eyes, which read {closed:.2} of the open \
         aperture closed (1.00: as closed as there)"
    )
}

/// Why an image cannot serve as the neutral face.
#[derive(Debug, thiserror::Error)]
pub enum CalibrationError {
    /// The models failed.
    #[error(transparent)]
    Landmarks(#[from] LandmarkError),
    /// No face in it.
    #[error("no face in the neutral image")]
    NoFace,
    /// A face, but not one to measure against.
    #[error("the neutral image cannot be used: {0}")]
    Unusable(#[from] NeutralError),
}

/// The neutral face a person is measured against, and its mirror image.
#[derive(Clone, Debug)]
pub struct Calibration {
    /// The neutral face as the camera saw it.
    pub direct: NeutralFace,
    /// The neutral face flipped horizontally, its face found afresh there: what each frame's
    /// mirror image is scored against. `None` when no face there can be measured against.
    pub mirrored: Option<NeutralFace>,
}

/// Where the mirror image of a frame, and its face, come from.
pub enum MirrorImage<'a> {
    /// Already flipped and its face followed (a recording's second tracker follows the
    /// mirrored frames in order); `face` is `None` when none was found there.
    Tracked {
        /// The frame flipped horizontally.
        image: &'a RgbImage,
        /// Its face's landmarks.
        face: Option<&'a Landmarks>,
    },
    /// Flip the frame and find its largest face afresh with this landmarker.
    Find(&'a mut FaceLandmarker),
}

impl Calibration {
    /// From one image of the relaxed face: its largest face, calibrated, and the mirror image's.
    pub fn from_image(
        landmarker: &mut FaceLandmarker,
        image: &RgbImage,
    ) -> Result<Self, CalibrationError> {
        let face = largest_face(landmarker.faces(image)?).ok_or(CalibrationError::NoFace)?;
        let direct = NeutralFace::calibrate(image, &face.landmarks)?;
        Ok(Self { direct, mirrored: mirrored_neutral(landmarker, image)? })
    }

    /// Calibrates eye closure to the person's own closed eyes, from frames of both eyes gently
    /// closed ([`Neutral::calibrate_closed_eyes`]), for the mirror image too (the eye that
    /// closed further is the same eye either way round). Returns the closure that counts as
    /// fully closed.
    ///
    /// [`Neutral::calibrate_closed_eyes`]: crate::symmetry::Neutral::calibrate_closed_eyes
    pub fn calibrate_closed_eyes(&mut self, frames: &[FaceFrame]) -> Result<f64, ClosedEyesError> {
        let closed = self.direct.neutral.calibrate_closed_eyes(frames)?;
        if let Some(mirrored) = &mut self.mirrored {
            mirrored.neutral.closed_eyes = self.direct.neutral.closed_eyes;
        }
        Ok(closed)
    }

    /// What to tell the person about this neutral face: [`NeutralImage::warnings`] (turned from
    /// the camera, too soft for skin motion, too smooth between the eyes to follow the head, a
    /// movement that cannot be followed) and [`NO_MIRROR_CHECK_WARNING`].
    ///
    /// [`NeutralImage::warnings`]: crate::symmetry::flow::NeutralImage::warnings
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = self.direct.image.warnings();
        if self.mirrored.is_none() {
            warnings.push(NO_MIRROR_CHECK_WARNING.to_string());
        }
        warnings
    }

    /// Scores a frame (`image`, its face's `landmarks`; `None`: no face) against the neutral
    /// face by `method`, and checks it against its mirror image ([`Self::check`]).
    pub fn score_checked(
        &self,
        method: Method,
        image: &RgbImage,
        landmarks: Option<&Landmarks>,
        mirror: MirrorImage<'_>,
    ) -> Result<FrameScore, LandmarkError> {
        let Some(landmarks) = landmarks else { return Ok(FrameScore::no_face()) };
        let mut score = self.direct.score(method, image, landmarks);
        self.check(method, &mut score, image, mirror)?;
        Ok(score)
    }

    /// The mirror check (docs/metrics.md, "Mirror check"): the frame's mirror image scored the
    /// same way against the mirrored neutral, and each movement of `direct` that reads
    /// differently there marked ([`check_against_mirror`]). Whether it was checked: not when
    /// the neutral's or the frame's mirror image has no face that can be scored.
    pub fn check(
        &self,
        method: Method,
        direct: &mut FrameScore,
        image: &RgbImage,
        mirror: MirrorImage<'_>,
    ) -> Result<bool, LandmarkError> {
        let Some(mirrored) = &self.mirrored else { return Ok(false) };
        let reading = match mirror {
            MirrorImage::Tracked { image, face } => face.map(|f| mirrored.score(method, image, f)),
            MirrorImage::Find(landmarker) => {
                let flipped = flip_horizontal(image);
                largest_face(landmarker.faces(&flipped)?)
                    .map(|face| mirrored.score(method, &flipped, &face.landmarks))
            }
        };
        match reading {
            Some(reading) if reading.flags.is_empty() => {
                check_against_mirror(direct, &reading, &self.direct.neutral);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// The skin of a video and of its mirror image, each followed from frame to frame
/// ([`Calibration::score_video_checked`]).
#[derive(Clone, Debug, Default)]
pub struct VideoTracks {
    direct: SkinTrack,
    mirrored: SkinTrack,
}

impl VideoTracks {
    /// Forgets both tracks: the next frame is followed from the neutral face.
    pub fn reset(&mut self) {
        self.direct.reset();
        self.mirrored.reset();
    }

    /// Both tracks follow only `movement`'s skin, or all of it ([`SkinTrack::follow_only`]).
    pub fn follow_only(&mut self, movement: Option<MovementId>) {
        self.direct.follow_only(movement);
        self.mirrored.follow_only(movement);
    }

    /// The frames' own track (not the mirror images') also follows the skin twitches are
    /// looked for in ([`SkinTrack::follow_rest`]).
    pub fn follow_rest(&mut self, at_rest: bool) {
        self.direct.follow_rest(at_rest);
    }
}

impl Calibration {
    /// The next frame of a video scored by skin followed frame to frame
    /// ([`NeutralFace::score_video`]), without the mirror check: its mirror image's track is
    /// ended, to start from the neutral face when the check is next made.
    pub fn score_video(
        &self,
        image: &RgbImage,
        landmarks: &Landmarks,
        tracks: &mut VideoTracks,
    ) -> FrameScore {
        tracks.mirrored.reset();
        self.direct.score_video(image, landmarks, &mut tracks.direct)
    }

    /// The next frame of a video (`image`, its face's `landmarks`; `None`: no face) scored by
    /// skin followed frame to frame ([`NeutralFace::score_video`]), and checked against its
    /// mirror image (`mirror_image`, its face `mirror_face`) followed the same way, both at
    /// once. Not checked when the neutral's or the frame's mirror image has no face that can be
    /// scored.
    pub fn score_video_checked(
        &self,
        image: &RgbImage,
        landmarks: Option<&Landmarks>,
        mirror_image: &RgbImage,
        mirror_face: Option<&Landmarks>,
        tracks: &mut VideoTracks,
    ) -> FrameScore {
        let VideoTracks { direct, mirrored } = tracks;
        let Some(landmarks) = landmarks else {
            direct.reset();
            mirrored.reset();
            return FrameScore::no_face();
        };
        let (mut score, reading) = rayon::join(
            || self.direct.score_video(image, landmarks, direct),
            || match (&self.mirrored, mirror_face) {
                (Some(neutral), Some(face)) => {
                    Some(neutral.score_video(mirror_image, face, mirrored))
                }
                _ => {
                    mirrored.reset();
                    None
                }
            },
        );
        if let Some(reading) = reading.filter(|r| r.flags.is_empty()) {
            check_against_mirror(&mut score, &reading, &self.direct.neutral);
        }
        score
    }
}

/// Each eye's closure in `score`, `[left, right]`, as a fraction of its open aperture (the
/// closed-eye calibration `closed` undone): what blinks are found in; `None` without a reading.
pub fn open_eye_closures(score: &FrameScore, closed: Option<f64>) -> Option<[f64; 2]> {
    let scale = closed.unwrap_or(1.0);
    let m = score.movements.iter().find(|m| m.movement == MovementId::EyeClosure)?;
    Some([m.left * scale, m.right * scale]).filter(|e| e.iter().all(|v| v.is_finite()))
}

/// The neutral face of `image` flipped horizontally (its largest face found afresh), for the
/// mirror check; `None` when no face there can be measured against.
pub fn mirrored_neutral(
    landmarker: &mut FaceLandmarker,
    image: &RgbImage,
) -> Result<Option<NeutralFace>, LandmarkError> {
    let flipped = flip_horizontal(image);
    let face = largest_face(landmarker.faces(&flipped)?);
    Ok(face.and_then(|face| NeutralFace::calibrate(&flipped, &face.landmarks).ok()))
}
