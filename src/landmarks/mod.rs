//! From an RGB frame to the faces in it, each with MediaPipe's 468 face-mesh landmarks.
//!
//! The path is MediaPipe's own `FaceLandmarkFrontCpu` graph, stage by stage:
//! [`Detector`] (BlazeFace short range, 128×128) finds faces, [`Roi`] turns a detection (or the
//! previous frame's landmarks, when tracking) into a rotated square crop, [`warp`] samples that
//! crop exactly as MediaPipe's OpenCV path does, and [`FaceMesh`] (192×192) returns the
//! landmarks, mapped back to image pixels.
//!
//! Coordinates: x and y are image pixels with the origin at the top-left corner and the centre
//! of pixel column `i` at `x = i` (OpenCV's convention, which MediaPipe's crops follow); z is on
//! the scale of x, smaller values nearer the camera.

mod detector;
mod error;
mod fast_ops;
mod iris;
mod isa;
mod mesh;
mod model;
mod roi;
mod tracker;
pub mod warp;

pub use detector::{DETECTOR_INPUT_SIZE, Detection, Detector, MIN_DETECTION_SCORE};
pub use error::LandmarkError;
pub use iris::{
    EYE_CONTOUR_POINTS, EYE_CORNERS, Eye, EyeModel, IRIS_INPUT_SIZE, IRIS_POINTS,
    LID_MARGIN_LANDMARKS,
};
pub use mesh::{FaceMesh, MESH_INPUT_SIZE, MIN_FACE_PRESENCE, NUM_LANDMARKS};
pub use model::{ModelFile, ModelPaths, Runtime, optimised};
pub use roi::Roi;
pub use tracker::{Tracker, TrackerOptions};

use image::RgbImage;

/// One landmark: x and y in image pixels, z on the scale of x.
pub type Point3 = [f32; 3];

/// The 468 face-mesh landmarks of one face, in image pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Landmarks(Vec<Point3>);

impl Landmarks {
    /// Wraps exactly [`NUM_LANDMARKS`] points; `None` for any other count.
    pub fn new(points: Vec<Point3>) -> Option<Self> {
        (points.len() == NUM_LANDMARKS).then_some(Self(points))
    }

    /// The points, in MediaPipe's index order.
    pub fn points(&self) -> &[Point3] {
        &self.0
    }

    /// Axis-aligned bounds of x and y: `[x0, y0, x1, y1]`.
    pub fn bounds(&self) -> [f32; 4] {
        self.0.iter().fold(
            [f32::INFINITY, f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY],
            |[x0, y0, x1, y1], p| [x0.min(p[0]), y0.min(p[1]), x1.max(p[0]), y1.max(p[1])],
        )
    }
}

impl std::ops::Index<usize> for Landmarks {
    type Output = Point3;
    fn index(&self, index: usize) -> &Point3 {
        &self.0[index]
    }
}

/// A face found in a frame.
#[derive(Clone, Debug)]
pub struct Face {
    /// The detection the crop came from; `None` when the crop came from the previous frame's
    /// landmarks (tracking).
    pub detection: Option<Detection>,
    /// The rotated square the face mesh saw.
    pub roi: Roi,
    /// The face mesh's face-presence probability (at least [`MIN_FACE_PRESENCE`]).
    pub presence: f32,
    /// The 468 landmarks in image pixels.
    pub landmarks: Landmarks,
}

impl Face {
    /// Confidence: the detector's score when this frame ran the detector, else face presence.
    pub fn score(&self) -> f32 {
        self.detection.as_ref().map_or(self.presence, |d| d.score)
    }

    /// `[x0, y0, x1, y1]`: the detection box, or the landmarks' bounds when tracked.
    pub fn bounding_box(&self) -> [f32; 4] {
        self.detection.as_ref().map_or_else(|| self.landmarks.bounds(), |d| d.bbox)
    }

    /// Area of the bounding box in square pixels (the live app follows the largest face).
    pub fn area(&self) -> f32 {
        let [x0, y0, x1, y1] = self.bounding_box();
        (x1 - x0).max(0.0) * (y1 - y0).max(0.0)
    }
}

/// The largest face (by bounding-box area): the one the app and the scorer follow when there
/// are several.
pub fn largest_face(faces: Vec<Face>) -> Option<Face> {
    faces.into_iter().max_by(|a, b| a.area().total_cmp(&b.area()))
}

/// Detector, face mesh and (unless [`FaceLandmarker::mesh_only`]) the iris model, for single
/// images: every frame runs the detector (MediaPipe's `static_image_mode`). With the iris
/// model, each face's lid margins are the iris model's ([`EyeModel::refine_lids`]), as
/// MediaPipe's `refine_landmarks` does with its own lid model; every other landmark is the
/// face mesh's. Clones share the loaded models; give each thread its own clone.
#[derive(Clone)]
pub struct FaceLandmarker {
    detector: Detector,
    mesh: FaceMesh,
    eyes: Option<EyeModel>,
}

impl FaceLandmarker {
    /// Loads the detector, the face mesh and the iris model.
    pub fn new(paths: &ModelPaths) -> Result<Self, LandmarkError> {
        let mut landmarker = Self::mesh_only(paths)?;
        landmarker.eyes = Some(EyeModel::new(&paths.iris)?);
        Ok(landmarker)
    }

    /// Loads the detector and the face mesh only: the landmarks are exactly the face mesh's,
    /// lids included (MediaPipe's FaceMesh with `refine_landmarks` off).
    pub fn mesh_only(paths: &ModelPaths) -> Result<Self, LandmarkError> {
        Ok(Self {
            detector: Detector::new(&paths.detector)?,
            mesh: FaceMesh::new(&paths.face_mesh)?,
            eyes: None,
        })
    }

    /// Every face in `image`, in decreasing detection score.
    pub fn faces(&mut self, image: &RgbImage) -> Result<Vec<Face>, LandmarkError> {
        let detections = self.detector.detect(image)?;
        let mut faces = Vec::with_capacity(detections.len());
        for detection in detections {
            let roi = Roi::from_detection(&detection);
            if let Some((landmarks, presence)) = self.mesh.landmarks(image, &roi)? {
                let landmarks = self.refine_lids(image, landmarks)?;
                faces.push(Face { detection: Some(detection), roi, presence, landmarks });
            }
        }
        Ok(faces)
    }

    /// `landmarks` with the iris model's lid margins, when it is loaded.
    pub fn refine_lids(
        &mut self,
        image: &RgbImage,
        landmarks: Landmarks,
    ) -> Result<Landmarks, LandmarkError> {
        match &mut self.eyes {
            Some(eyes) => eyes.refine_lids(image, &landmarks),
            None => Ok(landmarks),
        }
    }

    /// The detector alone.
    pub fn detector(&mut self) -> &mut Detector {
        &mut self.detector
    }

    /// The face mesh alone.
    pub fn mesh(&mut self) -> &mut FaceMesh {
        &mut self.mesh
    }
}
