//! Video: the next frame's crops come from this frame's landmarks, as in MediaPipe's tracking
//! mode; the detector runs only while fewer faces are tracked than wanted.

use image::RgbImage;

use super::{Detection, Face, FaceLandmarker, LandmarkError, ModelPaths, Roi};

/// A detection whose crop overlaps a tracked crop by more than this IoU is the same face
/// (MediaPipe's `AssociationNormRectCalculator` threshold).
const SAME_FACE_MIN_IOU: f32 = 0.5;

/// How the tracker behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrackerOptions {
    /// Faces to follow at most. While fewer are tracked the detector runs on every frame, as
    /// MediaPipe does; with the default of 1 it runs only until a face is found and again when
    /// it is lost.
    pub max_faces: usize,
}

impl Default for TrackerOptions {
    fn default() -> Self {
        Self { max_faces: 1 }
    }
}

/// Follows faces through a sequence of frames.
pub struct Tracker {
    landmarker: FaceLandmarker,
    options: TrackerOptions,
    tracked: Vec<Roi>,
    frames: u64,
    detector_runs: u64,
}

impl Tracker {
    /// Loads the models.
    pub fn new(paths: &ModelPaths, options: TrackerOptions) -> Result<Self, LandmarkError> {
        Ok(Self::with_landmarker(FaceLandmarker::new(paths)?, options))
    }

    /// Tracks with already loaded models.
    pub fn with_landmarker(landmarker: FaceLandmarker, options: TrackerOptions) -> Self {
        Self { landmarker, options, tracked: Vec::new(), frames: 0, detector_runs: 0 }
    }

    /// The faces in the next frame of the sequence.
    pub fn track(&mut self, image: &RgbImage) -> Result<Vec<Face>, LandmarkError> {
        self.frames += 1;
        // Detections first, then tracked crops, each replacing any earlier crop it overlaps:
        // a tracked face wins over its own fresh detection (MediaPipe's association order).
        let mut crops: Vec<(Roi, Option<Detection>)> = Vec::new();
        if self.tracked.len() < self.options.max_faces {
            self.detector_runs += 1;
            let detections = self.landmarker.detector().detect(image)?;
            for detection in detections.into_iter().take(self.options.max_faces) {
                associate(&mut crops, Roi::from_detection(&detection), Some(detection));
            }
        }
        for roi in std::mem::take(&mut self.tracked) {
            associate(&mut crops, roi, None);
        }
        let mut faces = Vec::with_capacity(crops.len());
        for (roi, detection) in crops {
            if let Some((landmarks, presence)) = self.landmarker.mesh().landmarks(image, &roi)? {
                // The next crop comes from the face mesh's own landmarks: tracking is the same
                // with or without the iris model.
                self.tracked.push(Roi::from_landmarks(&landmarks));
                let landmarks = self.landmarker.refine_lids(image, landmarks)?;
                faces.push(Face { detection, roi, presence, landmarks });
            }
        }
        Ok(faces)
    }

    /// Forgets tracked faces: the next frame runs the detector.
    pub fn reset(&mut self) {
        self.tracked.clear();
    }

    /// How it behaves.
    pub fn options(&self) -> TrackerOptions {
        self.options
    }

    /// Frames seen so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Frames on which the detector ran.
    pub fn detector_runs(&self) -> u64 {
        self.detector_runs
    }

    /// The models, for single-image use between frames.
    pub fn landmarker(&mut self) -> &mut FaceLandmarker {
        &mut self.landmarker
    }
}

/// Adds a crop to the list, dropping the crops already there that it overlaps.
fn associate(crops: &mut Vec<(Roi, Option<Detection>)>, roi: Roi, detection: Option<Detection>) {
    crops.retain(|(other, _)| other.iou(&roi) <= SAME_FACE_MIN_IOU);
    crops.push((roi, detection));
}
