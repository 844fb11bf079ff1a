//! Repetitions counted through the whole pipeline (tracker, face frame, skin motion,
//! counter) on generated recordings: a real face doing a movement N times with varied
//! strength, hold and pause, the other side at half strength, the head drifting and the
//! strength jittering.

use facesym::analysis::RecordingAnalyzer;
use facesym::io::read_rgb;
use facesym::landmarks::{Tracker, TrackerOptions};
use facesym::session::Repetition;
use facesym::symmetry::{FaceFrame, MovementId, Side};
use facesym::synthetic::exercise::{ExerciseRecording, varied_repetitions};

use crate::common::{self, face_image};

/// Runs the recording through the analyzer (neutral = its first, still frame).
fn analyse(recording: &ExerciseRecording) -> Vec<Repetition> {
    let tracker = Tracker::with_landmarker(common::landmarker(), TrackerOptions::default());
    let mut analyzer = RecordingAnalyzer::new(tracker, None);
    let mut reps = Vec::new();
    for index in 0..recording.len() {
        let t = index as f64 / recording.fps;
        let result = analyzer.push(t, &recording.frame(index)).expect("models run");
        reps.extend(result.repetitions);
    }
    reps.extend(analyzer.finish());
    reps
}

fn recording(movement: MovementId, n: usize) -> ExerciseRecording {
    let face = read_rgb(&face_image("grace_hopper.png")).unwrap();
    let landmarks = common::landmarker().faces(&face).unwrap().remove(0).landmarks;
    let frame = FaceFrame::fit(&landmarks).unwrap();
    ExerciseRecording::new(face, landmarks, frame, movement, varied_repetitions(n)).unwrap()
}

/// N ∈ {1, 5} brow lifts are counted exactly, each with the weaker side found and a ratio
/// near the half strength given; and no other movement is counted on the way. (Twelve are
/// counted by `facesym analyze` in `session::analyze`.)
#[test]
fn counts_brow_lifts_exactly() {
    for n in [1, 5] {
        let reps = analyse(&recording(MovementId::BrowLift, n));
        let brow: Vec<&Repetition> =
            reps.iter().filter(|r| r.movement == MovementId::BrowLift).collect();
        assert_eq!(brow.len(), n, "{n} brow lifts: {reps:#?}");
        for rep in &brow {
            assert_eq!(rep.weaker, Some(Side::Right), "{rep:?}");
            let ratio = rep.ratio.unwrap();
            // Measured 0.46–0.53 for the 0.5 given.
            assert!((ratio - 0.5).abs() <= 0.10, "ratio {ratio}");
        }
        let others: Vec<_> = reps.iter().filter(|r| r.movement != MovementId::BrowLift).collect();
        assert!(others.is_empty(), "{others:#?}");
    }
}

/// A still face with the head drifting (no movement at all) gives no repetition.
#[test]
fn no_repetitions_on_a_still_drifting_face() {
    let reps = analyse(&recording(MovementId::Smile, 0));
    assert!(reps.is_empty(), "{reps:#?}");
}

/// Synkinesis read per repetition, on smiles whose eye narrows on the same side (the lower
/// lid rising by 0.04 IOD at full strength over an eye that stays, `EYE_NARROWING`; the right
/// side at half strength), against the narrowing computed on the warped landmarks: on Obama's
/// portrait each side reads between 0.4 of it and 0.05 over it (measured: 0.60–0.72 of it on
/// the left, 0.53–0.94 on the right), the more narrowed side the more; without narrowing the eyes read within 0.1 of
/// none (Hopper's portrait). Through Hopper's glasses a narrowing is not read at all
/// (docs/validation.md, "Synkinesis"), which is why the measure is provisional.
#[test]
fn synkinesis_is_read_on_each_side() {
    use facesym::symmetry::movements::EYE_CLOSURE_MEASURE;
    use facesym::synthetic::twitch::EYE_NARROWING;
    for (face, k) in [("obama.png", 0.04), ("grace_hopper.png", 0.0)] {
        let image = read_rgb(&face_image(face)).unwrap();
        let landmarks = common::landmarker().faces(&image).unwrap().remove(0).landmarks;
        let frame = FaceFrame::fit(&landmarks).unwrap();
        let plan = varied_repetitions(3);
        let mut rec =
            ExerciseRecording::new(image, landmarks, frame.clone(), MovementId::Smile, plan)
                .unwrap();
        rec.synkinesis = Some((EYE_NARROWING, k));
        let reps = analyse(&rec);
        let smiles: Vec<&Repetition> =
            reps.iter().filter(|r| r.movement == MovementId::Smile).collect();
        assert_eq!(smiles.len(), 3, "{reps:#?}");
        for (rep, scheduled) in smiles.iter().zip(rec.schedule()) {
            let movement = rec.movement_of(&scheduled).unwrap();
            let moved = rec.displaced(movement, scheduled.spec.strength);
            let truth = Side::BOTH
                .map(|side| EYE_CLOSURE_MEASURE.excursion(side, &frame.landmarks, &moved));
            let read = rep.synkinesis.expect("read");
            if k == 0.0 {
                assert!(read.iter().all(|r| r.abs() <= 0.1), "{face}: {read:?}");
                continue;
            }
            for side in 0..2 {
                let (r, t) = (read[side], truth[side]);
                assert!(r >= 0.4 * t && r <= t + 0.05, "{face}: truth {truth:?}, read {read:?}");
            }
            assert!(read[0] > read[1], "{face}: truth {truth:?}, read {read:?}");
        }
    }
}
