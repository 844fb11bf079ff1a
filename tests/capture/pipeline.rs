use std::time::Duration;

use facesym::capture::VideoFileSource;
use facesym::frame::Frame;
use facesym::pipeline::{Analyzer, Pacing, Pipeline, SourceState};

use crate::common::{make_video, pattern_frames, scratch};

/// An analyzer slower than capture (100 ms a frame against 30 fps).
struct Slow;

impl Analyzer for Slow {
    type Output = u64;
    fn analyse(&mut self, frame: &Frame) -> u64 {
        std::thread::sleep(Duration::from_millis(100));
        frame.seq
    }
}

/// Analysis slower than capture on a 2-second, 30-fps video: no backlog (each result's
/// latency stays near one analysis time), the skipped frames are counted, and every result
/// is a newer frame than the one before.
#[test]
fn slow_analysis_drops_frames_instead_of_queueing() {
    let dir = scratch("pipeline_slow");
    let path = dir.join("clip.mkv");
    make_video(&pattern_frames(60, 32, 24), 30, &path);
    let source = VideoFileSource::open(&path).unwrap();
    let pipeline = Pipeline::start(Box::new(source), Slow, Pacing::RealTime).unwrap();
    let mut seen = Vec::new();
    let mut worst_latency = Duration::ZERO;
    while !pipeline.is_finished() {
        if let Some(result) = pipeline.wait_latest(Duration::from_millis(500)) {
            assert_eq!(result.output, result.frame.seq);
            worst_latency = worst_latency.max(result.latency);
            seen.push(result.frame.seq);
        }
    }
    assert_eq!(pipeline.source_state(), SourceState::Ended);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    // About 2 s / 100 ms = 20 analyses; a queue would have analysed all 60. (Bounds are loose
    // so that a loaded machine cannot fail the test; a backlog is far outside them.)
    assert!(seen.len() <= 40, "{} results", seen.len());
    assert!(pipeline.frames_dropped() >= 20, "{} dropped", pipeline.frames_dropped());
    // Every frame was analysed and shown, or counted as skipped.
    let shown = seen.len() as u64;
    assert_eq!(shown + pipeline.results_dropped() + pipeline.frames_dropped(), 60);
    // One analysis (100 ms) plus at most one frame waiting for it (33 ms); a queue would reach
    // seconds (60 frames × 100 ms), so 1 s separates the two even on a loaded machine.
    assert!(worst_latency < Duration::from_secs(1), "{worst_latency:?}");
    pipeline.stop();
}

/// A camera that drops out after 5 frames and comes back on the second attempt.
struct FlakyCamera {
    next: u64,
    failures_left: u32,
    lost: bool,
}

impl facesym::capture::FrameSource for FlakyCamera {
    fn next_frame(&mut self) -> Result<Option<Frame>, facesym::capture::CaptureError> {
        if self.next == 5 && self.failures_left > 0 && !self.lost {
            self.lost = true;
            return Err(facesym::capture::CaptureError::CameraLost { reason: "unplugged".into() });
        }
        if self.lost {
            return Err(facesym::capture::CaptureError::CameraLost {
                reason: "still unplugged".into(),
            });
        }
        let seq = self.next;
        self.next += 1;
        std::thread::sleep(Duration::from_millis(10));
        Ok(Some(Frame {
            image: image::RgbImage::new(8, 8),
            captured_at: std::time::Instant::now(),
            seq,
        }))
    }
    fn describe(&self) -> String {
        "flaky camera".into()
    }
    fn frames_per_second(&self) -> Option<f64> {
        None
    }
    fn reconnect(&mut self) -> Result<(), facesym::capture::CaptureError> {
        self.failures_left -= 1;
        if self.failures_left == 0 {
            self.lost = false;
            Ok(())
        } else {
            Err(facesym::capture::CaptureError::NoCamera)
        }
    }
}

struct Echo;

impl Analyzer for Echo {
    type Output = u64;
    fn analyse(&mut self, frame: &Frame) -> u64 {
        frame.seq
    }
}

/// A lost camera shows as "reconnecting", is retried, and frames flow again: never a crash.
#[test]
fn lost_camera_reconnects() {
    let source = FlakyCamera { next: 0, failures_left: 2, lost: false };
    let pipeline = Pipeline::start(Box::new(source), Echo, Pacing::RealTime).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut saw_reconnecting = false;
    let mut last = 0;
    while last < 10 {
        if let SourceState::Reconnecting(why) = pipeline.source_state() {
            assert!(why.contains("camera lost"), "{why}");
            saw_reconnecting = true;
        }
        if let Some(result) = pipeline.wait_latest(Duration::from_millis(50)) {
            last = result.output;
        }
        assert!(std::time::Instant::now() < deadline, "frames did not come back");
    }
    assert!(saw_reconnecting);
    assert_eq!(pipeline.source_state(), SourceState::Running);
    pipeline.stop();
}

/// Opening happens on the capture thread: `launch` returns at once, the state names the step
/// under way until the opening ends, then frames flow; an opening that fails ends the
/// pipeline with its message and no frame.
#[test]
fn opening_happens_off_the_callers_thread() {
    let (release, released) = std::sync::mpsc::channel::<()>();
    let open = move |step: &dyn Fn(&str)| {
        step("loading the models");
        released.recv().map_err(|e| e.to_string())?;
        let source = FlakyCamera { next: 0, failures_left: 0, lost: false };
        Ok((Box::new(source) as Box<dyn facesym::capture::FrameSource>, Echo))
    };
    let pipeline = Pipeline::launch(open, Pacing::RealTime).unwrap();
    // Until released, the opening is under way and said; nothing comes out.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while pipeline.source_state() != SourceState::Opening("loading the models".into()) {
        assert!(std::time::Instant::now() < deadline, "{:?}", pipeline.source_state());
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(pipeline.latest().is_none() && !pipeline.is_finished());
    release.send(()).unwrap();
    assert!(pipeline.wait_latest(Duration::from_secs(20)).is_some());
    assert_eq!(pipeline.source_state(), SourceState::Running);
    assert_eq!(pipeline.source_description().as_deref(), Some("flaky camera"));
    pipeline.stop();

    let failing = |_: &dyn Fn(&str)| -> facesym::pipeline::Opened<Echo> {
        Err("cannot open /nonexistent/clip.mp4".into())
    };
    let pipeline = Pipeline::launch(failing, Pacing::RealTime).unwrap();
    assert!(pipeline.wait_latest(Duration::from_secs(20)).is_none());
    assert!(pipeline.is_finished());
    let failed = SourceState::Failed("cannot open /nonexistent/clip.mp4".into());
    assert_eq!(pipeline.source_state(), failed);
}
