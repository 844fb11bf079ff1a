//! Points skin motion cannot follow are left out of a movement's measure, on both sides
//! alike, instead of keeping the mesh's position: the mesh follows a tenth of a cheek puff,
//! so a side with half its points left where the mesh put them read half the movement.

use facesym::io::read_rgb;
use facesym::landmarks::FaceLandmarker;
use facesym::symmetry::MovementId::{self, CheekPuff, Pucker, Smile};
use facesym::symmetry::flow::NeutralImage;
use facesym::symmetry::landmarks_map::{
    BESIDE_MOUTH_CORNER_RIGHT, CHEEK_RIGHT, MOUTH_CORNER_RIGHT, Side, on_side,
};
use facesym::symmetry::movements::movement;
use facesym::symmetry::{FaceFrame, MovementScore, Neutral, ScoreStatus};
use facesym::synthetic::deform::{SYNTHETIC_MOVEMENTS, apply_movement};
use image::RgbImage;

use super::smoothed_around;
use crate::common::{self, face_image};

/// One movement warped onto `image` (left side fully, right with `strength`) and followed:
/// the neutral's landmarks (face coordinates) and what skin motion found.
fn warped_and_followed(
    landmarker: &mut FaceLandmarker,
    image: &RgbImage,
    id: MovementId,
    strength: f64,
) -> (Vec<[f64; 3]>, NeutralImage, facesym::symmetry::flow::Followed) {
    let landmarks = landmarker.faces(image).unwrap().remove(0).landmarks;
    let frame = FaceFrame::fit(&landmarks).unwrap();
    let neutral = Neutral::from_landmarks(&landmarks).unwrap();
    let skin = NeutralImage::new(image, &frame);
    let synthetic = SYNTHETIC_MOVEMENTS.iter().find(|(m, _)| *m == id).unwrap().1;
    let (warped, _) = apply_movement(image, &landmarks, &frame, &synthetic, 1.0, strength);
    let found = landmarker.faces(&warped).unwrap().remove(0).landmarks;
    let followed = skin.follow(&warped, &FaceFrame::fit(&found).unwrap());
    (neutral.landmarks, skin, followed)
}

/// Grace Hopper with the skin round two of her right cheek's four measured points smoothed
/// until they cannot be followed (five of seven other people's faces had such cheek points,
/// docs/validation.md): an even cheek puff (both sides fully) reads as even on the two
/// pairs of points followed on both sides (0.93), and a half-strength one as half (0.53); with
/// the two unfollowed points at the mesh's positions, as before, the even one reads 0.66, the
/// right side weaker.
#[test]
fn points_that_cannot_be_followed_are_left_out_on_both_sides() {
    let mut landmarker = common::landmarker();
    let image = read_rgb(&face_image("grace_hopper.png")).unwrap();
    let landmarks = landmarker.faces(&image).unwrap().remove(0).landmarks;
    let smooth = [CHEEK_RIGHT[2], CHEEK_RIGHT[3]];
    let smoothed = smoothed_around(&image, &landmarks, &smooth, 0.18, 1.0);
    let cheek_puff = movement(CheekPuff);
    let (neutral, skin, followed) = warped_and_followed(&mut landmarker, &smoothed, CheekPuff, 1.0);
    assert!(skin.unfollowable_movements().is_empty(), "two pairs of cheek points are left");
    for i in CHEEK_RIGHT {
        let [left, right] = Side::BOTH.map(|side| followed.followed[on_side(i, side)]);
        assert_eq!((left, right), (true, !smooth.contains(&i)), "cheek point {i}");
    }
    let masked = MovementScore::of_followed(cheek_puff, &neutral, &followed);
    let mixed = MovementScore::of(cheek_puff, &neutral, &followed.landmarks);
    assert_eq!(masked.status, ScoreStatus::Scored);
    assert!(masked.ratio.unwrap() >= 0.85, "{masked:?}");
    assert!(mixed.ratio.unwrap() < 0.75, "the mesh's positions no longer drag: {mixed:?}");
    // The right side puffed half as much reads half.
    let (neutral, _, followed) = warped_and_followed(&mut landmarker, &smoothed, CheekPuff, 0.5);
    let masked = MovementScore::of_followed(cheek_puff, &neutral, &followed);
    assert!((masked.ratio.unwrap() - 0.5).abs() <= 0.10, "{masked:?}");
}

/// With the skin round the right mouth corner smoothed (the corner and the skin beside it),
/// the smile and the pucker, which read only those, are not measured at all rather than read
/// from the mesh on one side, and the person is told so when the neutral face is set.
#[test]
fn a_movement_with_nothing_followed_is_not_measured() {
    let mut landmarker = common::landmarker();
    let image = read_rgb(&face_image("grace_hopper.png")).unwrap();
    let landmarks = landmarker.faces(&image).unwrap().remove(0).landmarks;
    let around = [MOUTH_CORNER_RIGHT, BESIDE_MOUTH_CORNER_RIGHT[0], BESIDE_MOUTH_CORNER_RIGHT[1]];
    let smoothed = smoothed_around(&image, &landmarks, &around, 0.18, 1.0);
    let (neutral, skin, followed) = warped_and_followed(&mut landmarker, &smoothed, Smile, 1.0);
    // Said at calibration already.
    assert_eq!(skin.unfollowable_movements(), ["Smile", "Pucker"]);
    assert!(skin.warnings().iter().any(|w| w.starts_with("Smile, Pucker cannot be measured")));
    assert!(!followed.followed[MOUTH_CORNER_RIGHT]);
    assert!(followed.followed[on_side(MOUTH_CORNER_RIGHT, Side::Left)]);
    for id in [Smile, Pucker] {
        let score = MovementScore::of_followed(movement(id), &neutral, &followed);
        assert_eq!(score.status, ScoreStatus::NotFollowed, "{id}: {score:?}");
        assert!(score.ratio.is_none() && score.left.is_nan() && score.right.is_nan(), "{id}");
    }
    // The cheek puff's points were followed on both sides and it is measured as before.
    let cheek = MovementScore::of_followed(movement(CheekPuff), &neutral, &followed);
    assert_ne!(cheek.status, ScoreStatus::NotFollowed);
}
