//! Exercise sessions: repetitions counted from each movement's activation over time, the
//! still-face calibration, guided sessions, the record and what is made of it.

pub mod calendar;
pub mod calibration;
pub mod cues;
pub mod events;
pub mod guide;
pub mod history;
pub mod plan;
pub mod repetitions;
pub mod report;
pub mod store;
pub mod twitches;
pub mod writer;

pub use repetitions::{Repetition, RepetitionCounter, Sample, segment};
pub use store::{Store, StoreError};
