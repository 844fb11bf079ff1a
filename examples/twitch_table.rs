//! Twitch detection on generated rest recordings of any faces: for each picture, a recording
//! of `--seconds` with one-sided twitches of the lower lid and the mouth corner
//! (`varied_events`: 0.02–0.08 IOD, 0.1–0.8 s, every 2.5 s, blinks between) and a still one of
//! `--still` seconds (sway and jitter alone), both at 30 fps, analysed as `facesym analyze
//! --rest` does. Prints one row per face: twitches found on their side with start and end
//! within 0.1 s (all, and those of 0.03 IOD or more), the largest timing error, events called
//! where there was no twitch, and events in the still recording; with `--list`, every twitch.
//!
//! `cargo run --release --example twitch_table -- [--seconds 60] [--still 120] [--list] FACE...`

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use facesym::analysis::{RecordingAnalyzer, RecordingSummary};
use facesym::io::read_rgb;
use facesym::landmarks::{FaceLandmarker, ModelPaths, Tracker, TrackerOptions, largest_face};
use facesym::session::events::Event;
use facesym::symmetry::FaceFrame;
use facesym::synthetic::twitch::{Involuntary, RestRecording, match_events, varied_events};
use rayon::prelude::*;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut seconds, mut still, mut list, mut faces) = (60.0, 120.0, false, Vec::new());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => seconds = args.next().context("--seconds N")?.parse()?,
            "--still" => still = args.next().context("--still N")?.parse()?,
            "--list" => list = true,
            _ => faces.push(PathBuf::from(arg)),
        }
    }
    if faces.is_empty() {
        bail!("usage: twitch_table [--seconds 60] [--still 120] [--list] FACE...");
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let models = ModelPaths::in_dir(&root.join("models"));
    println!(
        "| face | IOD (px) | twitches right | of 0.03 IOD or more | largest timing error (s) | \
         false events | events in {still:.0} s still |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for path in &faces {
        let mut landmarker = FaceLandmarker::new(&models)?;
        let image = read_rgb(path)?;
        let name = path.file_name().unwrap_or_default().to_string_lossy().to_string();
        let Some(face) = largest_face(landmarker.faces(&image)?) else {
            println!("| {name} | – | not measured: no face found | | | | |");
            continue;
        };
        let frame = FaceFrame::fit(&face.landmarks).map_err(|f| anyhow::anyhow!("{f}"))?;
        let iod = frame.px_per_iod;
        if let Err(why) = facesym::symmetry::Neutral::from_landmarks(&face.landmarks) {
            println!("| {name} | {iod:.0} | not measured: {why} | | | | |");
            continue;
        }
        let events = varied_events(seconds);
        let moving = RestRecording::new(
            image.clone(),
            face.landmarks.clone(),
            frame.clone(),
            seconds,
            events.clone(),
        );
        let (found, not_scored) = analyse(&landmarker, &moving)?;
        let (twitches, false_events) = match_events(&events, &found);
        let (still_events, _) = analyse(
            &landmarker,
            &RestRecording::new(image, face.landmarks, frame, still, Vec::new()),
        )?;
        let right = |min: f64| {
            let of: Vec<_> = twitches
                .iter()
                .filter(|f| matches!(f.twitch, Involuntary::Twitch { size_iod, .. } if size_iod >= min - 1e-9))
                .collect();
            format!("{} of {}", of.iter().filter(|f| f.is_right(0.1)).count(), of.len())
        };
        let timing = twitches
            .iter()
            .filter_map(|f| {
                let e = f.event.as_ref()?;
                let (start, end) = f.twitch.span();
                Some((e.start_s - start).abs().max((e.end_s - end).abs()))
            })
            .fold(0.0, f64::max);
        println!(
            "| {name} | {iod:.0} | {} | {} | {timing:.2} | {} | {} |",
            right(0.0),
            right(0.03),
            false_events.len(),
            still_events
                .iter()
                .filter(|e| e.kind != facesym::session::events::EventKind::Blink)
                .count()
        );
        if !not_scored.is_empty() {
            println!("  {not_scored}");
        }
        if list {
            for f in &twitches {
                println!("  {:?} -> {:?}", f.twitch, f.event);
            }
            for e in false_events.iter().chain(&still_events) {
                println!("  not a twitch: {e:?}");
            }
        }
    }
    Ok(())
}

/// The events `facesym analyze --rest` finds in `recording` (frames made 16 at a time), and
/// what its summary says of frames not scored.
fn analyse(landmarker: &FaceLandmarker, recording: &RestRecording) -> Result<(Vec<Event>, String)> {
    let tracker = Tracker::with_landmarker(landmarker.clone(), TrackerOptions::default());
    let mut analyzer = RecordingAnalyzer::new(tracker, None);
    analyzer.rest_only();
    let mut summary = RecordingSummary::new(recording.fps);
    let mut start = 0;
    while start < recording.len() {
        let end = (start + 16).min(recording.len());
        let frames: Vec<_> = (start..end).into_par_iter().map(|i| recording.frame(i)).collect();
        let batch: Vec<_> = frames
            .iter()
            .enumerate()
            .map(|(k, f)| ((start + k) as f64 / recording.fps, f))
            .collect();
        for result in analyzer.push_batch(&batch)? {
            summary.add_frame(&result);
        }
        start = end;
    }
    summary.finish();
    let text = summary.to_string();
    let not_scored =
        text.lines().filter(|l| l.contains("not scored")).collect::<Vec<_>>().join("; ");
    Ok((summary.events, not_scored))
}
