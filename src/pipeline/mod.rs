//! Threads tying the stages together: `capture` → `analysis` → whoever shows the results.
//!
//! Live data keeps only the latest value ([`LatestSlot`]): when analysis is slower than
//! capture, older frames are overwritten (and counted), never queued, so latency cannot grow.
//! The consumer (the UI) never blocks: it takes the newest [`Analysis`] when there is one, and
//! can ask to be woken when one arrives.

mod slot;
pub mod smoothing;

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

/// Turns a frame into whatever the UI shows.
pub trait Analyzer: Send + 'static {
    /// The result for one frame.
    type Output: Send + 'static;
    /// Analyses one frame.
    fn analyse(&mut self, frame: &Frame) -> Self::Output;
}

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
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl<T: Send + 'static> Pipeline<T> {
    /// Starts the `capture` and `analysis` threads.
    pub fn start<A: Analyzer<Output = T>>(
        mut source: Box<dyn FrameSource>,
        mut analyzer: A,
        pacing: Pacing,
    ) -> std::io::Result<Self> {
        let frames = Arc::new(LatestSlot::new());
        let results = Arc::new(LatestSlot::new());
        let state = Arc::new(Mutex::new(SourceState::Running));
        let stop = Arc::new(AtomicBool::new(false));

        let capture = {
            let (frames, state, stop) =
                (Arc::clone(&frames), Arc::clone(&state), Arc::clone(&stop));
            std::thread::Builder::new().name("capture".into()).spawn(move || {
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
                            set(&state, SourceState::Ended);
                            break;
                        }
                        Err(err @ CaptureError::CameraLost { .. }) => {
                            set(&state, SourceState::Reconnecting(err.to_string()));
                            if wait_or_stop(&stop, RECONNECT_INTERVAL) && source.reconnect().is_ok()
                            {
                                set(&state, SourceState::Running);
                            }
                            continue;
                        }
                        Err(err) => {
                            set(&state, SourceState::Failed(err.to_string()));
                            break;
                        }
                    };
                    frames.put(next);
                    delivered = delivered.saturating_add(1);
                }
                frames.close();
            })?
        };

        let analysis = {
            let (frames, results, stop) =
                (Arc::clone(&frames), Arc::clone(&results), Arc::clone(&stop));
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
        };
        let analysis = match analysis {
            Ok(handle) => handle,
            Err(err) => {
                // Without an analysis thread the capture thread must not run on unseen.
                stop.store(true, Ordering::Release);
                let _ = capture.join();
                return Err(err);
            }
        };

        Ok(Self { frames, results, state, stop, threads: vec![capture, analysis] })
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

    /// Stops both threads and waits for them.
    pub fn stop(mut self) {
        self.signal_stop();
        for t in self.threads.drain(..) {
            let _ = t.join();
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
