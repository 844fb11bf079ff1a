//! The symmetry core: landmarks in a head-pose-free face frame, each side's movement against
//! the person's neutral face, and the scores people act on.
//!
//! Formulas: docs/metrics.md. Validation: docs/validation.md.

pub mod catalogue;
pub mod flow;
pub mod frame;
pub mod landmarks_map;
pub mod movements;
pub mod regions;
pub mod score;
pub mod synkinesis;

pub use frame::{FaceFrame, FrameFlag, HeadPose, describe_flags};
pub use landmarks_map::Side;
pub use movements::{CORE_MOVEMENTS, Measure, Movement, MovementId, UnknownMovement, Validation};
pub use score::{
    FrameScore, Method, MovementScore, Neutral, NeutralError, NeutralFace, RestingSymmetry,
    ScoreStatus, score_frame, score_frames,
};
