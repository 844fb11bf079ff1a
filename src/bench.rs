//! Stage-by-stage timing of the per-frame path, for `facesym bench` and the notes.
//!
//! Frames are first got into memory ([`decode`], [`decode_source`], [`synthetic`]: the
//! `decode` stage), then [`run`] times every other stage on each of them. The stages, as
//! named in [`BenchReport::stages`] (in [`STAGES`] order):
//!
//! - `decode`: getting one frame as an `RgbImage`. A video: one `next_frame` call of
//!   [`VideoFileSource`](crate::capture::VideoFileSource) (reading the frame ffmpeg decoded,
//!   in its own process and ahead of us, through the pipe; ffmpeg's own decoding time is not
//!   in it). A folder: reading and decoding one image file. One image: generating one frame
//!   of the synthetic sequence (a warp of the image), nothing is decoded.
//! - `detect`: the face detector alone on the whole frame (letterbox, inference, decoding,
//!   NMS), on every frame, whether the tracker needs it or not.
//! - `tracked_frame`: [`Tracker::track`] on the frame, the tracker alone: crop + face mesh
//!   from the previous frame's landmarks, and the detector first when no face is tracked.
//! - `crop`, `face_mesh`: on the crop the tracker used, the 192² crop alone and the face-mesh
//!   inference alone (frames with a face only).
//! - `scoring`: the landmark-only symmetry scoring, [`score_frame`], of the tracked face
//!   against the neutral (frames with a face only).
//! - `eyes`: the iris model on both eyes of the tracked face, giving the lid margins the app
//!   scores eye closure with ([`EyeModel::refine_lids`]; frames with a face only). Not part of
//!   the per-frame path, which is the face mesh's alone, as MediaPipe's FaceMesh with
//!   `refine_landmarks` off.
//! - `skin_motion`: the skin-motion scoring the live app and `analyze` run,
//!   [`NeutralFace::score_video`] (each frame's skin followed from the last's), on the refined
//!   landmarks (frames with a face only). Not part of the per-frame path.
//! - `shipped_frame`: what the live app pays per frame between exercises, `tracked_frame +
//!   eyes + skin_motion` of the same frame, the tracker timed again in the second pass (frames
//!   with a face only). While it counts a movement, and in `analyze`, the frame's mirror image
//!   is tracked and scored too, at most twice this on two cores.
//! - `guided_frame`: what the live app pays per frame in a guided session, which shows one
//!   movement and follows only its skin: `tracked_frame + eyes` and skin motion limited to
//!   the smile ([`SkinTrack::follow_only`], [`GUIDED_MOVEMENT`]), the smile's own track
//!   followed beside the full one (frames with a face only).
//!
//! The per-frame path ([`BenchReport::per_frame_ms`]) is `tracked_frame + scoring` of the same
//! frame (`tracked_frame` alone on a frame without a face); decode, eyes and skin motion are
//! not in it: the live app pays `shipped_frame`. It is timed first, on
//! its own, frame after frame with nothing in between (as MediaPipe's `process()` is timed);
//! the other stages are timed in a second pass over the same frames, tracked again. Between
//! two frames of that pass the detector and the skin motion run, so `crop` and `face_mesh`
//! there start with colder caches than in the first pass: their sum can exceed
//! `tracked_frame`. The neutral is calibrated ([`NeutralFace::calibrate`]) before timing, from
//! the first frame whose face can be measured, found by the landmarker on that still frame so
//! that the tracker starts the timed sequence as it would start a recording. When no face can
//! be, `scoring`, `skin_motion`, `shipped_frame` and `guided_frame` are not timed, and with no
//! face in any frame nothing past the tracker is: the others are timed all the same, and
//! [`BenchReport::skipped`] says which were left out and why.
//!
//! After the stages, [`BenchReport::offline_fps`]: every frame tracked and scored (landmark
//! scoring) on all cores at once, one run of consecutive frames per core with its own tracker,
//! frames per second of wall time.

use std::collections::BTreeMap;
use std::fmt;
use std::hint::black_box;
use std::time::Instant;

use image::RgbImage;
use rayon::prelude::*;
use serde::Serialize;

use crate::capture::{CaptureError, FrameSource};
use crate::landmarks::{
    EyeModel, FaceLandmarker, LandmarkError, Tracker, TrackerOptions, largest_face,
};
use crate::symmetry::flow::SkinTrack;
use crate::symmetry::score::score_frame;
use crate::symmetry::{MovementId, Neutral, NeutralFace};
use crate::synthetic::{Motion, moving_frame};

/// Stage names, in pipeline order; the module documentation says what each one times.
pub const STAGES: [&str; 10] = [
    "decode",
    "detect",
    "crop",
    "face_mesh",
    "tracked_frame",
    "scoring",
    "eyes",
    "skin_motion",
    "shipped_frame",
    "guided_frame",
];

/// The movement `guided_frame` follows alone: the smile, whose points are the most of the
/// six (three a side) and its skin the hardest to follow.
pub const GUIDED_MOVEMENT: MovementId = MovementId::Smile;

/// Bytes in the mebibyte that memory is reported in.
const BYTES_PER_MB: f64 = 1024.0 * 1024.0;

/// Median and 95th percentile of one stage, milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StageTiming {
    /// Median (nearest rank: the lower middle of an even count).
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

/// What `facesym bench --json` prints. Other tools read it: `frames`, `per_frame_ms`
/// (`median`, `p95`), `stages` (each `median_ms`, `p95_ms`) and `fps` must stay as they are;
/// keys may be added.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BenchReport {
    /// Frames timed.
    pub frames: usize,
    /// The per-frame path: the tracked frame (crop + face mesh, the detector when it ran)
    /// plus the landmark-only scoring of its face. Decode and skin motion are not in it.
    pub per_frame_ms: PerFrame,
    /// Each stage on its own, by name (see [`STAGES`]); a stage with no sample (say, crop
    /// when the tracker found no face in any frame) is left out.
    pub stages: BTreeMap<String, StageTiming>,
    /// Frames per second of the per-frame path: 1000 / mean per-frame ms.
    pub fps: f64,
    /// Frames on which the tracker ran the detector.
    pub detector_runs: u64,
    /// Frames in which the tracker found a face (those with crop, face mesh and scoring
    /// samples).
    pub frames_with_face: usize,
    /// Memory the frames held for timing take, MiB: part of `peak_rss_mb`.
    pub frames_mb: f64,
    /// The process's peak resident memory (VmHWM) at the end of the run, MiB; `null` where
    /// the system does not say (anything but Linux).
    pub peak_rss_mb: Option<f64>,
    /// Offline throughput: frames per second of wall time for tracking and landmark scoring
    /// of all the frames on `offline_threads` cores, the frames cut into one run of
    /// consecutive frames per core, each run followed by its own tracker (which starts with
    /// the detector).
    pub offline_fps: f64,
    /// Cores (rayon threads) the offline throughput used.
    pub offline_threads: usize,
    /// The stages that could not be timed on this input, each with why (no face in any
    /// frame, or no face that can be the neutral scoring measures against); the others are
    /// timed all the same.
    pub skipped: BTreeMap<String, String>,
}

/// Median and p95 of the per-frame path.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PerFrame {
    /// Median, ms.
    pub median: f64,
    /// 95th percentile, ms.
    pub p95: f64,
}

/// Why a bench could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The input gave no frame.
    #[error("no frames to time")]
    NoFrames,
    /// The models failed.
    #[error(transparent)]
    Landmarks(#[from] LandmarkError),
}

/// Frames held in memory for timing, and how long getting each one took.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decoded {
    /// The frames, in order.
    pub frames: Vec<RgbImage>,
    /// Milliseconds to get each frame (the `decode` stage), in the same order.
    pub decode_ms: Vec<f64>,
}

impl Decoded {
    /// Memory the frames' pixels take, MiB.
    pub fn frames_mb(&self) -> f64 {
        self.frames.iter().map(|f| f.as_raw().len() as f64).sum::<f64>() / BYTES_PER_MB
    }
}

/// Gets up to `limit` frames by calling `next(0)`, `next(1)`, … until it gives `None`,
/// timing each call that gives a frame. An error stops it and is passed on.
pub fn decode<E>(
    limit: usize,
    mut next: impl FnMut(usize) -> Result<Option<RgbImage>, E>,
) -> Result<Decoded, E> {
    let mut decoded = Decoded::default();
    for index in 0..limit {
        let start = Instant::now();
        let Some(frame) = next(index)? else { break };
        decoded.decode_ms.push(ms_since(start));
        decoded.frames.push(frame);
    }
    Ok(decoded)
}

/// The first `limit` frames of `source` (all of them when it has fewer), each timed over its
/// `next_frame` call.
pub fn decode_source(source: &mut dyn FrameSource, limit: usize) -> Result<Decoded, CaptureError> {
    decode(limit, |_| Ok(source.next_frame()?.map(|frame| frame.image)))
}

/// `count` frames of `still` moved and rolled by [`moving_frame`] (±30 px, ±15°), each timed
/// over its generation: the `decode` stage of a synthetic sequence.
pub fn synthetic(still: &RgbImage, count: usize) -> Decoded {
    let Ok(decoded) = decode(count, |index| {
        Ok::<_, std::convert::Infallible>(Some(moving_frame(
            still,
            index,
            count,
            Motion::default(),
        )))
    });
    decoded
}

/// Samples of every stage after decode, milliseconds.
#[derive(Default)]
struct Samples {
    detect: Vec<f64>,
    crop: Vec<f64>,
    face_mesh: Vec<f64>,
    tracked_frame: Vec<f64>,
    scoring: Vec<f64>,
    eyes: Vec<f64>,
    skin_motion: Vec<f64>,
    shipped_frame: Vec<f64>,
    guided_frame: Vec<f64>,
    per_frame: Vec<f64>,
    /// Frames of the second pass in which the tracker found a face.
    frames_with_face: usize,
}

/// Runs the tracker over the decoded frames and times every stage on every frame (see the
/// module documentation for what each stage is). The tracker's landmarker should be the face
/// mesh alone ([`FaceLandmarker::mesh_only`]): `eyes` is timed on its own. `progress` is
/// called after each frame with the number done.
pub fn run(
    tracker: &mut Tracker,
    eyes: &mut EyeModel,
    decoded: &Decoded,
    mut progress: impl FnMut(usize),
) -> Result<BenchReport, BenchError> {
    let frames = &decoded.frames;
    if frames.is_empty() {
        return Err(BenchError::NoFrames);
    }
    // Without a neutral the stages that score are skipped, and the others timed all the same.
    let neutral_face = first_neutral(tracker.landmarker(), eyes, frames)?;
    let neutral = neutral_face.as_ref().ok().map(|face| &face.neutral);
    let mut samples = Samples::default();
    // First the per-frame path alone, frame after frame, as it runs: nothing else between
    // two frames (MediaPipe's `process()` is timed the same way).
    tracker.reset();
    let runs_before = tracker.detector_runs();
    for frame in frames {
        let start = Instant::now();
        let faces = tracker.track(frame)?;
        let tracked_ms = ms_since(start);
        samples.tracked_frame.push(tracked_ms);
        // The face the live app follows when there are several.
        let (Some(face), Some(neutral)) = (largest_face(faces), neutral) else {
            samples.per_frame.push(tracked_ms);
            continue;
        };
        let start = Instant::now();
        black_box(score_frame(neutral, &face.landmarks));
        let scoring_ms = ms_since(start);
        samples.scoring.push(scoring_ms);
        samples.per_frame.push(tracked_ms + scoring_ms);
    }
    let detector_runs = tracker.detector_runs() - runs_before;
    // Then the stages one by one, on the same frames tracked again.
    tracker.reset();
    let mut skin = SkinTrack::new();
    let mut guided_skin = SkinTrack::new();
    guided_skin.follow_only(Some(GUIDED_MOVEMENT));
    for (i, frame) in frames.iter().enumerate() {
        let start = Instant::now();
        black_box(tracker.landmarker().detector().detect(frame)?);
        samples.detect.push(ms_since(start));

        let start = Instant::now();
        let faces = tracker.track(frame)?;
        let tracked_ms = ms_since(start);
        let Some(face) = largest_face(faces) else {
            skin.reset();
            guided_skin.reset();
            progress(i + 1);
            continue;
        };
        let mesh = tracker.landmarker().mesh();
        let start = Instant::now();
        mesh.crop(frame, &face.roi)?;
        samples.crop.push(ms_since(start));
        let start = Instant::now();
        black_box(mesh.infer(&face.roi)?);
        samples.face_mesh.push(ms_since(start));

        let start = Instant::now();
        let landmarks = eyes.refine_lids(frame, &face.landmarks)?;
        let eyes_ms = ms_since(start);
        samples.eyes.push(eyes_ms);

        samples.frames_with_face += 1;
        if let Ok(neutral_face) = &neutral_face {
            let start = Instant::now();
            black_box(neutral_face.score_video(frame, &landmarks, &mut skin));
            let skin_ms = ms_since(start);
            samples.skin_motion.push(skin_ms);
            samples.shipped_frame.push(tracked_ms + eyes_ms + skin_ms);
            let start = Instant::now();
            black_box(neutral_face.score_video(frame, &landmarks, &mut guided_skin));
            samples.guided_frame.push(tracked_ms + eyes_ms + ms_since(start));
        }
        progress(i + 1);
    }
    // In STAGES order.
    let by_stage: [&[f64]; 10] = [
        &decoded.decode_ms,
        &samples.detect,
        &samples.crop,
        &samples.face_mesh,
        &samples.tracked_frame,
        &samples.scoring,
        &samples.eyes,
        &samples.skin_motion,
        &samples.shipped_frame,
        &samples.guided_frame,
    ];
    let stages: BTreeMap<String, StageTiming> = STAGES
        .iter()
        .zip(by_stage)
        .filter_map(|(name, s)| Some((name.to_string(), StageTiming::from_samples(s)?)))
        .collect();
    let skipped = STAGES
        .iter()
        .filter(|name| !stages.contains_key(**name))
        .map(|name| {
            let why = match &neutral_face {
                _ if samples.frames_with_face == 0 => no_face(frames.len()),
                Err(why) => why.clone(),
                Ok(_) => "no frame to time it on".to_string(),
            };
            (name.to_string(), why)
        })
        .collect();
    let per_frame = &samples.per_frame;
    let (offline_fps, offline_threads) = offline_throughput(tracker.landmarker(), frames, neutral)?;
    Ok(BenchReport {
        frames: frames.len(),
        per_frame_ms: PerFrame {
            median: percentile(per_frame, 0.5).unwrap_or(f64::NAN),
            p95: percentile(per_frame, 0.95).unwrap_or(f64::NAN),
        },
        stages,
        fps: fps_from_per_frame_ms(per_frame),
        detector_runs,
        frames_with_face: samples.frames_with_face,
        frames_mb: decoded.frames_mb(),
        peak_rss_mb: peak_rss_mb(),
        offline_fps,
        offline_threads,
        skipped,
    })
}

/// Frames per second of wall time, and the threads used, for tracking and landmark scoring
/// every frame as offline analysis can: one run of consecutive frames per thread, each with
/// its own tracker (a clone of `landmarker`, sharing the loaded models).
fn offline_throughput(
    landmarker: &FaceLandmarker,
    frames: &[RgbImage],
    neutral: Option<&Neutral>,
) -> Result<(f64, usize), BenchError> {
    let threads = rayon::current_num_threads().max(1);
    let trackers: Vec<Tracker> = (0..threads)
        .map(|_| Tracker::with_landmarker(landmarker.clone(), TrackerOptions::default()))
        .collect();
    let run_len = frames.len().div_ceil(threads);
    let start = Instant::now();
    frames.par_chunks(run_len).zip(trackers).try_for_each(|(run, mut tracker)| {
        for frame in run {
            let face = largest_face(tracker.track(frame)?);
            if let (Some(face), Some(neutral)) = (face, neutral) {
                black_box(score_frame(neutral, &face.landmarks));
            }
        }
        Ok::<_, LandmarkError>(())
    })?;
    Ok((frames.len() as f64 / start.elapsed().as_secs_f64(), threads))
}

/// The neutral and its skin-motion image from the first frame with a face that can be
/// measured against (found by the landmarker on the still frame, lids refined by `eyes`: the
/// tracker is not moved); when there is none, why (the stages that score are then skipped).
fn first_neutral(
    landmarker: &mut FaceLandmarker,
    eyes: &mut EyeModel,
    frames: &[RgbImage],
) -> Result<Result<NeutralFace, String>, BenchError> {
    let mut first_reasons = None;
    for frame in frames {
        let Some(face) = largest_face(landmarker.faces(frame)?) else { continue };
        match NeutralFace::calibrate(frame, &eyes.refine_lids(frame, &face.landmarks)?) {
            Ok(calibration) => return Ok(Ok(calibration)),
            Err(err) => {
                first_reasons.get_or_insert_with(|| err.to_string());
            }
        }
    }
    Ok(Err(match first_reasons {
        None => no_face(frames.len()),
        Some(reasons) => format!(
            "no face in the {} frames can be the neutral that scoring measures against: {reasons}",
            frames.len()
        ),
    }))
}

/// Why a stage was not timed when no frame had a face.
fn no_face(frames: usize) -> String {
    format!("no face found in any of the {frames} frames")
}

/// Frames per second from per-frame times: 1000 / their mean (0 when there are none).
pub fn fps_from_per_frame_ms(samples: &[f64]) -> f64 {
    let mean = samples.iter().sum::<f64>() / samples.len().max(1) as f64;
    if mean > 0.0 { 1000.0 / mean } else { 0.0 }
}

/// The process's peak resident memory so far (VmHWM of /proc/self/status), MiB; `None` where
/// there is no such file (anything but Linux).
pub fn peak_rss_mb() -> Option<f64> {
    peak_rss_mb_from_status(&std::fs::read_to_string("/proc/self/status").ok()?)
}

/// VmHWM of a /proc/PID/status text ("VmHWM:    123456 kB"), MiB.
fn peak_rss_mb_from_status(status: &str) -> Option<f64> {
    let value = status.lines().find_map(|line| line.strip_prefix("VmHWM:"))?;
    let kib: f64 = value.trim().strip_suffix("kB")?.trim().parse().ok()?;
    Some(kib * 1024.0 / BYTES_PER_MB)
}

impl fmt::Display for BenchReport {
    /// The report for people: one aligned row per stage, then the per-frame path, frames per
    /// second, peak memory and the detector count.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<14} {:>10} {:>10}", "stage", "median ms", "p95 ms")?;
        for name in STAGES {
            if let Some(t) = self.stages.get(name) {
                writeln!(f, "{name:<14} {:>10.3} {:>10.3}", t.median_ms, t.p95_ms)?;
            }
        }
        // Stages skipped for the same reason share a line.
        let mut reasons: Vec<(&str, Vec<&str>)> = Vec::new();
        for (name, why) in &self.skipped {
            match reasons.iter_mut().find(|(w, _)| w == why) {
                Some((_, names)) => names.push(name),
                None => reasons.push((why, vec![name])),
            }
        }
        for (why, mut names) in reasons {
            names.sort_by_key(|name| STAGES.iter().position(|s| s == name));
            writeln!(f, "not timed: {} ({why})", names.join(", "))?;
        }
        let per_frame_path = if self.stages.contains_key("scoring") {
            "tracked_frame + scoring"
        } else {
            "tracked_frame"
        };
        writeln!(
            f,
            "{:<14} {:>10.3} {:>10.3}  ({per_frame_path})",
            "per frame", self.per_frame_ms.median, self.per_frame_ms.p95
        )?;
        writeln!(f, "{:.1} frames/s (1000 / mean per-frame ms)", self.fps)?;
        writeln!(
            f,
            "offline: {:.1} frames/s on {} cores (one tracker per run of frames)",
            self.offline_fps, self.offline_threads
        )?;
        match self.peak_rss_mb {
            Some(peak) => writeln!(
                f,
                "peak memory {peak:.1} MiB, of which {:.1} MiB are the {} frames held",
                self.frames_mb, self.frames
            )?,
            None => writeln!(f, "peak memory: not known on this system")?,
        }
        writeln!(
            f,
            "detector ran on {} of {} frames; a face was tracked in {}",
            self.detector_runs, self.frames, self.frames_with_face
        )
    }
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

    /// fps is 1000 over the mean, not the median: one slow frame counts.
    #[test]
    fn fps_is_from_the_mean() {
        assert_eq!(fps_from_per_frame_ms(&[4.0, 4.0, 4.0, 8.0]), 200.0);
        assert_eq!(fps_from_per_frame_ms(&[]), 0.0);
    }

    #[test]
    fn peak_memory_from_proc_status() {
        let status = "Name:\tfacesym\nVmPeak:\t  900000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(peak_rss_mb_from_status(status), Some(50.0));
        assert_eq!(peak_rss_mb_from_status("VmRSS:\t 1 kB\n"), None);
        assert_eq!(peak_rss_mb_from_status("VmHWM:\t lots\n"), None);
    }

    /// On Linux the live process has a peak, and it is at least the memory of a buffer it
    /// holds.
    #[test]
    #[cfg(target_os = "linux")]
    fn peak_memory_of_this_process() {
        let held = vec![1u8; 64 << 20];
        let peak = peak_rss_mb().unwrap();
        assert!(peak >= 64.0, "{peak} MiB");
        black_box(held);
    }

    /// Decoding stops at the limit or at the end, whichever is first, with one time per
    /// frame; an error is passed on.
    #[test]
    fn decode_stops_at_limit_or_end() {
        let frame = || RgbImage::new(2, 3);
        let five = |i: usize| Ok::<_, ()>((i < 5).then(frame));
        let capped = decode(3, five).unwrap();
        assert_eq!((capped.frames.len(), capped.decode_ms.len()), (3, 3));
        let all = decode(300, five).unwrap();
        assert_eq!((all.frames.len(), all.decode_ms.len()), (5, 5));
        assert!(all.decode_ms.iter().all(|ms| *ms >= 0.0));
        assert_eq!(all.frames_mb(), 5.0 * 18.0 / BYTES_PER_MB);
        let failing = decode(10, |i| if i < 2 { Ok(Some(frame())) } else { Err("corrupt") });
        assert_eq!(failing, Err("corrupt"));
    }

    /// The synthetic sequence has the requested length, starts on the image itself and
    /// moves after.
    #[test]
    fn synthetic_sequence() {
        let still = RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8 * 6, y as u8 * 8, 9]));
        let decoded = synthetic(&still, 4);
        assert_eq!((decoded.frames.len(), decoded.decode_ms.len()), (4, 4));
        assert_eq!(decoded.frames[0], still);
        assert_ne!(decoded.frames[1], still);
    }

    fn report() -> BenchReport {
        let timing = |median_ms, p95_ms| StageTiming { median_ms, p95_ms };
        BenchReport {
            frames: 30,
            per_frame_ms: PerFrame { median: 5.5, p95: 6.25 },
            stages: [
                ("decode", timing(0.9, 1.0)),
                ("tracked_frame", timing(5.25, 6.0)),
                ("skin_motion", timing(16.0, 20.0)),
            ]
            .into_iter()
            .map(|(name, t)| (name.to_string(), t))
            .collect(),
            fps: 180.0,
            detector_runs: 1,
            frames_with_face: 30,
            frames_mb: 26.4,
            peak_rss_mb: Some(150.0),
            offline_fps: 350.0,
            offline_threads: 2,
            skipped: [("scoring", "no neutral"), ("face_mesh", "no face"), ("crop", "no face")]
                .into_iter()
                .map(|(name, why)| (name.to_string(), why.to_string()))
                .collect(),
        }
    }

    /// The JSON other tools read: the stable keys, with stages by name.
    #[test]
    fn json_keys() {
        let v = serde_json::to_value(report()).unwrap();
        assert_eq!(v["frames"], 30);
        assert_eq!(v["per_frame_ms"]["median"], 5.5);
        assert_eq!(v["per_frame_ms"]["p95"], 6.25);
        assert_eq!(v["stages"]["tracked_frame"]["median_ms"], 5.25);
        assert_eq!(v["stages"]["tracked_frame"]["p95_ms"], 6.0);
        assert_eq!(v["fps"], 180.0);
        assert_eq!(v["peak_rss_mb"], 150.0);
        assert_eq!(v["skipped"]["scoring"], "no neutral");
        let unknown = BenchReport { peak_rss_mb: None, ..report() };
        assert!(serde_json::to_value(unknown).unwrap()["peak_rss_mb"].is_null());
    }

    /// The table lists the stages present in pipeline order, in aligned columns, then those
    /// left out with why.
    #[test]
    fn table_for_people() {
        let text = report().to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "stage           median ms     p95 ms");
        assert_eq!(lines[1], "decode              0.900      1.000");
        assert_eq!(lines[2], "tracked_frame       5.250      6.000");
        assert_eq!(lines[3], "skin_motion        16.000     20.000");
        // Stages left out, those with one reason together, in pipeline order.
        assert_eq!(lines[4], "not timed: crop, face_mesh (no face)");
        assert_eq!(lines[5], "not timed: scoring (no neutral)");
        assert_eq!(lines[6], "per frame           5.500      6.250  (tracked_frame)");
        assert!(text.contains("180.0 frames/s"), "{text}");
        assert!(text.contains("peak memory 150.0 MiB"), "{text}");
        assert!(text.contains("detector ran on 1 of 30 frames"), "{text}");
    }
}
