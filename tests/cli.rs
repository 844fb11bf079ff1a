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

/// An installed binary needs nothing beside it: copied alone into another folder and run
/// from there, with no models folder named, it finds the face with the models built into it.
#[test]
fn installed_binary_runs_from_anywhere() {
    let dir = scratch("cli_installed");
    let installed = dir.join("facesym");
    std::fs::copy(env!("CARGO_BIN_EXE_facesym"), &installed).unwrap();
    let input = face_image("grace_hopper.png");
    let out = Command::new(&installed)
        .args(["landmarks", "--json", "--mesh-only", input.to_str().unwrap()])
        .current_dir(&dir)
        .env_remove("FACESYM_MODELS")
        .output()
        .expect("facesym runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["faces"].as_array().map(Vec::len), Some(1), "{json}");
}

/// Every stage `facesym bench` documents, in pipeline order.
const BENCH_STAGES: [&str; 10] = [
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

/// `facesym bench --json` prints the documented report: the stable keys other tools read
/// (`frames`, `per_frame_ms` with `median` and `p95`, `stages` each with `median_ms` and
/// `p95_ms`, `fps`), every stage with a positive median no larger than its p95, and the extra
/// keys.
#[test]
fn bench_json_report() {
    let input = face_image("grace_hopper.png");
    let out = facesym(&["bench", input.to_str().unwrap(), "--frames", "5", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["frames"], 5);
    let per_frame = v["per_frame_ms"].as_object().unwrap();
    assert_eq!(per_frame.keys().collect::<Vec<_>>(), ["median", "p95"]);
    let (median, p95) = (per_frame["median"].as_f64().unwrap(), per_frame["p95"].as_f64().unwrap());
    assert!(0.0 < median && median <= p95, "per_frame_ms {median} {p95}");
    for stage in BENCH_STAGES {
        let timing = v["stages"][stage].as_object().unwrap_or_else(|| panic!("stage {stage}"));
        let median = timing["median_ms"].as_f64().unwrap();
        let p95 = timing["p95_ms"].as_f64().unwrap();
        assert!(0.0 < median && median <= p95, "{stage}: median {median}, p95 {p95}");
    }
    assert_eq!(v["stages"].as_object().unwrap().len(), BENCH_STAGES.len());
    assert!(v["fps"].as_f64().unwrap() > 0.0);
    assert_eq!(v["detector_runs"], 1);
    assert_eq!(v["frames_with_face"], 5);
    let frames_mb = v["frames_mb"].as_f64().unwrap();
    assert!((frames_mb - 5.0 * 512.0 * 600.0 * 3.0 / 1048576.0).abs() < 1e-9, "{frames_mb}");
    if cfg!(target_os = "linux") {
        assert!(v["peak_rss_mb"].as_f64().unwrap() > frames_mb);
    }
}

/// A video with fewer frames than `--frames` is timed whole (decoded by ffmpeg); a folder is
/// cut to `--frames`; the table names every stage.
#[test]
fn bench_video_and_folder() {
    let dir = scratch("cli_bench_inputs");
    let still = facesym::io::read_rgb(&face_image("grace_hopper.png")).unwrap();
    let frames: Vec<_> = (0..4)
        .map(|i| facesym::synthetic::moving_frame(&still, i, 30, Default::default()))
        .collect();
    let video = dir.join("moving.mkv");
    crate::common::make_video(&frames, 30, &video);
    let out = facesym(&["bench", video.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["frames"], 4);
    assert_eq!(v["frames_with_face"], 4);
    assert!(v["stages"]["decode"]["median_ms"].as_f64().unwrap() > 0.0);

    let folder = dir.join("frames");
    std::fs::create_dir_all(&folder).unwrap();
    for (i, frame) in frames.iter().enumerate() {
        frame.save(folder.join(format!("{i:02}.png"))).unwrap();
    }
    let out = facesym(&["bench", folder.to_str().unwrap(), "--frames", "3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("3 images of"), "{text}");
    for stage in BENCH_STAGES.iter().chain(&["per frame"]) {
        assert!(text.lines().any(|line| line.starts_with(stage)), "{stage} in\n{text}");
    }
    assert!(text.contains("frames/s") && text.contains("peak memory"), "{text}");
}

/// What cannot be timed is said in one plain line, with exit code 1 and nothing on stdout:
/// a missing input, a file that is no video.
#[test]
fn bench_errors_are_clear() {
    let dir = scratch("cli_bench_errors");
    let missing = dir.join("missing.mp4");
    let not_video = dir.join("notes.mkv");
    std::fs::write(&not_video, b"not a video").unwrap();
    let cases = [(&missing, "cannot open"), (&not_video, "cannot open")];
    for (input, expected) in cases {
        let out = facesym(&["bench", input.to_str().unwrap(), "--frames", "3", "--json"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{}: {err}", input.display());
        assert!(err.starts_with("error: ") && err.contains(expected), "{err}");
        assert!(err.contains(input.to_str().unwrap()), "{err}");
        assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
        assert!(out.stdout.is_empty());
    }
}

/// Frames without a face, or with one too small to be the neutral, are timed as far as they
/// go: the stages that cannot run are named with why, and the run succeeds.
#[test]
fn bench_times_what_it_can() {
    let dir = scratch("cli_bench_partial");
    let blank = dir.join("blank.png");
    image::RgbImage::from_pixel(160, 120, image::Rgb([90, 140, 200])).save(&blank).unwrap();
    let tiny = face_image("tiny_face.png");
    let cases: [(&std::path::Path, &[&str], &str); 2] = [
        (&blank, &["detect", "tracked_frame"], "no face found in any of the 3 frames"),
        (&tiny, &["detect", "crop", "face_mesh", "tracked_frame", "eyes"], "face too small"),
    ];
    for (input, timed, why) in cases {
        let out = facesym(&["bench", input.to_str().unwrap(), "--frames", "3", "--json"]);
        assert!(out.status.success(), "{}: {}", input.display(), stderr(&out));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let stages: Vec<&str> =
            v["stages"].as_object().unwrap().keys().map(|k| k.as_str()).collect();
        let skipped = v["skipped"].as_object().unwrap();
        for stage in BENCH_STAGES.iter().filter(|s| **s != "decode") {
            let is_timed = timed.contains(stage);
            assert_eq!(stages.contains(stage), is_timed, "{stage} of {}: {v}", input.display());
            assert_eq!(skipped.contains_key(*stage), !is_timed, "{stage}: {v}");
        }
        for stage in ["scoring", "skin_motion", "shipped_frame", "guided_frame"] {
            assert!(skipped[stage].as_str().unwrap().contains(why), "{stage}: {v}");
        }
        assert!(v["per_frame_ms"]["median"].as_f64().unwrap() > 0.0);
    }
    let out = facesym(&["bench", blank.to_str().unwrap(), "--frames", "3"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "not timed: crop, face_mesh, scoring, eyes, skin_motion, shipped_frame, guided_frame \
             (no face"
        ),
        "{text}"
    );
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

/// Grace Hopper's portrait with the synthetic smile, her left side fully and her right with
/// strength `right`, saved to `path`.
fn hopper_smiling(right: f64, path: &std::path::Path) -> std::path::PathBuf {
    use facesym::symmetry::{FaceFrame, MovementId};
    use facesym::synthetic::deform::{SYNTHETIC_MOVEMENTS, apply_movement};

    let image = facesym::io::read_rgb(&face_image("grace_hopper.png")).unwrap();
    let face = crate::common::landmarker().faces(&image).unwrap().remove(0);
    let frame = FaceFrame::fit(&face.landmarks).unwrap();
    let smile = SYNTHETIC_MOVEMENTS.iter().find(|(id, _)| *id == MovementId::Smile).unwrap().1;
    let (warped, _) = apply_movement(&image, &face.landmarks, &frame, &smile, 1.0, right);
    warped.save(path).unwrap();
    path.to_owned()
}

/// `facesym score --json`: every movement with left, right, ratio, weaker, status and its
/// mirror image's difference, and eye closure and smile marked provisional; a one-sided smile is scored with the right side weaker; a
/// frame without a face is flagged, not an error.
#[test]
fn score_json_schema() {
    let dir = scratch("cli_score");
    let neutral = face_image("grace_hopper.png");
    let smile_png = hopper_smiling(0.0, &dir.join("left_smile.png"));
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
        assert!(m["mirror_difference"].is_number() && m["status"].is_string(), "{id}: {m}");
        // Eye closure and smile say why they are only provisional; the others say nothing.
        let provisional = ["eye_closure", "smile"].contains(&id);
        assert_eq!(m["provisional"].is_string(), provisional, "{id}: {m}");
    }
    assert_eq!(first["movements"]["smile"]["weaker"], "right");
    assert!(first["movements"]["smile"]["ratio"].as_f64().unwrap() < 0.1);
    assert!(first["movements"]["smile"]["ratio_uncertainty"].as_f64().unwrap() > 0.0);
    assert!(first["movements"]["brow_lift"]["ratio_uncertainty"].is_null());
    assert!(first["pose"]["yaw_deg"].is_number());
    assert!(first["resting"]["brow_height"]["left"].is_number());
    assert_eq!(frames[1]["flags"][0]["flag"], "no_face");
    // A sharp portrait is detailed enough: no warning.
    assert!(!stderr(&out).contains("little fine detail"), "{}", stderr(&out));
}

/// `facesym score` checks each frame against its mirror image (docs/metrics.md, "Mirror
/// check"). Grace Hopper's own face with a half-strength one-sided smile: the smile agrees
/// with its mirror within 0.01 IOD (flipping swaps the sides and nothing else) and the other
/// skin-motion readings within 0.015 (the pucker, which reads the smile's corners moving
/// out, 0.0104), far inside the 0.03 of the check, so nothing is left out. Barack Obama's
/// face against Hopper's neutral: no skin of hers is there to follow; four of the five
/// skin-motion movements have no point followed on both sides and are not measured, and the
/// nose wrinkle, which reads 0.099 IOD on one side, differs from its mirror by 0.056, more
/// than the 0.03 IOD of a scored movement, and is left out: none has a ratio.
#[test]
fn score_checks_each_frame_against_its_mirror_image() {
    const SKIN_MOTION: [&str; 5] = ["brow_lift", "nose_wrinkle", "smile", "pucker", "cheek_puff"];
    let dir = scratch("cli_score_mirror");
    let neutral = face_image("grace_hopper.png");
    let smile_png = hopper_smiling(0.5, &dir.join("half_smile.png"));
    let someone_else = face_image("obama.png");

    let out = facesym(&[
        "score",
        "--neutral",
        neutral.to_str().unwrap(),
        smile_png.to_str().unwrap(),
        someone_else.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (own, other) = (&v[0]["movements"], &v[1]["movements"]);
    for id in SKIN_MOTION {
        let d = own[id]["mirror_difference"].as_f64().unwrap();
        assert!(d <= 0.015, "{id}: {}", own[id]);
        assert_ne!(own[id]["status"], "mirror_disagrees", "{id}");
    }
    assert_eq!(own["smile"]["weaker"], "right");
    for id in SKIN_MOTION {
        let status = &other[id]["status"];
        assert!(status == "mirror_disagrees" || status == "not_followed", "{id}: {}", other[id]);
        assert!(other[id]["ratio"].is_null() && other[id]["weaker"].is_null(), "{id}");
        if status == "not_followed" {
            // Not measured: no excursions (JSON has no NaN), and nothing to check.
            assert!(other[id]["left"].is_null() && other[id]["mirror_difference"].is_null());
        }
    }
    let nose = &other["nose_wrinkle"];
    assert_eq!(nose["status"], "mirror_disagrees", "{nose}");
    assert!(nose["mirror_difference"].as_f64().unwrap() > 0.03, "{nose}");

    let text =
        facesym(&["score", "--neutral", neutral.to_str().unwrap(), someone_else.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("not scored: its mirror image reads it"), "{stdout}");
    assert!(stdout.contains("not measured: the skin there could not be followed"), "{stdout}");
    assert!(!stdout.contains("NaN"), "{stdout}");
}

/// A blurred neutral face is scored (by `score`) or analysed against (by `analyze`), with a
/// warning that its skin-motion scores may be wrong (on stderr, so that `--json` output stays
/// clean JSON).
#[test]
fn score_and_analyze_warn_of_a_soft_neutral_face() {
    let dir = scratch("cli_soft_neutral");
    let image = facesym::io::read_rgb(&face_image("grace_hopper.png")).unwrap();
    let soft = dir.join("soft.png");
    image::imageops::blur(&image, 3.0).save(&soft).unwrap();
    let out =
        facesym(&["score", "--neutral", soft.to_str().unwrap(), soft.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("warning: the neutral face has little fine detail"), "{err}");
    serde_json::from_slice::<Value>(&out.stdout).expect("the JSON is unchanged");
    // `analyze` takes its neutral from the recording: a soft recording is warned of too.
    let frames = dir.join("frames");
    std::fs::create_dir_all(&frames).unwrap();
    for i in 0..3 {
        std::fs::copy(&soft, frames.join(format!("f{i}.png"))).unwrap();
    }
    let out = facesym(&["analyze", frames.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("warning: the neutral face has little fine detail"));
    // The face mesh alone does not use skin motion: nothing to warn of.
    let out = facesym(&[
        "score",
        "--mesh-only",
        "--neutral",
        soft.to_str().unwrap(),
        soft.to_str().unwrap(),
    ]);
    assert!(!stderr(&out).contains("little fine detail"), "{}", stderr(&out));
}

/// `analyze` says how many frames it could not score and why: a head turned well away from
/// where it was for the neutral face (skin motion cannot take that out) and a frame with no face.
#[test]
fn analyze_counts_the_frames_it_could_not_score() {
    use facesym::synthetic::deform::turn_head;

    let dir = scratch("cli_not_scored");
    let image = facesym::io::read_rgb(&face_image("grace_hopper.png")).unwrap();
    let landmarks = crate::common::landmarker().faces(&image).unwrap().remove(0).landmarks;
    let frames = dir.join("frames");
    std::fs::create_dir_all(&frames).unwrap();
    image.save(frames.join("f0.png")).unwrap();
    image.save(frames.join("f1.png")).unwrap();
    turn_head(&image, &landmarks, 20.0, 0.0).save(frames.join("f2.png")).unwrap();
    image::RgbImage::new(image.width(), image.height()).save(frames.join("f3.png")).unwrap();
    let out = facesym(&["analyze", frames.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "frames not scored: 1 (head turned away from the neutral's pose), 1 (no face)"
        ),
        "{stdout}"
    );
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

/// `facesym … | head`: output to a reader that has gone away ends the command quietly, not
/// with an internal error.
#[test]
fn output_into_a_closed_pipe_is_not_an_error() {
    use std::process::Stdio;

    let hopper = face_image("grace_hopper.png");
    let hopper = hopper.to_str().unwrap();
    let frames: Vec<&str> = std::iter::repeat_n(hopper, 40).collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_facesym"))
        .args(["score", "--mesh-only", "--neutral", hopper])
        .args(&frames)
        .env("FACESYM_MODELS", concat!(env!("CARGO_MANIFEST_DIR"), "/models"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("facesym runs");
    // The reader goes away before the first line is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("facesym ends");
    let err = stderr(&out);
    assert!(!err.contains("internal error") && !err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(141), "{err}");
}

/// Eye-closure reading `side` of a `score --json` frame's movements, and a CSV row's.
fn eye_closure(frame: &Value, side: &str) -> f64 {
    frame["movements"]["eye_closure"][side].as_f64().unwrap()
}

/// `--eyes-closed`: eye closure becomes a fraction of the closure the person's closed eyes
/// read (the eye that closed further), 1 at most, in `score` and in `analyze` (whose neutral
/// comes later, from the recording); every other movement reads as before; a picture whose
/// eyes are open is refused with the reason.
#[test]
fn eyes_closed_calibrates_eye_closure() {
    let dir = scratch("cli_eyes_closed");
    let neutral = face_image("obama.png");
    let closed = crate::common::obama_with("obama_eyes_closed.png", &dir.join("closed.png"));
    let one_eye =
        crate::common::obama_with("obama_left_eye_closed.png", &dir.join("left_closed.png"));
    let [neutral_s, closed_s, one_s] = [&neutral, &closed, &one_eye].map(|p| p.to_str().unwrap());

    let score = |extra: &[&str]| {
        let mut args = vec!["score", "--json", "--neutral", neutral_s];
        args.extend_from_slice(extra);
        let out = facesym(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let raw = score(&[closed_s, one_s]);
    let calibrated = score(&["--eyes-closed", closed_s, closed_s, one_s]);
    // The eye that closed further sets the full closure.
    let full = eye_closure(&raw[0], "left").max(eye_closure(&raw[0], "right"));
    assert!(full >= 0.4, "the painted eyes read closed: {}", raw[0]);
    assert!(raw[0].get("closed_eyes").is_none());
    for (before, after) in raw.as_array().unwrap().iter().zip(calibrated.as_array().unwrap()) {
        assert!((after["closed_eyes"].as_f64().unwrap() - full).abs() < 1e-12);
        for side in ["left", "right"] {
            let expected = (eye_closure(before, side) / full).min(1.0);
            assert!((eye_closure(after, side) - expected).abs() < 1e-9, "{side}: {after}");
        }
        for id in ["brow_lift", "nose_wrinkle", "smile", "pucker", "cheek_puff"] {
            assert_eq!(before["movements"][id], after["movements"][id], "{id}");
        }
    }
    // One eye shut: the open one the weaker, by far. (The iris model reads the painted left eye
    // less closed than the right, 0.47 against 0.65 with both shut: it reads 0.79 of full.)
    let one = &calibrated[1]["movements"]["eye_closure"];
    assert!(one["left"].as_f64().unwrap() > 0.7, "{one}");
    assert!(one["ratio"].as_f64().unwrap() <= 0.2 && one["weaker"] == "right", "{one}");
    // The text output says what eye closure is measured against.
    let out = facesym(&["score", "--neutral", neutral_s, "--eyes-closed", closed_s, one_s]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("a fraction of your closed eyes"));

    // Open eyes are not closed eyes: a clear error, no panic.
    let out = facesym(&["score", "--neutral", neutral_s, "--eyes-closed", neutral_s, one_s]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("the eyes do not look closed") && !err.contains("panicked"), "{err}");

    // `analyze`: the neutral is the recording's first frame, calibrated to the closed eyes.
    let frames = dir.join("frames");
    std::fs::create_dir_all(&frames).unwrap();
    std::fs::copy(&neutral, frames.join("f0.png")).unwrap();
    std::fs::copy(&one_eye, frames.join("f1.png")).unwrap();
    let analyze = |extra: &[&str], csv: &str| {
        let csv = dir.join(csv);
        let mut args = vec!["analyze", frames.to_str().unwrap(), "--out", csv.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = facesym(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = std::fs::read_to_string(&csv).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        // The second frame's row: the first is the neutral, not scored.
        let row: Vec<String> = lines.nth(1).unwrap().split(',').map(str::to_string).collect();
        let column = |name: &str| row[header.iter().position(|h| *h == name).unwrap()].clone();
        (column("eye_closure_left"), column("eye_closure_right"), column("smile_left"), out)
    };
    let (left, right, smile, _) = analyze(&[], "raw.csv");
    let (left_c, right_c, smile_c, out) = analyze(&["--eyes-closed", closed_s], "calibrated.csv");
    assert!(String::from_utf8_lossy(&out.stdout).contains("a fraction of your closed eyes"));
    assert_eq!(smile, smile_c);
    let [left, right, left_c, right_c] =
        [left, right, left_c, right_c].map(|v| v.parse::<f64>().unwrap());
    // The CSV keeps 5 decimals; the full closure is the closed picture's against this neutral.
    assert!(left_c > 0.7 && (left_c - (left / full).min(1.0)).abs() < 2e-3, "{left} {left_c}");
    assert!((right_c - right / full).abs() < 2e-3, "{right} {right_c}");
}

/// Names a person types that ffmpeg would take for an option ("-clip.mkv", after `--`) or a
/// protocol ("10:30.mkv") are read as files in the working folder; a frame rate of 0, below 0
/// or not a number is refused with the reason.
#[test]
fn analyze_reads_odd_names_and_refuses_odd_rates() {
    let dir = scratch("cli_odd_names");
    let face = facesym::io::read_rgb(&face_image("grace_hopper.png")).unwrap();
    crate::common::make_video(&[face.clone(), face.clone(), face], 10, &dir.join("-clip.mkv"));
    std::fs::copy(dir.join("-clip.mkv"), dir.join("10:30.mkv")).unwrap();
    for args in [&["--", "-clip.mkv"][..], &["10:30.mkv"][..]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_facesym"))
            .arg("analyze")
            .args(args)
            .env("FACESYM_MODELS", concat!(env!("CARGO_MANIFEST_DIR"), "/models"))
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("3 frames analysed"), "{args:?}");
    }
    for fps in ["0", "-3", "NaN", "inf"] {
        let out = facesym(&["analyze", &format!("--fps={fps}"), dir.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{fps}");
        assert!(stderr(&out).contains("expected frames per second above 0"), "{fps}");
    }
}

/// Outputs cannot be lost: `analyze --out` killed part way leaves the old file as it was (and
/// the next run clears what the killed one left); a finished one replaces it with a file
/// readable by its owner only; `--record` on a run with no repetition leaves no empty
/// session; exporting onto the record itself is refused and the record is untouched; an
/// overlay of a face is private.
#[cfg(unix)]
#[test]
fn outputs_cannot_be_lost() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("cli_outputs");
    let face = facesym::io::read_rgb(&face_image("grace_hopper.png")).unwrap();
    let video = dir.join("long.mkv");
    crate::common::make_video_from(face.dimensions(), 300, 10, &video, |_| face.clone());
    let out = dir.join("frames.csv");
    std::fs::write(&out, b"yesterday's results\n").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    let partials = || -> Vec<String> {
        std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".partial"))
            .collect()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_facesym"))
        .args(["analyze", video.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .env("FACESYM_MODELS", concat!(env!("CARGO_MANIFEST_DIR"), "/models"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while partials().is_empty() && start.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), b"yesterday's results\n");
    assert_eq!(partials().len(), 1, "the killed run's partial file");

    let short = dir.join("short.mkv");
    crate::common::make_video(&[face.clone(), face.clone()], 10, &short);
    let done = facesym(&["analyze", short.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(done.status.success(), "{}", stderr(&done));
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("frame,t_s,flags"));
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(partials().is_empty(), "{:?}", partials());

    // The record, and an export onto it.
    let data = dir.join("data");
    let recorded = facesym(&[
        "analyze",
        short.to_str().unwrap(),
        "--record",
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    // Two still frames hold no repetition: no session is left behind.
    assert!(String::from_utf8_lossy(&recorded.stdout).contains("nothing was recorded"));
    let store = facesym::session::Store::open(&data).unwrap();
    assert!(store.sessions().unwrap().is_empty(), "no empty session");
    store.start_session("short.mkv").unwrap();
    drop(store);
    let record = data.join(facesym::session::store::DATABASE_FILE);
    let before = std::fs::read(&record).unwrap();
    let export = facesym(&[
        "sessions",
        "export",
        "--data",
        data.to_str().unwrap(),
        "--out",
        record.to_str().unwrap(),
    ]);
    assert_eq!(export.status.code(), Some(1));
    assert!(stderr(&export).contains("is your record itself"), "{}", stderr(&export));
    assert_eq!(std::fs::read(&record).unwrap(), before);
    let list = facesym(&["sessions", "list", "--data", data.to_str().unwrap()]);
    assert!(list.status.success(), "{}", stderr(&list));
    assert!(
        String::from_utf8_lossy(&list.stdout).contains("short.mkv"),
        "the record still lists its session"
    );

    let overlay = dir.join("overlay.png");
    let drawn = facesym(&[
        "landmarks",
        face_image("grace_hopper.png").to_str().unwrap(),
        "--overlay",
        overlay.to_str().unwrap(),
    ]);
    assert!(drawn.status.success(), "{}", stderr(&drawn));
    assert_eq!(std::fs::metadata(&overlay).unwrap().permissions().mode() & 0o777, 0o600);
}

/// A record someone may read but not write (a read-only file in a read-only folder; read by
/// an unprivileged user when the tests run as root) is listed and exported as it is; recording
/// into it says why it cannot, plainly; with no record at all, listing shows nothing and
/// succeeds.
#[cfg(unix)]
#[test]
fn a_read_only_record_can_be_listed() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = scratch("cli_read_only_record");
    let data = dir.join("data");
    let store = facesym::session::Store::open(&data).unwrap();
    let session = store.start_session("camera").unwrap();
    let rep = facesym::session::Repetition {
        movement: facesym::symmetry::MovementId::Smile,
        onset_s: 1.0,
        peak_s: 1.5,
        end_s: 2.5,
        peak_left: 0.12,
        peak_right: 0.06,
        ratio: Some(0.5),
        ratio_uncertainty: Some(0.1),
        weaker: Some(facesym::symmetry::Side::Right),
        time_to_peak_s: 0.5,
        hold_s: 0.8,
        mirror_disputed: Some(0.0),
        synkinesis: None,
    };
    store.add_repetition(session, &rep).unwrap();
    drop(store);
    let record = data.join(facesym::session::store::DATABASE_FILE);
    let set = |path: &std::path::Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    set(&record, 0o444);
    set(&data, 0o555);
    set(&dir, 0o755);
    let before = std::fs::read(&record).unwrap();
    // Run as someone else when root, who could write anything.
    let as_reader = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_facesym"));
        command.args(args).env("FACESYM_MODELS", concat!(env!("CARGO_MANIFEST_DIR"), "/models"));
        // /proc/self belongs to the effective user.
        use std::os::unix::fs::MetadataExt;
        if std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0) {
            command.uid(65534).gid(65534);
        }
        command.output().unwrap()
    };
    let data_s = data.to_str().unwrap();
    let list = as_reader(&["sessions", "list", "--data", data_s]);
    assert!(list.status.success(), "{}", stderr(&list));
    assert!(String::from_utf8_lossy(&list.stdout).contains("camera"));
    let export = as_reader(&["sessions", "export", "--format", "json", "--data", data_s]);
    assert!(export.status.success(), "{}", stderr(&export));
    let exported: Value = serde_json::from_slice(&export.stdout).unwrap();
    assert_eq!(exported[0]["ratio"], 0.5);
    let video = dir.join("clip.mkv");
    let face = facesym::io::read_rgb(&face_image("grace_hopper.png")).unwrap();
    crate::common::make_video(&[face.clone(), face], 10, &video);
    let record_into =
        as_reader(&["analyze", video.to_str().unwrap(), "--record", "--data", data_s]);
    assert_eq!(record_into.status.code(), Some(1));
    let err = stderr(&record_into);
    assert!(err.contains("cannot be written") && !err.contains("panicked"), "{err}");
    assert_eq!(std::fs::read(&record).unwrap(), before, "not a byte changed");
    set(&data, 0o700);
    set(&record, 0o600);

    let nothing = facesym(&["sessions", "list", "--data", dir.join("none").to_str().unwrap()]);
    assert!(nothing.status.success(), "{}", stderr(&nothing));
    assert!(String::from_utf8_lossy(&nothing.stdout).contains("no sessions recorded yet"));
    assert!(!dir.join("none").exists(), "looking creates nothing");
}

/// Text from the record reaches the terminal without its control characters: a file name
/// holding an escape sequence is listed with it written out, not acted on.
#[test]
fn stored_text_cannot_drive_the_terminal() {
    let dir = scratch("cli_control_characters");
    let store = facesym::session::Store::open(&dir).unwrap();
    store.start_session("video clip\u{1b}[2J\u{7}.mp4").unwrap();
    drop(store);
    let out = facesym(&["sessions", "list", "--data", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!out.stdout.iter().any(|b| *b == 0x1b || *b == 0x07), "raw control bytes");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("video clip\\u{1b}[2J\\u{7}.mp4"), "{text}");
}

/// `analyze` finds blinks: both eyes shut for a tenth of a second (Obama's portrait with his
/// eyes painted shut, three frames at 30 fps) is a blink, in the JSON's `events` and in the
/// events CSV beside the frames CSV, with each eye's peak closure; eyes held shut for a second
/// (the exercise) and one eye shut alone are not blinks.
#[test]
fn analyze_finds_blinks() {
    let dir = scratch("cli_blinks");
    let half = |image: image::RgbImage| {
        let (w, h) = image.dimensions();
        image::imageops::resize(&image, w / 2, h / 2, image::imageops::FilterType::Triangle)
    };
    let open = half(facesym::io::read_rgb(&face_image("obama.png")).unwrap());
    let read = |p: &std::path::Path| half(facesym::io::read_rgb(p).unwrap());
    let shut = read(&crate::common::obama_with("obama_eyes_closed.png", &dir.join("shut.png")));
    let one = read(&crate::common::obama_with("obama_left_eye_closed.png", &dir.join("one.png")));
    // 1 s open, a 0.1-s blink, 1 s open, 1 s held shut, 1 s open, one eye 0.1 s, 0.5 s open.
    let mut frames: Vec<&image::RgbImage> = vec![&open; 30];
    frames.extend([&shut; 3]);
    frames.extend([&open; 30]);
    frames.extend([&shut; 30]);
    frames.extend([&open; 30]);
    frames.extend([&one; 3]);
    frames.extend([&open; 15]);
    let video = dir.join("blink.mkv");
    crate::common::make_video_from(open.dimensions(), frames.len(), 30, &video, |i| {
        frames[i].clone()
    });
    let (json, csv) = (dir.join("frames.json"), dir.join("frames.csv"));
    for out in [&json, &csv] {
        let run = facesym(&["analyze", video.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert!(run.status.success(), "{}", stderr(&run));
        assert!(String::from_utf8_lossy(&run.stdout).contains("blinks: 1 "), "{:?}", run);
    }
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let events = v["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let blink = &events[0];
    assert_eq!(
        (&blink["kind"], &blink["side"], &blink["region"]),
        (&"blink".into(), &"both".into(), &"eye".into())
    );
    let start = blink["start_s"].as_f64().unwrap();
    assert!((start - 1.0).abs() <= 0.05, "{blink}");
    assert!(blink["end_s"].as_f64().unwrap() - start <= 0.1, "{blink}");
    for side in ["peak_left", "peak_right"] {
        assert!(blink[side].as_f64().unwrap() >= 0.4, "{blink}");
    }
    let rows = std::fs::read_to_string(dir.join("frames.events.csv")).unwrap();
    let rows: Vec<&str> = rows.lines().collect();
    assert_eq!(rows[0], "kind,region,side,start_s,end_s,peak_iod,peak_left,peak_right");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[1].starts_with("blink,eye,both,"), "{rows:?}");
}

/// `analyze --rest` on a generated rest recording (Grace Hopper's portrait, a 0.3-s twitch of
/// the left mouth corner and a 0.6-s spasm of the right lower lid) lists both in the JSON's
/// `events` and the events CSV, with region, side, timing and size, and counts them in the
/// summary; `--rest` with `--record` is refused.
#[test]
fn analyze_rest_lists_twitches() {
    use facesym::symmetry::Side;
    use facesym::symmetry::regions::Region;
    use facesym::synthetic::twitch::{Involuntary, RestRecording};
    let dir = scratch("cli_twitches");
    let face = facesym::io::read_rgb(&face_image("grace_hopper.png")).unwrap();
    let landmarks = crate::common::landmarker().faces(&face).unwrap().remove(0).landmarks;
    let frame = facesym::symmetry::FaceFrame::fit(&landmarks).unwrap();
    let twitch = |region, side, size_iod, start_s, duration_s| Involuntary::Twitch {
        region,
        side,
        size_iod,
        start_s,
        duration_s,
    };
    let events = vec![
        twitch(Region::MouthCorner, Side::Left, 0.05, 2.0, 0.3),
        twitch(Region::LowerLid, Side::Right, 0.04, 3.5, 0.6),
    ];
    let size = face.dimensions();
    let recording = RestRecording::new(face, landmarks, frame, 5.0, events);
    let video = dir.join("rest.mkv");
    crate::common::make_video_from(size, recording.len(), 30, &video, |i| recording.frame(i));
    let (json, csv) = (dir.join("frames.json"), dir.join("frames.csv"));
    for out in [&json, &csv] {
        let args = ["analyze", video.to_str().unwrap(), "--rest", "--out", out.to_str().unwrap()];
        let run = facesym(&args);
        assert!(run.status.success(), "{}", stderr(&run));
        let text = String::from_utf8_lossy(&run.stdout);
        assert!(text.contains("twitches and spasms at rest: 2 "), "{text}");
    }
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let events = v["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    let expected =
        [("twitch", "mouth_corner", "left", 2.0, 2.3), ("spasm", "lower_lid", "right", 3.5, 4.1)];
    for (event, (kind, region, side, start, end)) in events.iter().zip(expected) {
        assert_eq!(
            (&event["kind"], &event["region"], &event["side"]),
            (&kind.into(), &region.into(), &side.into()),
            "{event}"
        );
        assert!((event["start_s"].as_f64().unwrap() - start).abs() <= 0.1, "{event}");
        assert!((event["end_s"].as_f64().unwrap() - end).abs() <= 0.1, "{event}");
        assert!(event["peak_iod"].as_f64().unwrap() > 0.01, "{event}");
        assert!(event.get("peak_left").is_none(), "{event}");
    }
    let rows = std::fs::read_to_string(dir.join("frames.events.csv")).unwrap();
    let rows: Vec<&str> = rows.lines().collect();
    assert_eq!(rows[0], "kind,region,side,start_s,end_s,peak_iod,peak_left,peak_right");
    assert!(
        rows[1].starts_with("twitch,mouth_corner,left,") && rows[1].ends_with(",,"),
        "{rows:?}"
    );
    let record = dir.join("record");
    let args = ["analyze", video.to_str().unwrap(), "--rest", "--record", "--data"];
    let run = facesym(&[&args[..], &[record.to_str().unwrap()]].concat());
    assert!(!run.status.success() && stderr(&run).contains("--rest"), "{}", stderr(&run));
    assert!(!record.exists());
}

/// `facesym today`: with no record, the guides' plan and nothing done, and no record made;
/// with sessions, today's counted (the demo's not) and the streak read.
#[test]
fn today_reads_the_day_against_the_plan() {
    let dir = scratch("cli_today");
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.join("data");
    let out = facesym(&["today", "--json", "--data", data.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["today"]["done"].as_u64(), v["today"]["planned"].as_u64()), (Some(0), Some(2)));
    assert_eq!(v["today"]["streak"].as_u64(), Some(0));
    assert_eq!(v["plan"]["repetitions"].as_u64(), Some(10));
    assert_eq!(v["plan"]["movements"].as_array().map(Vec::len), Some(6));
    assert!(!data.exists(), "reading the day makes no record");

    let store = facesym::session::Store::open(&data).unwrap();
    let now = facesym::session::calendar::now_unix();
    store.start_session_at("camera", now).unwrap();
    store.start_session_at("camera", now - 86_400).unwrap();
    store.start_session_at("guided session (demo)", now).unwrap();
    drop(store);
    let out = facesym(&["today", "--data", data.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Sessions: 1 of 2 done"), "{text}");
    assert!(text.contains("Streak: 2 days in a row, today included"), "{text}");
    assert!(text.contains("the guides'"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `facesym movements --json`: the documented fields for every drill, the six measured.
#[test]
fn movements_lists_the_catalogue() {
    let out = facesym(&["movements", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let drills = v.as_array().unwrap();
    for d in drills {
        for field in ["id", "name", "instruction", "assist_resist", "validated"] {
            assert!(d[field].as_str().is_some_and(|s| !s.is_empty()), "{field}: {d}");
        }
    }
    let measured: Vec<&str> = drills
        .iter()
        .filter(|d| d["measured"] == true)
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        measured,
        ["brow_lift", "eye_closure", "nose_wrinkle", "smile", "pucker", "cheek_puff"]
    );
    assert!(drills.iter().any(|d| d["id"] == "upper_lip_raise" && d["measured"] == false));
    let text = facesym(&["movements"]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("Brow furrow (brow_furrow, guided only)")
    );
}
