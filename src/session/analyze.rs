//! A recording analysed frame by frame: the face tracked, every frame scored against the
//! neutral face (skin motion), and each movement's repetitions counted as they end.

use image::RgbImage;

use super::repetitions::{Repetition, RepetitionCounter, Sample};
use crate::landmarks::{LandmarkError, Tracker, largest_face};
use crate::symmetry::flow::NeutralImage;
use crate::symmetry::score::{calibrate, score_frame_with_flow};
use crate::symmetry::{CORE_MOVEMENTS, FrameFlag, FrameScore, Neutral};

/// What one frame gave.
#[derive(Clone, Debug)]
pub struct FrameResult {
    /// Seconds from the start.
    pub t: f64,
    /// The scores; `None` until a neutral face is set.
    pub score: Option<FrameScore>,
    /// Repetitions this frame completed.
    pub repetitions: Vec<Repetition>,
}

/// Tracks, scores and counts over a sequence of frames, in order.
pub struct RecordingAnalyzer {
    tracker: Tracker,
    neutral: Option<(Neutral, NeutralImage)>,
    counters: Vec<RepetitionCounter>,
}

impl RecordingAnalyzer {
    /// With a neutral face, or `None` to take the first frame whose face can be scored.
    pub fn new(tracker: Tracker, neutral: Option<(Neutral, NeutralImage)>) -> Self {
        let counters = CORE_MOVEMENTS.iter().map(RepetitionCounter::new).collect();
        Self { tracker, neutral, counters }
    }

    /// The neutral face from one image of it (its largest face), which must be scorable.
    pub fn neutral_from_image(
        tracker: &mut Tracker,
        image: &RgbImage,
    ) -> Result<(Neutral, NeutralImage), NeutralImageError> {
        let face = largest_face(tracker.track(image)?).ok_or(NeutralImageError::NoFace)?;
        tracker.reset();
        calibrate(image, &face.landmarks).map_err(NeutralImageError::Unusable)
    }

    /// Whether a neutral face is set.
    pub fn has_neutral(&self) -> bool {
        self.neutral.is_some()
    }

    /// Analyses the next frame, taken at `t` seconds.
    pub fn push(&mut self, t: f64, image: &RgbImage) -> Result<FrameResult, LandmarkError> {
        let face = largest_face(self.tracker.track(image)?);
        let mut result = FrameResult { t, score: None, repetitions: Vec::new() };
        let Some(face) = face else {
            if self.neutral.is_some() {
                result.score = Some(FrameScore {
                    pose: None,
                    flags: vec![FrameFlag::NoFace],
                    movements: Vec::new(),
                });
            }
            return Ok(result);
        };
        if self.neutral.is_none() {
            self.neutral = calibrate(image, &face.landmarks).ok();
            return Ok(result);
        }
        let Some((neutral, neutral_image)) = &self.neutral else { return Ok(result) };
        let score = score_frame_with_flow(neutral, neutral_image, image, &face.landmarks);
        for (counter, m) in self.counters.iter_mut().zip(&score.movements) {
            result.repetitions.extend(counter.push(Sample { t, left: m.left, right: m.right }));
        }
        result.score = Some(score);
        Ok(result)
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
