//! A recording analysed frame by frame: the face tracked, every frame scored against the
//! neutral face (skin motion) and checked against its own mirror image, and each movement's
//! repetitions counted as they end. Frames come in batches so that both cores score them; the
//! results do not depend on the batch size.

use image::RgbImage;
use image::imageops::flip_horizontal;
use rayon::prelude::*;

use super::repetitions::{Repetition, RepetitionCounter, Sample};
use crate::landmarks::{Face, LandmarkError, Tracker, largest_face};
use crate::symmetry::flow::NeutralImage;
use crate::symmetry::score::{calibrate, check_against_mirror, score_frame_with_flow};
use crate::symmetry::{CORE_MOVEMENTS, FrameFlag, FrameScore, Neutral};

/// Said when the neutral face cannot be found again in its own mirror image, so that no frame
/// can be checked against its mirror image.
pub const NO_MIRROR_CHECK_WARNING: &str = "the neutral face could not be measured in its \
     mirror image, so the scores are not checked against the mirrored frames";

/// What one frame gave.
#[derive(Clone, Debug)]
pub struct FrameResult {
    /// Seconds from the start.
    pub t: f64,
    /// The scores; `None` until a neutral face is set. Each movement is checked against the
    /// frame's mirror image ([`check_against_mirror`]) when the neutral's mirror image could
    /// be measured.
    pub score: Option<FrameScore>,
    /// Repetitions this frame completed.
    pub repetitions: Vec<Repetition>,
}

/// The neutral face a recording is measured against, and the same face mirrored.
#[derive(Clone, Debug)]
pub struct RecordingNeutral {
    direct: (Neutral, NeutralImage),
    /// `None` when the mirror image of the neutral could not be measured.
    mirrored: Option<(Neutral, NeutralImage)>,
}

impl RecordingNeutral {
    /// The neutral face (`image`, with `face` found in it) and its mirror image (`mirrored`,
    /// with the face found there), when each can be measured; `Err` with the reasons when
    /// the neutral cannot.
    fn new(
        image: &RgbImage,
        face: &Face,
        mirrored: Option<(&RgbImage, &Face)>,
    ) -> Result<Self, Vec<FrameFlag>> {
        let direct = calibrate(image, &face.landmarks)?;
        let mirrored = mirrored.and_then(|(image, face)| calibrate(image, &face.landmarks).ok());
        Ok(Self { direct, mirrored })
    }
}

/// Tracks, scores and counts over a sequence of frames, in order.
pub struct RecordingAnalyzer {
    tracker: Tracker,
    /// Follows the mirror images of the frames, for the mirror check.
    mirror_tracker: Tracker,
    neutral: Option<RecordingNeutral>,
    counters: Vec<RepetitionCounter>,
}

impl RecordingAnalyzer {
    /// With a neutral face, or `None` to take the first frame whose face can be scored. The
    /// mirror images are followed by a second tracker sharing the loaded models.
    pub fn new(mut tracker: Tracker, neutral: Option<RecordingNeutral>) -> Self {
        let counters = CORE_MOVEMENTS.iter().map(RepetitionCounter::new).collect();
        let mirror_tracker =
            Tracker::with_landmarker(tracker.landmarker().clone(), tracker.options());
        Self { tracker, mirror_tracker, neutral, counters }
    }

    /// The neutral face from one image of it (its largest face), which must be scorable, and
    /// its mirror image.
    pub fn neutral_from_image(
        tracker: &mut Tracker,
        image: &RgbImage,
    ) -> Result<RecordingNeutral, NeutralImageError> {
        let face = largest_face(tracker.track(image)?).ok_or(NeutralImageError::NoFace)?;
        tracker.reset();
        let flipped = flip_horizontal(image);
        let mirrored = largest_face(tracker.track(&flipped)?);
        tracker.reset();
        RecordingNeutral::new(image, &face, mirrored.as_ref().map(|face| (&flipped, face)))
            .map_err(NeutralImageError::Unusable)
    }

    /// Whether a neutral face is set.
    pub fn has_neutral(&self) -> bool {
        self.neutral.is_some()
    }

    /// What to tell the person about the neutral face set ([`NeutralImage::warnings`]: turned
    /// from the camera, too soft for skin motion, too smooth between the eyes to follow the
    /// head, a movement that cannot be followed; [`NO_MIRROR_CHECK_WARNING`]); none while no
    /// neutral is set.
    pub fn neutral_warnings(&self) -> Vec<String> {
        let Some(neutral) = &self.neutral else { return Vec::new() };
        let mut warnings = neutral.direct.1.warnings();
        if neutral.mirrored.is_none() {
            warnings.push(NO_MIRROR_CHECK_WARNING.to_string());
        }
        warnings
    }

    /// Analyses the next frame, taken at `t` seconds.
    pub fn push(&mut self, t: f64, image: &RgbImage) -> Result<FrameResult, LandmarkError> {
        let mut results = self.push_batch(&[(t, image)])?;
        Ok(results.remove(0))
    }

    /// Analyses the next frames, in order, with exactly the results [`Self::push`] gives one
    /// at a time: the face is tracked frame after frame (the tracker follows it from one to
    /// the next), in the frames and, by the second tracker, in their mirror images; then the
    /// frames and their mirror images are scored in parallel (skin motion against the neutral
    /// face is most of the work, and each frame's score depends on nothing but that frame)
    /// and checked against each other; then the repetition counters take the scores in order
    /// (a reading the mirror image disputes is left out of the repetition's peaks and counted
    /// against it, [`RepetitionCounter::push`]).
    pub fn push_batch(
        &mut self,
        frames: &[(f64, &RgbImage)],
    ) -> Result<Vec<FrameResult>, LandmarkError> {
        let flipped: Vec<RgbImage> =
            frames.par_iter().map(|(_, image)| flip_horizontal(*image)).collect();
        let Self { tracker, mirror_tracker, .. } = self;
        let track_all = |tracker: &mut Tracker, images: Vec<&RgbImage>| {
            images
                .into_iter()
                .map(|image| Ok(largest_face(tracker.track(image)?)))
                .collect::<Result<Vec<Option<Face>>, LandmarkError>>()
        };
        let (faces, mirrored_faces) = rayon::join(
            || track_all(tracker, frames.iter().map(|(_, image)| *image).collect()),
            || track_all(mirror_tracker, flipped.iter().collect()),
        );
        let (faces, mirrored_faces) = (faces?, mirrored_faces?);
        // The first frame that gives a neutral face is not scored itself.
        let mut first_scored = 0;
        if self.neutral.is_none() {
            for (i, (face, mirrored)) in faces.iter().zip(&mirrored_faces).enumerate() {
                first_scored = i + 1;
                let Some(face) = face else { continue };
                let mirrored = mirrored.as_ref().map(|m| (&flipped[i], m));
                self.neutral = RecordingNeutral::new(frames[i].1, face, mirrored).ok();
                if self.neutral.is_some() {
                    break;
                }
            }
        }
        let scores: Vec<Option<FrameScore>> = match &self.neutral {
            None => vec![None; frames.len()],
            Some(neutral) => (0..frames.len())
                .into_par_iter()
                .map(|i| {
                    if i < first_scored {
                        return None;
                    }
                    let Some(face) = &faces[i] else {
                        return Some(FrameScore {
                            pose: None,
                            flags: vec![FrameFlag::NoFace],
                            movements: Vec::new(),
                        });
                    };
                    let (rest, rest_image) = &neutral.direct;
                    let mut score =
                        score_frame_with_flow(rest, rest_image, frames[i].1, &face.landmarks);
                    if let (Some((rest, rest_image)), Some(mirrored)) =
                        (&neutral.mirrored, &mirrored_faces[i])
                    {
                        let mirror = score_frame_with_flow(
                            rest,
                            rest_image,
                            &flipped[i],
                            &mirrored.landmarks,
                        );
                        check_against_mirror(&mut score, &mirror);
                    }
                    Some(score)
                })
                .collect(),
        };
        let mut results = Vec::with_capacity(frames.len());
        for ((t, _), score) in frames.iter().zip(scores) {
            let mut repetitions = Vec::new();
            if let Some(score) = &score {
                for (counter, m) in self.counters.iter_mut().zip(&score.movements) {
                    repetitions.extend(counter.push(Sample::of(*t, m)));
                }
            }
            results.push(FrameResult { t: *t, score, repetitions });
        }
        Ok(results)
    }

    /// Ends the recording: repetitions still under way that were held long enough.
    pub fn finish(&mut self) -> Vec<Repetition> {
        self.counters.iter_mut().filter_map(RepetitionCounter::finish).collect()
    }
}

/// Why an image cannot serve as the neutral face.
#[derive(Debug, thiserror::Error)]
pub enum NeutralImageError {
    /// The models failed.
    #[error(transparent)]
    Landmarks(#[from] LandmarkError),
    /// No face in it.
    #[error("no face in the neutral image")]
    NoFace,
    /// A face, but not one to measure against, for these reasons.
    #[error("the neutral image cannot be used: {}", list_flags(.0))]
    Unusable(Vec<FrameFlag>),
}

/// "reason; reason".
fn list_flags(flags: &[FrameFlag]) -> String {
    flags.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}
