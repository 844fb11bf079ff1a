//! MediaPipe's iris landmark model on each eye: 71 eye-contour points (lid margins, the rings
//! around them, the brow above) and 5 iris points from a 64² crop of the eye. Its lid margins
//! follow a closing lid more closely than the face mesh's, which keeps the lids where they
//! usually are (docs/validation.md, "Eye closure on real blinks").

use super::model::ModelFile;

use image::RgbImage;

use super::model::{OnnxModel, floats};
use super::warp::{self, Border, ValueRange};
use super::{LandmarkError, Landmarks, Roi};

/// Side of the iris model's square input, pixels.
pub const IRIS_INPUT_SIZE: usize = 64;
/// Eye-contour points per eye.
pub const EYE_CONTOUR_POINTS: usize = 71;
/// Iris points per eye (centre, then four on its edge).
pub const IRIS_POINTS: usize = 5;

/// The face-mesh corners that place each eye's crop, (from, to) along the eye's axis
/// (MediaPipe's `IrisLandmarkLeftAndRightFromFaceLandmarks`): the subject's right eye outer →
/// inner corner, then the left eye inner → outer. The second eye is mirrored before the model
/// (it was trained on one eye only) and its points mirrored back.
pub const EYE_CORNERS: [(usize, usize); 2] = [(33, 133), (362, 263)];

/// The mesh landmarks the first 16 contour points stand for, per eye in [`EYE_CORNERS`]
/// order (MediaPipe's `UpdateFaceLandmarksCalculator`): the lower lid margin from the outer to
/// the inner corner, then the upper lid margin without the corners.
pub const LID_MARGIN_LANDMARKS: [[usize; 16]; 2] = [
    [33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173],
    [263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398],
];

/// The eye's crop is this many times the corners' span (MediaPipe's `IrisLandmarkLandmarksToRoi`).
const EYE_ROI_SCALE: f32 = 2.3;

/// One eye as the iris model sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Eye {
    /// The rotated square the model saw.
    pub roi: Roi,
    /// The 71 eye-contour points, image pixels (x, y).
    pub contour: Vec<[f32; 2]>,
    /// The 5 iris points, image pixels (x, y).
    pub iris: Vec<[f32; 2]>,
}

/// The iris landmark model, one run state and input buffer per eye so that both eyes run at
/// once. Clones share the loaded model.
#[derive(Clone)]
pub struct EyeModel {
    runners: [EyeRunner; 2],
}

#[derive(Clone)]
struct EyeRunner {
    model: OnnxModel,
    input: Vec<f32>,
}

impl EyeModel {
    /// Loads the iris model.
    pub fn new(file: &ModelFile) -> Result<Self, LandmarkError> {
        let outputs = [EYE_CONTOUR_POINTS * 3, IRIS_POINTS * 3];
        let model = OnnxModel::load("iris", file, IRIS_INPUT_SIZE, &outputs)?;
        let runner = EyeRunner { model, input: vec![0.0; 3 * IRIS_INPUT_SIZE * IRIS_INPUT_SIZE] };
        Ok(Self { runners: [runner.clone(), runner] })
    }

    /// Both eyes of a face, in [`EYE_CORNERS`] order, run in parallel; `None` for an eye whose
    /// corners give no usable crop.
    pub fn eyes(
        &mut self,
        image: &RgbImage,
        landmarks: &Landmarks,
    ) -> Result<[Option<Eye>; 2], LandmarkError> {
        let roi = |(from, to): (usize, usize)| {
            let (p, q) = (landmarks[from], landmarks[to]);
            Roi::around_axis([p[0], p[1]], [q[0], q[1]], EYE_ROI_SCALE)
        };
        let [right, left] = &mut self.runners;
        let (right, left) = rayon::join(
            || right.eye(image, &roi(EYE_CORNERS[0]), false),
            || left.eye(image, &roi(EYE_CORNERS[1]), true),
        );
        Ok([right?, left?])
    }

    /// `landmarks` with each eye's lid margins ([`LID_MARGIN_LANDMARKS`] but the two corners)
    /// moved, in x and y, to where the iris model puts them; an eye the model could not see
    /// keeps the mesh's. The corners stay the mesh's: the face frame is fitted on the inner
    /// corners (`symmetry::frame::TEMPLATE`), and the lids' closure does not read them.
    pub fn refine_lids(
        &mut self,
        image: &RgbImage,
        landmarks: &Landmarks,
    ) -> Result<Landmarks, LandmarkError> {
        let mut refined = landmarks.clone();
        for ((eye, indices), corners) in
            self.eyes(image, landmarks)?.iter().zip(LID_MARGIN_LANDMARKS).zip(EYE_CORNERS)
        {
            let Some(eye) = eye else { continue };
            for (&index, p) in indices.iter().zip(&eye.contour) {
                if index != corners.0 && index != corners.1 {
                    refined.0[index][0] = p[0];
                    refined.0[index][1] = p[1];
                }
            }
        }
        Ok(refined)
    }

    /// One eye inside `roi`, mirrored left–right before the model when `mirrored`.
    pub fn eye(
        &mut self,
        image: &RgbImage,
        roi: &Roi,
        mirrored: bool,
    ) -> Result<Option<Eye>, LandmarkError> {
        self.runners[0].eye(image, roi, mirrored)
    }
}

impl EyeRunner {
    fn eye(
        &mut self,
        image: &RgbImage,
        roi: &Roi,
        mirrored: bool,
    ) -> Result<Option<Eye>, LandmarkError> {
        let (width, height) = image.dimensions();
        if width == 0 || height == 0 {
            return Err(LandmarkError::EmptyImage { width, height });
        }
        let Some(map) = roi.image_from_crop(IRIS_INPUT_SIZE).filter(|_| roi.is_usable()) else {
            return Ok(None);
        };
        let range = ValueRange::new(0.0, 1.0);
        let size = IRIS_INPUT_SIZE;
        warp::crop_to_planes(image, &map, size, Border::Replicate, range, &mut self.input);
        if mirrored {
            for row in self.input.chunks_exact_mut(size) {
                row.reverse();
            }
        }
        let outputs = self.model.run(&self.input)?;
        let project = |raw: &[f32]| -> Vec<[f32; 2]> {
            raw.chunks_exact(3)
                .map(|p| {
                    let x = if mirrored { size as f32 - p[0] } else { p[0] };
                    roi.project(size as f32, x, p[1])
                })
                .collect()
        };
        let contour = project(floats("iris", &outputs[0])?);
        let iris = project(floats("iris", &outputs[1])?);
        if contour.iter().chain(&iris).flatten().any(|v| !v.is_finite()) {
            return Ok(None);
        }
        Ok(Some(Eye { roi: *roi, contour, iris }))
    }
}
