//! Threads tying the stages together: `capture` → `analysis` → whoever shows the results.
//!
//! Live data keeps only the latest value ([`LatestSlot`]): when analysis is slower than
//! capture, older frames are overwritten (and counted), never queued, so latency cannot grow.
//! The consumer (the UI) never blocks: it takes the newest [`Analysis`] when there is one, and
//! can ask to be woken when one arrives.

mod open;
mod slot;

pub use crate::analysis::Analyzer;
pub use open::{LiveRequest, SourceKind};
pub use slot::LatestSlot;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::capture::{CaptureError, FrameSource};
use crate::frame::Frame;

/// How long a waiting thread sleeps at most before looking at the stop flag again.
const POLL: Duration = Duration::from_millis(50);
/// Pause between attempts to reconnect a lost camera: often enough to pick it up soon after
/// it is plugged back in, rarely enough not to hammer the driver.
const RECONNECT_INTERVAL: Duration = Duration::from_secs(1);

/// One analysed frame.
#[derive(Clone, Debug)]
pub struct Analysis<T> {
    /// The frame analysed.
    pub frame: Frame,
    /// What the analyzer made of it.
    pub output: T,
    /// From capture to the end of analysis.
    pub latency: Duration,
}

/// What the capture side is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceState {
    /// The source is being opened and the analysis made ready (models loaded, a video probed,
    /// a camera started); the message says which step.
    Opening(String),
    /// Frames are coming.
    Running,
    /// A finite source (file, folder) has ended.
    Ended,
    /// A camera was lost; the capture thread is trying to reconnect (the message says why).
    Reconnecting(String),
    /// The source failed; the message says why (frames before it were delivered).
    Failed(String),
}

/// Whether a source with a frame rate is played back in real time or as fast as it decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pacing {
    /// At the source's own frame rate (the live app).
    RealTime,
    /// As fast as possible (offline analysis takes every frame another way).
    AsFastAsPossible,
}

/// The running threads. Dropping it stops them without waiting.
pub struct Pipeline<T> {
    frames: Arc<LatestSlot<Frame>>,
    results: Arc<LatestSlot<Analysis<T>>>,
    state: Arc<Mutex<SourceState>>,
    description: Arc<Mutex<Option<String>>>,
    stop: Arc<AtomicBool>,
    capture: Option<JoinHandle<()>>,
}

/// What opening a source gives: the source and the analyzer for its frames, or why not.
pub type Opened<A> = Result<(Box<dyn FrameSource>, A), String>;

impl<T: Send + 'static> Pipeline<T> {
    /// Starts the `capture` and `analysis` threads on an open source.
    pub fn start<A: Analyzer<Output = T>>(
        source: Box<dyn FrameSource>,
        analyzer: A,
        pacing: Pacing,
    ) -> std::io::Result<Self> {
        Self::launch(move |_| Ok((source, analyzer)), pacing)
    }

    /// Starts the `capture` thread, which first calls `open` (loading models, probing a video
    /// and starting a camera take seconds, so never on the UI thread; each step it names with
    /// the callback is shown as [`SourceState::Opening`]), then starts the `analysis` thread
    /// and delivers frames. A failed `open` ends as [`SourceState::Failed`] with its message.
    pub fn launch<A, F>(open: F, pacing: Pacing) -> std::io::Result<Self>
    where
        A: Analyzer<Output = T>,
        F: FnOnce(&dyn Fn(&str)) -> Opened<A> + Send + 'static,
    {
        let frames = Arc::new(LatestSlot::new());
        let results = Arc::new(LatestSlot::new());
        let state = Arc::new(Mutex::new(SourceState::Opening("starting".into())));
        let description = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let capture = {
            let (frames, results, state, description, stop) = (
                Arc::clone(&frames),
                Arc::clone(&results),
                Arc::clone(&state),
                Arc::clone(&description),
                Arc::clone(&stop),
            );
            std::thread::Builder::new().name("capture".into()).spawn(move || {
                let step = |what: &str| set(&state, SourceState::Opening(what.to_string()));
                let opened = open(&step);
                let (source, analyzer) = match opened {
                    Ok(opened) => opened,
                    Err(why) => {
                        set(&state, SourceState::Failed(why));
                        frames.close();
                        results.close();
                        return;
                    }
                };
                // Stopped while opening (another source was chosen): nothing more to start.
                if stop.load(Ordering::Acquire) {
                    frames.close();
                    results.close();
                    return;
                }
                if let Ok(mut d) = description.lock() {
                    *d = Some(source.describe());
                }
                let analysis = spawn_analysis(analyzer, Arc::clone(&frames), results, &stop);
                match analysis {
                    Ok(analysis) => {
                        set(&state, SourceState::Running);
                        capture_loop(source, pacing, &frames, &state, &stop);
                        frames.close();
                        let _ = analysis.join();
                    }
                    Err(err) => {
                        set(
                            &state,
                            SourceState::Failed(format!("cannot start the analysis: {err}")),
                        );
                        frames.close();
                    }
                }
            })?
        };
        Ok(Self { frames, results, state, description, stop, capture: Some(capture) })
    }

    /// The newest analysed frame since the last call, if any. Never blocks.
    pub fn latest(&self) -> Option<Analysis<T>> {
        self.results.take()
    }

    /// Waits up to `timeout` for the next analysed frame (for tools and tests, not the UI).
    pub fn wait_latest(&self, timeout: Duration) -> Option<Analysis<T>> {
        self.results.wait_take(timeout)
    }

    /// Calls `wake` whenever a new analysis is ready (the UI's repaint request).
    pub fn set_waker(&self, wake: impl Fn() + Send + 'static) {
        self.results.set_waker(wake);
    }

    /// Captured frames that analysis never saw (it was busy).
    pub fn frames_dropped(&self) -> u64 {
        self.frames.dropped()
    }

    /// Analyses the consumer never took (it was slower still).
    pub fn results_dropped(&self) -> u64 {
        self.results.dropped()
    }

    /// What the source is doing.
    pub fn source_state(&self) -> SourceState {
        self.state.lock().map_or(SourceState::Running, |s| s.clone())
    }

    /// Whether both threads have finished (the source ended or failed and the last frame was
    /// analysed).
    pub fn is_finished(&self) -> bool {
        self.results.is_closed()
    }

    /// What the source is, once it is open ("video clip.mp4", "demo").
    pub fn source_description(&self) -> Option<String> {
        self.description.lock().ok().and_then(|d| d.clone())
    }

    /// Stops both threads and waits for them.
    pub fn stop(mut self) {
        self.signal_stop();
        if let Some(capture) = self.capture.take() {
            let _ = capture.join();
        }
    }
}

impl<T> Pipeline<T> {
    fn signal_stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.frames.close();
    }
}

impl<T> Drop for Pipeline<T> {
    fn drop(&mut self) {
        // Ask the threads to stop; they notice within `POLL`. Not joined: the UI never waits.
        self.signal_stop();
    }
}

/// Delivers the source's frames into `frames` (paced at its rate for [`Pacing::RealTime`])
/// until it ends or fails or `stop` is set; a lost camera is retried every
/// [`RECONNECT_INTERVAL`].
fn capture_loop(
    mut source: Box<dyn FrameSource>,
    pacing: Pacing,
    frames: &LatestSlot<Frame>,
    state: &Mutex<SourceState>,
    stop: &AtomicBool,
) {
    let period = match (pacing, source.frames_per_second()) {
        (Pacing::RealTime, Some(fps)) => Some(Duration::from_secs_f64(1.0 / fps)),
        _ => None,
    };
    let start = Instant::now();
    let mut delivered: u32 = 0;
    while !stop.load(Ordering::Acquire) {
        if let Some(period) = period {
            let due = start + period * delivered;
            let now = Instant::now();
            if due > now {
                std::thread::sleep((due - now).min(POLL));
                continue;
            }
        }
        let next = match source.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => {
                set(state, SourceState::Ended);
                break;
            }
            Err(err @ CaptureError::CameraLost { .. }) => {
                set(state, SourceState::Reconnecting(err.to_string()));
                if wait_or_stop(stop, RECONNECT_INTERVAL) && source.reconnect().is_ok() {
                    set(state, SourceState::Running);
                }
                continue;
            }
            Err(err) => {
                set(state, SourceState::Failed(err.to_string()));
                break;
            }
        };
        frames.put(next);
        delivered = delivered.saturating_add(1);
    }
}

/// The `analysis` thread: analyses the newest frame whenever there is one, publishes it in
/// `results`, and closes them when the frames are closed or `stop` is set.
fn spawn_analysis<A: Analyzer>(
    mut analyzer: A,
    frames: Arc<LatestSlot<Frame>>,
    results: Arc<LatestSlot<Analysis<A::Output>>>,
    stop: &Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    let stop = Arc::clone(stop);
    std::thread::Builder::new().name("analysis".into()).spawn(move || {
        while !stop.load(Ordering::Acquire) {
            let Some(frame) = frames.wait_take(POLL) else {
                if frames.is_closed() {
                    break;
                }
                continue;
            };
            let output = analyzer.analyse(&frame);
            let latency = frame.captured_at.elapsed();
            results.put(Analysis { frame, output, latency });
        }
        results.close();
    })
}

/// Sleeps `duration` in short steps; `false` if asked to stop meanwhile.
fn wait_or_stop(stop: &AtomicBool, duration: Duration) -> bool {
    let end = Instant::now() + duration;
    while Instant::now() < end {
        if stop.load(Ordering::Acquire) {
            return false;
        }
        std::thread::sleep(POLL);
    }
    !stop.load(Ordering::Acquire)
}

fn set(state: &Mutex<SourceState>, value: SourceState) {
    if let Ok(mut s) = state.lock() {
        *s = value;
    }
}
