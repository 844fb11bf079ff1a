//! The `facesym` binary as a user runs it.

use std::process::{Command, Output};

use serde_json::Value;

use crate::common::{face_image, scratch};

fn facesym(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_facesym"))
        .args(args)
        .env("FACESYM_MODELS", concat!(env!("CARGO_MANIFEST_DIR"), "/models"))
        .output()
        .expect("facesym runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The documented JSON: one object for one image, an array for several.
#[test]
fn landmarks_json_schema() {
    let one = face_image("astronaut.png");
    let two = face_image("two_faces.png");
    let out = facesym(&["landmarks", "--json", one.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["image"], one.to_str().unwrap());
    assert_eq!((v["width"].as_u64(), v["height"].as_u64()), (Some(512), Some(512)));
    let face = &v["faces"][0];
    assert!(face["score"].as_f64().unwrap() > 0.5);
    assert_eq!(face["box"].as_array().unwrap().len(), 4);
    let landmarks = face["landmarks"].as_array().unwrap();
    assert_eq!(landmarks.len(), 468);
    assert!(landmarks.iter().all(|p| p.as_array().unwrap().len() == 3));

    let out = facesym(&["landmarks", "--json", one.to_str().unwrap(), two.to_str().unwrap()]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["faces"].as_array().unwrap().len(), 2);
}

/// --overlay writes an image of the input's size with landmarks drawn on it.
#[test]
fn landmarks_overlay() {
    let dir = scratch("cli_overlay");
    let out_png = dir.join("out.png");
    let input = face_image("grace_hopper.png");
    let out =
        facesym(&["landmarks", input.to_str().unwrap(), "--overlay", out_png.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 face"));
    let drawn = image::open(&out_png).unwrap().to_rgb8();
    let original = image::open(&input).unwrap().to_rgb8();
    assert_eq!(drawn.dimensions(), original.dimensions());
    let changed = drawn.pixels().zip(original.pixels()).filter(|(a, b)| a != b).count();
    assert!(changed > 468, "landmarks drawn ({changed} pixels changed)");
}

/// A corrupt image: exit code 1, one plain line naming the file, no panic or backtrace.
#[test]
fn corrupt_image_is_a_clear_error() {
    let dir = scratch("cli_corrupt");
    let bad = dir.join("broken.png");
    std::fs::write(&bad, b"\x89PNG\r\n\x1a\nbroken").unwrap();
    let out = facesym(&["landmarks", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("error: cannot decode image") && err.contains("broken.png"), "{err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
}

/// A models folder without models: exit code 1 and the missing path.
#[test]
fn missing_models_is_a_clear_error() {
    let dir = scratch("cli_no_models");
    let input = face_image("astronaut.png");
    let out = facesym(&["landmarks", "--models", dir.to_str().unwrap(), input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("cannot load the face models")
            && err.contains("face_detection_short_range.onnx"),
        "{err}"
    );
}

/// `facesym bench --json` prints the documented report.
#[test]
fn bench_json_report() {
    let input = face_image("grace_hopper.png");
    let out = facesym(&["bench", input.to_str().unwrap(), "--frames", "4", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["frames"], 4);
    assert!(v["per_frame_ms"]["median"].as_f64().unwrap() > 0.0);
    assert!(
        v["per_frame_ms"]["p95"].as_f64().unwrap() >= v["per_frame_ms"]["median"].as_f64().unwrap()
    );
    for stage in ["detect", "crop", "face_mesh", "tracked_frame"] {
        assert!(v["stages"][stage]["median_ms"].as_f64().unwrap() > 0.0, "{stage}");
        assert!(v["stages"][stage]["p95_ms"].is_number(), "{stage}");
    }
    assert!(v["fps"].as_f64().unwrap() > 0.0);
    assert_eq!(v["detector_runs"], 1);
}

/// One unreadable image among several: the others are still analysed and printed, the bad
/// one is named on stderr, and the exit code says something failed.
#[test]
fn one_bad_image_loses_nothing_else() {
    let dir = scratch("cli_one_bad");
    let bad = dir.join("bad.jpg");
    std::fs::write(&bad, b"not a jpeg").unwrap();
    let good = face_image("tiny_face.png");
    let out = facesym(&[
        "landmarks",
        "--json",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("bad.jpg"), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|e| e["faces"].as_array().unwrap().len() == 1));
}

/// `facesym score --json`: every movement with left, right, ratio and weaker; a one-sided
/// smile is scored with the right side weaker; a frame without a face is flagged, not an error.
#[test]
fn score_json_schema() {
    use facesym::symmetry::FaceFrame;
    use facesym::synthetic::deform::{SYNTHETIC_MOVEMENTS, apply_movement};

    let dir = scratch("cli_score");
    let neutral = face_image("grace_hopper.png");
    let image = facesym::io::read_rgb(&neutral).unwrap();
    let face = crate::common::landmarker().faces(&image).unwrap().remove(0);
    let frame = FaceFrame::fit(&face.landmarks).unwrap();
    let smile = SYNTHETIC_MOVEMENTS.iter().find(|(id, _)| *id == "smile").unwrap().1;
    let (warped, _) = apply_movement(&image, &face.landmarks, &frame, &smile, 1.0, 0.0);
    let smile_png = dir.join("left_smile.png");
    warped.save(&smile_png).unwrap();
    let blank = dir.join("blank.png");
    image::RgbImage::new(64, 48).save(&blank).unwrap();

    let out = facesym(&[
        "score",
        "--neutral",
        neutral.to_str().unwrap(),
        smile_png.to_str().unwrap(),
        blank.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let frames = v.as_array().unwrap();
    let first = &frames[0];
    for id in ["brow_lift", "eye_closure", "nose_wrinkle", "smile", "pucker", "cheek_puff"] {
        let m = &first["movements"][id];
        assert!(m["left"].is_number() && m["right"].is_number(), "{id}");
        assert!(m.get("ratio").is_some() && m.get("weaker").is_some(), "{id}");
    }
    assert_eq!(first["movements"]["smile"]["weaker"], "right");
    assert!(first["movements"]["smile"]["ratio"].as_f64().unwrap() < 0.1);
    assert!(first["pose"]["yaw_deg"].is_number());
    assert!(first["resting"]["brow_height"]["left"].is_number());
    assert_eq!(frames[1]["flags"][0]["flag"], "no_face");
}

/// With no display, `facesym` (the live app by default) exits with a message pointing to the
/// command-line tools, not a panic.
#[test]
fn no_display_is_a_clear_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_facesym"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("facesym runs");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("no display found") && err.contains("facesym score"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// `facesym cameras` on a machine with none says so plainly (through the real camera code).
#[test]
fn no_camera_is_listed_plainly() {
    let out = facesym(&["cameras"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("no camera found: choose the demo or open a video file"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// A malformed camera size is refused before any window opens, saying what is expected.
#[test]
fn bad_camera_size_is_a_clear_error() {
    let out = facesym(&["live", "--size", "640by480"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("expected WIDTHxHEIGHT such as 640x480"), "{err}");
}
