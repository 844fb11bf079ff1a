//! Exercise sessions: repetitions counted from each movement's activation over time, and
//! recordings analysed frame by frame.

pub mod analyze;
pub mod calendar;
pub mod calibration;
pub mod frames_out;
pub mod guide;
pub mod history;
pub mod repetitions;
pub mod report;
pub mod store;

pub use analyze::{FrameResult, RecordingAnalyzer, RecordingNeutral};
pub use repetitions::{Repetition, RepetitionCounter, Sample, segment};
pub use store::{Store, StoreError};
