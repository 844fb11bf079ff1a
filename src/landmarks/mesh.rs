//! MediaPipe's 468-point face mesh: crop, inference, projection back to the image.

use super::model::ModelFile;

use image::RgbImage;

use super::model::{OnnxModel, floats, sigmoid};
use super::warp::{self, Border, ValueRange};
use super::{LandmarkError, Landmarks, Point3, Roi};

/// Side of the face mesh's square input, pixels.
pub const MESH_INPUT_SIZE: usize = 192;
/// Landmarks per face.
pub const NUM_LANDMARKS: usize = 468;
/// Faces whose presence probability is below this are dropped (MediaPipe's
/// `min_tracking_confidence` default; the same threshold ends tracking).
pub const MIN_FACE_PRESENCE: f32 = 0.5;

/// The face mesh with its input buffer.
#[derive(Clone)]
pub struct FaceMesh {
    model: OnnxModel,
    input: Vec<f32>,
}

impl FaceMesh {
    /// Loads the face-mesh model.
    pub fn new(file: &ModelFile) -> Result<Self, LandmarkError> {
        let model = OnnxModel::load("face mesh", file, MESH_INPUT_SIZE, &[NUM_LANDMARKS * 3, 1])?;
        Ok(Self { model, input: vec![0.0; 3 * MESH_INPUT_SIZE * MESH_INPUT_SIZE] })
    }

    /// The landmarks inside `roi` and the face-presence probability, or `None` when the model
    /// says there is no face there.
    pub fn landmarks(
        &mut self,
        image: &RgbImage,
        roi: &Roi,
    ) -> Result<Option<(Landmarks, f32)>, LandmarkError> {
        if !roi.is_usable() {
            return Ok(None);
        }
        self.crop(image, roi)?;
        self.infer(roi)
    }

    /// Cuts `roi` out of `image` into the input buffer (replicated border, values in [0, 1]).
    pub fn crop(&mut self, image: &RgbImage, roi: &Roi) -> Result<(), LandmarkError> {
        let (width, height) = image.dimensions();
        if width == 0 || height == 0 {
            return Err(LandmarkError::EmptyImage { width, height });
        }
        let Some(map) = roi.image_from_crop(MESH_INPUT_SIZE) else {
            self.input.fill(0.0);
            return Ok(());
        };
        warp::crop_to_planes(
            image,
            &map,
            MESH_INPUT_SIZE,
            Border::Replicate,
            ValueRange::new(0.0, 1.0),
            &mut self.input,
        );
        Ok(())
    }

    /// Runs the model on the prepared crop of `roi`.
    pub fn infer(&mut self, roi: &Roi) -> Result<Option<(Landmarks, f32)>, LandmarkError> {
        let outputs = self.model.run(&self.input)?;
        let raw = floats("face mesh", &outputs[0])?;
        let presence = sigmoid(floats("face mesh", &outputs[1])?[0]);
        if presence.is_nan() || presence < MIN_FACE_PRESENCE {
            return Ok(None);
        }
        let size = MESH_INPUT_SIZE as f32;
        let points: Vec<Point3> = raw
            .chunks_exact(3)
            .map(|p| {
                let [x, y] = roi.project(size, p[0], p[1]);
                [x, y, p[2] / size * roi.size_px]
            })
            .collect();
        if points.iter().flatten().any(|v| !v.is_finite()) {
            return Ok(None);
        }
        Ok(Landmarks::new(points).map(|l| (l, presence)))
    }
}
