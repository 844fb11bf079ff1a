//! A recording analysed frame by frame: the face tracked, every frame scored against the
//! neutral face (skin motion), and each movement's repetitions counted as they end. Frames
//! come in batches so that both cores score them; the results do not depend on the batch
//! size.

use image::RgbImage;
use rayon::prelude::*;

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

    /// What to tell the person about the neutral face set ([`NeutralImage::warnings`]: too
    /// soft for skin motion, too smooth between the eyes to follow the head); none while no
    /// neutral is set.
    pub fn neutral_warnings(&self) -> Vec<&'static str> {
        self.neutral.as_ref().map_or_else(Vec::new, |(_, image)| image.warnings())
    }

    /// Analyses the next frame, taken at `t` seconds.
    pub fn push(&mut self, t: f64, image: &RgbImage) -> Result<FrameResult, LandmarkError> {
        let mut results = self.push_batch(&[(t, image)])?;
        Ok(results.remove(0))
    }

    /// Analyses the next frames, in order, with exactly the results [`Self::push`] gives one
    /// at a time: the face is tracked frame after frame (the tracker follows it from one to
    /// the next), then the frames are scored in parallel (skin motion against the neutral
    /// face is most of the work, and each frame's score depends on nothing but that frame),
    /// then the repetition counters take the scores in order.
    pub fn push_batch(
        &mut self,
        frames: &[(f64, &RgbImage)],
    ) -> Result<Vec<FrameResult>, LandmarkError> {
        let mut faces = Vec::with_capacity(frames.len());
        // The first frame that gives a neutral face is not scored itself.
        let mut first_scored = 0;
        for (i, (_, image)) in frames.iter().enumerate() {
            let face = largest_face(self.tracker.track(image)?);
            if self.neutral.is_none() {
                first_scored = i + 1;
                if let Some(face) = &face {
                    self.neutral = calibrate(image, &face.landmarks).ok();
                }
            }
            faces.push(face);
        }
        let scores: Vec<Option<FrameScore>> = match &self.neutral {
            None => vec![None; frames.len()],
            Some((neutral, neutral_image)) => (0..frames.len())
                .into_par_iter()
                .map(|i| {
                    if i < first_scored {
                        return None;
                    }
                    Some(match &faces[i] {
                        Some(face) => score_frame_with_flow(
                            neutral,
                            neutral_image,
                            frames[i].1,
                            &face.landmarks,
                        ),
                        None => FrameScore {
                            pose: None,
                            flags: vec![FrameFlag::NoFace],
                            movements: Vec::new(),
                        },
                    })
                })
                .collect(),
        };
        let mut results = Vec::with_capacity(frames.len());
        for ((t, _), score) in frames.iter().zip(scores) {
            let mut repetitions = Vec::new();
            if let Some(score) = &score {
                for (counter, m) in self.counters.iter_mut().zip(&score.movements) {
                    repetitions.extend(counter.push(Sample {
                        t: *t,
                        left: m.left,
                        right: m.right,
                    }));
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
