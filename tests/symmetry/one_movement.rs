//! A guided session shows one movement, and the live analysis then follows only that
//! movement's skin: it must read it exactly as following every point does.

use facesym::io::read_rgb;
use facesym::symmetry::MovementId::Smile;
use facesym::symmetry::flow::SkinTrack;
use facesym::symmetry::landmarks_map::on_side;
use facesym::symmetry::{FaceFrame, NeutralFace, ScoreStatus, Side, movements};
use facesym::synthetic::deform::{SYNTHETIC_MOVEMENTS, apply_movement};

use crate::common::{self, face_image};

/// Frame after frame of a smile that grows and fades (the right side at half the left's
/// strength), a track limited to the smile gives the smile alone (with eye closure, which the
/// mesh's lids read and which carries the smile's synkinesis), equal in every field to what
/// the track following all six movements gives for them.
#[test]
fn following_one_movement_reads_it_as_following_all() {
    let mut landmarker = common::landmarker();
    let image = read_rgb(&face_image("grace_hopper.png")).unwrap();
    let face = landmarker.faces(&image).unwrap().remove(0);
    let frame = FaceFrame::fit(&face.landmarks).unwrap();
    let neutral = NeutralFace::calibrate(&image, &face.landmarks).unwrap();
    let smile = SYNTHETIC_MOVEMENTS.iter().find(|(id, _)| *id == Smile).unwrap().1;
    let (mut all, mut one) = (SkinTrack::new(), SkinTrack::new());
    one.follow_only(Some(Smile));
    let mut scored = 0;
    for strength in [0.0, 0.4, 0.8, 1.0, 0.8, 0.4, 0.0] {
        let (warped, _) =
            apply_movement(&image, &face.landmarks, &frame, &smile, strength, 0.5 * strength);
        let landmarks = landmarker.faces(&warped).unwrap().remove(0).landmarks;
        let full = neutral.score_video(&warped, &landmarks, &mut all);
        let limited = neutral.score_video(&warped, &landmarks, &mut one);
        assert_eq!(full.movements.len(), 6);
        // The smile, and eye closure, which carries the smile's synkinesis (the eye narrowing).
        let kept = [Smile, facesym::symmetry::MovementId::EyeClosure];
        let expected: Vec<_> =
            full.movements.iter().filter(|m| kept.contains(&m.movement)).cloned().collect();
        assert_eq!(expected.len(), 2);
        assert_eq!(limited.movements, expected, "strength {strength}");
        let expected = expected.iter().find(|m| m.movement == Smile).unwrap();
        scored += usize::from(expected.status == ScoreStatus::Scored);
    }
    // The smile was measured, not only left unscored the same way on both tracks.
    assert!(scored >= 3, "{scored} frames scored");

    // And the other movements' skin was not followed at all: only the smile's points moved
    // off the mesh.
    let smile_points: Vec<usize> = movements::movement(Smile)
        .measure
        .points()
        .into_iter()
        .flat_map(|i| Side::BOTH.map(|side| on_side(i, side)))
        .collect();
    let current = FaceFrame::fit(&face.landmarks).unwrap();
    let followed = neutral.image.follow_video(&image, &current, &mut one).followed;
    let followed: Vec<usize> = (0..followed.len()).filter(|&i| followed[i]).collect();
    assert!(
        !followed.is_empty() && followed.iter().all(|i| smile_points.contains(i)),
        "{followed:?}"
    );
}
