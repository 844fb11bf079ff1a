use std::path::PathBuf;

/// What can go wrong between a frame and its landmarks.
#[derive(Debug, thiserror::Error)]
pub enum LandmarkError {
    /// A model file is missing or cannot be read.
    #[error("cannot read model file {path}")]
    ModelMissing {
        /// The file that was tried.
        path: PathBuf,
        /// Why reading it failed.
        source: std::io::Error,
    },
    /// A model file was read but is not a usable ONNX model of the expected shape.
    #[error("model file {path} is corrupt or is not the expected model: {reason}")]
    ModelInvalid {
        /// The file that was read.
        path: PathBuf,
        /// What the ONNX loader or the shape check said.
        reason: String,
    },
    /// The inference engine failed on a frame.
    #[error("running the {model} model failed: {reason}")]
    Inference {
        /// Which model.
        model: &'static str,
        /// What tract said.
        reason: String,
    },
    /// The frame has no pixels.
    #[error("the image is empty ({width}x{height})")]
    EmptyImage {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
}
