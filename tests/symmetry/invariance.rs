//! Invariance: a person calibrates once, then moves nearer or farther, rolls the head or moves
//! in the picture; the same movement must score the same.

use facesym::io::read_rgb;
use facesym::landmarks::warp::{Affine, Border, warp_rgb};
use facesym::symmetry::flow::NeutralImage;
use facesym::symmetry::score::score_frame_with_flow;
use facesym::symmetry::{FaceFrame, FrameFlag, FrameScore, MovementId, MovementScore, Neutral};
use facesym::synthetic::deform::{SYNTHETIC_MOVEMENTS, apply_movement};
use image::RgbImage;
use image::imageops::{FilterType, resize};

use crate::common::{self, face_image};

/// Largest change of a side's excursion (IOD) under the views below. The issue asks 0.02 of
/// every score; excursions moved by at most 0.005 IOD against the same calibration and 0.008
/// calibrated in the view when this was written (ratios, which divide one small excursion by
/// another, by up to 0.07 and 0.10: docs/validation.md), and by up to 0.012 once each track
/// also fits the skin's gain and bias (docs/validation.md, "Real footage").
const EXCURSION_TOLERANCE_IOD: f64 = 0.015;

/// The views of [`view`]: (scale, roll in degrees, shift in pixels).
const VIEWS: [(f64, f64, [f64; 2]); 7] = [
    (0.75, 0.0, [0.0, 0.0]),
    (1.5, 0.0, [0.0, 0.0]),
    (2.0, 0.0, [0.0, 0.0]),
    (1.0, 20.0, [0.0, 0.0]),
    (1.0, -20.0, [0.0, 0.0]),
    (1.0, 0.0, [40.0, -30.0]),
    (0.75, -15.0, [-25.0, 35.0]),
];

/// A camera view of `image`: scaled by `scale` (resampled with a triangle filter, as a
/// camera nearer or farther sees it), rolled by `roll_deg` about its centre and moved by
/// `shift` pixels, on a square canvas large enough to hold it.
fn view(image: &RgbImage, scale: f64, roll_deg: f64, shift: [f64; 2]) -> RgbImage {
    let (w, h) = image.dimensions();
    let (sw, sh) = ((f64::from(w) * scale).round() as u32, (f64::from(h) * scale).round() as u32);
    let scaled = resize(image, sw, sh, FilterType::Triangle);
    let side = f64::from(sw).hypot(f64::from(sh)).ceil() + 2.0 * shift[0].abs().max(shift[1].abs());
    let (c, s) = (roll_deg.to_radians().cos(), roll_deg.to_radians().sin());
    // The scaled image's centre lands at the canvas centre plus `shift`, rotated about it:
    // source = R(−roll)·(destination − d) + centre.
    let (cx, cy) = (f64::from(sw) / 2.0, f64::from(sh) / 2.0);
    let (dx, dy) = (side / 2.0 + shift[0], side / 2.0 + shift[1]);
    let source_from_dst = Affine([c, s, cx - c * dx - s * dy, -s, c, cy + s * dx - c * dy]);
    warp_rgb(&scaled, &source_from_dst, side as u32, side as u32, Border::Zero)
}

/// Grace Hopper and Barack Obama calibrated on their untransformed neutral faces; each
/// synthetic movement (left side fully, right at half strength; not the eye closure, which
/// no lid model reads from a warp) scored on the warped frame, then on that frame seen at
/// 0.75–2×, rolled ±20° and moved, two ways: against the same calibration (the person moved
/// after calibrating), and against a calibration on the neutral seen the same way (the person
/// calibrated at that distance, as each session does). Every side's excursion stays within
/// 0.015 IOD and the weaker side stays the same. At 0.4× both faces fall below the 45-px
/// minimum and are flagged, not scored.
#[test]
fn scores_do_not_depend_on_scale_roll_or_position() {
    let mut landmarker = common::landmarker();
    for face in ["grace_hopper.png", "obama.png"] {
        let image = read_rgb(&face_image(face)).unwrap();
        let mut calibrate = |image: &RgbImage| {
            let found = landmarker.faces(image).unwrap().remove(0);
            let frame = FaceFrame::fit(&found.landmarks).unwrap();
            let neutral = Neutral::from_landmarks(&found.landmarks).unwrap();
            (found.landmarks, frame.clone(), neutral, NeutralImage::new(image, &frame))
        };
        let (landmarks, frame, neutral, skin) = calibrate(&image);
        // Each view's own calibration, for the second way.
        let recalibrated: Vec<_> = VIEWS
            .iter()
            .map(|&(scale, roll, shift)| calibrate(&view(&image, scale, roll, shift)))
            .collect();
        let mut score = |frame: &RgbImage, neutral: &Neutral, skin: &NeutralImage| {
            let f = landmarker.faces(frame).unwrap().remove(0);
            score_frame_with_flow(neutral, skin, frame, &f.landmarks)
        };
        for (id, movement) in
            SYNTHETIC_MOVEMENTS.iter().filter(|(id, _)| *id != MovementId::EyeClosure)
        {
            let (warped, _) = apply_movement(&image, &landmarks, &frame, movement, 1.0, 0.5);
            let find = |s: &FrameScore| -> MovementScore {
                assert!(s.flags.is_empty(), "{face} {id}: {:?}", s.flags);
                s.movements.iter().find(|m| m.movement == *id).unwrap().clone()
            };
            let base = find(&score(&warped, &neutral, &skin));
            for ((scale, roll, shift), (_, _, own_neutral, own_skin)) in
                VIEWS.iter().zip(&recalibrated)
            {
                let seen = view(&warped, *scale, *roll, *shift);
                let ways = [
                    ("same calibration", &neutral, &skin),
                    ("calibrated there", own_neutral, own_skin),
                ];
                for (way, neutral, skin) in ways {
                    let seen = find(&score(&seen, neutral, skin));
                    let what = format!("{face} {id} at {scale}×, {roll}°, {shift:?}, {way}");
                    let change = (seen.left - base.left).abs().max((seen.right - base.right).abs());
                    assert!(change <= EXCURSION_TOLERANCE_IOD, "{what}: {base:?} → {seen:?}");
                    assert_eq!(seen.weaker, base.weaker, "{what}: {base:?} → {seen:?}");
                    // The two readings' ratios agree within their stated uncertainties.
                    let (a, b) = (base.ratio.unwrap(), seen.ratio.unwrap());
                    let within = base.ratio_uncertainty.unwrap() + seen.ratio_uncertainty.unwrap();
                    assert!((a - b).abs() <= within, "{what}: {base:?} → {seen:?}");
                }
            }
            let small = score(&view(&warped, 0.4, 0.0, [0.0, 0.0]), &neutral, &skin);
            assert!(
                matches!(small.flags[..], [FrameFlag::FaceTooSmall { .. }]),
                "{face} {id} at 0.4×: {:?}",
                small.flags
            );
        }
    }
}
