//! Missing and corrupt model files: clear errors naming the file.

use facesym::landmarks::{FaceLandmarker, LandmarkError, ModelPaths};

use crate::common::{models_dir, scratch};

#[test]
fn missing_model_names_the_path() {
    let dir = scratch("missing_model");
    let Err(err) = FaceLandmarker::new(&ModelPaths::in_dir(&dir)) else { panic!("loaded nothing") };
    assert!(matches!(err, LandmarkError::ModelMissing { .. }));
    let text = err.to_string();
    assert!(
        text.contains("face_detection_short_range.onnx") && text.contains(&*dir.to_string_lossy()),
        "{text}"
    );
}

/// The detector and the face mesh are there, the iris model is not: the error names it.
#[test]
fn missing_iris_model_names_the_path() {
    let dir = scratch("missing_iris_model");
    let good = models_dir();
    std::fs::copy(
        good.join("face_detection_short_range.onnx"),
        dir.join("face_detection_short_range.onnx"),
    )
    .unwrap();
    std::fs::copy(good.join("face_landmark.onnx"), dir.join("face_landmark.onnx")).unwrap();
    let Err(err) = FaceLandmarker::new(&ModelPaths::in_dir(&dir)) else {
        panic!("loaded without the iris model")
    };
    assert!(matches!(err, LandmarkError::ModelMissing { .. }), "{err}");
    assert!(err.to_string().contains("iris_landmark.onnx"), "{err}");
    assert!(FaceLandmarker::mesh_only(&ModelPaths::in_dir(&dir)).is_ok());
}

#[test]
fn corrupt_model_names_the_path() {
    let dir = scratch("corrupt_model");
    let good = models_dir();
    std::fs::copy(
        good.join("face_detection_short_range.onnx"),
        dir.join("face_detection_short_range.onnx"),
    )
    .unwrap();
    let bytes = std::fs::read(good.join("face_landmark.onnx")).unwrap();
    std::fs::write(dir.join("face_landmark.onnx"), &bytes[..bytes.len() / 2]).unwrap();
    let Err(err) = FaceLandmarker::new(&ModelPaths::in_dir(&dir)) else {
        panic!("loaded half a model")
    };
    assert!(matches!(err, LandmarkError::ModelInvalid { .. }), "{err}");
    assert!(err.to_string().contains("face_landmark.onnx"), "{err}");
}

/// The face mesh where the detector should be: caught by the output check.
#[test]
fn wrong_model_is_rejected() {
    let dir = scratch("wrong_model");
    let good = models_dir();
    std::fs::copy(good.join("face_landmark.onnx"), dir.join("face_detection_short_range.onnx"))
        .unwrap();
    std::fs::copy(good.join("face_landmark.onnx"), dir.join("face_landmark.onnx")).unwrap();
    let Err(err) = FaceLandmarker::new(&ModelPaths::in_dir(&dir)) else {
        panic!("accepted the wrong model")
    };
    assert!(matches!(err, LandmarkError::ModelInvalid { .. }), "{err}");
}
