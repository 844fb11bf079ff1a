//! Where frames come from: all sources behind one trait, so the pipeline and the app never
//! know whether a camera, a video file, an image folder or the built-in demo is feeding them.

mod camera;
mod folder;
mod video;

pub use camera::{CameraChoice, CameraRequest, CameraSource, list_cameras};
pub use folder::ImageFolderSource;
pub use video::{VideoFileSource, check_frame_size};

use std::path::PathBuf;

use crate::frame::Frame;

/// The widest or tallest frame or image facesym reads, in pixels (8K is 7680 wide).
pub const MAX_FRAME_SIDE: u32 = 8192;
/// The most pixels a frame or image may have: 8K UHD's 7680 × 4320, with a margin. One such
/// frame is 100 MB as RGB; a larger declared size is refused before anything is allocated.
pub const MAX_FRAME_PIXELS: u64 = 8192 * 4320;

/// A source of frames.
pub trait FrameSource: Send {
    /// The next frame; `Ok(None)` when a finite source (file, folder) has ended.
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError>;

    /// What this source is, for people ("video clip.mp4", "demo").
    fn describe(&self) -> String;

    /// The rate the source's frames were made at, when it has one: files and the demo are
    /// played back at it; a camera delivers at its own pace.
    fn frames_per_second(&self) -> Option<f64>;

    /// Tries to get going again after [`CaptureError::CameraLost`]; sources that cannot
    /// (files, folders, the demo) say so.
    fn reconnect(&mut self) -> Result<(), CaptureError> {
        Err(CaptureError::CannotReconnect)
    }
}

/// What can go wrong getting frames.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// There is no camera on this machine.
    #[error("no camera found: choose the demo or open a video file instead")]
    NoCamera,
    /// The requested camera is not among those found.
    #[error("camera {wanted} not found; cameras found: {available}")]
    CameraNotFound {
        /// What was asked for.
        wanted: String,
        /// What there is.
        available: String,
    },
    /// A camera could not be opened or started.
    #[error("cannot use the camera: {reason}")]
    Camera {
        /// What the camera driver said.
        reason: String,
    },
    /// A running camera stopped delivering (unplugged, or taken by another program).
    #[error("camera lost: {reason}")]
    CameraLost {
        /// What the camera driver said.
        reason: String,
    },
    /// This kind of source cannot reconnect.
    #[error("this source cannot reconnect")]
    CannotReconnect,
    /// A file or folder could not be opened.
    #[error("cannot open {path}: {reason}")]
    Open {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A video could not be decoded from this frame on; the frames before it were delivered.
    #[error("{path} is corrupt or truncated at frame {frame}: {reason}")]
    Corrupt {
        /// The video.
        path: PathBuf,
        /// Index of the first frame that could not be decoded.
        frame: u64,
        /// What the decoder said.
        reason: String,
    },
    /// The ffmpeg program needed to decode videos is not installed.
    #[error("decoding videos needs the ffmpeg program (Debian: apt-get install ffmpeg)")]
    FfmpegMissing,
    /// An image of a folder could not be read.
    #[error(transparent)]
    Image(#[from] crate::io::ReadError),
}
