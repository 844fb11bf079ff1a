//! Per-stage benches of the landmark path: detector, crop, face mesh, whole tracked frame.
//!
//! `cargo bench` runs them; `cargo test` builds them and, in debug builds, runs each once.

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use facesym::io::read_rgb;
use facesym::landmarks::{FaceLandmarker, ModelPaths, Roi, Tracker, TrackerOptions};
use facesym::synthetic::{Motion, moving_frame};
use image::RgbImage;

/// Frames in the tracked sequence (fewer in debug builds, where this is a smoke test).
const SEQUENCE_FRAMES: usize = if cfg!(debug_assertions) { 4 } else { 120 };

fn fixtures() -> (FaceLandmarker, RgbImage, Roi) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let paths = ModelPaths::in_dir(&root.join("models"));
    let mut landmarker = FaceLandmarker::new(&paths).expect("models load");
    let image = read_rgb(&root.join("tests/data/faces/grace_hopper.png")).expect("fixture");
    let roi = landmarker.faces(&image).expect("runs")[0].roi;
    (landmarker, image, roi)
}

fn stages(c: &mut Criterion) {
    let (mut landmarker, image, roi) = fixtures();
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

criterion_group!(benches, stages);
criterion_main!(benches);
