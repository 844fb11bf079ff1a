//! A recording analysed frame by frame: the face tracked, every frame scored against the
//! neutral face (skin motion, the skin followed from frame to frame) and checked against its
//! own mirror image followed the same way, and each movement's repetitions counted as they
//! end. Frames come in batches so that both cores track them; the results do not depend on
//! the batch size.

use image::RgbImage;
use image::imageops::flip_horizontal;
use rayon::prelude::*;

use super::calibration::{Calibration, CalibrationError, VideoTracks, open_eye_closures};
use crate::capture::{CaptureError, FrameSource};
use crate::landmarks::{Face, LandmarkError, Tracker, largest_face};
use crate::session::repetitions::{Repetition, RepetitionCounter, Sample};
use crate::symmetry::score::ClosedEyesError;
use crate::symmetry::synkinesis::CoMovement;
use crate::symmetry::{CORE_MOVEMENTS, FaceFrame, FrameScore, NeutralError, NeutralFace};

/// Frames decoded and scored together, per core: enough to keep both cores busy, few enough
/// that memory stays bounded by one batch.
const BATCH_FRAMES_PER_CORE: usize = 4;
/// Bytes of frames a batch may hold: fewer frames per batch when they are large (an 8K
/// video's frames are 100 MB each), so memory stays bounded whatever the size.
const MAX_BATCH_BYTES: usize = 512 * 1024 * 1024;

/// What one frame gave.
#[derive(Clone, Debug)]
pub struct FrameResult {
    /// Seconds from the start.
    pub t: f64,
    /// The scores; `None` until a neutral face is set. Each movement is checked against the
    /// frame's mirror image ([`Calibration::check`]) when the neutral's mirror image could be
    /// measured.
    pub score: Option<FrameScore>,
    /// Repetitions this frame completed.
    pub repetitions: Vec<Repetition>,
    /// Each eye's closure, `[left, right]`, as a fraction of its open aperture (not of the
    /// person's closed eyes, whatever the calibration): for finding blinks; `None` without a
    /// reading.
    pub eye_closure: Option<[f64; 2]>,
    /// Whether the face is at rest in this frame (no repetition under way), where twitches
    /// are looked for.
    pub at_rest: bool,
}

/// Tracks, scores and counts over a sequence of frames, in order.
pub struct RecordingAnalyzer {
    tracker: Tracker,
    /// Follows the mirror images of the frames, for the mirror check.
    mirror_tracker: Tracker,
    calibration: Option<Calibration>,
    /// The skin of the frames and of their mirror images, followed from frame to frame.
    tracks: VideoTracks,
    counters: Vec<RepetitionCounter>,
    /// Frames of the person's closed eyes, to calibrate eye closure with once the neutral is
    /// found in the recording ([`Self::calibrate_closed_eyes`]).
    closed_eyes: Option<Vec<FaceFrame>>,
    /// Why those frames could not be used, when the neutral came.
    closed_eyes_failed: Option<ClosedEyesError>,
    /// A recording of the face at rest throughout: no repetitions are counted.
    rest_only: bool,
}

/// One repetition counter per core movement, as measured against `calibration`.
fn counters(calibration: Option<&Calibration>) -> Vec<RepetitionCounter> {
    CORE_MOVEMENTS
        .iter()
        .map(|m| {
            let measured = calibration.map_or(*m, |c| c.direct.neutral.movement(m.id));
            RepetitionCounter::new(&measured)
        })
        .collect()
}

impl RecordingAnalyzer {
    /// With a calibration, or `None` to take the first frame whose face can be scored. The
    /// mirror images are followed by a second tracker sharing the loaded models.
    pub fn new(mut tracker: Tracker, calibration: Option<Calibration>) -> Self {
        let counters = counters(calibration.as_ref());
        let mirror_tracker =
            Tracker::with_landmarker(tracker.landmarker().clone(), tracker.options());
        // Twitches are looked for in every recording.
        let mut tracks = VideoTracks::default();
        tracks.follow_rest(true);
        Self {
            tracker,
            mirror_tracker,
            calibration,
            tracks,
            counters,
            closed_eyes: None,
            closed_eyes_failed: None,
            rest_only: false,
        }
    }

    /// Takes the recording for one of the face at rest throughout (a rest check): no
    /// repetitions are counted, and every movement is looked at as an involuntary one.
    pub fn rest_only(&mut self) {
        self.rest_only = true;
    }

    /// Calibrates eye closure to the person's closed eyes (frames of both eyes gently closed,
    /// [`Calibration::calibrate_closed_eyes`]): now, when the neutral face is set, else when
    /// it is found in the recording (then a failure is told by [`Self::neutral_warnings`]).
    /// Returns the closure that counts as fully closed, when known now.
    pub fn calibrate_closed_eyes(
        &mut self,
        frames: Vec<FaceFrame>,
    ) -> Result<Option<f64>, ClosedEyesError> {
        let Some(calibration) = &mut self.calibration else {
            self.closed_eyes = Some(frames);
            return Ok(None);
        };
        let closed = calibration.calibrate_closed_eyes(&frames)?;
        self.counters = counters(Some(calibration));
        Ok(Some(closed))
    }

    /// The frame of the largest face in `image`, found by `tracker` as a recording's faces
    /// are: a picture of the person's closed eyes, for [`Self::calibrate_closed_eyes`].
    pub fn face_frame_of(
        tracker: &mut Tracker,
        image: &RgbImage,
    ) -> Result<FaceFrame, CalibrationError> {
        let face = largest_face(tracker.track(image)?).ok_or(CalibrationError::NoFace);
        tracker.reset();
        FaceFrame::fit(&face?.landmarks)
            .map_err(|flag| CalibrationError::Unusable(NeutralError::Unusable(vec![flag])))
    }

    /// The closure that counts as fully closed, when eye closure is calibrated to the
    /// person's closed eyes.
    pub fn closed_eyes(&self) -> Option<f64> {
        self.calibration.as_ref().and_then(|c| c.direct.neutral.closed_eyes)
    }

    /// The calibration from one image of the relaxed face (its largest face, which must be
    /// scorable) and its mirror image, found by `tracker` as a recording's faces are.
    pub fn calibrate_from_image(
        tracker: &mut Tracker,
        image: &RgbImage,
    ) -> Result<Calibration, CalibrationError> {
        let face = largest_face(tracker.track(image)?).ok_or(CalibrationError::NoFace)?;
        tracker.reset();
        let flipped = flip_horizontal(image);
        let mirrored = largest_face(tracker.track(&flipped)?);
        tracker.reset();
        Ok(calibration_of(image, &face, mirrored.as_ref().map(|face| (&flipped, face)))?)
    }

    /// Whether a neutral face is set.
    pub fn has_neutral(&self) -> bool {
        self.calibration.is_some()
    }

    /// What to tell the person about the neutral face set ([`Calibration::warnings`]); none
    /// while no neutral is set.
    pub fn neutral_warnings(&self) -> Vec<String> {
        let mut warnings: Vec<String> =
            self.calibration.as_ref().map(Calibration::warnings).unwrap_or_default();
        if let Some(why) = &self.closed_eyes_failed {
            warnings
                .push(format!("eye closure is not measured against your closed eyes, as {why}"));
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
    /// frames are scored in order (each frame's skin is followed from the last's), each
    /// checked against its mirror image; then the repetition counters take the scores in order (a reading the
    /// mirror image disputes is left out of the repetition's peaks and counted against it,
    /// [`RepetitionCounter::push`]).
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
        if self.calibration.is_none() {
            for (i, (face, mirrored)) in faces.iter().zip(&mirrored_faces).enumerate() {
                first_scored = i + 1;
                let Some(face) = face else { continue };
                let mirrored = mirrored.as_ref().map(|m| (&flipped[i], m));
                self.calibration = calibration_of(frames[i].1, face, mirrored).ok();
                if let Some(calibration) = &mut self.calibration {
                    if let Some(closed) = self.closed_eyes.take() {
                        self.closed_eyes_failed = calibration.calibrate_closed_eyes(&closed).err();
                    }
                    self.counters = counters(Some(calibration));
                    break;
                }
            }
        }
        // Each frame's skin is followed from the last's, so frames are scored in order; the
        // frame and its mirror image at once, each over its points in parallel.
        let scores: Vec<Option<FrameScore>> = match &self.calibration {
            None => vec![None; frames.len()],
            Some(calibration) => (0..frames.len())
                .map(|i| {
                    (i >= first_scored).then(|| {
                        calibration.score_video_checked(
                            frames[i].1,
                            faces[i].as_ref().map(|f| &f.landmarks),
                            &flipped[i],
                            mirrored_faces[i].as_ref().map(|f| &f.landmarks),
                            &mut self.tracks,
                        )
                    })
                })
                .collect(),
        };
        let mut results = Vec::with_capacity(frames.len());
        for ((t, _), score) in frames.iter().zip(scores) {
            let mut repetitions = Vec::new();
            let closed = self.closed_eyes();
            if let Some(score) = score.as_ref().filter(|_| !self.rest_only) {
                for (counter, m) in self.counters.iter_mut().zip(&score.movements) {
                    let co = CoMovement::during(m.movement)
                        .map_or([f64::NAN; 2], |c| c.read(score, closed));
                    repetitions.extend(counter.push(Sample::of(*t, m).with_co(co)));
                }
            }
            let at_rest = !self.counters.iter().any(RepetitionCounter::under_way);
            let eye_closure = score.as_ref().and_then(|s| open_eye_closures(s, self.closed_eyes()));
            results.push(FrameResult { t: *t, score, repetitions, eye_closure, at_rest });
        }
        Ok(results)
    }

    /// Ends the recording: repetitions still under way that were held long enough.
    pub fn finish(&mut self) -> Vec<Repetition> {
        if self.rest_only {
            return Vec::new();
        }
        self.counters.iter_mut().filter_map(RepetitionCounter::finish).collect()
    }

    /// Analyses every frame of `source` in order, timed at `fps` when the source has no rate
    /// of its own, decoding a batch of frames per core at a time (memory stays bounded by one
    /// batch on any length). Each frame's result goes to `each` with its index, as it comes;
    /// the repetitions still under way at the end are returned. A source that fails part way
    /// keeps what came before: its error is returned beside the frames analysed.
    pub fn run<E: From<LandmarkError>>(
        &mut self,
        source: &mut dyn FrameSource,
        fps: f64,
        mut each: impl FnMut(u64, FrameResult) -> Result<(), E>,
    ) -> Result<RunEnd, E> {
        let rate = source.frames_per_second().filter(|r| *r > 0.0).unwrap_or(fps);
        let per_cores = BATCH_FRAMES_PER_CORE * rayon::current_num_threads();
        let mut batch_len = per_cores;
        let (mut frames, mut failure) = (0u64, None);
        let mut batch = Vec::with_capacity(batch_len);
        while failure.is_none() {
            batch.clear();
            while batch.len() < batch_len {
                match source.next_frame() {
                    Ok(Some(frame)) => {
                        // Large frames make smaller batches: memory stays near MAX_BATCH_BYTES
                        // (each frame is held twice, as it is and mirrored).
                        let bytes = 2 * frame.image.as_raw().len().max(1);
                        batch_len = per_cores.min(MAX_BATCH_BYTES / bytes).max(1);
                        batch.push(((frames + batch.len() as u64) as f64 / rate, frame.image))
                    }
                    Ok(None) => break,
                    Err(err) => {
                        failure = Some(err);
                        break;
                    }
                }
            }
            if batch.is_empty() {
                break;
            }
            let refs: Vec<(f64, &RgbImage)> = batch.iter().map(|(t, i)| (*t, i)).collect();
            for result in self.push_batch(&refs)? {
                each(frames, result)?;
                frames += 1;
            }
        }
        Ok(RunEnd { frames, repetitions: self.finish(), failure })
    }
}

/// How a [`RecordingAnalyzer::run`] ended.
#[derive(Debug)]
pub struct RunEnd {
    /// Frames analysed.
    pub frames: u64,
    /// Repetitions still under way at the end that were held long enough.
    pub repetitions: Vec<Repetition>,
    /// Why the source stopped early, if it did; the frames before it were analysed.
    pub failure: Option<CaptureError>,
}

/// The calibration from a frame (`image`, with `face` found in it) and its mirror image
/// (`mirrored`, with the face found there), when each can be measured.
fn calibration_of(
    image: &RgbImage,
    face: &Face,
    mirrored: Option<(&RgbImage, &Face)>,
) -> Result<Calibration, NeutralError> {
    let direct = NeutralFace::calibrate(image, &face.landmarks)?;
    let mirrored =
        mirrored.and_then(|(image, face)| NeutralFace::calibrate(image, &face.landmarks).ok());
    Ok(Calibration { direct, mirrored })
}
