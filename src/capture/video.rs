//! Video files, decoded by the ffmpeg program into raw RGB frames through a pipe.
//!
//! Why the program and not a binding to libav: nothing to build (no bindgen, no version
//! coupling to the system's libav headers), every container and codec Debian's ffmpeg knows,
//! and a corrupt file can only make a child process fail, never our own. The cost is one copy
//! of each frame through a pipe, small next to the face mesh.

use std::ffi::OsString;
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

use image::RgbImage;

use super::{CaptureError, FrameSource, MAX_FRAME_PIXELS, MAX_FRAME_SIDE};
use crate::frame::Frame;

/// Seconds ffprobe may take to read a file's header before it is given up on (a file on a
/// stalled network share, a named pipe).
const PROBE_TIMEOUT_S: f64 = 30.0;
/// Bytes of ffmpeg's messages kept (the last ones): enough for its reasons, bounded whatever
/// a damaged file makes it print.
const MESSAGES_KEPT: usize = 16 * 1024;
/// The highest base frame rate taken as the rate frames are filmed at (high-speed phone
/// video reaches 240).
const MAX_BASE_RATE: f64 = 240.0;

/// Frames of a video file, upright (turned as its rotation metadata says) and at a constant
/// rate ([`Probe::rate`]: frame k is the one filmed at k / rate seconds, a variable-rate
/// video's frames repeated or left out to keep to its timestamps).
pub struct VideoFileSource {
    path: PathBuf,
    width: u32,
    height: u32,
    fps: Option<f64>,
    /// Frames the file should hold, when its header says.
    expected_frames: Option<u64>,
    child: Child,
    stdout: ChildStdout,
    stderr: Option<JoinHandle<Vec<u8>>>,
    next: u64,
    finished: bool,
}

/// What ffprobe says of the video stream facesym reads.
#[derive(Debug, PartialEq)]
struct Probe {
    /// The stream's index in the file.
    index: u64,
    /// Frame size as decoded, before rotation.
    width: u32,
    height: u32,
    /// Degrees the picture is turned for display (0, 90, 180 or 270).
    rotation: u32,
    avg_rate: Option<String>,
    base_rate: Option<String>,
    duration_s: Option<f64>,
}

impl Probe {
    /// The first video stream that is not a cover picture, from ffprobe's JSON.
    fn from_json(text: &str) -> Option<Probe> {
        let json: serde_json::Value = serde_json::from_str(text).ok()?;
        let format_duration = json["format"]["duration"].as_str().and_then(|d| d.parse().ok());
        let stream = json["streams"].as_array()?.iter().find(|s| {
            s["codec_type"] == "video" && s["disposition"]["attached_pic"].as_u64() != Some(1)
        })?;
        let text_of = |key: &str| stream[key].as_str().map(str::to_string);
        // The display matrix's rotation (side data), or the older "rotate" tag.
        let rotation = stream["side_data_list"]
            .as_array()
            .and_then(|list| list.iter().find_map(|d| d["rotation"].as_f64()))
            .or_else(|| stream["tags"]["rotate"].as_str().and_then(|r| r.parse().ok()))
            .unwrap_or(0.0);
        Some(Probe {
            index: stream["index"].as_u64()?,
            width: u32::try_from(stream["width"].as_u64()?).ok()?,
            height: u32::try_from(stream["height"].as_u64()?).ok()?,
            rotation: ((rotation.round() as i64).rem_euclid(360) as u32 + 45) / 90 % 4 * 90,
            avg_rate: text_of("avg_frame_rate"),
            base_rate: text_of("r_frame_rate"),
            duration_s: text_of("duration").and_then(|d| d.parse().ok()).or(format_duration),
        })
    }

    /// Frame size as shown: turned a quarter, width and height swap.
    fn upright(&self) -> (u32, u32) {
        if self.rotation % 180 == 90 {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }

    /// The constant rate the frames are delivered at: the stream's base rate (the rate every
    /// timestamp falls on), unless that is absurd (some phones' files give 90000), then the
    /// average rate. A frame every 1/rate seconds, each the one filmed then: a variable-rate
    /// video is timed by its timestamps, and a constant-rate one is read frame for frame.
    fn rate(&self) -> Option<&str> {
        let sane = |r: &&String| parse_rate(r).is_some_and(|r| r <= MAX_BASE_RATE);
        self.base_rate.as_ref().filter(sane).or(self.avg_rate.as_ref()).map(String::as_str)
    }
}

/// `path` as ffmpeg's `file:` URL, so that no name is taken for an option ("-clip.mp4") or
/// another protocol ("10:30.mp4").
fn file_url(path: &Path) -> OsString {
    let mut url = OsString::from("file:");
    url.push(path.as_os_str());
    url
}

/// Runs `command` to its end, at most `timeout_s` seconds: its stdout and stderr.
fn output_within(
    mut command: Command,
    timeout_s: f64,
) -> std::io::Result<Option<(Vec<u8>, Vec<u8>)>> {
    let mut child =
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(timeout_s);
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Ok(Some((out.join().unwrap_or_default(), err.join().unwrap_or_default())))
}

impl VideoFileSource {
    /// Opens `path` (probing its video stream with ffprobe) and starts decoding it. A frame
    /// larger than [`MAX_FRAME_SIDE`] or [`MAX_FRAME_PIXELS`] is refused before anything is
    /// allocated for it.
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
        let mut probe = Command::new("ffprobe");
        probe
            .args(["-v", "error", "-of", "json", "-show_entries"])
            .arg(
                "stream=index,codec_type,width,height,avg_frame_rate,r_frame_rate,duration:stream_disposition=attached_pic:stream_side_data=rotation:\
                 stream_tags=rotate:format=duration",
            )
            .arg(file_url(path));
        let Some((stdout, stderr)) = output_within(probe, PROBE_TIMEOUT_S).map_err(run_error)?
        else {
            return Err(open_error(format!(
                "ffprobe did not read its header within {PROBE_TIMEOUT_S:.0} s"
            )));
        };
        let Some(probe) = Probe::from_json(&String::from_utf8_lossy(&stdout)) else {
            let why = String::from_utf8_lossy(&stderr).trim().to_string();
            return Err(open_error(if why.is_empty() { "no video stream".into() } else { why }));
        };
        let (width, height) = probe.upright();
        if width == 0 || height == 0 {
            return Err(open_error(format!("video is {width}x{height}")));
        }
        check_frame_size(width, height).map_err(open_error)?;
        let rate = probe.rate();
        let fps = rate.and_then(parse_rate);
        let mut command = Command::new("ffmpeg");
        command.args(["-v", "error", "-nostdin", "-i"]).arg(file_url(path));
        command.args(["-map", &format!("0:{}", probe.index)]);
        if let (Some(rate), Some(_)) = (rate, fps) {
            command.args(["-fps_mode", "cfr", "-r", rate]);
        }
        let mut child = command
            .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(run_error)?;
        let (Some(stdout), Some(mut err_pipe)) = (child.stdout.take(), child.stderr.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(open_error("could not connect to ffmpeg".into()));
        };
        // Drain ffmpeg's messages on the side so a chatty decoder never blocks on a full pipe,
        // keeping the last `MESSAGES_KEPT` bytes.
        let stderr = std::thread::Builder::new().name("ffmpeg-stderr".into()).spawn(move || {
            let (mut kept, mut chunk) = (Vec::new(), [0u8; 4096]);
            while let Ok(n) = err_pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                kept.extend_from_slice(&chunk[..n]);
                if kept.len() > 2 * MESSAGES_KEPT {
                    kept.drain(..kept.len() - MESSAGES_KEPT);
                }
            }
            let excess = kept.len().saturating_sub(MESSAGES_KEPT);
            kept.drain(..excess);
            kept
        });
        let stderr = match stderr {
            Ok(handle) => handle,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(open_error(e.to_string()));
            }
        };
        let expected_frames = probe.duration_s.zip(fps).map(|(d, r)| (d * r).round() as u64);
        Ok(Self {
            path: path.to_owned(),
            width,
            height,
            fps,
            expected_frames,
            child,
            stdout,
            stderr: Some(stderr),
            next: 0,
            finished: false,
        })
    }

    /// Frame size in pixels, upright.
    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    fn corrupt(&mut self, reason: String) -> CaptureError {
        self.finished = true;
        let _ = self.child.kill();
        let _ = self.child.wait();
        CaptureError::Corrupt { path: self.path.clone(), frame: self.next, reason }
    }

    /// What ffmpeg printed (its last messages), once it has exited.
    fn decoder_messages(&mut self) -> String {
        let _ = self.child.wait();
        let bytes = self.stderr.take().and_then(|t| t.join().ok()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).trim().to_string()
    }
}

/// Why a frame of `width` × `height` is too large to read, if it is: each side at most
/// [`MAX_FRAME_SIDE`], [`MAX_FRAME_PIXELS`] in all.
pub fn check_frame_size(width: u32, height: u32) -> Result<(), String> {
    if width > MAX_FRAME_SIDE
        || height > MAX_FRAME_SIDE
        || u64::from(width) * u64::from(height) > MAX_FRAME_PIXELS
    {
        return Err(format!(
            "its frames are {width}x{height}, larger than facesym reads (at most \
             {MAX_FRAME_SIDE} pixels a side and {:.1} million pixels)",
            MAX_FRAME_PIXELS as f64 / 1e6
        ));
    }
    Ok(())
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
            // Ended between frames without failing: the end, unless the decoder complained and
            // fewer frames came than the file holds. A message about a frame it could still
            // deliver (damage concealed) does not make the whole file corrupt.
            let short = self.expected_frames.is_some_and(|n| self.next + 1 < n);
            let clean_end =
                filled == 0 && status.is_ok_and(|s| s.success()) && (messages.is_empty() || !short);
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
    use super::*;

    /// The first video stream that is not a cover picture is read; its display rotation, as
    /// side data or the older tag, turns its size; an absurd base rate gives way to the
    /// average one.
    #[test]
    fn the_probe_finds_the_stream_its_size_and_rate() {
        let json = r#"{"streams": [
            {"index": 0, "codec_type": "audio"},
            {"index": 1, "codec_type": "video", "width": 300, "height": 300,
             "disposition": {"attached_pic": 1}},
            {"index": 2, "codec_type": "video", "width": 1920, "height": 1080,
             "avg_frame_rate": "30000/1001", "r_frame_rate": "90000/1",
             "side_data_list": [{"rotation": -90}], "disposition": {"attached_pic": 0}}],
            "format": {"duration": "2.5"}}"#;
        let probe = Probe::from_json(json).unwrap();
        assert_eq!((probe.index, probe.rotation, probe.upright()), (2, 270, (1080, 1920)));
        assert_eq!(probe.rate(), Some("30000/1001"));
        assert_eq!(probe.duration_s, Some(2.5));
        let tagged = r#"{"streams": [{"index": 0, "codec_type": "video", "width": 640,
            "height": 360, "r_frame_rate": "25/1", "tags": {"rotate": "180"}}]}"#;
        let probe = Probe::from_json(tagged).unwrap();
        assert_eq!(
            (probe.rotation, probe.upright(), probe.rate()),
            (180, (640, 360), Some("25/1"))
        );
        assert!(
            Probe::from_json(r#"{"streams": [{"index": 0, "codec_type": "audio"}]}"#).is_none()
        );
        assert!(Probe::from_json("not json").is_none());
    }

    /// A program that does not finish in time is stopped, and said to have timed out.
    #[test]
    fn a_stalled_program_is_given_up_on() {
        let mut sleep = Command::new("sleep");
        sleep.arg("10");
        let start = std::time::Instant::now();
        assert!(output_within(sleep, 0.2).unwrap().is_none());
        assert!(start.elapsed().as_secs_f64() < 5.0);
        let mut echo = Command::new("echo");
        echo.arg("hi");
        assert_eq!(output_within(echo, 5.0).unwrap().unwrap().0, b"hi\n");
    }

    /// Frame sizes past either limit are refused, naming both.
    #[test]
    fn frame_sizes_are_bounded() {
        assert!(check_frame_size(7680, 4320).is_ok());
        assert!(check_frame_size(8193, 10).unwrap_err().contains("8192 pixels a side"));
        assert!(check_frame_size(8192, 8192).unwrap_err().contains("35.4 million"));
    }

    #[test]
    fn frame_rates() {
        assert_eq!(parse_rate("30/1"), Some(30.0));
        assert!((parse_rate("30000/1001").unwrap() - 29.97).abs() < 0.01);
        assert_eq!(parse_rate("0/0"), None);
        assert_eq!(parse_rate("abc"), None);
    }
}
