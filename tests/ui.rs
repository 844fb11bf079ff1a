//! The live app driven through its accessibility tree (egui_kittest), with results injected
//! as the analysis thread would publish them.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use facesym::frame::Frame;
use facesym::pipeline::Analysis;
use facesym::symmetry::{CORE_MOVEMENTS, FrameScore, MovementScore};
use facesym::ui::{LiveApp, LiveResult, Overlay};

use crate::common::{self, face_image};

fn harness() -> Harness<'static, LiveApp> {
    Harness::builder()
        .with_size([1180.0, 720.0])
        .build_ui_state(|ui, app: &mut LiveApp| app.ui(ui), LiveApp::new(common::models()))
}

/// A result where smile is one-sided (right weaker) and the rest did not move.
fn injected() -> Analysis<LiveResult> {
    let image = facesym::io::read_rgb(&face_image("grace_hopper.png")).unwrap();
    let landmarks = common::landmarker().faces(&image).unwrap().remove(0).landmarks;
    let movements = CORE_MOVEMENTS
        .iter()
        .map(|m| {
            let (left, right) = if m.id == "smile" { (0.10, 0.05) } else { (0.0, 0.0) };
            MovementScore::from_excursions(m, left, right)
        })
        .collect();
    Analysis {
        frame: Frame { image, captured_at: Instant::now(), seq: 7 },
        output: LiveResult {
            landmarks: Some(landmarks),
            score: Some(FrameScore { pose: None, flags: Vec::new(), movements }),
            calibrated: true,
            warnings: vec!["too dark: add light in front of you".into()],
            analysis_ms: 12.0,
        },
        latency: Duration::from_millis(40),
    }
}

/// Controls and the six movement rows are there before any source runs.
#[test]
fn controls_and_movement_rows() {
    let mut harness = harness();
    harness.run();
    for label in [
        "Demo",
        "Video file",
        "Image folder",
        "Start",
        "Pause",
        "Calibrate neutral",
        "Contours",
        "Mesh",
        "Off",
    ] {
        harness.get_by_label(label);
    }
    for movement in CORE_MOVEMENTS {
        harness.get_by_label(&format!("{}: waiting", movement.name));
    }
    harness.get_by_label_contains("your camera, the demo, or a video");
}

/// Injected results update the rows, colour-coded with the weaker side, and warnings show.
#[test]
fn rows_update_from_results() {
    let mut harness = harness();
    harness.state_mut().show_analysis(injected());
    harness.run();
    harness.get_by_label("Smile: ratio 0.50, weaker right");
    harness.get_by_label("Brow lift: not enough movement");
    harness.get_by_label_contains("too dark");
    harness.get_by_label("mirror view of your face");
}

/// Calibrate asks the analysis for a neutral face; pause freezes the view and says so.
#[test]
fn calibrate_and_pause() {
    let mut harness = harness();
    harness.run();
    assert!(!harness.state().calibration_pending());
    harness.get_by_label("Calibrate neutral").click();
    harness.run();
    assert!(harness.state().calibration_pending());
    harness.get_by_label_contains("Calibrating");
    harness.get_by_label("Pause").click();
    harness.run();
    assert!(harness.state().paused);
    harness.get_by_label("Resume");
}

/// Choosing a video that does not exist says so plainly instead of failing silently.
#[test]
fn bad_video_path_is_reported() {
    let mut harness = harness();
    harness.run();
    harness.get_by_label("Video file").click();
    harness.run();
    harness.state_mut().set_path("/nonexistent/clip.mp4");
    harness.get_by_label("Start").click();
    harness.run();
    harness.get_by_label_contains("cannot open /nonexistent/clip.mp4");
}

/// On this machine there is no camera: starting it says so plainly and offers the others
/// (through the real camera code, not a mock).
#[test]
fn no_camera_is_said_plainly() {
    let mut harness = harness();
    harness.run();
    harness.get_by_label("Camera").click();
    harness.run();
    harness.get_by_label("Start").click();
    harness.run();
    harness.get_by_label_contains("no camera found: choose the demo or open a video file instead");
    // Looking for cameras again says the same, and the camera and its settings can be chosen.
    harness.get_by_label("Find cameras").click();
    harness.run();
    harness.get_by_label_contains("no camera found");
    assert_eq!(harness.state().camera_request().width, 640);
    harness.get_by_label("Size:").click();
    harness.run();
    harness.get_by_label("1280×720").click();
    harness.run();
    let request = harness.state().camera_request();
    assert_eq!((request.width, request.height, request.fps), (1280, 720, 30));
    harness.get_by_label("Camera:");
    harness.get_by_label("Rate:");
}

/// The demo runs end to end: pressing Start shows the mirror and, after calibrating, scores.
#[test]
fn demo_runs_end_to_end() {
    let mut harness = harness();
    harness.run();
    harness.get_by_label("Demo").click();
    harness.run();
    harness.get_by_label("Start").click();
    harness.run();
    harness.get_by_label_contains("Showing demo");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut calibrated = false;
    loop {
        harness.run();
        if harness.query_by_label("mirror view of your face").is_some() && !calibrated {
            harness.get_by_label("Calibrate neutral").click();
            harness.run();
            calibrated = true;
        }
        let scored = CORE_MOVEMENTS
            .iter()
            .any(|m| harness.query_by_label(&format!("{}: waiting", m.name)).is_none());
        if calibrated && scored {
            break;
        }
        assert!(Instant::now() < deadline, "the demo produced no scores in 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The FPS and latency readout follows the results shown on egui's clock, which the harness
/// drives: one result per 1/30 s of simulated time reads 30 fps, one per 1/10 s reads 10,
/// none for a second reads nothing.
#[test]
fn readout_follows_the_ui_clock() {
    let mut harness = Harness::builder()
        .with_size([1180.0, 720.0])
        .with_step_dt(1.0 / 30.0)
        .build_ui_state(|ui, app: &mut LiveApp| app.ui(ui), LiveApp::new(common::models()));
    harness.step();
    harness.get_by_label("– fps · – ms");
    let result = injected();
    for _ in 0..45 {
        harness.state_mut().show_analysis(result.clone());
        harness.step();
    }
    harness.get_by_label("30 fps · 40 ms");
    for step in 0..45 {
        if step % 3 == 0 {
            harness.state_mut().show_analysis(result.clone());
        }
        harness.step();
    }
    harness.get_by_label("10 fps · 40 ms");
    // Results stop (the video ended): after a second the readout says so instead of keeping
    // the last numbers.
    for _ in 0..40 {
        harness.step();
    }
    harness.get_by_label("– fps · – ms");
}

/// The overlay choice: contours by default, the mesh's points, or nothing.
#[test]
fn overlay_choice() {
    let mut harness = harness();
    harness.state_mut().show_analysis(injected());
    harness.run();
    assert_eq!(harness.state().overlay, Overlay::Contours);
    harness.get_by_label("Mesh").click();
    harness.run();
    assert_eq!(harness.state().overlay, Overlay::Mesh);
    harness.get_by_label("Off").click();
    harness.run();
    assert_eq!(harness.state().overlay, Overlay::Off);
    harness.get_by_label("mirror view of your face");
}
