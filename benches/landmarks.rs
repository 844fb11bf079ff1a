//! Per-stage benches: the landmark path (detector, crop, face mesh, whole tracked frame with
//! the face mesh alone, as MediaPipe's FaceMesh; the iris model on both eyes) and scoring (one
//! frame from landmarks, one frame with skin motion, a batch of frames).
//!
//! `cargo bench` runs them; `cargo test` builds them and, in debug builds, runs each once.

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use facesym::io::read_rgb;
use facesym::landmarks::{EyeModel, FaceLandmarker, ModelPaths, Roi, Tracker, TrackerOptions};
use facesym::symmetry::flow::NeutralImage;
use facesym::symmetry::score::score_frame_with_flow;
use facesym::symmetry::{FaceFrame, Neutral, score_frame, score_frames};
use facesym::synthetic::deform::{SYNTHETIC_MOVEMENTS, apply_movement};
use facesym::synthetic::{Motion, moving_frame};
use image::RgbImage;

/// Frames in the tracked sequence (fewer in debug builds, where this is a smoke test).
const SEQUENCE_FRAMES: usize = if cfg!(debug_assertions) { 4 } else { 120 };

fn paths() -> ModelPaths {
    ModelPaths::in_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models"))
}

/// The landmarker (with the iris model's lids, as the app, unless `mesh_only`), Hopper and her
/// face's crop.
fn fixtures(mesh_only: bool) -> (FaceLandmarker, RgbImage, Roi) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let paths = paths();
    let loaded =
        if mesh_only { FaceLandmarker::mesh_only(&paths) } else { FaceLandmarker::new(&paths) };
    let mut landmarker = loaded.expect("models load");
    let image = read_rgb(&root.join("tests/data/faces/grace_hopper.png")).expect("fixture");
    let roi = landmarker.faces(&image).expect("runs")[0].roi;
    (landmarker, image, roi)
}

fn stages(c: &mut Criterion) {
    let (mut landmarker, image, roi) = fixtures(true);
    let mut group = c.benchmark_group("landmarks");
    group.throughput(Throughput::Elements(1));
    group.bench_function("detect", |b| {
        b.iter(|| black_box(landmarker.detector().detect(&image).unwrap()))
    });
    group.bench_function("crop", |b| {
        b.iter(|| landmarker.mesh().crop(black_box(&image), &roi).unwrap())
    });
    landmarker.mesh().crop(&image, &roi).unwrap();
    group.bench_function("face_mesh", |b| {
        b.iter(|| black_box(landmarker.mesh().infer(&roi).unwrap()))
    });
    let landmarks = landmarker.faces(&image).expect("runs").remove(0).landmarks;
    let mut eyes = EyeModel::new(&paths().iris).expect("iris model loads");
    group.bench_function("eyes", |b| b.iter(|| black_box(eyes.eyes(&image, &landmarks).unwrap())));
    group.finish();

    let frames: Vec<RgbImage> = (0..SEQUENCE_FRAMES)
        .map(|i| moving_frame(&image, i, SEQUENCE_FRAMES, Motion::default()))
        .collect();
    let mut tracker = Tracker::with_landmarker(landmarker, TrackerOptions::default());
    let mut group = c.benchmark_group("tracked_sequence");
    group.throughput(Throughput::Elements(frames.len() as u64));
    group.bench_with_input(BenchmarkId::from_parameter(frames.len()), &frames, |b, frames| {
        b.iter(|| {
            for frame in frames {
                black_box(tracker.track(frame).unwrap());
            }
        })
    });
    group.finish();
}

/// Frames in the batch-scoring bench.
const BATCH_FRAMES: usize = if cfg!(debug_assertions) { 64 } else { 100_000 };

fn scoring(c: &mut Criterion) {
    let (mut landmarker, image, _) = fixtures(false);
    let face = landmarker.faces(&image).expect("runs").remove(0);
    let frame = FaceFrame::fit(&face.landmarks).expect("frame");
    let neutral = Neutral::from_landmarks(&face.landmarks).expect("neutral");
    let smile = SYNTHETIC_MOVEMENTS[1].1;
    let (warped, _) = apply_movement(&image, &face.landmarks, &frame, &smile, 1.0, 0.5);
    let moved = landmarker.faces(&warped).expect("runs").remove(0).landmarks;
    let skin = NeutralImage::new(&image, &frame);

    let mut group = c.benchmark_group("symmetry");
    group.throughput(Throughput::Elements(1));
    group.bench_function("score_frame", |b| {
        b.iter(|| black_box(score_frame(&neutral, black_box(&moved))))
    });
    group.bench_function("score_frame_with_flow", |b| {
        b.iter(|| black_box(score_frame_with_flow(&neutral, &skin, &warped, black_box(&moved))))
    });
    let batch = vec![moved.clone(); BATCH_FRAMES];
    group.throughput(Throughput::Elements(batch.len() as u64));
    group.bench_with_input(BenchmarkId::new("score_frames", batch.len()), &batch, |b, batch| {
        b.iter(|| black_box(score_frames(&neutral, batch)))
    });
    group.finish();
}

criterion_group!(benches, stages, scoring);
criterion_main!(benches);
