//! facesym: live left/right facial symmetry feedback for facial-palsy exercises.
//!
//! The crate is laid out as the data flows: [`landmarks`] turns an RGB frame into faces with
//! MediaPipe's 468 face-mesh landmarks; [`bench`] times that path stage by stage;
//! [`synthetic`] makes test sequences from a still image; [`session`] counts repetitions.

pub mod analysis;
pub mod bench;
pub mod capture;
pub mod frame;
pub mod io;
pub mod landmarks;
pub mod overlay;
pub mod pipeline;
pub mod session;
pub mod stats;
pub mod symmetry;
pub mod synthetic;
pub mod ui;

pub use landmarks::{Face, FaceLandmarker, LandmarkError, Landmarks, ModelPaths, Tracker};
