//! Stage-by-stage timing of the landmark path, for `facesym bench` and the notes.

use std::collections::BTreeMap;
use std::time::Instant;

use image::RgbImage;
use serde::Serialize;

use crate::landmarks::{LandmarkError, Tracker};

/// Median and 95th percentile of one stage, milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StageTiming {
    /// Median.
    pub median_ms: f64,
    /// 95th percentile (nearest rank).
    pub p95_ms: f64,
}

impl StageTiming {
    /// From samples in milliseconds; `None` when there are none.
    pub fn from_samples(samples: &[f64]) -> Option<Self> {
        Some(Self { median_ms: percentile(samples, 0.5)?, p95_ms: percentile(samples, 0.95)? })
    }
}

/// What `facesym bench --json` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BenchReport {
    /// Frames timed.
    pub frames: usize,
    /// The tracked per-frame path: crop + face mesh, and the detector when it ran.
    pub per_frame_ms: PerFrame,
    /// Each stage on its own, by name (see [`STAGES`]).
    pub stages: BTreeMap<String, StageTiming>,
    /// Frames per second of the tracked path (1000 / mean per-frame ms).
    pub fps: f64,
    /// Frames on which the tracker ran the detector.
    pub detector_runs: u64,
}

/// Median and p95 of the whole tracked frame.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PerFrame {
    /// Median, ms.
    pub median: f64,
    /// 95th percentile, ms.
    pub p95: f64,
}

/// Stage names, in pipeline order.
pub const STAGES: [&str; 4] = ["detect", "crop", "face_mesh", "tracked_frame"];

/// Runs the tracker over `frames` and times every stage on every frame.
///
/// Per frame: the detector on its own (preprocess, inference, decoding), then the whole
/// tracked frame, then, on the crop the tracker used, the crop and the face-mesh inference on
/// their own. `progress` is called after each frame with the number done.
pub fn run(
    tracker: &mut Tracker,
    frames: &[RgbImage],
    mut progress: impl FnMut(usize),
) -> Result<BenchReport, LandmarkError> {
    let mut samples: [Vec<f64>; 4] = Default::default();
    let runs_before = tracker.detector_runs();
    for (i, frame) in frames.iter().enumerate() {
        let start = Instant::now();
        tracker.landmarker().detector().detect(frame)?;
        samples[0].push(ms_since(start));

        let start = Instant::now();
        let faces = tracker.track(frame)?;
        samples[3].push(ms_since(start));

        if let Some(face) = faces.first() {
            let mesh = tracker.landmarker().mesh();
            let start = Instant::now();
            mesh.crop(frame, &face.roi)?;
            samples[1].push(ms_since(start));
            let start = Instant::now();
            mesh.infer(&face.roi)?;
            samples[2].push(ms_since(start));
        }
        progress(i + 1);
    }
    let stages = STAGES
        .iter()
        .zip(&samples)
        .filter_map(|(name, s)| Some((name.to_string(), StageTiming::from_samples(s)?)))
        .collect();
    let whole = &samples[3];
    let mean = whole.iter().sum::<f64>() / whole.len().max(1) as f64;
    Ok(BenchReport {
        frames: frames.len(),
        per_frame_ms: PerFrame {
            median: percentile(whole, 0.5).unwrap_or(f64::NAN),
            p95: percentile(whole, 0.95).unwrap_or(f64::NAN),
        },
        stages,
        fps: if mean > 0.0 { 1000.0 / mean } else { 0.0 },
        detector_runs: tracker.detector_runs() - runs_before,
    })
}

fn ms_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// Nearest-rank percentile (`q` in 0–1) of unsorted samples.
pub fn percentile(samples: &[f64], q: f64) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(percentile(&s, 0.5), Some(3.0));
        assert_eq!(percentile(&s, 0.95), Some(5.0));
        assert_eq!(percentile(&s, 0.0), Some(1.0));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
