//! Scores: per movement, each side's excursion against the neutral face, their ratio and the
//! weaker side; resting symmetry from the neutral face.

use rayon::prelude::*;
use serde::Serialize;

use image::RgbImage;

use crate::landmarks::Landmarks;
use crate::stats;

use super::flow::{Followed, NeutralImage, SkinTrack};

use super::frame::{
    FaceFrame, FrameFlag, HeadPose, MAX_TURN_FROM_NEUTRAL_DEG, Vec3, describe_flags,
};
use super::landmarks_map::{
    BROW_UPPER_RIGHT, EYELID_PAIRS_RIGHT, INNER_EYE_CORNER_RIGHT, MOUTH_CORNER_RIGHT,
    OUTER_EYE_CORNER_RIGHT, Side, on_side,
};
use super::movements::{CORE_MOVEMENTS, Movement, MovementId, movement};
use super::regions::RegionReading;
use super::synkinesis::CoMovement;

/// A person's neutral face, the reference every movement is measured against.
#[derive(Clone, Debug, PartialEq)]
pub struct Neutral {
    /// Landmarks in face coordinates (IOD): the per-coordinate median over the frames given.
    pub landmarks: Vec<Vec3>,
    /// The head's pose: the per-angle median over the frames given.
    pub pose: HeadPose,
    /// Left vs right at rest.
    pub resting: RestingSymmetry,
    /// The closure the person's gently closed eyes read against this neutral (the eye that
    /// closed further), when calibrated ([`Neutral::calibrate_closed_eyes`]): eye closure is
    /// then a fraction of it.
    pub closed_eyes: Option<f64>,
}

/// Below this closure (of the neutral aperture) on the eye that closed further, a picture of
/// closed eyes is refused: real closed eyes read 0.46–0.88 through the iris model's lids (but
/// one under heavy mascara), a half-open eye about 0.3 (docs/validation.md, "Eye closure").
pub const MIN_CLOSED_EYES: f64 = 0.4;

/// Why the closed eyes could not be calibrated.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ClosedEyesError {
    /// No frame was given.
    #[error("no picture of the closed eyes was given")]
    NoFrames,
    /// A frame cannot be used, for these reasons.
    #[error("the closed eyes cannot be measured: {}", describe_flags(.0))]
    Unusable(Vec<FrameFlag>),
    /// The eyes do not look closed.
    #[error(
        "the eyes do not look closed: the eye that closed further read {0:.2} of its open \
         aperture closed, at least {MIN_CLOSED_EYES} is expected (close both eyes gently and \
         keep looking straight ahead)"
    )]
    NotClosed(f64),
}

/// Why no neutral face could be made: the one error for an unusable neutral, wherever it
/// comes from (a still image, the live calibration, a recording's first frames).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum NeutralError {
    /// No frame was given.
    #[error("no neutral frame was given")]
    NoFrames,
    /// A neutral frame cannot be used, for these reasons.
    #[error("{}", describe_flags(.0))]
    Unusable(Vec<FrameFlag>),
}

impl Neutral {
    /// From one or more still frames of the relaxed face (their face frames). Several frames
    /// are combined by the per-coordinate median, which a single blink or twitch cannot move.
    pub fn from_frames(frames: &[FaceFrame]) -> Result<Neutral, NeutralError> {
        if frames.is_empty() {
            return Err(NeutralError::NoFrames);
        }
        if let Some(flags) = frames.iter().map(FaceFrame::flags).find(|f| !f.is_empty()) {
            return Err(NeutralError::Unusable(flags));
        }
        let n = frames[0].landmarks.len();
        // `frames` is not empty, so every median is there (NaN would stand for none).
        let landmarks: Vec<Vec3> = (0..n)
            .map(|i| {
                [0, 1, 2].map(|axis| {
                    stats::median(frames.iter().map(|f| f.landmarks[i][axis])).unwrap_or(f64::NAN)
                })
            })
            .collect();
        let resting = RestingSymmetry::of(&landmarks);
        let pose = HeadPose {
            yaw_deg: stats::median(frames.iter().map(|f| f.pose.yaw_deg)).unwrap_or(f64::NAN),
            pitch_deg: stats::median(frames.iter().map(|f| f.pose.pitch_deg)).unwrap_or(f64::NAN),
            roll_deg: stats::median(frames.iter().map(|f| f.pose.roll_deg)).unwrap_or(f64::NAN),
        };
        Ok(Neutral { landmarks, pose, resting, closed_eyes: None })
    }

    /// Calibrates eye closure to the person's own closed eyes, from frames of both eyes
    /// gently closed: each eye's closure is the median over the frames, and the eye that
    /// closed further sets the full closure for both, so that an eye that does not close
    /// fully still reads as such. Returns that closure.
    pub fn calibrate_closed_eyes(&mut self, frames: &[FaceFrame]) -> Result<f64, ClosedEyesError> {
        if frames.is_empty() {
            return Err(ClosedEyesError::NoFrames);
        }
        if let Some(flags) = frames.iter().map(FaceFrame::flags).find(|f| !f.is_empty()) {
            return Err(ClosedEyesError::Unusable(flags));
        }
        let each: Vec<[f64; 2]> = frames.iter().map(|f| self.eye_closures(&f.landmarks)).collect();
        let closed = [0, 1]
            .map(|side| stats::median(each.iter().map(|e| e[side])).unwrap_or(f64::NAN))
            .into_iter()
            .fold(f64::NAN, f64::max);
        // NaN (no eye measured) is refused too.
        if closed.is_nan() || closed < MIN_CLOSED_EYES {
            return Err(ClosedEyesError::NotClosed(closed));
        }
        self.closed_eyes = Some(closed.min(1.0));
        Ok(closed)
    }

    /// Each eye's closure in `current` (face coordinates), [left, right], as the catalogue
    /// reads it (a fraction of the neutral aperture, not calibrated to the closed eyes).
    pub fn eye_closures(&self, current: &[Vec3]) -> [f64; 2] {
        let measure = movement(MovementId::EyeClosure).measure;
        Side::BOTH.map(|side| measure.excursion(side, &self.landmarks, current))
    }

    /// Movement `id` as measured against this neutral ([`Movement::with_closed_eyes`] when the
    /// closed eyes are calibrated).
    pub fn movement(&self, id: MovementId) -> Movement {
        let m = movement(id);
        self.closed_eyes.map_or(*m, |closed| m.with_closed_eyes(closed))
    }

    /// From one set of landmarks.
    pub fn from_landmarks(landmarks: &Landmarks) -> Result<Neutral, NeutralError> {
        let frame = FaceFrame::fit(landmarks).map_err(|flag| NeutralError::Unusable(vec![flag]))?;
        Self::from_frames(&[frame])
    }
}

/// A neutral face as skin motion measures against it: its landmarks and its canonical image.
#[derive(Clone, Debug)]
pub struct NeutralFace {
    /// The neutral's landmarks, pose and resting symmetry.
    pub neutral: Neutral,
    /// Its canonical image, which skin motion follows the skin from.
    pub image: NeutralImage,
}

impl NeutralFace {
    /// From one frame (`image`, with `landmarks` found in it): the calibration step the live
    /// app, `score` and `analyze` share. Fails with every flag of a face that cannot be
    /// measured against (no valid face frame, turned or tilted too far, too small).
    pub fn calibrate(image: &RgbImage, landmarks: &Landmarks) -> Result<Self, NeutralError> {
        let frame = FaceFrame::fit(landmarks).map_err(|flag| NeutralError::Unusable(vec![flag]))?;
        let neutral = Neutral::from_frames(std::slice::from_ref(&frame))?;
        Ok(Self { neutral, image: NeutralImage::new(image, &frame) })
    }

    /// Scores the next frame of a video (`image`, its face's `landmarks`) by skin motion, the
    /// skin followed from where `track` last saw it ([`NeutralImage::follow_video`]): what
    /// `analyze` and the live app measure. A frame that cannot be scored ends the track, and
    /// the next is followed from the neutral again. A track limited to one movement
    /// ([`SkinTrack::follow_only`]) gives that movement's score alone, with the one that
    /// carries its synkinesis ([`CoMovement::source`]).
    pub fn score_video(
        &self,
        image: &RgbImage,
        landmarks: &Landmarks,
        track: &mut SkinTrack,
    ) -> FrameScore {
        let only = track.only();
        let follow = |frame: &FaceFrame| self.image.follow_video(image, frame, track);
        let mut score = score_with(&self.neutral, landmarks, Some(follow));
        if !score.flags.is_empty() {
            track.reset();
        }
        // A track limited to one movement reads that movement alone, and what moves along
        // with it when another movement's score carries that (synkinesis).
        if let Some(id) = only {
            let co = CoMovement::during(id).and_then(CoMovement::source);
            score.movements.retain(|m| m.movement == id || Some(m.movement) == co);
        }
        score
    }

    /// Scores a frame (`image`, its face's `landmarks`) against this neutral face, by `method`.
    pub fn score(&self, method: Method, image: &RgbImage, landmarks: &Landmarks) -> FrameScore {
        match method {
            Method::SkinMotion => {
                score_frame_with_flow(&self.neutral, &self.image, image, landmarks)
            }
            Method::MeshOnly => score_frame(&self.neutral, landmarks),
        }
    }
}

/// How a frame's movements are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// The skin's own motion followed from the neutral image ([`score_frame_with_flow`]).
    SkinMotion,
    /// The face mesh's landmarks alone ([`score_frame`]): fast, but pulled toward symmetry.
    MeshOnly,
}

/// One resting measurement on both sides, IOD.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SidePair {
    /// Subject's left.
    pub left: f64,
    /// Subject's right.
    pub right: f64,
}

impl SidePair {
    fn of(f: impl Fn(Side) -> f64) -> Self {
        Self { left: f(Side::Left), right: f(Side::Right) }
    }

    /// `left − right`.
    pub fn difference(&self) -> f64 {
        self.left - self.right
    }
}

/// The Sunnybrook resting items, measured on the neutral face (IOD): positive differences
/// mean the left side is higher (brow, mouth corner) or more open (eye).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RestingSymmetry {
    /// Height of the upper brow above the line through the eye corners.
    pub brow_height: SidePair,
    /// Mean distance between facing upper and lower lid points.
    pub eye_aperture: SidePair,
    /// Height of the mouth corner relative to the line through the eye corners (less
    /// negative is higher).
    pub mouth_corner_height: SidePair,
}

impl RestingSymmetry {
    /// Measured on landmarks in face coordinates.
    pub fn of(face: &[Vec3]) -> Self {
        // The eye line: mean height of both corners of this side's eye.
        let eye_line = |side: Side| {
            (face[on_side(INNER_EYE_CORNER_RIGHT, side)][1]
                + face[on_side(OUTER_EYE_CORNER_RIGHT, side)][1])
                / 2.0
        };
        RestingSymmetry {
            brow_height: SidePair::of(|side| {
                let brow = BROW_UPPER_RIGHT.iter().map(|&i| face[on_side(i, side)][1]).sum::<f64>()
                    / BROW_UPPER_RIGHT.len() as f64;
                eye_line(side) - brow
            }),
            eye_aperture: SidePair::of(|side| {
                EYELID_PAIRS_RIGHT
                    .iter()
                    .map(|&(u, l)| {
                        let (a, b) = (face[on_side(u, side)], face[on_side(l, side)]);
                        ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2))
                            .sqrt()
                    })
                    .sum::<f64>()
                    / EYELID_PAIRS_RIGHT.len() as f64
            }),
            mouth_corner_height: SidePair::of(|side| {
                eye_line(side) - face[on_side(MOUTH_CORNER_RIGHT, side)][1]
            }),
        }
    }
}

/// Whether a movement could be scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreStatus {
    /// Both sides measured; the ratio means something.
    Scored,
    /// Neither side moved more than the movement's threshold.
    NotEnoughMovement,
    /// The frame's mirror image, scored against the mirrored neutral face, read this movement
    /// differently by more than its threshold ([`check_against_mirror`]): the reading depends
    /// on where the landmarks happened to fall, not on the face alone, and is not shown.
    MirrorDisagrees,
    /// Skin motion could not follow any of the movement's points on both sides (the skin too
    /// smooth there, or its tracks lost in this frame): the mesh alone under-reads the
    /// movement and pulls it toward symmetry, so nothing is measured. Both excursions are NaN.
    NotFollowed,
}

/// One movement, both sides.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MovementScore {
    /// Movement id.
    pub movement: MovementId,
    /// Subject's left excursion (IOD, or fraction for eye closure).
    pub left: f64,
    /// Subject's right excursion.
    pub right: f64,
    /// Weaker over stronger, 0–1; `None` when not enough movement.
    pub ratio: Option<f64>,
    /// The side that moved less; `None` when not enough movement.
    pub weaker: Option<Side>,
    /// How far the ratio may be off when each side's excursion is off by the movement's
    /// `excursion_noise`: `noise · (1 + ratio) / stronger`. Small movements give uncertain
    /// ratios; `None` when not enough movement.
    pub ratio_uncertainty: Option<f64>,
    /// Scored or not.
    pub status: ScoreStatus,
    /// How far this reading and its mirror image's differ (the larger of the two sides' ×
    /// differences, the movement's unit), when the frame was checked against its mirror
    /// image ([`check_against_mirror`]); `None` when it was not.
    pub mirror_difference: Option<f64>,
}

impl MovementScore {
    /// Scores one movement of `current` against `neutral` (face coordinates).
    pub fn of(movement: &Movement, neutral: &[Vec3], current: &[Vec3]) -> Self {
        let left = movement.measure.excursion(Side::Left, neutral, current);
        let right = movement.measure.excursion(Side::Right, neutral, current);
        Self::from_excursions(movement, left, right)
    }

    /// [`MovementScore::of`] on landmarks skin motion followed: a movement read by skin motion
    /// is measured on the pairs of points (the same point on each side) followed on both
    /// sides, so that a point whose track was lost, which keeps the mesh's position, neither
    /// drags its side's mean toward no movement nor is compared with a followed point on the
    /// other side. With no such pair, [`ScoreStatus::NotFollowed`].
    pub fn of_followed(movement: &Movement, neutral: &[Vec3], followed: &Followed) -> Self {
        if !movement.measure.follows_skin_motion() {
            return Self::of(movement, neutral, &followed.landmarks);
        }
        let both = |i: usize| {
            Side::BOTH.iter().all(|&side| followed.followed.get(on_side(i, side)) == Some(&true))
        };
        let current = &followed.landmarks;
        match Side::BOTH.map(|side| movement.measure.excursion_over(side, neutral, current, &both))
        {
            [Some(left), Some(right)] => Self::from_excursions(movement, left, right),
            _ => Self {
                movement: movement.id,
                left: f64::NAN,
                right: f64::NAN,
                ratio: None,
                weaker: None,
                ratio_uncertainty: None,
                status: ScoreStatus::NotFollowed,
                mirror_difference: None,
            },
        }
    }

    /// Widens [`MovementScore::ratio_uncertainty`] to cover a reading whose mirror image
    /// differed by `difference` (the movement's unit) on a side: the two are equally good
    /// readings of one face, so either side may be off by that much, which moves the ratio by
    /// up to `difference · (1 + ratio) / stronger`, as the excursion noise does.
    pub fn widen_by_mirror(&mut self, difference: f64) {
        let (Some(ratio), Some(u)) = (self.ratio, self.ratio_uncertainty) else { return };
        let stronger = self.left.max(self.right);
        if difference.is_finite() && stronger > 0.0 {
            self.ratio_uncertainty = Some(u.max(difference * (1.0 + ratio) / stronger));
        }
    }

    /// The score from two excursions: a movement the wrong way counts as none.
    pub fn from_excursions(movement: &Movement, left: f64, right: f64) -> Self {
        let (l, r) = (left.max(0.0), right.max(0.0));
        let stronger = l.max(r);
        if stronger.is_nan() || stronger < movement.min_excursion {
            return Self {
                movement: movement.id,
                left,
                right,
                ratio: None,
                weaker: None,
                ratio_uncertainty: None,
                status: ScoreStatus::NotEnoughMovement,
                mirror_difference: None,
            };
        }
        let weaker = if l < r { Side::Left } else { Side::Right };
        let ratio = l.min(r) / stronger;
        Self {
            movement: movement.id,
            left,
            right,
            ratio: Some(ratio),
            weaker: Some(weaker),
            // ratio = w / s; with w and s each off by up to n, it is off by up to
            // (n + ratio · n) / s to first order.
            ratio_uncertainty: Some(movement.excursion_noise * (1.0 + ratio) / stronger),
            status: ScoreStatus::Scored,
            mirror_difference: None,
        }
    }
}

/// Everything measured on one frame.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FrameScore {
    /// Head pose, when the landmarks could be put in a face frame.
    pub pose: Option<HeadPose>,
    /// Why the frame is not scored; empty when it is.
    pub flags: Vec<FrameFlag>,
    /// Each core movement, in catalogue order; empty when flagged.
    pub movements: Vec<MovementScore>,
    /// Where each region of the face is against the neutral (for twitches at rest); `None`
    /// when flagged.
    #[serde(skip)]
    pub regions: Option<RegionReading>,
}

impl FrameScore {
    /// A frame in which no face was found.
    pub fn no_face() -> Self {
        Self { pose: None, flags: vec![FrameFlag::NoFace], movements: Vec::new(), regions: None }
    }
}

/// " ± 0.08" after a ratio with this uncertainty, or nothing without one: how the app and the
/// command line print [`MovementScore::ratio_uncertainty`] and the medians made of it.
pub fn plus_minus(uncertainty: Option<f64>) -> String {
    uncertainty.map_or(String::new(), |u| format!(" ± {u:.2}"))
}

/// Scores `landmarks` against `neutral` for every core movement.
pub fn score_frame(neutral: &Neutral, landmarks: &Landmarks) -> FrameScore {
    score_with(neutral, landmarks, None::<fn(&FaceFrame) -> Followed>)
}

/// [`score_frame`], with the points that skin motion measures followed by optical flow from
/// the neutral image (see [`super::flow`]): slower (6–8 ms a frame on two cores, about 6.5×
/// the face mesh; docs/performance.md), not pulled toward symmetry by the mesh. A head turned
/// or tilted more than [`MAX_TURN_FROM_NEUTRAL_DEG`] from the neutral's pose is flagged.
pub fn score_frame_with_flow(
    neutral: &Neutral,
    neutral_image: &NeutralImage,
    image: &RgbImage,
    landmarks: &Landmarks,
) -> FrameScore {
    score_with(neutral, landmarks, Some(|frame: &FaceFrame| neutral_image.follow(image, frame)))
}

/// Fits the face frame, flags it, and scores every core movement on the current landmarks
/// `follow` gives for an unflagged frame (without it, the mesh's own, in face coordinates).
fn score_with(
    neutral: &Neutral,
    landmarks: &Landmarks,
    follow: Option<impl FnOnce(&FaceFrame) -> Followed>,
) -> FrameScore {
    let frame = match FaceFrame::fit(landmarks) {
        Ok(frame) => frame,
        Err(flag) => {
            return FrameScore {
                pose: None,
                flags: vec![flag],
                movements: Vec::new(),
                regions: None,
            };
        }
    };
    let mut flags = frame.flags();
    // Skin motion reads the face in the plane of the neutral's: a larger turn or tilt since
    // then moves skin there by its depth (the mesh's own landmarks are 3-D and do not mind).
    let turn =
        [frame.pose.yaw_deg - neutral.pose.yaw_deg, frame.pose.pitch_deg - neutral.pose.pitch_deg];
    if follow.is_some()
        && flags.is_empty()
        && turn.iter().any(|d| d.abs() > MAX_TURN_FROM_NEUTRAL_DEG)
    {
        flags.push(FrameFlag::TurnedFromNeutral { yaw_deg: turn[0], pitch_deg: turn[1] });
    }
    if !flags.is_empty() {
        return FrameScore { pose: Some(frame.pose), flags, movements: Vec::new(), regions: None };
    }
    let measured = CORE_MOVEMENTS.iter().map(|m| neutral.movement(m.id));
    let neutral = &neutral.landmarks;
    let (movements, regions) = match follow.map(|follow| follow(&frame)) {
        Some(followed) => (
            measured.map(|m| MovementScore::of_followed(&m, neutral, &followed)).collect(),
            RegionReading::of(neutral, &followed.landmarks, Some(&followed.followed)),
        ),
        None => (
            measured.map(|m| MovementScore::of(&m, neutral, &frame.landmarks)).collect(),
            RegionReading::of(neutral, &frame.landmarks, None),
        ),
    };
    FrameScore { pose: Some(frame.pose), flags, movements, regions: Some(regions) }
}

/// How far a side's reading may differ from its mirror image's, as a fraction of the stronger
/// excursion, before the reading is disputed (and at least the movement's `min_excursion`):
/// a side read 15 % differently moves a ratio by about as much. On real even smiles of 0.3
/// IOD followed from frame to frame, the two readings differed by up to 0.039 IOD (0.12 of
/// it) while both ratios stayed within 0.09 of each other (docs/validation.md, "Real
/// footage"); a fixed 0.03 IOD disputed most of those frames.
pub const MIRROR_TOLERANCE: f64 = 0.15;

/// The mirror check (docs/metrics.md, "Mirror check"): `mirrored` is the same frame flipped
/// horizontally, scored the same way against the neutral face flipped too (`neutral` is the
/// direct one, whose movements give the thresholds). Flipping swaps the
/// subject's sides, so each side's excursion should come back as the other side's; each
/// movement of `direct` gets the larger difference as its
/// [`mirror_difference`](MovementScore::mirror_difference), and one that differs by more than
/// the movement's `min_excursion` (a reading that moves by as much as the smallest movement
/// that is scored, or [`MIRROR_TOLERANCE`] of the stronger excursion when that is more) is
/// marked [`ScoreStatus::MirrorDisagrees`], with no ratio. On the warped
/// test faces the two agree within 0.009 IOD; on real footage the frames that disagree are
/// those where skin motion lost the skin (docs/validation.md, "Mirror"). A mirrored frame
/// that could not be scored checks nothing.
pub fn check_against_mirror(direct: &mut FrameScore, mirrored: &FrameScore, neutral: &Neutral) {
    if !mirrored.flags.is_empty() {
        return;
    }
    for score in &mut direct.movements {
        let Some(other) = mirrored.movements.iter().find(|m| m.movement == score.movement) else {
            continue;
        };
        // What was not measured on either side checks nothing, and is not checked.
        if score.status == ScoreStatus::NotFollowed || other.status == ScoreStatus::NotFollowed {
            continue;
        }
        let difference = (score.left - other.right).abs().max((score.right - other.left).abs());
        score.mirror_difference = Some(difference);
        let stronger = [score.left, score.right, other.left, other.right]
            .into_iter()
            .filter(|e| e.is_finite())
            .fold(0.0, f64::max);
        let limit = neutral.movement(score.movement).min_excursion.max(MIRROR_TOLERANCE * stronger);
        score.widen_by_mirror(difference);
        // NaN (a side not measured either way) disagrees too.
        if difference > limit || difference.is_nan() {
            score.status = ScoreStatus::MirrorDisagrees;
            score.ratio = None;
            score.weaker = None;
            score.ratio_uncertainty = None;
        }
    }
}

/// [`score_frame`] over many frames, in parallel; results in input order.
pub fn score_frames(neutral: &Neutral, frames: &[Landmarks]) -> Vec<FrameScore> {
    frames.par_iter().map(|l| score_frame(neutral, l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use MovementId::{BrowLift, EyeClosure, Pucker, Smile};

    /// Each side read off by up to the movement's noise moves the ratio by no more than its
    /// uncertainty (to first order: the exact bound is `u · s / (s − n)`); a tiny movement
    /// has a large uncertainty, a large one a small uncertainty, and no score has none.
    #[test]
    fn ratio_uncertainty_covers_the_excursion_noise() {
        let smile = movement(Smile);
        let n = smile.excursion_noise;
        for (left, right) in [(0.10, 0.05), (0.05, 0.10), (0.20, 0.19), (0.04, 0.0), (0.31, 0.02)] {
            let score = MovementScore::from_excursions(smile, left, right);
            let (ratio, u) = (score.ratio.unwrap(), score.ratio_uncertainty.unwrap());
            let stronger = f64::max(left, right);
            for (dl, dr) in [(-n, -n), (-n, n), (n, -n), (n, n)] {
                let moved = MovementScore::from_excursions(smile, left + dl, right + dr);
                let change = (moved.ratio.unwrap() - ratio).abs();
                assert!(change <= u * stronger / (stronger - n) + 1e-12, "{left}, {right}");
            }
        }
        let small = MovementScore::from_excursions(smile, 0.04, 0.02).ratio_uncertainty.unwrap();
        let large = MovementScore::from_excursions(smile, 0.20, 0.10).ratio_uncertainty.unwrap();
        assert!((small - 0.2625).abs() < 1e-12 && (large - 0.0525).abs() < 1e-12);
        assert_eq!(MovementScore::from_excursions(smile, 0.01, 0.0).ratio_uncertainty, None);
    }

    /// A reading whose mirror image differed by more than the excursion noise gets the
    /// uncertainty that difference gives; a smaller difference changes nothing.
    #[test]
    fn the_mirror_difference_widens_the_uncertainty() {
        let smile = movement(Smile);
        let mut score = MovementScore::from_excursions(smile, 0.30, 0.27);
        let noise = score.ratio_uncertainty.unwrap();
        score.widen_by_mirror(0.001);
        assert_eq!(score.ratio_uncertainty, Some(noise));
        score.widen_by_mirror(0.04);
        let u = score.ratio_uncertainty.unwrap();
        assert!((u - 0.04 * 1.9 / 0.30).abs() < 1e-12, "{u}");
    }

    /// A neutral of no particular face, for what only reads its movements' thresholds.
    fn no_neutral() -> Neutral {
        let landmarks = vec![[0.0; 3]; 468];
        Neutral {
            resting: RestingSymmetry::of(&landmarks),
            pose: HeadPose { yaw_deg: 0.0, pitch_deg: 0.0, roll_deg: 0.0 },
            landmarks,
            closed_eyes: None,
        }
    }

    fn frame(excursions: &[(MovementId, f64, f64)]) -> FrameScore {
        FrameScore {
            pose: None,
            flags: Vec::new(),
            movements: excursions
                .iter()
                .map(|&(id, l, r)| MovementScore::from_excursions(movement(id), l, r))
                .collect(),
            regions: None,
        }
    }

    /// The mirrored reading's sides are swapped: a smile read 0.10 / 0.05 agrees with a mirror
    /// reading 0.05 / 0.10 (not with 0.10 / 0.05); a difference of more than the movement's
    /// threshold takes the ratio away, one within it keeps the score; the eye closure's
    /// threshold is its own (a fraction); a flagged mirror checks nothing.
    #[test]
    fn the_mirror_check_swaps_sides_and_keeps_what_agrees() {
        let direct = frame(&[(Smile, 0.10, 0.05), (Pucker, 0.08, 0.02), (EyeClosure, 0.5, 0.2)]);
        let mut checked = direct.clone();
        check_against_mirror(
            &mut checked,
            &frame(&[(Smile, 0.052, 0.101), (Pucker, 0.0, 0.08), (EyeClosure, 0.3, 0.45)]),
            &no_neutral(),
        );
        let [smile, pucker, eyes] = &checked.movements[..] else { panic!("three movements") };
        assert_eq!(smile.status, ScoreStatus::Scored);
        assert_eq!(smile.ratio, direct.movements[0].ratio);
        assert!((smile.mirror_difference.unwrap() - 0.002).abs() < 1e-12);
        // Pucker: right 0.02 against the mirror's left 0.0 agrees, left 0.08 against 0.08 too.
        assert_eq!(pucker.status, ScoreStatus::Scored);
        // Eye closure: 0.5 against 0.45 and 0.2 against 0.3, within 0.15.
        assert_eq!(eyes.status, ScoreStatus::Scored);
        assert!((eyes.mirror_difference.unwrap() - 0.1).abs() < 1e-12);

        let mut unswapped = direct.clone();
        check_against_mirror(&mut unswapped, &direct, &no_neutral());
        let smile = &unswapped.movements[0];
        assert_eq!(smile.status, ScoreStatus::MirrorDisagrees);
        assert_eq!((smile.ratio, smile.weaker, smile.ratio_uncertainty), (None, None, None));
        assert!((smile.mirror_difference.unwrap() - 0.05).abs() < 1e-12);
        assert_eq!(unswapped.movements[2].status, ScoreStatus::MirrorDisagrees);

        let mut just_within = direct.clone();
        check_against_mirror(&mut just_within, &frame(&[(Smile, 0.079, 0.10)]), &no_neutral());
        assert_eq!(just_within.movements[0].status, ScoreStatus::Scored);
        assert_eq!(just_within.movements[1].mirror_difference, None);
        let mut just_over = direct.clone();
        check_against_mirror(&mut just_over, &frame(&[(Smile, 0.081, 0.10)]), &no_neutral());
        assert_eq!(just_over.movements[0].status, ScoreStatus::MirrorDisagrees);

        let mut flagged_mirror = direct.clone();
        let mut mirror = frame(&[(Smile, 0.0, 0.0)]);
        mirror.flags.push(FrameFlag::NoFace);
        check_against_mirror(&mut flagged_mirror, &mirror, &no_neutral());
        assert_eq!(flagged_mirror, direct);

        // A movement not measured on either side checks nothing and is not checked.
        let smile = movement(Smile);
        let not_followed = MovementScore::of_followed(smile, &vec![[0.0; 3]; 468], &nothing());
        let mut unmeasured_mirror = direct.clone();
        let mut mirror = frame(&[(Smile, 0.3, 0.0)]);
        mirror.movements[0] = not_followed.clone();
        check_against_mirror(&mut unmeasured_mirror, &mirror, &no_neutral());
        assert_eq!(unmeasured_mirror.movements[0], direct.movements[0]);
        let mut unmeasured = FrameScore { movements: vec![not_followed.clone()], ..direct.clone() };
        check_against_mirror(&mut unmeasured, &direct, &no_neutral());
        let still = &unmeasured.movements[0];
        assert_eq!((still.status, still.mirror_difference), (ScoreStatus::NotFollowed, None));
    }

    /// A face frame of `landmarks` (face coordinates) in no pose, large enough to score.
    fn face_frame(landmarks: Vec<Vec3>) -> FaceFrame {
        FaceFrame {
            rotation: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            px_per_iod: 100.0,
            origin: [0.0; 3],
            pose: HeadPose { yaw_deg: 0.0, pitch_deg: 0.0, roll_deg: 0.0 },
            residual_iod: 0.0,
            landmarks,
        }
    }

    /// Lids 0.2 apart at rest; `right` and `left` apart in the frame.
    fn eyes(right: f64, left: f64) -> Vec<Vec3> {
        let mut points = vec![[0.0; 3]; 468];
        for &(_, lower) in &EYELID_PAIRS_RIGHT {
            points[lower][1] = right;
            points[on_side(lower, Side::Left)][1] = left;
        }
        points
    }

    /// The eye that closed further at calibration sets the full closure for both (the median
    /// over the frames), so an eye that closed less still reads less; open eyes are refused;
    /// the scores and the mirror check's thresholds are in the calibrated unit.
    #[test]
    fn closed_eyes_calibrate_eye_closure() {
        let mut neutral = no_neutral();
        neutral.landmarks = eyes(0.2, 0.2);
        let open = neutral.calibrate_closed_eyes(&[face_frame(eyes(0.19, 0.2))]);
        assert!(matches!(open, Err(ClosedEyesError::NotClosed(c)) if (c - 0.05).abs() < 1e-9));
        assert_eq!(neutral.calibrate_closed_eyes(&[]), Err(ClosedEyesError::NoFrames));
        assert_eq!(neutral.closed_eyes, None);
        // Right closed by 0.7, 0.6 and 0.8 of the aperture (median 0.7), left by 0.4.
        let frames: Vec<FaceFrame> =
            [0.06, 0.08, 0.04].iter().map(|&r| face_frame(eyes(r, 0.12))).collect();
        let closed = neutral.calibrate_closed_eyes(&frames).unwrap();
        assert!((closed - 0.7).abs() < 1e-9 && neutral.closed_eyes == Some(closed));
        let score = score_frame_landmarks(&neutral, eyes(0.06, 0.12));
        let m = score.movements.iter().find(|m| m.movement == EyeClosure).unwrap();
        assert!((m.right - 1.0).abs() < 1e-9 && (m.left - 0.4 / 0.7).abs() < 1e-9, "{m:?}");
        assert_eq!(m.weaker, Some(Side::Left));
        // A mirror reading 0.25 apart is within the calibrated threshold (0.15 / 0.7), not the
        // catalogue's 0.15.
        let direct =
            FrameScore { pose: None, flags: Vec::new(), movements: vec![m.clone()], regions: None };
        let mut checked = direct.clone();
        let mirrored = MovementScore::from_excursions(
            &neutral.movement(EyeClosure),
            m.right - 0.05,
            m.left - 0.2,
        );
        let mirror = FrameScore { movements: vec![mirrored], ..direct.clone() };
        check_against_mirror(&mut checked, &mirror, &neutral);
        assert_eq!(checked.movements[0].status, ScoreStatus::Scored);
        check_against_mirror(&mut checked, &mirror, &no_neutral());
        assert_eq!(checked.movements[0].status, ScoreStatus::MirrorDisagrees);
    }

    /// Scores `landmarks` (face coordinates) against `neutral` as [`score_with`] does.
    fn score_frame_landmarks(neutral: &Neutral, landmarks: Vec<Vec3>) -> FrameScore {
        let frame = face_frame(landmarks);
        let movements = CORE_MOVEMENTS
            .iter()
            .map(|m| {
                MovementScore::of(&neutral.movement(m.id), &neutral.landmarks, &frame.landmarks)
            })
            .collect();
        FrameScore { pose: Some(frame.pose), flags: Vec::new(), movements, regions: None }
    }

    /// Nothing followed: every landmark where the mesh put it (here, at rest).
    fn nothing() -> Followed {
        Followed { landmarks: vec![[0.0; 3]; 468], followed: vec![false; 468] }
    }

    /// A skin-motion movement is measured on the pairs of its points followed on both sides:
    /// a brow lift whose right brow rose 0.1 but whose two outer left points were not followed
    /// (the mesh left them in place) reads 0.1 on both sides over the other three pairs, where
    /// the mean over all five read the left 0.06; with no pair followed it is not measured;
    /// eye closure (not read by skin motion) is measured whatever was followed.
    #[test]
    fn unfollowed_points_are_left_out_on_both_sides() {
        let neutral = vec![[0.0; 3]; 468];
        let brow = movement(BrowLift);
        let mut followed = nothing();
        for side in Side::BOTH {
            for (k, &i) in BROW_UPPER_RIGHT.iter().enumerate() {
                // The left side's two outer points were not followed and stay where they were.
                if side == Side::Left && k < 2 {
                    continue;
                }
                followed.landmarks[on_side(i, side)][1] = -0.1;
                followed.followed[on_side(i, side)] = true;
            }
        }
        let mixed = MovementScore::of(brow, &neutral, &followed.landmarks);
        assert!((mixed.left - 0.06).abs() < 1e-12 && (mixed.right - 0.1).abs() < 1e-12);
        let both = MovementScore::of_followed(brow, &neutral, &followed);
        assert!((both.left - 0.1).abs() < 1e-12 && (both.right - 0.1).abs() < 1e-12, "{both:?}");
        assert_eq!(both.ratio, Some(1.0));

        let none = MovementScore::of_followed(brow, &neutral, &nothing());
        assert_eq!(none.status, ScoreStatus::NotFollowed);
        assert!(none.left.is_nan() && none.right.is_nan() && none.ratio.is_none());
        let eyes = MovementScore::of_followed(movement(EyeClosure), &neutral, &nothing());
        assert_eq!(eyes.status, ScoreStatus::NotEnoughMovement);
    }
}
