//! The live app driven through its accessibility tree (egui_kittest), with results injected
//! as the analysis thread would publish them.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use facesym::analysis::{Analyzer, LiveAnalyzer, LiveEvent, LiveResult};
use facesym::capture::FrameSource;
use facesym::frame::Frame;
use facesym::landmarks::{Tracker, TrackerOptions};
use facesym::pipeline::Analysis;
use facesym::session::{Repetition, Store};
use facesym::symmetry::flow::{SMOOTH_BRIDGE_WARNING, SOFT_NEUTRAL_WARNING};
use facesym::symmetry::{CORE_MOVEMENTS, FrameScore, MovementId, MovementScore, Side};
use facesym::synthetic::demo::DemoSource;
use facesym::ui::{LiveApp, Overlay};

use crate::common::{self, face_image};

/// How long a test waits for what the app's own threads do (opening a source) before calling
/// it a hang; nothing is asserted about how long it took.
const HANG_GUARD: Duration = Duration::from_secs(120);

fn harness() -> Harness<'static, LiveApp> {
    Harness::builder()
        .with_size([1180.0, 720.0])
        .build_ui_state(|ui, app: &mut LiveApp| app.ui(ui), LiveApp::new(common::models()))
}

/// Steps the app until `done` holds: for what the app's threads do in their own time.
fn step_until(
    harness: &mut Harness<'static, LiveApp>,
    what: &str,
    done: impl Fn(&Harness<'static, LiveApp>) -> bool,
) {
    let give_up = Instant::now() + HANG_GUARD;
    while !done(harness) {
        assert!(Instant::now() < give_up, "{what}: not within {HANG_GUARD:?}");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The app with its record in a folder of this test's that does not exist yet.
fn harness_with_record(test: &str) -> (Harness<'static, LiveApp>, std::path::PathBuf) {
    let data = common::scratch(test);
    let _ = std::fs::remove_dir_all(&data);
    let mut harness = harness();
    harness.state_mut().set_data_dir(data.clone());
    harness.run();
    (harness, data)
}

/// A result where smile is one-sided (right weaker) and the rest did not move.
fn injected() -> Analysis<LiveResult> {
    let image = facesym::io::read_rgb(&face_image("grace_hopper.png")).unwrap();
    let landmarks = common::landmarker().faces(&image).unwrap().remove(0).landmarks;
    let movements = CORE_MOVEMENTS
        .iter()
        .map(|m| {
            let (left, right) = if m.id == MovementId::Smile { (0.10, 0.05) } else { (0.0, 0.0) };
            MovementScore::from_excursions(m, left, right)
        })
        .collect();
    Analysis {
        frame: Frame { image, captured_at: Instant::now(), seq: 7 },
        output: LiveResult {
            landmarks: Some(landmarks),
            score: Some(FrameScore { pose: None, flags: Vec::new(), movements, regions: None }),
            calibrated: true,
            calibrating: None,
            closing_eyes: None,
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

/// Injected results update the rows, colour-coded with the weaker side, and warnings show; the
/// provisional smile and eye closure say so, the other movements do not.
#[test]
fn rows_update_from_results() {
    let mut harness = harness();
    harness.state_mut().show_analysis(injected());
    harness.run();
    let u = 0.007 * 1.5 / 0.10;
    harness.get_by_label(&format!("Smile: ratio 0.50 ± {u:.2}, weaker right (provisional)"));
    harness.get_by_label("Brow lift: not enough movement");
    harness.get_by_label("Eye closure: not enough movement (provisional)");
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

/// A neutral face too soft for skin motion and too smooth between the eyes is set, with both
/// warnings, which stay while it is the neutral and go with the next, detailed one.
#[test]
fn a_soft_neutral_face_is_said() {
    let mut harness = harness();
    harness.run();
    harness.get_by_label("Calibrate neutral").click();
    harness.run();
    harness.state_mut().send_event(LiveEvent::Calibrated {
        warnings: vec![SOFT_NEUTRAL_WARNING.to_string(), SMOOTH_BRIDGE_WARNING.to_string()],
    });
    harness.run();
    harness.get_by_label("Neutral face set.");
    harness.get_by_label_contains("little fine detail");
    harness.get_by_label_contains("tell the head's own movement from the face's");
    harness.get_by_label("Calibrate neutral").click();
    harness.run();
    harness.state_mut().send_event(LiveEvent::Calibrated { warnings: Vec::new() });
    harness.run();
    harness.get_by_label("Neutral face set.");
    assert!(harness.query_by_label_contains("little fine detail").is_none());
    assert!(harness.query_by_label_contains("the head's own movement").is_none());
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
    step_until(&mut harness, "the bad path said", |h| {
        h.query_by_label_contains("cannot open /nonexistent/clip.mp4").is_some()
    });
    harness.run();
    assert!(!harness.state().opening());
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
    step_until(&mut harness, "no camera said", |h| {
        h.query_by_label_contains("no camera found: choose the demo or open a video file instead")
            .is_some()
    });
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

/// The demo runs end to end through the app's own threads: pressing Start returns at once
/// (the models load on the capture thread, the status line following its steps), the mirror
/// shows the demo face, and after calibrating on its relaxed start every movement is scored.
#[test]
fn demo_runs_end_to_end() {
    let mut harness = harness();
    harness.run();
    harness.get_by_label("Demo").click();
    harness.run();
    harness.get_by_label("Start").click();
    harness.step();
    step_until(&mut harness, "the demo shown", |h| {
        h.query_by_label_contains("Showing demo").is_some()
            && h.query_by_label("mirror view of your face").is_some()
    });
    harness.get_by_label("Calibrate neutral").click();
    step_until(&mut harness, "the demo calibrated and scored", |h| {
        // The demo's first seconds are a relaxed face: the still-face calibration succeeds.
        if let Some(node) = h.query_by_label_contains("Not calibrated") {
            panic!("{node:?}");
        }
        h.query_by_label("Neutral face set.").is_some()
            && CORE_MOVEMENTS
                .iter()
                .all(|m| h.query_by_label(&format!("{}: waiting", m.name)).is_none())
    });
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

/// A repetition as the analysis would report it: the right side at `ratio` of the left.
fn repetition(movement: MovementId, ratio: f64) -> Repetition {
    Repetition {
        movement,
        onset_s: 1.0,
        peak_s: 1.6,
        end_s: 3.0,
        peak_left: 0.12,
        peak_right: 0.12 * ratio,
        ratio: Some(ratio),
        ratio_uncertainty: Some(0.005 * (1.0 + ratio) / 0.12),
        weaker: Some(Side::Right),
        time_to_peak_s: 0.6,
        hold_s: 1.1,
        mirror_disputed: None,
        synkinesis: None,
    }
}

/// A guided session driven by the analysis' events: a failed calibration is said and can be
/// retried; then each repetition is recorded as it arrives, the session moves on after the
/// set count, skip/repeat/stop work, and the history view shows what was recorded.
#[test]
fn guided_session_records_each_repetition() {
    let (mut harness, data) = harness_with_record("ui-guided");
    harness.get_by_label("Guided session").click();
    harness.run();
    harness.state_mut().guide_settings_mut().repetitions = 2;
    harness.get_by_label("Start guided session").click();
    harness.run();
    assert!(harness.state().calibration_pending());
    harness.get_by_label("Your neutral face");
    // Until a movement is on screen the analysis scores all six.
    assert_eq!(harness.state().live_control().shown(), None);
    harness.state_mut().send_event(LiveEvent::CalibrationFailed(
        "your face moved (smile): relax it and hold still".into(),
    ));
    harness.step();
    assert!(!harness.state().calibration_pending());
    harness.get_by_label_contains("Last try not kept: your face moved (smile)");
    assert_eq!(harness.state().recorded_session(), None, "nothing recorded before calibration");
    // It is tried again by itself shortly after (the person stays in front of the camera).
    for _ in 0..120 {
        harness.step();
    }
    assert!(harness.state().calibration_pending());
    harness.state_mut().send_event(LiveEvent::Calibrated { warnings: Vec::new() });
    harness.run();
    // Then the closed eyes, which eye closure is measured against: asked of the analysis;
    // not taken, said, and tried again; taken, the session begins.
    harness.get_by_label("Your closed eyes");
    assert!(harness.state().closing_eyes_pending());
    for _ in 0..120 {
        harness.step();
    }
    assert!(!harness.state().calibration_pending(), "the kept neutral is not retried");
    assert_eq!(harness.state().recorded_session(), None, "nothing recorded before the eyes");
    harness
        .state_mut()
        .send_event(LiveEvent::EyesClosedFailed("the eyes were not seen closed".into()));
    harness.run();
    harness.get_by_label("Not taken: the eyes were not seen closed.");
    harness.get_by_label("Try again").click();
    harness.run();
    assert!(harness.state().closing_eyes_pending());
    harness.state_mut().send_event(LiveEvent::EyesClosedCalibrated { closed: 0.7 });
    harness.run();
    harness.get_by_label("Movement 1 of 6: Brow lift");
    harness.get_by_label(CORE_MOVEMENTS[0].instruction);
    // The movement on screen is the one the analysis follows and scores.
    assert_eq!(harness.state().live_control().shown(), Some(MovementId::BrowLift));
    // The session is made in the record with its first repetition, not before.
    assert_eq!(harness.state().recorded_session(), None);
    assert!(!data.exists(), "no empty session");

    // Each repetition is in the record soon after it is reported, before the next.
    let with_synkinesis =
        Repetition { synkinesis: Some([0.02, 0.01]), ..repetition(MovementId::BrowLift, 0.5) };
    harness.state_mut().send_event(LiveEvent::Repetition(with_synkinesis));
    harness.run();
    wait_until_recorded(&mut harness);
    // What moved along with it: the brow lift's mouth-corner pull, each side.
    harness.get_by_label(
        "During it your left mouth corner pulled 0.020 IOD, your right 0.010 IOD (provisional)",
    );
    let session = harness.state().recorded_session().expect("recorded with its first repetition");
    let store = Store::open(&data).unwrap();
    let stored = store.repetitions(Some(session)).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].synkinesis_left, stored[0].synkinesis_right), (Some(0.02), Some(0.01)));
    // The record says eye closure is measured against the closed eyes, and how they read.
    assert_eq!(store.sessions().unwrap()[0].closed_eyes, Some(0.7));
    // The uncertainty of a 0.12-IOD peak against 0.005 IOD of noise: 0.005 · 1.5 / 0.12.
    harness.get_by_label("Last repetition: ratio 0.50 ± 0.06, weaker right");
    harness.state_mut().send_event(LiveEvent::Repetition(repetition(MovementId::BrowLift, 0.6)));
    harness.run();
    harness.get_by_label("Movement 2 of 6: Eye closure");
    harness.get_by_label("Skip").click();
    harness.run();
    harness.get_by_label("Movement 3 of 6: Nose wrinkle");
    assert_eq!(harness.state().live_control().shown(), Some(MovementId::NoseWrinkle));
    harness.state_mut().send_event(LiveEvent::Repetition(repetition(MovementId::NoseWrinkle, 0.9)));
    harness.run();
    harness.get_by_label("Repeat").click();
    harness.run();
    harness.get_by_label("Movement 3 of 6: Nose wrinkle");
    let steps = harness.state().guided_session().unwrap().steps().to_vec();
    assert_eq!((steps[0].done, steps[1].skipped, steps[2].done), (2, true, 0));
    harness.get_by_label("Stop").click();
    harness.run();
    harness.get_by_label("Session stopped");
    wait_until_recorded(&mut harness);

    let reps = store.repetitions(Some(session)).unwrap();
    let got: Vec<(&str, i64, Option<f64>)> =
        reps.iter().map(|r| (r.movement.as_str(), r.number, r.ratio)).collect();
    assert_eq!(
        got,
        [("brow_lift", 1, Some(0.5)), ("brow_lift", 2, Some(0.6)), ("nose_wrinkle", 1, Some(0.9))]
    );
    let sessions = store.sessions().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].source, "guided session (camera)");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(store.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    harness.get_by_label("Show history").click();
    harness.run();
    assert_eq!(harness.state().live_control().shown(), None, "nothing shown once stopped");
    // Medians with the median uncertainty (0.005 · (1 + ratio) / 0.12 a repetition).
    harness.get_by_label("Brow lift · latest 0.55 ± 0.06");
    harness.get_by_label("Nose wrinkle · latest 0.90 ± 0.08");
    harness.get_by_label("Smile (provisional) · no sessions yet");
    assert_eq!(harness.state_mut().history().len(), 1);
    // The same sessions' synkinesis: the median of the repetitions that read it, per side.
    harness.get_by_label("Synkinesis (provisional)").click();
    harness.run();
    harness.get_by_label("Brow lift · mouth corner pulled: left 0.020 IOD, right 0.010 IOD");
    harness.get_by_label("Smile · no sessions yet");
    harness.get_by_label("Nothing is read along with it: a nose wrinkle narrows healthy eyes too.");
}

/// Steps the app until every repetition handed to the record's writer is written.
fn wait_until_recorded(harness: &mut Harness<'static, LiveApp>) {
    let start = Instant::now();
    while harness.state().record_pending() > 0 {
        assert!(start.elapsed() < HANG_GUARD, "the record was never written");
        std::thread::sleep(Duration::from_millis(10));
        harness.step();
    }
}

/// The history view with no record says so, and does not create one just to look.
#[test]
fn empty_history_creates_nothing() {
    let (mut harness, data) = harness_with_record("ui-history-empty");
    harness.get_by_label("History").click();
    harness.run();
    harness.get_by_label_contains("No sessions recorded yet");
    assert!(!data.exists());
}

/// Frames per second the demo is analysed at in [`guided_session_counts_the_demo`]: every
/// other frame of the demo's 30, as a busy machine would keep.
const DEMO_ANALYSED_FPS: f64 = 15.0;

/// The guided session on the real analysis, frame by frame with egui's clock in step (no
/// threads, so nothing depends on the machine's speed): the demo (right side at half
/// strength), one repetition per movement: the still-face calibration succeeds on the demo's
/// relaxed start, the demo's first brow lift is counted, recorded, and its ratio is the demo's
/// known one; it was checked at its peak against the frame's mirror image, which agreed (a
/// warp of her own face: within 0.01 IOD).
#[test]
fn guided_session_counts_the_demo() {
    let data = common::scratch("ui-guided-demo");
    let _ = std::fs::remove_dir_all(&data);
    let mut harness = Harness::builder()
        .with_size([1180.0, 720.0])
        .with_step_dt((1.0 / DEMO_ANALYSED_FPS) as f32)
        .build_ui_state(|ui, app: &mut LiveApp| app.ui(ui), LiveApp::new(common::models()));
    harness.state_mut().set_data_dir(data.clone());
    let mut landmarker = common::landmarker();
    let mut demo = DemoSource::new(&mut landmarker).unwrap();
    let (events, received) = std::sync::mpsc::channel();
    let tracker = Tracker::with_landmarker(landmarker, TrackerOptions::default());
    let mut analyzer = LiveAnalyzer::new(tracker, harness.state().live_control(), events);
    harness.run();
    harness.get_by_label("Guided session").click();
    harness.run();
    // The cues are kept, not played (no sound from a test).
    let quiet = facesym::session::plan::Plan { sound_cues: false, ..Default::default() };
    harness.state_mut().save_plan(quiet).unwrap();
    harness.state_mut().guide_settings_mut().repetitions = 1;
    harness.get_by_label("Start guided session").click();
    harness.run();
    let start = Instant::now();
    // The demo's first round: 6 s at rest, then two brow lifts of 4 s each.
    let frames = (14.0 * DEMO_ANALYSED_FPS) as u64;
    for i in 0..frames {
        let mut image = None;
        for _ in 0..(30.0 / DEMO_ANALYSED_FPS) as usize {
            image = demo.next_frame().unwrap().map(|f| f.image);
        }
        let at = start + Duration::from_secs_f64(i as f64 / DEMO_ANALYSED_FPS);
        let frame = Frame { image: image.unwrap(), captured_at: at, seq: i };
        let output = analyzer.analyse(&frame);
        harness.state_mut().show_analysis(Analysis { frame, output, latency: Duration::ZERO });
        for event in received.try_iter() {
            harness.state_mut().send_event(event);
        }
        harness.step();
        assert!(harness.query_by_label_contains("Last try not kept").is_none());
        // The demo's eyes stay open: go on without the closed eyes.
        if harness.query_by_label("Your closed eyes").is_some() {
            harness.get_by_label("Go on without").click();
            harness.run();
        }
        if harness.query_by_label("Movement 2 of 6: Eye closure").is_some() {
            break;
        }
    }
    harness.get_by_label("Movement 2 of 6: Eye closure");
    // The timer turned to hold and back while the brow lift was made; its set's end is heard.
    use facesym::session::cues::Sound;
    let heard = harness.state().cues_heard().to_vec();
    assert!(heard.starts_with(&[Sound::Hold, Sound::Relax]), "{heard:?}");
    assert_eq!(heard.last(), Some(&Sound::SetDone), "{heard:?}");
    wait_until_recorded(&mut harness);
    assert_eq!(harness.state().recording_error(), None);
    let session = harness.state().recorded_session().unwrap();
    let reps = Store::open(&data).unwrap().repetitions(Some(session)).unwrap();
    let steps = harness.state().guided_session().unwrap().steps().to_vec();
    assert_eq!(reps.len(), 1, "{reps:?} {steps:?}");
    let rep = &reps[0];
    assert_eq!((rep.movement.as_str(), rep.weaker.as_deref()), ("brow_lift", Some("right")));
    let ratio = rep.ratio.unwrap();
    assert!((ratio - 0.5).abs() <= 0.1, "the demo's right side moves at half strength: {ratio}");
    assert_eq!(rep.mirror_disputed, Some(0.0), "{rep:?}");
}

/// The live closed-eye step on the real analysis, frame by frame: asked with the neutral, it
/// waits for it (Obama's portrait held still); then eyes shut for a blink's time do not count; shut for over a second
/// they calibrate eye closure (the event says how closed they read), after which one shut eye
/// reads as closed and the open one as the weaker; eyes that stay open end the wait with the
/// reason.
#[test]
fn live_closed_eyes_calibrate_eye_closure() {
    let dir = common::scratch("ui-closed-eyes");
    let read = |p: &std::path::Path| facesym::io::read_rgb(p).unwrap();
    let open = read(&face_image("obama.png"));
    let shut = read(&common::obama_with("obama_eyes_closed.png", &dir.join("shut.png")));
    let one = read(&common::obama_with("obama_left_eye_closed.png", &dir.join("one.png")));
    let (events, received) = std::sync::mpsc::channel();
    let control = std::sync::Arc::new(facesym::analysis::LiveControl::default());
    let tracker = Tracker::with_landmarker(common::landmarker(), TrackerOptions::default());
    let mut analyzer = LiveAnalyzer::new(tracker, control.clone(), events);
    let start = Instant::now();
    let mut t = 0.0;
    // Frames at `fps` for `seconds`; the results and the events they brought.
    let mut feed = |image: &image::RgbImage, seconds: f64, fps: f64| {
        let mut last = None;
        for _ in 0..(seconds * fps).round() as usize {
            let at = start + Duration::from_secs_f64(t);
            last = Some(analyzer.analyse(&Frame { image: image.clone(), captured_at: at, seq: 0 }));
            t += 1.0 / fps;
        }
        (last.unwrap(), received.try_iter().collect::<Vec<_>>())
    };
    // Asked together, the closed eyes wait for the neutral face.
    control.request_calibration();
    control.request_closed_eyes();
    let (_, told) = feed(&open, 3.0, 10.0);
    assert!(matches!(told[..], [LiveEvent::Calibrated { .. }]), "{told:?}");

    let (result, told) = feed(&shut, 0.3, 10.0);
    assert!(told.is_empty() && result.closing_eyes.is_some_and(|done| done < 1.0), "{told:?}");
    let (_, told) = feed(&open, 0.5, 10.0);
    assert!(told.is_empty(), "a blink's closure is not taken: {told:?}");
    let (_, told) = feed(&shut, 1.5, 10.0);
    let [LiveEvent::EyesClosedCalibrated { closed }] = told[..] else { panic!("{told:?}") };
    assert!((0.4..=1.0).contains(&closed), "{closed}");
    let (result, _) = feed(&one, 0.5, 10.0);
    let score = result.score.unwrap();
    let eyes = score.movements.iter().find(|m| m.movement == MovementId::EyeClosure).unwrap();
    assert!(eyes.left > 0.7 && eyes.left <= 1.0, "{eyes:?}");
    assert!(eyes.ratio.unwrap() <= 0.2 && eyes.weaker == Some(Side::Right), "{eyes:?}");

    control.request_closed_eyes();
    let (_, told) = feed(&open, 17.0, 1.0);
    assert!(
        matches!(&told[..], [LiveEvent::EyesClosedFailed(why)] if why.contains("not seen closed")),
        "{told:?}"
    );
}

/// A guided session whose record another program holds for 10 s: the window keeps going (no
/// frame waits on the disk), says it is waiting, and once the record is free every
/// repetition is in it exactly once, in order.
#[test]
fn a_locked_record_delays_repetitions_and_loses_none() {
    let (mut harness, data) = harness_with_record("ui-locked-record");
    // The record exists (an earlier session) and another program takes its write lock.
    drop(Store::open(&data).unwrap());
    let locker =
        rusqlite::Connection::open(data.join(facesym::session::store::DATABASE_FILE)).unwrap();
    locker.execute_batch("BEGIN IMMEDIATE;").unwrap();
    let locked_at = Instant::now();
    harness.get_by_label("Guided session").click();
    harness.run();
    harness.state_mut().guide_settings_mut().repetitions = 5;
    harness.get_by_label("Start guided session").click();
    harness.run();
    harness.state_mut().send_event(LiveEvent::Calibrated { warnings: Vec::new() });
    harness.run();
    harness.get_by_label("Go on without").click();
    harness.run();
    harness.get_by_label("Movement 1 of 6: Brow lift");
    let ratios = [0.5, 0.6, 0.7];
    for ratio in ratios {
        harness
            .state_mut()
            .send_event(LiveEvent::Repetition(repetition(MovementId::BrowLift, ratio)));
        harness.run();
    }
    let mut slowest = Duration::ZERO;
    let mut said_waiting = false;
    while locked_at.elapsed() < Duration::from_secs(10) {
        let step = Instant::now();
        harness.step();
        slowest = slowest.max(step.elapsed());
        said_waiting |=
            harness.query_by_label_contains("Waiting to record 3 repetition(s)").is_some();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(slowest < Duration::from_secs(1), "a frame took {slowest:?}");
    assert!(said_waiting, "the wait is said");
    assert_eq!(harness.state().record_pending(), 3, "nothing written while locked");
    locker.execute_batch("COMMIT;").unwrap();
    wait_until_recorded(&mut harness);
    assert_eq!(harness.state().recording_error(), None);
    let session = harness.state().recorded_session().unwrap();
    let reps = Store::open(&data).unwrap().repetitions(Some(session)).unwrap();
    let got: Vec<(i64, Option<f64>)> = reps.iter().map(|r| (r.number, r.ratio)).collect();
    assert_eq!(got, [(1, Some(0.5)), (2, Some(0.6)), (3, Some(0.7))]);
    harness.get_by_label_contains(&format!("Recorded as session {session}"));
}

/// The Rest check view: asks for a neutral face first; started, it asks the analysis to look
/// for events, shows those of its own check (not an older one's) as they come, with counts by
/// side and region; stopped, it waits for the last events, keeps the check in the record with
/// them, and the history lists it.
#[test]
fn rest_check_shows_and_keeps_its_events() {
    use facesym::session::events::{Event, EventKind};
    let (mut harness, data) = harness_with_record("ui-rest");
    harness.get_by_label("Rest check").click();
    harness.run();
    harness.get_by_label_contains("Set your neutral face first");
    assert!(harness.query_by_label("Start rest check").is_none());
    harness.state_mut().show_analysis(injected());
    harness.run();
    harness.get_by_label("2 min").click();
    harness.get_by_label("Start rest check").click();
    harness.run();
    assert!(harness.state().rest_check_running());
    let asked = harness.state().live_control().resting().expect("the analysis is asked");
    let event = |kind, region, side, start_s: f64| Event {
        kind,
        region,
        side,
        start_s,
        end_s: start_s + 0.2,
        peak_iod: (kind != EventKind::Blink).then_some(0.02),
        peak_left: (kind == EventKind::Blink).then_some(0.8),
        peak_right: (kind == EventKind::Blink).then_some(0.7),
    };
    let generation = asked.generation;
    for e in [
        event(EventKind::Twitch, "lower_lid", "left", 3.0),
        event(EventKind::Blink, "eye", "both", 4.0),
        event(EventKind::Spasm, "mouth_corner", "left", 6.0),
        event(EventKind::Twitch, "cheek", "right", 8.0),
    ] {
        harness.state_mut().send_event(LiveEvent::Involuntary { generation, event: e });
    }
    let old = event(EventKind::Twitch, "brow", "right", 1.0);
    harness
        .state_mut()
        .send_event(LiveEvent::Involuntary { generation: generation - 1, event: old });
    harness.run();
    harness.get_by_label_contains(
        "Left side: 2 twitches (1 sustained: a spasm): lower lid 1, mouth corner 1",
    );
    harness.get_by_label_contains("Right side: 1 twitch: cheek 1");
    harness.get_by_label_contains("Blinks: 1");
    assert_eq!(harness.state().rest_events().len(), 4);
    harness.get_by_label("Stop").click();
    harness.run();
    assert!(harness.state().live_control().resting().is_none(), "the analysis is told to end");
    assert!(harness.state().rest_check_running(), "its last events are waited for");
    harness.state_mut().send_event(LiveEvent::RestCheckEnded { generation });
    step_until(&mut harness, "the rest check is kept", |h| h.state().rest_check_saved().is_some());
    harness.run();
    harness.get_by_label("Kept in your record as rest check 1.");
    let store = Store::open(&data).unwrap();
    let checks = store.rest_checks().unwrap();
    assert_eq!((checks.len(), checks[0].twitches, checks[0].blinks), (1, 3, 1));
    harness.get_by_label("History").click();
    harness.run();
    harness.get_by_label("Rest checks");
    harness.get_by_label_contains("3 (");
    assert_eq!(harness.state_mut().rest_checks().len(), 1);

    // A guided session ends a rest check under way, and none starts while it lasts.
    harness.get_by_label("Rest check").click();
    harness.run();
    harness.get_by_label("Start rest check").click();
    harness.run();
    assert!(harness.state().live_control().resting().is_some());
    harness.state_mut().start_guided();
    harness.run();
    assert!(harness.state().live_control().resting().is_none(), "ended by the guided session");
    harness.get_by_label("Rest check").click();
    harness.run();
    harness.get_by_label_contains("A guided session is under way");
    let now = 1e6;
    harness.state_mut().start_rest_check(now);
    assert!(harness.state().live_control().resting().is_none());
}

/// Today: the sessions of the record against the plan and the streak; the plan edited and
/// saved into the record; the warm-up stepped through into a guided session that follows
/// the plan; a reminder shown and put off.
#[test]
fn today_keeps_the_plan_and_leads_into_the_session() {
    use facesym::session::plan::{ClockTime, Plan};
    let (mut harness, data) = harness_with_record("ui-today");
    // Tall enough for the plan's editor without scrolling.
    harness.set_size(eframe::egui::vec2(1180.0, 1000.0));
    {
        let store = Store::open(&data).unwrap();
        let now = facesym::session::calendar::now_unix();
        // Yesterday and the day before (a day's worth of seconds back is another local day,
        // whatever the clock's hour), and a demo session that does not count.
        for days in [1, 2] {
            store.start_session_at("guided session (camera)", now - days * 86_400).unwrap();
        }
        store.start_session_at("guided session (demo)", now).unwrap();
    }
    harness.get_by_label("Today").click();
    harness.run();
    harness.get_by_label_contains("Sessions: 0 of 2");
    harness.get_by_label_contains("2 days in a row up to yesterday: a session today keeps it");
    harness.get_by_label_contains("The guides' plan");

    harness.get_by_label("Edit the plan").click();
    harness.run();
    harness.get_by_label("Pucker").click();
    harness.run();
    harness.get_by_label("Save the plan").click();
    harness.run();
    harness.get_by_label_contains("Brow lift, Eye closure, Nose wrinkle, Smile, Cheek puff");
    let saved = Store::open_read_only(&data).unwrap().unwrap().plan().unwrap().expect("saved");
    assert!(!saved.movements.contains(&MovementId::Pucker));
    assert_eq!(saved.movements.len(), 5);
    assert!(harness.query_by_label_contains("The guides' plan").is_none());

    harness.get_by_label("Warm up, then exercise").click();
    harness.run();
    harness.get_by_label_contains("Warm compress (step 1 of 2)");
    harness.get_by_label_contains("damp cloth");
    harness.get_by_label("Next step").click();
    harness.run();
    harness.get_by_label_contains("Massage (step 2 of 2)");
    harness.get_by_label("Next step").click();
    harness.run();
    harness.get_by_label("Warm-up done");
    harness.get_by_label("Start the session").click();
    harness.run();
    let session = harness.state().guided_session().expect("started");
    let movements: Vec<MovementId> = session.steps().iter().map(|s| s.movement.id).collect();
    assert_eq!(movements, saved.movements);
    assert_eq!(session.settings().repetitions, saved.repetitions);
    harness.state_mut().stop_guided();

    // A reminder at midnight is due all day while no session is done today.
    let midnight = Plan { reminders: vec![ClockTime::new(0, 0).unwrap()], ..saved };
    harness.state_mut().save_plan(midnight).unwrap();
    harness.get_by_label("Mirror").click();
    harness.run();
    harness.get_by_label_contains("Reminder, 00:00: time for session 1 of 2 today.");
    harness.get_by_label("Not now").click();
    harness.run();
    assert!(harness.query_by_label_contains("Reminder, 00:00").is_none());
}

/// The plan's guided-only drills follow its measured movements: each timed, each hold
/// counted by the timer, skippable, with the set's and the session's cues.
#[test]
fn guided_only_drills_follow_the_measured_movements() {
    use facesym::session::cues::Sound;
    use facesym::session::plan::Plan;
    let (mut harness, _data) = harness_with_record("ui-drills");
    let plan = Plan {
        movements: vec![MovementId::Smile],
        drills: vec!["lip_hold".into(), "brow_furrow".into()],
        repetitions: 1,
        hold_s: 1.0,
        relax_s: 1.0,
        sound_cues: false,
        ..Plan::default()
    };
    harness.state_mut().save_plan(plan).unwrap();
    harness.get_by_label("Guided session").click();
    harness.run();
    harness.get_by_label_contains("Brow furrow (timed, not measured)");
    harness.get_by_label("Start guided session").click();
    harness.run();
    harness.state_mut().send_event(LiveEvent::Calibrated { warnings: Vec::new() });
    harness.run();
    harness.get_by_label("Movement 1 of 1: Smile");
    harness.get_by_label("Skip").click();
    harness.run();
    // In the catalogue's order: the brow furrow first.
    harness.get_by_label("Guided drill 1 of 2: Brow furrow");
    harness.get_by_label_contains("Not measured");
    // One relax and one hold (2 s of the UI's clock) count its one repetition.
    step_until(&mut harness, "the first drill's hold is counted", |h| {
        h.query_by_label("Guided drill 2 of 2: Hold between the lips").is_some()
    });
    harness.get_by_label("Skip").click();
    harness.run();
    harness.get_by_label("Session done");
    harness.get_by_label_contains("1 of 1 holds (not measured)");
    assert_eq!(harness.query_all_by_label("skipped").count(), 2, "the smile and the last drill");
    let heard = harness.state().cues_heard().to_vec();
    let sets = heard.iter().filter(|s| **s == Sound::SetDone).count();
    assert_eq!(sets, 2, "{heard:?}");
    // With one repetition each hold's end is its set's end: no relax cue.
    assert!(heard.contains(&Sound::Hold) && !heard.contains(&Sound::Relax), "{heard:?}");
    assert_eq!(heard.last(), Some(&Sound::SessionDone), "{heard:?}");
}
