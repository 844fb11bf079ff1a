//! A squeezed eye pulls the skin at its inner corner, and the inner eye corners are two of the
//! stable points the head's motion is measured on (symmetry/flow, `SQUEEZED_EYE_CLOSURE`).

use facesym::io::read_rgb;
use facesym::symmetry::FaceFrame;
use facesym::symmetry::MovementId::{CheekPuff, Smile};
use facesym::symmetry::flow::NeutralImage;
use facesym::symmetry::frame::Vec3;
use facesym::symmetry::landmarks_map::{EYELID_PAIRS_RIGHT, INNER_EYE_CORNER_RIGHT, Side, on_side};
use facesym::symmetry::movements::movement;
use facesym::synthetic::deform::{ControlGroup, SYNTHETIC_MOVEMENTS, SyntheticMovement, warp_face};
use image::RgbImage;

use crate::common::{self, face_image};

/// The skin at the subject's right inner eye corner pulled 0.04 IOD towards the nose and
/// 0.02 down, as the orbicularis of a squeezed eye pulls it.
const SQUEEZE: SyntheticMovement = SyntheticMovement {
    groups: &[ControlGroup {
        controls: &[INNER_EYE_CORNER_RIGHT],
        displacement_iod: [0.04, 0.02, 0.0],
        falloff_iod: 0.06,
    }],
};

/// Grace Hopper and Barack Obama with a one-sided smile and cheek puff (left fully, right at
/// half strength), then the same frame with the right inner eye corner's skin pulled as a
/// squeezed eye pulls it. Counted as stable skin, that pull moves the readings by 0.005–0.013
/// IOD (Obama's smile ratio 0.49 → 0.67); with the right eye's lids closed, the eye corners
/// and the nasion are left out of the head-motion fit, and each side reads within 0.0013 IOD
/// of the frame without the pull.
#[test]
fn a_squeezed_eye_does_not_move_the_other_scores() {
    let mut landmarker = common::landmarker();
    for face in ["grace_hopper.png", "obama.png"] {
        let image = read_rgb(&face_image(face)).expect("fixture");
        let landmarks = landmarker.faces(&image).expect("model runs").remove(0).landmarks;
        let frame = FaceFrame::fit(&landmarks).expect("frame");
        let skin = NeutralImage::new(&image, &frame);
        let warped = |moved: &[Vec3]| warp_face(&image, &landmarks, &frame, moved).0;
        for (id, synthetic) in
            SYNTHETIC_MOVEMENTS.iter().filter(|(id, _)| [Smile, CheekPuff].contains(id))
        {
            let measure = movement(*id).measure;
            let mut read = |image: &RgbImage, shut: bool| -> [f64; 2] {
                let found = landmarker.faces(image).expect("model runs").remove(0).landmarks;
                let mut current = FaceFrame::fit(&found).expect("frame");
                if shut {
                    // The right eye's upper lid on its lower lid: closed.
                    for (upper, lower) in EYELID_PAIRS_RIGHT {
                        let lower = current.landmarks[on_side(lower, Side::Right)];
                        current.landmarks[on_side(upper, Side::Right)] = lower;
                    }
                }
                let followed = skin.follow(image, &current).landmarks;
                Side::BOTH.map(|side| measure.excursion(side, &frame.landmarks, &followed))
            };
            let moved = synthetic.displaced(&frame.landmarks, 1.0, 0.5);
            let reference = read(&warped(&moved), false);
            let squeezed = warped(&SQUEEZE.displaced(&moved, 0.0, 1.0));
            let apart = |a: [f64; 2], b: [f64; 2]| (a[0] - b[0]).abs().max((a[1] - b[1]).abs());
            let counted = read(&squeezed, false);
            let left_out = read(&squeezed, true);
            assert!(
                apart(counted, reference) > 0.0035,
                "{face} {id}: the pull should matter when counted: {counted:?} vs {reference:?}"
            );
            assert!(
                apart(left_out, reference) < 0.0025,
                "{face} {id}: {left_out:?} vs {reference:?} (counted: {counted:?})"
            );
        }
    }
}
