//! Latency of the live path without a window: the demo (or a video file) at its frame rate
//! through the capture and analysis threads, as the app runs them; prints capture-to-result
//! latency (median, p95), the rate results arrive at, and the frames dropped. With `--count
//! MOVEMENT` the movement is counted as in a guided session, every frame of a repetition then
//! checked against its mirror image too, and only that movement's skin followed.
//!
//! cargo run --release --example live_latency -- [VIDEO] [--seconds N] [--count MOVEMENT]

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use facesym::analysis::{Counting, LiveAnalyzer, LiveControl};
use facesym::bench::percentile;
use facesym::capture::{FrameSource, VideoFileSource};
use facesym::landmarks::{FaceLandmarker, ModelPaths, Tracker, TrackerOptions};
use facesym::pipeline::{Pacing, Pipeline, SourceState};
use facesym::symmetry::MovementId;
use facesym::symmetry::movements::movement;
use facesym::synthetic::demo::DemoSource;

fn main() -> anyhow::Result<()> {
    let mut video = None;
    let mut seconds = 20.0;
    let mut counted: Option<MovementId> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => seconds = args.next().and_then(|s| s.parse().ok()).unwrap_or(seconds),
            "--count" => counted = Some(args.next().unwrap_or_default().parse()?),
            path => video = Some(path.to_string()),
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut landmarker = FaceLandmarker::new(&ModelPaths::in_dir(&root.join("models")))?;
    let source: Box<dyn FrameSource> = match &video {
        Some(path) => Box::new(VideoFileSource::open(Path::new(path))?),
        None => Box::new(DemoSource::new(&mut landmarker)?),
    };
    let name = source.describe();
    let fps = source.frames_per_second();
    // Calibrated from the first frames (scored against the provisional neutral meanwhile), so
    // every frame is scored as in a session.
    let control = Arc::new(LiveControl::default());
    control.request_calibration();
    if let Some(id) = counted {
        // As in the app's guided view: the counted movement is the one shown and followed.
        control.show_only(Some(id));
        control.count(Some(Counting {
            movement: movement(id),
            since: Instant::now(),
            generation: 0,
        }));
    }
    let (events, _received) = mpsc::channel();
    let analyzer = LiveAnalyzer::new(
        Tracker::with_landmarker(landmarker, TrackerOptions::default()),
        Arc::clone(&control),
        events,
    );
    let pipeline = Pipeline::start(source, analyzer, Pacing::RealTime)?;
    let start = Instant::now();
    let mut latencies = Vec::new();
    let mut analysis = Vec::new();
    let running =
        |state: SourceState| matches!(state, SourceState::Opening(_) | SourceState::Running);
    while start.elapsed().as_secs_f64() < seconds && running(pipeline.source_state()) {
        if let Some(result) = pipeline.wait_latest(Duration::from_millis(200)) {
            latencies.push(result.latency.as_secs_f64() * 1000.0);
            analysis.push(result.output.analysis_ms);
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let p = |v: &[f64], q| percentile(v, q).unwrap_or(f64::NAN);
    println!("source: {name} at {fps:?} fps, {elapsed:.1} s");
    println!(
        "capture -> result latency: median {:.1} ms, p95 {:.1} ms",
        p(&latencies, 0.5),
        p(&latencies, 0.95)
    );
    println!(
        "analysis per frame: median {:.1} ms, p95 {:.1} ms",
        p(&analysis, 0.5),
        p(&analysis, 0.95)
    );
    println!(
        "results: {} ({:.1} per second), frames dropped: {}",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        pipeline.frames_dropped()
    );
    pipeline.stop();
    Ok(())
}
