//! Per-frame analysis, in one place for every caller: the calibration a person is measured
//! against, a frame scored and checked against its own mirror image, the live analyzer the
//! app's analysis thread runs, a recording analysed in order, and what is said of it.
//!
//! It sits between the symmetry core and sessions (below) and the pipeline and UI (above).

pub mod calibration;
pub mod frames_out;
pub mod live;
pub mod recording;
pub mod smoothing;
pub mod summary;

pub use calibration::{
    Calibration, CalibrationError, MirrorImage, NO_MIRROR_CHECK_WARNING, VideoTracks,
    closed_eyes_note,
};
pub use live::{Counting, LiveAnalyzer, LiveControl, LiveEvent, LiveResult, RestCheck};
pub use recording::{FrameResult, RecordingAnalyzer, RunEnd};
pub use summary::{Caveats, RecordingSummary};

use crate::frame::Frame;

/// Turns a frame into what is shown of it: the pipeline's `analysis` thread runs one.
pub trait Analyzer: Send + 'static {
    /// The result for one frame.
    type Output: Send + 'static;
    /// Analyses one frame.
    fn analyse(&mut self, frame: &Frame) -> Self::Output;
}
