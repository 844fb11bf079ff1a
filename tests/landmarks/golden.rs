//! Our landmark path against MediaPipe itself (tests/data/generate_reference.py).

use facesym::io::read_rgb;

use crate::common::{self, LANDMARK_TOLERANCE_PX, face_image, max_xy_error, max_z_error};

/// Detection boxes and keypoints within this many pixels of MediaPipe's FaceDetection.
const DETECTION_TOLERANCE_PX: f32 = 0.05;
/// Detection scores within this of MediaPipe's.
const SCORE_TOLERANCE: f32 = 1e-3;

/// All reference images: same number of faces as MediaPipe, every landmark within
/// [`LANDMARK_TOLERANCE_PX`], every detection within [`DETECTION_TOLERANCE_PX`].
#[test]
fn landmarks_match_mediapipe() {
    let mut landmarker = common::mesh_landmarker();
    let references = common::references();
    assert!(references.len() >= 10, "reference.json covers the fixture set");
    let mut worst = 0.0f32;
    for reference in &references {
        let image = read_rgb(&face_image(&reference.image)).unwrap();
        assert_eq!((image.width(), image.height()), (reference.width, reference.height));
        let faces = landmarker.faces(&image).unwrap();
        assert_eq!(faces.len(), reference.faces.len(), "{}: face count", reference.image);
        for expected in &reference.faces {
            let error = faces
                .iter()
                .map(|f| max_xy_error(f.landmarks.points(), &expected.landmarks))
                .fold(f32::INFINITY, f32::min);
            assert!(
                error <= LANDMARK_TOLERANCE_PX,
                "{}: landmarks off by {error} px",
                reference.image
            );
            worst = worst.max(error);
            let z_error = faces
                .iter()
                .map(|f| max_z_error(f.landmarks.points(), &expected.landmarks))
                .fold(f32::INFINITY, f32::min);
            assert!(z_error <= LANDMARK_TOLERANCE_PX, "{}: z off by {z_error}", reference.image);
        }
        assert_eq!(faces.len(), reference.detections.len(), "{}: detections", reference.image);
        for expected in &reference.detections {
            let found = faces
                .iter()
                .filter_map(|f| f.detection.as_ref())
                .find(|d| {
                    d.bbox
                        .iter()
                        .zip(expected.bbox)
                        .all(|(a, b)| (a - b).abs() <= DETECTION_TOLERANCE_PX)
                })
                .unwrap_or_else(|| {
                    panic!("{}: no detection at {:?}", reference.image, expected.bbox)
                });
            assert!((found.score - expected.score).abs() <= SCORE_TOLERANCE);
            for (k, e) in found.keypoints.iter().zip(&expected.keypoints) {
                assert!((k[0] - e[0]).abs() <= DETECTION_TOLERANCE_PX);
                assert!((k[1] - e[1]).abs() <= DETECTION_TOLERANCE_PX);
            }
        }
    }
    eprintln!("worst landmark error over {} images: {worst:.4} px", references.len());
}

/// The fixture set has what the golden test must cover: three different people, a smile, a
/// face rolled by 20° or more, two faces in one frame, a cut-off face, a tiny face.
#[test]
fn fixture_set_covers_the_required_cases() {
    let names: Vec<String> = common::references().into_iter().map(|r| r.image).collect();
    for needed in [
        "astronaut.png",
        "grace_hopper.png",
        "obama.png",
        "grace_hopper_roll25.png",
        "obama_roll-30.png",
        "two_faces.png",
        "partial_face.png",
        "tiny_face.png",
        "astronaut_gray.png",
    ] {
        assert!(names.iter().any(|n| n == needed), "{needed} missing from reference.json");
    }
    // The rolled faces really are rolled: the eye line of MediaPipe's landmarks (33 → 263).
    for (name, min_deg) in [("grace_hopper_roll25.png", 20.0), ("obama_roll-30.png", 20.0)] {
        let r = common::reference(name);
        let l = &r.faces[0].landmarks;
        let roll = (l[263][1] - l[33][1]).atan2(l[263][0] - l[33][0]).to_degrees();
        assert!(roll.abs() >= min_deg, "{name}: roll {roll}°");
    }
    let two = common::reference("two_faces.png");
    assert_eq!(two.faces.len(), 2);
    let partial = common::reference("partial_face.png");
    assert!(partial.faces[0].landmarks.iter().any(|p| p[0] < 0.0), "part of the face is outside");
    let tiny = common::reference("tiny_face.png");
    let xs = tiny.faces[0].landmarks.iter().map(|p| p[0]);
    let width = xs.clone().fold(f32::MIN, f32::max) - xs.fold(f32::MAX, f32::min);
    assert!(width < 70.0, "tiny face is {width} px wide");
}
