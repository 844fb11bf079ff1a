//! Neutral faces too soft for skin motion are told apart from detailed ones, and the line
//! between them is where known movements stop being recovered; so are faces too smooth
//! between the eyes for the head's own motion to be followed.

use facesym::io::read_rgb;
use facesym::landmarks::{FaceLandmarker, Landmarks};
use facesym::symmetry::FaceFrame;
use facesym::symmetry::MovementId::{
    self, BrowLift, CheekPuff, EyeClosure, NoseWrinkle, Pucker, Smile,
};
use facesym::symmetry::flow::{
    MAX_NEUTRAL_YAW_DEG, MIN_DETAIL, NeutralImage, SMOOTH_BRIDGE_WARNING,
};
use facesym::symmetry::landmarks_map::{NASAL_BRIDGE, NASION};
use facesym::synthetic::validation::known_movements;
use image::RgbImage;
use image::imageops::blur;

use super::head_turn::{Calibration, calibrated_on, score_turned};
use super::smoothed_around;
use crate::common::{self, face_image};

/// The movements skin motion is validated on (known_movement.rs).
const VALIDATED: [MovementId; 5] = [BrowLift, Smile, CheekPuff, Pucker, NoseWrinkle];

/// Grace Hopper and Barack Obama as they are have enough detail; Grace Hopper blurred
/// (Gaussian, σ = 6 px, 0.07 IOD) does not, and on her blurred face the known one-sided
/// movements are indeed no longer all recovered within ±0.10 (or both sides moving fully no
/// longer reads 0.85, or the skin is not followed at all): the warning is about something
/// real. Blurred by σ = 4 px (detail 5.9·10⁻⁵, below `MIN_DETAIL` too) her known movements
/// are all still recovered: the line is cautious (docs/validation.md, "Faces with little
/// detail").
#[test]
fn a_soft_neutral_face_is_flagged_where_skin_motion_fails() {
    let mut landmarker = common::landmarker();
    let mut detail = |image: &image::RgbImage| {
        let face = landmarker.faces(image).unwrap().remove(0);
        NeutralImage::new(image, &FaceFrame::fit(&face.landmarks).unwrap())
    };
    for face in ["grace_hopper.png", "obama.png"] {
        let neutral = detail(&read_rgb(&face_image(face)).unwrap());
        assert!(neutral.has_enough_detail(), "{face}: {:e} < {MIN_DETAIL:e}", neutral.detail());
    }
    let soft = blur(&read_rgb(&face_image("grace_hopper.png")).unwrap(), 6.0);
    let neutral = detail(&soft);
    assert!(!neutral.has_enough_detail(), "blurred: {:e} ≥ {MIN_DETAIL:e}", neutral.detail());
    let results = known_movements(&mut landmarker, &soft, &[0.0, 0.25, 0.5, 0.75, 1.0]).unwrap();
    let recovered = |strength: f64, ratio: Option<f64>| match ratio {
        Some(ratio) if strength < 1.0 => (ratio - strength).abs() <= 0.10,
        Some(ratio) => ratio >= 0.85,
        None => false,
    };
    let failed = results
        .iter()
        .filter(|k| VALIDATED.contains(&k.movement))
        .any(|k| !recovered(k.strength, k.flow.ratio));
    assert!(failed, "every known movement was recovered on the blurred face");
}

/// Hopper's face with the skin between the eyes and down the nose smoothed: a copy of the
/// image blurred by 0.4 IOD within 0.2 IOD of the nasion and the nasal bridge, blended in over
/// 0.06 IOD.
fn smooth_bridge(image: &RgbImage, landmarks: &Landmarks) -> RgbImage {
    let points: Vec<usize> = std::iter::once(NASION).chain(NASAL_BRIDGE).collect();
    smoothed_around(image, landmarks, &points, 0.2, 0.4)
}

/// A neutral face too smooth between the eyes to follow the head's own motion (one of three
/// real people filmed, docs/validation.md) is told apart, and the warning is about something
/// real: Hopper and Obama as they are follow the head and warn of nothing; Hopper with that
/// skin smoothed keeps enough detail elsewhere but does not follow the head, and there a 6°
/// turn of the head, which the sharp face takes out (head_turn.rs; largest excursion 0.008
/// IOD), reads as movement (0.043).
#[test]
fn a_neutral_too_smooth_to_follow_the_head_is_said() {
    let mut landmarker = common::landmarker();
    // The largest skin-motion excursion of a face turned by 6° against its calibration.
    let largest_when_turned = |landmarker: &mut FaceLandmarker, calibration: &Calibration| {
        let (score, _) = score_turned(landmarker, calibration, 6.0, 0.0);
        assert!(score.flags.is_empty(), "{:?}", score.flags);
        score
            .movements
            .iter()
            .filter(|m| m.movement != EyeClosure)
            .map(|m| m.left.abs().max(m.right.abs()))
            .fold(0.0, f64::max)
    };
    let [sharp, obama] = ["grace_hopper.png", "obama.png"]
        .map(|face| calibrated_on(&mut landmarker, read_rgb(&face_image(face)).unwrap()));
    let sharp_largest = largest_when_turned(&mut landmarker, &sharp);
    largest_when_turned(&mut landmarker, &obama);
    for (face, skin) in [("grace_hopper.png", &sharp.3), ("obama.png", &obama.3)] {
        assert!(skin.follows_the_head() && skin.warnings().is_empty(), "{face}");
    }
    let smoothed = smooth_bridge(&sharp.0, &sharp.1);
    let smooth_calibration = calibrated_on(&mut landmarker, smoothed);
    let smooth_largest = largest_when_turned(&mut landmarker, &smooth_calibration);
    let smooth = &smooth_calibration.3;
    assert!(sharp.3.follows_the_head() && sharp_largest < 0.03, "{sharp_largest}");
    assert!(smooth.has_enough_detail(), "the rest of the face keeps its detail");
    assert!(!smooth.follows_the_head());
    assert_eq!(smooth.warnings(), vec![SMOOTH_BRIDGE_WARNING.to_string()]);
    assert!(smooth_largest > 0.03, "the turn reads as movement: {smooth_largest}");
}

/// A neutral face turned from the camera is said, and the warning is about something real:
/// Grace Hopper turned by 10° (the face frame reads 9.5°) is warned of, and there the known
/// one-sided movements are no longer all recovered within ±0.10: the cheek on the side
/// turned away (her left) reads weaker than it is, so her even cheek puff reads 0.88 with the
/// left weaker and her r = 0.75 one 0.85; as she is (1°) she is not warned, and they are
/// (known_movement.rs).
#[test]
fn a_neutral_turned_from_the_camera_is_said() {
    let mut landmarker = common::landmarker();
    let hopper = read_rgb(&face_image("grace_hopper.png")).unwrap();
    let landmarks = landmarker.faces(&hopper).unwrap().remove(0).landmarks;
    let turned = facesym::synthetic::deform::turn_head(&hopper, &landmarks, -10.0, 0.0);
    let found = landmarker.faces(&turned).unwrap().remove(0).landmarks;
    let frame = FaceFrame::fit(&found).unwrap();
    assert!(frame.pose.yaw_deg.abs() > MAX_NEUTRAL_YAW_DEG, "{:?}", frame.pose);
    let warnings = NeutralImage::new(&turned, &frame).warnings();
    assert!(
        warnings.iter().any(|w| w.starts_with("the face is turned 10° from the camera")),
        "{warnings:?}"
    );
    let results = known_movements(&mut landmarker, &turned, &[0.0, 0.25, 0.5, 0.75, 1.0]).unwrap();
    let missed: Vec<_> = results
        .iter()
        .filter(|k| VALIDATED.contains(&k.movement))
        .filter(|k| k.flow.ratio.is_none_or(|ratio| (ratio - k.strength).abs() > 0.10))
        .map(|k| (k.movement, k.strength, k.flow.ratio))
        .collect();
    assert!(!missed.is_empty(), "{missed:?}");
    let even_cheeks = results
        .iter()
        .find(|k| k.movement == CheekPuff && k.strength == 1.0)
        .map(|k| &k.flow)
        .unwrap();
    assert!(
        even_cheeks.ratio.is_some_and(|ratio| ratio < 0.90)
            && even_cheeks.weaker == Some(facesym::symmetry::Side::Left),
        "{even_cheeks:?}"
    );
}
