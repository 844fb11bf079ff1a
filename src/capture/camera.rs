//! Cameras through nokhwa (Video4Linux on Linux), MJPEG or YUYV decoded to RGB.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use image::RgbImage;
use nokhwa::Camera;
use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
    Resolution,
};

use super::{CaptureError, FrameSource};
use crate::frame::Frame;

/// Which camera, at what size and rate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CameraRequest {
    /// Position in [`list_cameras`], or a name (or part of one).
    pub camera: CameraChoice,
    /// Requested width, pixels (the closest the camera offers is used).
    pub width: u32,
    /// Requested height, pixels.
    pub height: u32,
    /// Requested frames per second.
    pub fps: u32,
}

/// A camera by position or by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CameraChoice {
    /// The n-th camera found.
    Index(u32),
    /// The first camera whose name contains this text.
    Name(String),
}

impl std::fmt::Display for CameraChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CameraChoice::Index(i) => write!(f, "number {i}"),
            CameraChoice::Name(name) => write!(f, "\"{name}\""),
        }
    }
}

impl std::str::FromStr for CameraChoice {
    type Err = std::convert::Infallible;

    /// A number is a position in [`list_cameras`]; anything else is (part of) a name.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(s.trim()
            .parse()
            .map_or_else(|_| CameraChoice::Name(s.trim().to_string()), CameraChoice::Index))
    }
}

impl Default for CameraRequest {
    /// The first camera at 640×480, 30 fps: enough pixels for a face at arm's length (an
    /// inter-ocular distance of about 90 px) and what nearly every webcam offers.
    fn default() -> Self {
        Self { camera: CameraChoice::Index(0), width: 640, height: 480, fps: 30 }
    }
}

/// Names of the cameras found, in index order; empty when there are none.
pub fn list_cameras() -> Result<Vec<String>, CaptureError> {
    let cameras = nokhwa::query(ApiBackend::Auto)
        .map_err(|e| CaptureError::Camera { reason: e.to_string() })?;
    Ok(cameras.iter().map(|c| c.human_name()).collect())
}

/// A camera that delivers no frame for this long is taken as lost (and reconnected).
const FRAME_TIMEOUT: Duration = Duration::from_secs(2);

/// Frames from a camera. The camera itself lives on its own `camera` thread (the driver's
/// handle may not move between threads), which hands each decoded frame over a channel of one.
pub struct CameraSource {
    request: CameraRequest,
    name: String,
    frames: Receiver<Result<RgbImage, CaptureError>>,
    next: u64,
}

impl CameraSource {
    /// Opens the requested camera and starts streaming.
    pub fn open(request: CameraRequest) -> Result<Self, CaptureError> {
        let (name, frames) = start_camera_thread(request.clone())?;
        Ok(Self { request, name, frames, next: 0 })
    }
}

/// Starts the `camera` thread; returns the camera's name once it streams.
/// Frames in a row that may fail to decode before the camera counts as lost: a second's worth
/// at 30 fps, so a damaged frame now and then is skipped, not a reason to restart the camera.
const MAX_BAD_FRAMES_IN_A_ROW: u32 = 30;

/// Frames that failed to decode, in a row.
#[derive(Default)]
struct BadFrames(u32);

impl BadFrames {
    /// One more frame did not decode: whether to give up on the camera.
    fn give_up(&mut self) -> bool {
        self.0 += 1;
        self.0 > MAX_BAD_FRAMES_IN_A_ROW
    }

    /// A frame decoded: the count starts again.
    fn good(&mut self) {
        self.0 = 0;
    }
}

fn start_camera_thread(
    request: CameraRequest,
) -> Result<(String, Receiver<Result<RgbImage, CaptureError>>), CaptureError> {
    let (ready_tx, ready_rx) = mpsc::channel();
    let (frame_tx, frame_rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("camera".into())
        .spawn(move || {
            let (mut camera, name) = match open_camera(&request) {
                Ok(opened) => opened,
                Err(err) => {
                    let _ = ready_tx.send(Err(err));
                    return;
                }
            };
            let _ = ready_tx.send(Ok(name));
            let lost = |e: nokhwa::NokhwaError| CaptureError::CameraLost { reason: e.to_string() };
            let mut bad = BadFrames::default();
            loop {
                let frame = match camera.frame().map_err(lost) {
                    // A frame that does not decode (one damaged MJPEG frame) is skipped; only
                    // a camera sending nothing else is lost.
                    Ok(buffer) => match buffer.decode_image::<RgbFormat>() {
                        Ok(image) => {
                            bad.good();
                            Ok(image)
                        }
                        Err(_) if !bad.give_up() => continue,
                        Err(err) => Err(lost(err)),
                    },
                    Err(err) => Err(err),
                };
                let failed = frame.is_err();
                // Stops when the source is dropped (nobody receives) or the camera failed.
                if frame_tx.send(frame).is_err() || failed {
                    break;
                }
            }
            let _ = camera.stop_stream();
        })
        .map_err(|e| CaptureError::Camera { reason: e.to_string() })?;
    let name = ready_rx
        .recv()
        .map_err(|_| CaptureError::Camera { reason: "the camera thread ended".into() })??;
    Ok((name, frame_rx))
}

fn open_camera(request: &CameraRequest) -> Result<(Camera, String), CaptureError> {
    let names = list_cameras()?;
    if names.is_empty() {
        return Err(CaptureError::NoCamera);
    }
    let index = match &request.camera {
        CameraChoice::Index(i) => (*i as usize) < names.len(),
        CameraChoice::Name(_) => true,
    }
    .then(|| match &request.camera {
        CameraChoice::Index(i) => Some(*i as usize),
        CameraChoice::Name(wanted) => names.iter().position(|n| n.contains(wanted.as_str())),
    })
    .flatten()
    .ok_or_else(|| CaptureError::CameraNotFound {
        wanted: request.camera.to_string(),
        available: names.join(", "),
    })?;
    let format =
        RequestedFormat::new::<RgbFormat>(RequestedFormatType::Closest(CameraFormat::new(
            Resolution::new(request.width, request.height),
            FrameFormat::MJPEG,
            request.fps,
        )));
    let mut camera = Camera::new(CameraIndex::Index(index as u32), format)
        .map_err(|e| CaptureError::Camera { reason: e.to_string() })?;
    camera.open_stream().map_err(|e| CaptureError::Camera { reason: e.to_string() })?;
    Ok((camera, names[index].clone()))
}

impl FrameSource for CameraSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        let image = match self.frames.recv_timeout(FRAME_TIMEOUT) {
            Ok(result) => result?,
            Err(RecvTimeoutError::Timeout) => {
                return Err(CaptureError::CameraLost {
                    reason: format!("no frame for {} s", FRAME_TIMEOUT.as_secs()),
                });
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(CaptureError::CameraLost { reason: "the camera stopped".into() });
            }
        };
        Ok(Some(Frame::numbered(image, &mut self.next)))
    }

    fn describe(&self) -> String {
        format!("camera {}", self.name)
    }

    fn frames_per_second(&self) -> Option<f64> {
        // A camera delivers at its own pace; it is never paced by us.
        None
    }

    fn reconnect(&mut self) -> Result<(), CaptureError> {
        let (name, frames) = start_camera_thread(self.request.clone())?;
        // The old thread ends on its own: its receiver is dropped here.
        self.frames = frames;
        self.name = name;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A damaged frame now and then is skipped however long the camera runs; only a second's
    /// worth of frames in a row that cannot be decoded loses the camera.
    #[test]
    fn a_bad_frame_now_and_then_is_skipped() {
        let mut bad = BadFrames::default();
        for _ in 0..1000 {
            assert!(!bad.give_up());
            bad.good();
        }
        for _ in 0..MAX_BAD_FRAMES_IN_A_ROW {
            assert!(!bad.give_up());
        }
        assert!(bad.give_up());
    }
}
