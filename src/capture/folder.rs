//! A folder of images, read in name order.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{CaptureError, FrameSource};
use crate::frame::Frame;
use crate::io::{image_files, read_rgb};

/// Frames from the PNG and JPEG files of a folder, in name order.
pub struct ImageFolderSource {
    folder: PathBuf,
    files: Vec<PathBuf>,
    next: usize,
    fps: Option<f64>,
}

impl ImageFolderSource {
    /// Lists the folder; `fps` is the rate to play it back at, if any.
    pub fn open(folder: &Path, fps: Option<f64>) -> Result<Self, CaptureError> {
        let files = image_files(folder)
            .map_err(|e| CaptureError::Open { path: folder.to_owned(), reason: e.to_string() })?;
        if files.is_empty() {
            return Err(CaptureError::Open {
                path: folder.to_owned(),
                reason: "no PNG or JPEG images in it".into(),
            });
        }
        Ok(Self { folder: folder.to_owned(), files, next: 0, fps })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether the folder has no images (never, once opened).
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

impl FrameSource for ImageFolderSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        let Some(path) = self.files.get(self.next) else { return Ok(None) };
        let image = read_rgb(path)?;
        let seq = self.next as u64;
        self.next += 1;
        Ok(Some(Frame { image, captured_at: Instant::now(), seq }))
    }

    fn describe(&self) -> String {
        format!("images in {}", self.folder.display())
    }

    fn frames_per_second(&self) -> Option<f64> {
        self.fps
    }
}
