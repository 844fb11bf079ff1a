//! Twitches and spasms at rest through the whole pipeline (tracker, face frame, skin motion,
//! regions, detector, summary) on a generated recording: Obama's portrait still but for its
//! sway and jitter, with one-sided twitches of the lower lid and the mouth corner of known
//! size, length and timing, and blinks between them.

use facesym::analysis::{RecordingAnalyzer, RecordingSummary};
use facesym::io::read_rgb;
use facesym::landmarks::{Tracker, TrackerOptions};
use facesym::session::events::EventKind;
use facesym::symmetry::FaceFrame;
use facesym::synthetic::twitch::{Involuntary, RestRecording, match_events, varied_events};

use crate::common::{self, face_image};

/// Ten twitches (0.02–0.04 IOD, 0.1–0.8 s, lower lid and mouth corner, both sides) and two
/// blinks in 27.5 s at 30 fps: every twitch is found in its region, on its side, with its
/// start and end within 0.1 s and its kind by its length (0.8 s a spasm, 0.1–0.3 s a twitch);
/// nothing else is called (not the
/// blinks, not the still side, not the upper lid that moves with the lower); the summary
/// counts them by side and region.
#[test]
fn twitches_are_found_on_their_side_and_nothing_else() {
    let face = read_rgb(&face_image("obama.png")).unwrap();
    let landmarks = common::landmarker().faces(&face).unwrap().remove(0).landmarks;
    let frame = FaceFrame::fit(&landmarks).unwrap();
    let events = varied_events(27.5);
    let twitches = events.iter().filter(|e| matches!(e, Involuntary::Twitch { .. })).count();
    assert_eq!((twitches, events.len()), (10, 12));
    let recording = RestRecording::new(face, landmarks, frame, 27.5, events.clone());

    let tracker = Tracker::with_landmarker(common::landmarker(), TrackerOptions::default());
    let mut analyzer = RecordingAnalyzer::new(tracker, None);
    analyzer.rest_only();
    let mut summary = RecordingSummary::new(recording.fps);
    for index in 0..recording.len() {
        let t = index as f64 / recording.fps;
        let result = analyzer.push(t, &recording.frame(index)).expect("models run");
        assert!(result.repetitions.is_empty() && result.at_rest);
        summary.add_frame(&result);
    }
    summary.finish();

    let (found, false_events) = match_events(&events, &summary.events);
    for f in &found {
        assert!(f.is_right(0.1), "{f:?}");
        let Involuntary::Twitch { size_iod, duration_s, .. } = f.twitch else { unreachable!() };
        let event = f.event.as_ref().unwrap();
        // Its kind by its length (one of exactly MIN_SPASM_S may be read a frame short).
        if duration_s != 0.5 {
            let kind = if duration_s > 0.5 { EventKind::Spasm } else { EventKind::Twitch };
            assert_eq!(event.kind, kind, "{f:?}");
        }
        // The skin read moves by 0.5–0.8 of the twitch's size (the lid's skin by 0.7 of the
        // margin's, the corner's neighbours less than the corner).
        let peak = event.peak_iod.unwrap();
        assert!((0.4 * size_iod..=size_iod).contains(&peak), "{f:?}");
    }
    assert!(false_events.is_empty(), "{false_events:?}");
    let text = summary.to_string();
    assert!(
        text.contains("twitches and spasms at rest: 10 ") && text.contains("left 6, right 4"),
        "{text}"
    );
}
