//! What the analysis thread does for the live app: track the face, keep the person's neutral
//! face when asked, and score every frame against it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use image::RgbImage;

use crate::frame::Frame;
use crate::landmarks::{Face, Landmarks, Tracker, largest_face};
use crate::pipeline::Analyzer;
use crate::pipeline::smoothing::LandmarkSmoother;
use crate::symmetry::flow::NeutralImage;
use crate::symmetry::score::{calibrate, score_frame_with_flow};
use crate::symmetry::{FrameScore, Neutral};

/// Mean brightness (0–255) of the face below which the picture is too dark to measure well.
/// Below about a fifth of full scale a webcam's noise is a large part of the skin's texture,
/// which the skin-motion measure follows.
const MIN_FACE_BRIGHTNESS: f64 = 50.0;
/// Mean brightness of the face above which it is washed out (texture clipped to white).
const MAX_FACE_BRIGHTNESS: f64 = 225.0;

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
    /// Time spent analysing this frame, milliseconds.
    pub analysis_ms: f64,
}

/// The live analyzer: tracker, neutral face, scoring.
pub struct LiveAnalyzer {
    tracker: Tracker,
    neutral: Option<(Neutral, NeutralImage)>,
    calibrate: Arc<AtomicBool>,
    smoother: LandmarkSmoother,
    last_frame_at: Option<Instant>,
}

impl LiveAnalyzer {
    /// With loaded models; `calibrate` is set by the UI to take the next frame as neutral.
    pub fn new(tracker: Tracker, calibrate: Arc<AtomicBool>) -> Self {
        Self {
            tracker,
            neutral: None,
            calibrate,
            smoother: LandmarkSmoother::default(),
            last_frame_at: None,
        }
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
        let Some(face) = largest_face(faces) else {
            self.smoother.reset();
            result.warnings.push("no face in view".into());
            result.calibrated = self.neutral.is_some();
            return result;
        };
        if let Some(warning) = lighting_warning(&frame.image, &face) {
            result.warnings.push(warning);
        }
        if self.calibrate.swap(false, Ordering::AcqRel) {
            match calibrate(&frame.image, &face.landmarks) {
                Ok(neutral) => self.neutral = Some(neutral),
                Err(flags) => {
                    result.warnings.extend(flags.iter().map(|f| format!("cannot calibrate: {f}")))
                }
            }
        }
        if let Some((neutral, image)) = &self.neutral {
            let score = score_frame_with_flow(neutral, image, &frame.image, &face.landmarks);
            result.warnings.extend(score.flags.iter().map(ToString::to_string));
            result.score = Some(score);
        }
        result.calibrated = self.neutral.is_some();
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
