//! A captured frame.

use std::time::Instant;

use image::RgbImage;

/// One frame from a source, in the order captured.
#[derive(Clone, Debug)]
pub struct Frame {
    /// The pixels, 8-bit RGB, as the camera saw them (never mirrored: only the display is).
    pub image: RgbImage,
    /// When the frame was captured (or read), for latency.
    pub captured_at: Instant,
    /// Position in the source, from 0.
    pub seq: u64,
}

impl Frame {
    /// A frame captured now, numbered from `counter`, which moves on by one.
    pub fn numbered(image: RgbImage, counter: &mut u64) -> Frame {
        let seq = *counter;
        *counter += 1;
        Frame { image, captured_at: Instant::now(), seq }
    }
}
