//! Known one-sided movements: real faces warped so that one side moves fully and the other
//! with strength r; the whole pipeline (model included) must recover r.

use facesym::io::read_rgb;
use facesym::symmetry::flow::NeutralImage;
use facesym::symmetry::score::score_frame_with_flow;
use facesym::symmetry::{FaceFrame, Neutral, score_frame};
use facesym::synthetic::deform::{SYNTHETIC_MOVEMENTS, apply_movement};

use crate::common::{self, face_image};

const FACES: [&str; 3] = ["grace_hopper.png", "astronaut.png", "obama.png"];
const STRENGTHS: [f64; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

#[test]
fn table() {
    let mut landmarker = common::landmarker();
    for face in FACES {
        let image = read_rgb(&face_image(face)).unwrap();
        let found = landmarker.faces(&image).unwrap();
        let landmarks = &found[0].landmarks;
        let frame = FaceFrame::fit(landmarks).unwrap();
        let neutral = Neutral::from_landmarks(landmarks).unwrap();
        let neutral_image = NeutralImage::new(&image, &frame);
        for (id, movement) in SYNTHETIC_MOVEMENTS {
            for r in STRENGTHS {
                // The subject's left is the healthy side, the right moves with strength r.
                let (warped, _) = apply_movement(&image, landmarks, &frame, &movement, 1.0, r);
                let faces = landmarker.faces(&warped).unwrap();
                let score = score_frame(&neutral, &faces[0].landmarks);
                let m = score.movements.iter().find(|m| m.movement == id).unwrap();
                let flow =
                    score_frame_with_flow(&neutral, &neutral_image, &warped, &faces[0].landmarks);
                let f = flow.movements.iter().find(|m| m.movement == id).unwrap();
                let round = |x: Option<f64>| x.map(|x| (x * 100.0).round() / 100.0);
                eprintln!(
                    "{face:18} {id:11} r={r:.2} mesh L {:.3} R {:.3} ratio {:?} | flow L {:.3} R {:.3} ratio {:?}",
                    m.left,
                    m.right,
                    round(m.ratio),
                    f.left,
                    f.right,
                    round(f.ratio)
                );
            }
        }
    }
}

#[test]
fn dump() {
    let mut landmarker = common::landmarker();
    let image = read_rgb(&face_image("grace_hopper.png")).unwrap();
    let found = landmarker.faces(&image).unwrap();
    let landmarks = &found[0].landmarks;
    let frame = FaceFrame::fit(landmarks).unwrap();
    for (id, movement) in SYNTHETIC_MOVEMENTS {
        let (warped, _) = apply_movement(&image, landmarks, &frame, &movement, 1.0, 0.0);
        warped.save(format!("/tmp/warp_{id}.png")).unwrap();
    }
}
