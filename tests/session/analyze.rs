//! `facesym analyze` on generated recordings: repetitions counted and written, recorded as a
//! session that survives a kill, and bad recordings reported without losing what came before.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use facesym::io::read_rgb;
use facesym::session::Store;
use facesym::session::store::StoredRepetition;
use facesym::symmetry::FaceFrame;
use facesym::synthetic::exercise::{ExerciseRecording, varied_repetitions};

use crate::common::{self, face_image};

/// Repetitions in the generated recording.
const REPS: usize = 12;

/// A lossless video of Grace Hopper doing 12 brow lifts, right side at half strength, made
/// once for the tests here.
fn brow_lift_video() -> &'static Path {
    static VIDEO: OnceLock<PathBuf> = OnceLock::new();
    VIDEO.get_or_init(|| {
        let face = read_rgb(&face_image("grace_hopper.png")).unwrap();
        let landmarks = common::landmarker().faces(&face).unwrap().remove(0).landmarks;
        let frame = FaceFrame::fit(&landmarks).unwrap();
        let recording =
            ExerciseRecording::new(face, landmarks, frame, "brow_lift", varied_repetitions(REPS))
                .unwrap();
        let frames: Vec<_> = (0..recording.len()).map(|i| recording.frame(i)).collect();
        let path = common::scratch("analyze-video").join("brow_lifts.mkv");
        common::make_video(&frames, recording.fps as u32, &path);
        path
    })
}

fn facesym(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_facesym"));
    command.arg("--models").arg(common::models().detector.parent().unwrap()).args(args);
    command
}

fn run(command: &mut Command) -> (Output, String, String) {
    let out = command.output().expect("facesym runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

/// Every repetition is found and written; CSV and JSON hold every frame.
#[test]
fn analyze_counts_repetitions_and_writes_every_frame() {
    let video = brow_lift_video();
    let dir = common::scratch("analyze-outputs");
    let (csv, json) = (dir.join("frames.csv"), dir.join("frames.json"));
    let (out, stdout, stderr) = run(facesym(&["analyze"]).arg(video).arg("--out").arg(&csv));
    assert!(out.status.success(), "{stderr}");
    let brow = stdout.lines().find(|l| l.starts_with("brow_lift")).expect(&stdout);
    assert_eq!(brow.split_whitespace().nth(1), Some(REPS.to_string().as_str()), "{stdout}");
    assert!(brow.contains("right"), "{stdout}");
    for other in ["smile", "cheek_puff", "pucker", "nose_wrinkle", "eye_closure"] {
        let line = stdout.lines().find(|l| l.starts_with(other)).expect(&stdout);
        assert_eq!(line.split_whitespace().nth(1), Some("0"), "{stdout}");
    }
    let frames = stdout.split_whitespace().next().unwrap().parse::<usize>().unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), frames + 1, "header + one row per frame");
    assert!(text.starts_with("frame,t_s,flags,brow_lift_left,brow_lift_right,brow_lift_ratio"));

    let (out, _, stderr) = run(facesym(&["analyze"]).arg(video).arg("--out").arg(&json));
    assert!(out.status.success(), "{stderr}");
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(value["frames"].as_array().unwrap().len(), frames);
    let reps = value["repetitions"].as_array().unwrap();
    assert_eq!(reps.len(), REPS);
    assert!(reps.iter().all(|r| r["movement"] == "brow_lift" && r["weaker"] == "right"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&json).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "results are health data: private to the user");
    }
}

/// A session process killed mid-recording: every repetition completed before the kill is in
/// the record, numbered without gaps, and the database passes SQLite's integrity check.
#[test]
fn killed_mid_session_keeps_every_completed_repetition() {
    let video = brow_lift_video();
    let data = common::scratch("analyze-kill");
    let mut child = facesym(&["analyze", "--record", "--data"])
        .arg(&data)
        .arg(video)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("facesym starts");
    let deadline = Instant::now() + Duration::from_secs(300);
    let seen = loop {
        std::thread::sleep(Duration::from_millis(100));
        if let Ok(store) = Store::open(&data)
            && let Ok(reps) = store.repetitions(None)
            && reps.len() >= 3
        {
            break reps.len();
        }
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            panic!("facesym ended before the kill: {}", String::from_utf8_lossy(&out.stderr));
        }
        assert!(Instant::now() < deadline, "no repetitions recorded in 300 s");
    };
    child.kill().expect("killed");
    child.wait().unwrap();
    let store = Store::open(&data).expect("reopens after the kill");
    assert_eq!(store.integrity_check().unwrap(), Ok(()));
    let reps = store.repetitions(None).unwrap();
    assert!(reps.len() >= seen && reps.len() < REPS, "{} recorded, {seen} seen", reps.len());
    for (i, rep) in reps.iter().enumerate() {
        assert_eq!((rep.movement.as_str(), rep.number), ("brow_lift", i as i64 + 1));
        assert!(rep.ratio.is_some_and(|r| r > 0.0 && r < 1.0) && rep.end_s > rep.onset_s);
    }
    assert_eq!(store.sessions().unwrap().len(), 1);
    export_round_trips(&data, &reps);
}

/// What `sessions export` writes (JSON and CSV) equals what the store holds, field by field,
/// and `sessions list` shows the session with its count.
fn export_round_trips(data: &Path, stored: &[StoredRepetition]) {
    let (out, stdout, stderr) = run(facesym(&["sessions", "list", "--data"]).arg(data));
    assert!(out.status.success(), "{stderr}");
    let row = stdout.lines().nth(1).expect(&stdout);
    assert_eq!(row.split_whitespace().nth(3), Some(stored.len().to_string().as_str()), "{row}");

    let (out, json, stderr) =
        run(facesym(&["sessions", "export", "--format", "json", "--data"]).arg(data));
    assert!(out.status.success(), "{stderr}");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value, serde_json::to_value(stored).unwrap());

    let file = data.join("export.csv");
    let (out, _, stderr) = run(facesym(&["sessions", "export", "--session", "1", "--data"])
        .arg(data)
        .arg("--out")
        .arg(&file));
    assert!(out.status.success(), "{stderr}");
    let csv = std::fs::read_to_string(&file).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), stored.len());
    for (row, rep) in rows.iter().zip(stored) {
        let f = |i: usize| row[i].parse::<f64>().unwrap();
        assert_eq!((row[1], row[2].parse::<i64>().unwrap()), (rep.movement.as_str(), rep.number));
        assert_eq!(
            [f(3), f(4), f(5), f(6), f(7)],
            [rep.onset_s, rep.peak_s, rep.end_s, rep.peak_left, rep.peak_right]
        );
        assert_eq!(Some(f(8)), rep.ratio);
        assert_eq!(Some(row[9]), rep.weaker.as_deref());
        assert_eq!([f(10), f(11)], [rep.time_to_peak_s, rep.hold_s]);
    }

    let (out, _, stderr) =
        run(facesym(&["sessions", "export", "--session", "9", "--data"]).arg(data));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("there is no session 9"), "{stderr}");
}

/// With nothing recorded, `sessions list` says so instead of creating an empty record.
#[test]
fn no_sessions_yet_is_said_plainly() {
    let data = common::scratch("sessions-none").join("record");
    let (out, _, stderr) = run(facesym(&["sessions", "list", "--data"]).arg(&data));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("no sessions recorded yet"), "{stderr}");
    assert!(!data.exists());
}

/// A truncated video: the frames before the damage are analysed and written, the failing
/// frame is named, and the exit code says it failed.
#[test]
fn truncated_video_keeps_the_frames_before_the_damage() {
    let bytes = std::fs::read(brow_lift_video()).unwrap();
    let dir = common::scratch("analyze-truncated");
    let (truncated, csv) = (dir.join("truncated.mkv"), dir.join("frames.csv"));
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let (out, stdout, stderr) = run(facesym(&["analyze"]).arg(&truncated).arg("--out").arg(&csv));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("frame") && stderr.contains("analysed above"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let frames = stdout.split_whitespace().next().unwrap().parse::<usize>().unwrap();
    assert!(frames > 10, "{stdout}");
    assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count(), frames + 1);
}

/// A video with no face says so.
#[test]
fn video_without_a_face_says_so() {
    let dir = common::scratch("analyze-no-face");
    let video = dir.join("pattern.mkv");
    common::make_video(&common::pattern_frames(12, 160, 120), 10, &video);
    let (out, _, stderr) = run(facesym(&["analyze"]).arg(&video));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no face that can be measured in 12 frames"), "{stderr}");
}
