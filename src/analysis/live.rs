//! What the analysis thread does for the live app: track the face, calibrate the person's
//! neutral face over a few still seconds when asked, score every frame against it, and count
//! the repetitions of the movement a guided session is on. The skin is followed from frame to
//! frame; while a repetition is under way, the mirror image of every frame is followed and
//! checked too, as a recording's are.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use image::RgbImage;
use image::imageops::flip_horizontal;

use super::Analyzer;
use super::calibration::{Calibration, VideoTracks, mirrored_neutral, open_eye_closures};
use super::smoothing::LandmarkSmoother;
use crate::frame::Frame;
use crate::landmarks::{Face, Landmarks, Tracker, largest_face};
use crate::session::calibration::{Stillness, StillnessCheck};
use crate::session::events::{Event, EventFinder};
use crate::session::repetitions::{Repetition, RepetitionCounter, Sample};
use crate::symmetry::score::MIN_CLOSED_EYES;
use crate::symmetry::synkinesis::CoMovement;
use crate::symmetry::{FaceFrame, FrameScore, Method, Movement, MovementId, NeutralFace};

/// The frame rate the rest check's event finder assumes (events need two frames beyond their
/// threshold at more than 20 frames a second; cameras run at 30).
const LIVE_RATE: f64 = 30.0;

/// Mean brightness (0–255) of the face below which the picture is too dark to measure well.
/// Below about a fifth of full scale a webcam's noise is a large part of the skin's texture,
/// which the skin-motion measure follows.
const MIN_FACE_BRIGHTNESS: f64 = 50.0;
/// Mean brightness of the face above which it is washed out (texture clipped to white).
const MAX_FACE_BRIGHTNESS: f64 = 225.0;
/// Frames the face must have been followed before one is taken as a provisional neutral: the
/// frame where the face is first found is cropped from the detector's box, the next ones from
/// the landmarks, and the mesh differs between the two (eye closure by up to 0.12 on an
/// identical image), so the neutral is never the first.
const SETTLE_FRAMES: usize = 3;
/// Seconds the eyes must be seen closed for their closure to be taken as the person's own
/// closed eyes: longer than a blink (0.1–0.4 s), short enough to hold without seeing.
pub const CLOSED_EYES_HOLD_S: f64 = 1.0;
/// Seconds to wait for the eyes to close and stay closed before giving up.
pub const CLOSED_EYES_TIMEOUT_S: f64 = 15.0;

/// One analysed frame, as the live app shows it.
#[derive(Clone, Debug, Default)]
pub struct LiveResult {
    /// The followed (largest) face's landmarks, image pixels, smoothed for display.
    pub landmarks: Option<Landmarks>,
    /// Scores against the neutral face, once calibrated.
    pub score: Option<FrameScore>,
    /// Whether a neutral face is set.
    pub calibrated: bool,
    /// Problems to tell the person about (pose, light, no face).
    pub warnings: Vec<String>,
    /// While calibrating, the fraction of the still window done.
    pub calibrating: Option<f64>,
    /// While waiting for the closed eyes, the fraction of their hold done.
    pub closing_eyes: Option<f64>,
    /// Time spent analysing this frame, milliseconds.
    pub analysis_ms: f64,
}

/// What the UI asks of the analysis thread; read once per frame.
#[derive(Debug, Default)]
pub struct LiveControl {
    calibrate: AtomicBool,
    close_eyes: AtomicBool,
    counting: Mutex<Option<Counting>>,
    shown: Mutex<Option<MovementId>>,
    rest_check: Mutex<Option<RestCheck>>,
}

/// A rest check under way: involuntary events are looked for from this moment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RestCheck {
    /// Event times are seconds from this moment (the check's start).
    pub since: Instant,
    /// Tells one check from the next.
    pub generation: u64,
}

/// Which movement's repetitions to count, and from when.
#[derive(Clone, Copy, Debug)]
pub struct Counting {
    /// The movement.
    pub movement: &'static Movement,
    /// Repetition times are seconds from this moment (the session's start).
    pub since: Instant,
    /// Changed to start the count afresh (a movement repeated).
    pub generation: u64,
}

impl LiveControl {
    /// Asks for a new neutral face, calibrated over the next still seconds.
    pub fn request_calibration(&self) {
        self.calibrate.store(true, Ordering::Release);
    }

    /// Asks for the person's closed eyes: eye closure is then measured as a fraction of how
    /// closed they read ([`Calibration::calibrate_closed_eyes`]). Asked while a neutral face
    /// is being taken, they are waited for after it.
    pub fn request_closed_eyes(&self) {
        self.close_eyes.store(true, Ordering::Release);
    }

    /// Counts this movement's repetitions from now on (`None`: none).
    pub fn count(&self, counting: Option<Counting>) {
        *self.counting.lock().unwrap_or_else(PoisonError::into_inner) = counting;
    }

    fn counting(&self) -> Option<Counting> {
        *self.counting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Scores only this movement, the one on screen (a guided session's), and follows only
    /// its skin; `None`: all six (the mirror view shows them all).
    pub fn show_only(&self, movement: Option<MovementId>) {
        *self.shown.lock().unwrap_or_else(PoisonError::into_inner) = movement;
    }

    /// The movement [`LiveControl::show_only`] limits scoring to, if any.
    pub fn shown(&self) -> Option<MovementId> {
        *self.shown.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Looks for blinks, twitches and spasms from now on (`None`: ends the check under way,
    /// whose last events are then told, then [`LiveEvent::RestCheckEnded`]).
    pub fn rest_check(&self, check: Option<RestCheck>) {
        *self.rest_check.lock().unwrap_or_else(PoisonError::into_inner) = check;
    }

    /// The rest check [`LiveControl::rest_check`] asked for, if any.
    pub fn resting(&self) -> Option<RestCheck> {
        *self.rest_check.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the analysis thread tells the UI, in order; none is dropped (unlike frames).
#[derive(Clone, Debug, PartialEq)]
pub enum LiveEvent {
    /// A new neutral face is set, with what to tell the person about it.
    Calibrated {
        /// [`NeutralImage::warnings`](crate::symmetry::flow::NeutralImage::warnings): turned
        /// from the camera, too soft for skin motion, too smooth between the eyes to follow
        /// the head, or a movement's skin too smooth to follow at all.
        warnings: Vec<String>,
    },
    /// The calibration was not kept, for this reason.
    CalibrationFailed(String),
    /// Eye closure is measured against the person's closed eyes, which read `closed` of the
    /// open aperture closed.
    EyesClosedCalibrated {
        /// The closure that counts as fully closed.
        closed: f64,
    },
    /// The closed eyes were not taken, for this reason; eye closure is measured as before.
    EyesClosedFailed(String),
    /// A repetition of the counted movement ended.
    Repetition(Repetition),
    /// A blink, twitch or spasm of the rest check `generation`, settled.
    Involuntary {
        /// The check's [`RestCheck::generation`].
        generation: u64,
        /// The event, timed from the check's start.
        event: Event,
    },
    /// Rest check `generation` ended and every one of its events has been told.
    RestCheckEnded {
        /// The check's [`RestCheck::generation`].
        generation: u64,
    },
}

/// A calibration under way: the provisional neutral and its mirror image, and the stillness
/// test since it.
struct CalibrationRun {
    started: Instant,
    calibration: Calibration,
    check: StillnessCheck,
}

/// Waiting for the closed eyes: since when, and the frames they have been closed in a row.
struct ClosingEyes {
    started: Instant,
    held: Vec<(Instant, FaceFrame)>,
}

/// The live analyzer: tracker, neutral face, scoring.
pub struct LiveAnalyzer {
    tracker: Tracker,
    /// Follows the mirror images of the frames while a repetition is under way.
    mirror_tracker: Tracker,
    /// The neutral face and its mirror image.
    calibration: Option<Calibration>,
    /// The skin of the frames and of their mirror images, followed from frame to frame.
    tracks: VideoTracks,
    control: Arc<LiveControl>,
    events: Sender<LiveEvent>,
    calibrating: Option<CalibrationRun>,
    closing_eyes: Option<ClosingEyes>,
    /// A calibration was asked for and waits for the face to be followed long enough.
    calibration_wanted: bool,
    /// Frames in a row with a face.
    faces_in_a_row: usize,
    counter: Option<(u64, MovementId, RepetitionCounter)>,
    /// The rest check under way and its event finder.
    resting: Option<(RestCheck, EventFinder)>,
    smoother: LandmarkSmoother,
    last_frame_at: Option<Instant>,
}

impl LiveAnalyzer {
    /// With loaded models, the UI's requests in `control`, and `events` to tell it of
    /// calibrations and repetitions.
    pub fn new(mut tracker: Tracker, control: Arc<LiveControl>, events: Sender<LiveEvent>) -> Self {
        let mirror_tracker =
            Tracker::with_landmarker(tracker.landmarker().clone(), tracker.options());
        Self {
            tracker,
            mirror_tracker,
            calibration: None,
            tracks: VideoTracks::default(),
            control,
            events,
            calibrating: None,
            closing_eyes: None,
            calibration_wanted: false,
            faces_in_a_row: 0,
            counter: None,
            resting: None,
            smoother: LandmarkSmoother::default(),
            last_frame_at: None,
        }
    }

    fn tell(&self, event: LiveEvent) {
        // The UI may be gone (window closing): nothing is left to tell.
        let _ = self.events.send(event);
    }

    /// One frame of a calibration under way (or its start): the score against the
    /// provisional neutral, shown while the person holds still, and the fraction of the still
    /// window done (`None` once the calibration has ended either way).
    fn calibrate_step(&mut self, frame: &Frame, face: &Face) -> (Option<FrameScore>, Option<f64>) {
        let Some(run) = &mut self.calibrating else {
            if self.faces_in_a_row < SETTLE_FRAMES {
                return (None, Some(0.0));
            }
            self.calibration_wanted = false;
            match NeutralFace::calibrate(&frame.image, &face.landmarks) {
                Ok(direct) => {
                    let mirrored =
                        mirrored_neutral(self.tracker.landmarker(), &frame.image).ok().flatten();
                    self.calibrating = Some(CalibrationRun {
                        started: frame.captured_at,
                        calibration: Calibration { direct, mirrored },
                        check: StillnessCheck::new(0.0),
                    });
                    return (None, Some(0.0));
                }
                Err(err) => {
                    self.tell(LiveEvent::CalibrationFailed(err.to_string()));
                    return (None, None);
                }
            }
        };
        let score = run.calibration.direct.score(Method::SkinMotion, &frame.image, &face.landmarks);
        let t_s = frame.captured_at.duration_since(run.started).as_secs_f64();
        let progress = match run.check.push(t_s, &score) {
            Stillness::Holding(done) => Some(done),
            Stillness::Still => {
                let run = self.calibrating.take().expect("a calibration is under way");
                let warnings = run.calibration.direct.image.warnings();
                self.calibration = Some(run.calibration);
                self.counter = None;
                self.tracks.reset();
                self.tell(LiveEvent::Calibrated { warnings });
                None
            }
            Stillness::Moved(why) => {
                self.calibrating = None;
                self.tell(LiveEvent::CalibrationFailed(why));
                None
            }
        };
        (Some(score), progress)
    }

    /// One frame of the wait for the closed eyes (or its start): the eyes closed in a row for
    /// [`CLOSED_EYES_HOLD_S`] (the eye that closed further reading at least
    /// [`MIN_CLOSED_EYES`] against the neutral) calibrate eye closure; after
    /// [`CLOSED_EYES_TIMEOUT_S`] without, the wait ends. The fraction of the hold done, while
    /// waiting.
    fn closing_eyes_step(&mut self, frame: &Frame, face: Option<&Face>) -> Option<f64> {
        let now = frame.captured_at;
        let run = self.closing_eyes.get_or_insert(ClosingEyes { started: now, held: Vec::new() });
        let Some(calibration) = &mut self.calibration else {
            self.closing_eyes = None;
            self.tell(LiveEvent::EyesClosedFailed("no neutral face is set yet".into()));
            return None;
        };
        let fitted = face.and_then(|f| FaceFrame::fit(&f.landmarks).ok());
        let closed_enough = fitted.as_ref().is_some_and(|f| {
            let closures = calibration.direct.neutral.eye_closures(&f.landmarks);
            closures.iter().any(|&c| c >= MIN_CLOSED_EYES)
        });
        match fitted.filter(|f| closed_enough && f.flags().is_empty()) {
            Some(fitted) => run.held.push((now, fitted)),
            None => run.held.clear(),
        }
        let held_s = match (run.held.first(), run.held.last()) {
            (Some((first, _)), Some((last, _))) => last.duration_since(*first).as_secs_f64(),
            _ => 0.0,
        };
        if held_s >= CLOSED_EYES_HOLD_S {
            let frames: Vec<FaceFrame> = run.held.drain(..).map(|(_, f)| f).collect();
            self.closing_eyes = None;
            let event = match calibration.calibrate_closed_eyes(&frames) {
                Ok(closed) => LiveEvent::EyesClosedCalibrated { closed },
                Err(why) => LiveEvent::EyesClosedFailed(why.to_string()),
            };
            self.counter = None;
            self.tell(event);
            return None;
        }
        if now.duration_since(run.started).as_secs_f64() > CLOSED_EYES_TIMEOUT_S {
            self.closing_eyes = None;
            self.tell(LiveEvent::EyesClosedFailed(format!(
                "the eyes were not seen closed for {CLOSED_EYES_HOLD_S:.0} second in \
                 {CLOSED_EYES_TIMEOUT_S:.0} seconds"
            )));
            return None;
        }
        Some(held_s / CLOSED_EYES_HOLD_S)
    }

    /// Feeds the counted movement's counter, and tells of a repetition that ends (a reading
    /// the frame's mirror image disputed is left out of its peaks and counted against it).
    fn count(&mut self, frame: &Frame, score: &FrameScore) {
        let Some(counting) = self.control.counting() else {
            self.counter = None;
            return;
        };
        let id = counting.movement.id;
        if !matches!(&self.counter, Some((g, m, _)) if *g == counting.generation && *m == id) {
            // As measured against the neutral (eye closure against the person's closed eyes).
            let measured = self
                .calibration
                .as_ref()
                .map_or(*counting.movement, |c| c.direct.neutral.movement(id));
            self.counter = Some((counting.generation, id, RepetitionCounter::new(&measured)));
        }
        let Some((_, _, counter)) = &mut self.counter else { return };
        let Some(m) = score.movements.iter().find(|m| m.movement == id) else { return };
        let t_s = frame.captured_at.saturating_duration_since(counting.since).as_secs_f64();
        let closed = self.calibration.as_ref().and_then(|c| c.direct.neutral.closed_eyes);
        let co = CoMovement::during(id).map_or([f64::NAN; 2], |c| c.read(score, closed));
        if let Some(rep) = counter.push(Sample::of(t_s, m).with_co(co)) {
            self.tell(LiveEvent::Repetition(rep));
        }
    }

    /// Feeds the rest check's event finder (starting, ending or changing the check as the UI
    /// asked), and tells of the events settled. `score` is `None` without a reading.
    fn look_for_events(&mut self, frame: &Frame, score: Option<&FrameScore>) {
        let asked = self.control.resting();
        if self.resting.as_ref().map(|(c, _)| c.generation) != asked.map(|c| c.generation) {
            if let Some((check, mut finder)) = self.resting.take() {
                for event in finder.finish() {
                    self.tell(LiveEvent::Involuntary { generation: check.generation, event });
                }
                self.tell(LiveEvent::RestCheckEnded { generation: check.generation });
            }
            self.resting = asked.map(|check| (check, EventFinder::new(1.0 / LIVE_RATE)));
        }
        self.tracks.follow_rest(self.resting.is_some());
        let closed = self.calibration.as_ref().and_then(|c| c.direct.neutral.closed_eyes);
        let Some((check, finder)) = &mut self.resting else { return };
        let t_s = frame.captured_at.saturating_duration_since(check.since).as_secs_f64();
        let closures = score.and_then(|s| open_eye_closures(s, closed));
        let regions = score.and_then(|s| s.regions.as_ref());
        let generation = check.generation;
        for event in finder.push(t_s, closures, regions, true) {
            self.tell(LiveEvent::Involuntary { generation, event });
        }
    }

    /// The frame scored against the neutral face, the skin followed from the last frame;
    /// while a repetition of the counted movement is under way, checked against its mirror
    /// image followed the same way (which doubles the work of a frame, so not at rest: a
    /// reading outside a repetition is neither counted nor checked).
    fn score(&mut self, frame: &Frame, face: &Face) -> Option<FrameScore> {
        let calibration = self.calibration.as_ref()?;
        self.tracks.follow_only(self.control.shown());
        let under_way = matches!(&self.counter, Some((_, _, counter)) if counter.under_way());
        if self.control.counting().is_none() || !under_way {
            self.mirror_tracker.reset();
            return Some(calibration.score_video(&frame.image, &face.landmarks, &mut self.tracks));
        }
        let flipped = flip_horizontal(&frame.image);
        let mirror_face = match self.mirror_tracker.track(&flipped) {
            Ok(faces) => largest_face(faces),
            Err(_) => None,
        };
        Some(calibration.score_video_checked(
            &frame.image,
            Some(&face.landmarks),
            &flipped,
            mirror_face.as_ref().map(|f| &f.landmarks),
            &mut self.tracks,
        ))
    }
}

impl Analyzer for LiveAnalyzer {
    type Output = LiveResult;

    fn analyse(&mut self, frame: &Frame) -> LiveResult {
        let start = Instant::now();
        let mut result = LiveResult::default();
        let faces = match self.tracker.track(&frame.image) {
            Ok(faces) => faces,
            Err(err) => {
                result.warnings.push(format!("analysis failed: {err}"));
                return result;
            }
        };
        let dt =
            self.last_frame_at.map_or(0.0, |t| frame.captured_at.duration_since(t).as_secs_f64());
        self.last_frame_at = Some(frame.captured_at);
        let face = largest_face(faces);
        // The closed eyes are measured against the neutral: asked for while a neutral is being
        // taken, they wait for it.
        let neutral_pending = self.calibrating.is_some()
            || self.calibration_wanted
            || self.control.calibrate.load(Ordering::Acquire);
        if !neutral_pending
            && (self.control.close_eyes.swap(false, Ordering::AcqRel)
                || self.closing_eyes.is_some())
        {
            result.closing_eyes = self.closing_eyes_step(frame, face.as_ref());
        }
        let Some(face) = face else {
            self.look_for_events(frame, None);
            self.smoother.reset();
            self.tracks.reset();
            self.faces_in_a_row = 0;
            let requested = self.control.calibrate.swap(false, Ordering::AcqRel);
            if requested || self.calibration_wanted || self.calibrating.is_some() {
                (self.calibrating, self.calibration_wanted) = (None, false);
                self.tell(LiveEvent::CalibrationFailed("no face in view".into()));
            }
            result.warnings.push("no face in view".into());
            result.calibrated = self.calibration.is_some();
            return result;
        };
        if let Some(warning) = lighting_warning(&frame.image, &face) {
            result.warnings.push(warning);
        }
        self.faces_in_a_row += 1;
        // A new request starts the window afresh.
        if self.control.calibrate.swap(false, Ordering::AcqRel) {
            (self.calibrating, self.calibration_wanted) = (None, true);
            if self.closing_eyes.take().is_some() {
                self.tell(LiveEvent::EyesClosedFailed("a new neutral face was asked for".into()));
            }
        }
        if self.calibrating.is_some() || self.calibration_wanted {
            (result.score, result.calibrating) = self.calibrate_step(frame, &face);
        } else if let Some(score) = self.score(frame, &face) {
            result.warnings.extend(score.flags.iter().map(ToString::to_string));
            self.count(frame, &score);
            self.look_for_events(frame, Some(&score));
            result.score = Some(score);
        }
        result.calibrated = self.calibration.is_some();
        // Scores use the raw landmarks; the display gets them smoothed (see `smoothing`).
        result.landmarks = Some(self.smoother.smooth(&face.landmarks, dt));
        result.analysis_ms = start.elapsed().as_secs_f64() * 1000.0;
        result
    }
}

/// "too dark" / "too bright" from the mean brightness inside the face's box.
fn lighting_warning(image: &RgbImage, face: &Face) -> Option<String> {
    let [x0, y0, x1, y1] = face.bounding_box();
    let (w, h) = (image.width() as f32, image.height() as f32);
    let (x0, x1) = (x0.clamp(0.0, w - 1.0) as u32, x1.clamp(0.0, w - 1.0) as u32);
    let (y0, y1) = (y0.clamp(0.0, h - 1.0) as u32, y1.clamp(0.0, h - 1.0) as u32);
    let (mut sum, mut n) = (0.0f64, 0u64);
    for y in (y0..=y1).step_by(4) {
        for x in (x0..=x1).step_by(4) {
            let [r, g, b] = image.get_pixel(x, y).0;
            sum += 0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b);
            n += 1;
        }
    }
    let mean = sum / n.max(1) as f64;
    if mean < MIN_FACE_BRIGHTNESS {
        Some("too dark: add light in front of you".into())
    } else if mean > MAX_FACE_BRIGHTNESS {
        Some("too bright: the face is washed out".into())
    } else {
        None
    }
}
