//! Video files, decoded by the ffmpeg program into raw RGB frames through a pipe.
//!
//! Why the program and not a binding to libav: nothing to build (no bindgen, no version
//! coupling to the system's libav headers), every container and codec Debian's ffmpeg knows,
//! and a corrupt file can only make a child process fail, never our own. The cost is one copy
//! of each frame through a pipe, small next to the face mesh.

use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

use image::RgbImage;

use super::{CaptureError, FrameSource};
use crate::frame::Frame;

/// Frames of a video file.
pub struct VideoFileSource {
    path: PathBuf,
    width: u32,
    height: u32,
    fps: Option<f64>,
    child: Child,
    stdout: ChildStdout,
    stderr: Option<JoinHandle<String>>,
    next: u64,
    finished: bool,
}

impl VideoFileSource {
    /// Opens `path` (probing its size and rate with ffprobe) and starts decoding.
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        let open_error = |reason: String| CaptureError::Open { path: path.to_owned(), reason };
        // Starting ffprobe or ffmpeg fails with NotFound when the program is not installed.
        let run_error = |e: std::io::Error| match e.kind() {
            ErrorKind::NotFound => CaptureError::FfmpegMissing,
            _ => open_error(e.to_string()),
        };
        if !path.is_file() {
            return Err(open_error("no such file".into()));
        }
        let probe = Command::new("ffprobe")
            .args(["-v", "error", "-select_streams", "v:0"])
            .args(["-show_entries", "stream=width,height,avg_frame_rate", "-of", "csv=p=0"])
            .arg(path)
            .stdin(Stdio::null())
            .output()
            .map_err(run_error)?;
        let text = String::from_utf8_lossy(&probe.stdout);
        let fields: Vec<&str> = text.trim().split(',').collect();
        let (width, height) = match fields.as_slice() {
            [w, h, ..] => (w.parse::<u32>().ok(), h.parse::<u32>().ok()),
            _ => (None, None),
        };
        let (Some(width), Some(height)) = (width, height) else {
            let why = String::from_utf8_lossy(&probe.stderr).trim().to_string();
            return Err(open_error(if why.is_empty() { "no video stream".into() } else { why }));
        };
        if width == 0 || height == 0 {
            return Err(open_error(format!("video is {width}x{height}")));
        }
        let fps = fields.get(2).and_then(|r| parse_rate(r));
        let mut child = Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-i"])
            .arg(path)
            .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(run_error)?;
        let (Some(stdout), Some(mut err_pipe)) = (child.stdout.take(), child.stderr.take()) else {
            let _ = child.kill();
            return Err(open_error("could not connect to ffmpeg".into()));
        };
        // Drain ffmpeg's messages on the side so a chatty decoder never blocks on a full pipe.
        let stderr = std::thread::Builder::new()
            .name("ffmpeg-stderr".into())
            .spawn(move || {
                let mut text = String::new();
                let _ = err_pipe.read_to_string(&mut text);
                text
            })
            .map_err(|e| open_error(e.to_string()))?;
        Ok(Self {
            path: path.to_owned(),
            width,
            height,
            fps,
            child,
            stdout,
            stderr: Some(stderr),
            next: 0,
            finished: false,
        })
    }

    /// Frame size in pixels.
    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    fn corrupt(&mut self, reason: String) -> CaptureError {
        self.finished = true;
        let _ = self.child.kill();
        CaptureError::Corrupt { path: self.path.clone(), frame: self.next, reason }
    }

    /// What ffmpeg printed, once it has exited.
    fn decoder_messages(&mut self) -> String {
        let _ = self.child.wait();
        let text = self.stderr.take().and_then(|t| t.join().ok()).unwrap_or_default();
        text.trim().to_string()
    }
}

impl FrameSource for VideoFileSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        if self.finished {
            return Ok(None);
        }
        let len = self.width as usize * self.height as usize * 3;
        let mut buffer = vec![0u8; len];
        let mut filled = 0;
        while filled < len {
            match self.stdout.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.corrupt(e.to_string())),
            }
        }
        if filled < len {
            let status = self.child.wait();
            let messages = self.decoder_messages();
            let clean_end = filled == 0 && status.is_ok_and(|s| s.success()) && messages.is_empty();
            if clean_end {
                self.finished = true;
                return Ok(None);
            }
            let reason = if messages.is_empty() {
                format!("the stream ended inside a frame ({filled} of {len} bytes)")
            } else {
                messages
            };
            return Err(self.corrupt(reason));
        }
        let image = RgbImage::from_raw(self.width, self.height, buffer)
            .ok_or_else(|| self.corrupt("frame size mismatch".into()))?;
        Ok(Some(Frame::numbered(image, &mut self.next)))
    }

    fn describe(&self) -> String {
        format!("video {}", self.path.display())
    }

    fn frames_per_second(&self) -> Option<f64> {
        self.fps
    }
}

impl Drop for VideoFileSource {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// "30000/1001" or "25" as frames per second.
fn parse_rate(text: &str) -> Option<f64> {
    let rate = match text.split_once('/') {
        Some((n, d)) => n.trim().parse::<f64>().ok()? / d.trim().parse::<f64>().ok()?,
        None => text.trim().parse::<f64>().ok()?,
    };
    (rate.is_finite() && rate > 0.0).then_some(rate)
}

#[cfg(test)]
mod tests {
    use super::parse_rate;

    #[test]
    fn frame_rates() {
        assert_eq!(parse_rate("30/1"), Some(30.0));
        assert!((parse_rate("30000/1001").unwrap() - 29.97).abs() < 0.01);
        assert_eq!(parse_rate("0/0"), None);
        assert_eq!(parse_rate("abc"), None);
    }
}
