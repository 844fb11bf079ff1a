//! MediaPipe's BlazeFace short-range face detector: letterbox, SSD decoding, weighted NMS.

use super::model::ModelFile;

use image::RgbImage;

use super::model::{OnnxModel, floats, sigmoid};
use super::roi::iou;
use super::warp::{self, Border, ValueRange};
use super::{LandmarkError, Roi};

/// Side of the detector's square input, pixels.
pub const DETECTOR_INPUT_SIZE: usize = 128;
/// Anchors: 16·16·2 (stride 8) + 8·8·6 (three stride-16 layers of two anchors each).
const NUM_ANCHORS: usize = 896;
/// Values per anchor in `regressors`: box (x, y, w, h) then 6 keypoints (x, y).
const NUM_COORDS: usize = 16;
/// Face keypoints: eyes, nose tip, mouth centre, ear tragions.
pub const NUM_KEYPOINTS: usize = 6;
/// SSD layer strides; layers with equal strides share one feature map.
const ANCHOR_STRIDES: [usize; 4] = [8, 16, 16, 16];
/// Anchors per cell per layer (aspect ratio 1 plus the interpolated scale).
const ANCHORS_PER_LAYER: usize = 2;
/// Logits are clipped to ±this before the sigmoid (MediaPipe's `score_clipping_thresh`).
const SCORE_CLIP: f32 = 100.0;
/// Detections below this probability are dropped (MediaPipe's `min_detection_confidence`
/// default).
pub const MIN_DETECTION_SCORE: f32 = 0.5;
/// Boxes overlapping the best remaining one by more than this IoU are merged into it.
const NMS_MIN_IOU: f32 = 0.3;

/// One detected face, image pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    /// Probability that this is a face.
    pub score: f32,
    /// `[x0, y0, x1, y1]`.
    pub bbox: [f32; 4],
    /// Keypoints: the subject's right eye, left eye, nose tip, mouth centre, right and left ear
    /// tragion.
    pub keypoints: [[f32; 2]; NUM_KEYPOINTS],
}

/// The detector with its anchors and buffers.
#[derive(Clone)]
pub struct Detector {
    model: OnnxModel,
    anchors: Vec<[f32; 2]>,
    input: Vec<f32>,
    letterbox: Roi,
}

impl Detector {
    /// Loads the detector model.
    pub fn new(file: &ModelFile) -> Result<Self, LandmarkError> {
        let model = OnnxModel::load(
            "face detector",
            file,
            DETECTOR_INPUT_SIZE,
            &[NUM_ANCHORS * NUM_COORDS, NUM_ANCHORS],
        )?;
        Ok(Self {
            model,
            anchors: ssd_anchors(),
            input: vec![0.0; 3 * DETECTOR_INPUT_SIZE * DETECTOR_INPUT_SIZE],
            letterbox: Roi::letterbox(1, 1),
        })
    }

    /// Every face in `image`, in decreasing score.
    pub fn detect(&mut self, image: &RgbImage) -> Result<Vec<Detection>, LandmarkError> {
        self.preprocess(image)?;
        self.infer()
    }

    /// Letterboxes `image` into the input buffer (zero border, values in [-1, 1]).
    pub fn preprocess(&mut self, image: &RgbImage) -> Result<(), LandmarkError> {
        let (width, height) = image.dimensions();
        if width == 0 || height == 0 {
            return Err(LandmarkError::EmptyImage { width, height });
        }
        self.letterbox = Roi::letterbox(width, height);
        let map = self
            .letterbox
            .image_from_crop(DETECTOR_INPUT_SIZE)
            .ok_or(LandmarkError::EmptyImage { width, height })?;
        warp::crop_to_planes(
            image,
            &map,
            DETECTOR_INPUT_SIZE,
            Border::Zero,
            ValueRange::new(-1.0, 1.0),
            &mut self.input,
        );
        Ok(())
    }

    /// Runs the model on the prepared input and decodes its output.
    pub fn infer(&mut self) -> Result<Vec<Detection>, LandmarkError> {
        let outputs = self.model.run(&self.input)?;
        let boxes = floats("face detector", &outputs[0])?;
        let logits = floats("face detector", &outputs[1])?;
        let candidates = decode(boxes, logits, &self.anchors, &self.letterbox);
        Ok(weighted_nms(candidates))
    }
}

/// MediaPipe's `SsdAnchorsCalculator` for this model: fixed-size anchors centred on each cell.
fn ssd_anchors() -> Vec<[f32; 2]> {
    let mut anchors = Vec::with_capacity(NUM_ANCHORS);
    let mut layer = 0;
    while layer < ANCHOR_STRIDES.len() {
        let stride = ANCHOR_STRIDES[layer];
        let same = ANCHOR_STRIDES[layer..].iter().take_while(|&&s| s == stride).count();
        let cells = DETECTOR_INPUT_SIZE.div_ceil(stride);
        for y in 0..cells {
            for x in 0..cells {
                let centre = [(x as f32 + 0.5) / cells as f32, (y as f32 + 0.5) / cells as f32];
                anchors.extend(std::iter::repeat_n(centre, same * ANCHORS_PER_LAYER));
            }
        }
        layer += same;
    }
    anchors
}

/// Boxes and keypoints above [`MIN_DETECTION_SCORE`], mapped from the letterboxed input back
/// to image pixels (MediaPipe's `TensorsToDetectionsCalculator` + `DetectionProjection`).
fn decode(boxes: &[f32], logits: &[f32], anchors: &[[f32; 2]], letterbox: &Roi) -> Vec<Detection> {
    let scale = DETECTOR_INPUT_SIZE as f32;
    let to_image = |x: f32, y: f32| {
        let half = letterbox.size_px / 2.0;
        [
            x * letterbox.size_px + letterbox.center_px[0] - half,
            y * letterbox.size_px + letterbox.center_px[1] - half,
        ]
    };
    let mut out = Vec::new();
    for (i, (anchor, raw)) in anchors.iter().zip(boxes.chunks_exact(NUM_COORDS)).enumerate() {
        let score = sigmoid(logits[i].clamp(-SCORE_CLIP, SCORE_CLIP));
        if score < MIN_DETECTION_SCORE {
            continue;
        }
        let cx = raw[0] / scale + anchor[0];
        let cy = raw[1] / scale + anchor[1];
        let w = raw[2] / scale;
        let h = raw[3] / scale;
        // Negative or NaN sizes are model noise; MediaPipe drops them too.
        if !(w >= 0.0 && h >= 0.0) {
            continue;
        }
        let [x0, y0] = to_image(cx - w / 2.0, cy - h / 2.0);
        let [x1, y1] = to_image(cx + w / 2.0, cy + h / 2.0);
        let keypoints = std::array::from_fn(|k| {
            let kx = raw[4 + 2 * k] / scale + anchor[0];
            let ky = raw[5 + 2 * k] / scale + anchor[1];
            to_image(kx, ky)
        });
        out.push(Detection { score, bbox: [x0, y0, x1, y1], keypoints });
    }
    out
}

/// MediaPipe's weighted non-maximum suppression: each kept detection is the score-weighted
/// mean of the boxes and keypoints it absorbed, with the best one's score.
fn weighted_nms(mut candidates: Vec<Detection>) -> Vec<Detection> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept = Vec::new();
    while let Some(best) = candidates.first().cloned() {
        let (absorbed, rest): (Vec<_>, Vec<_>) =
            candidates.into_iter().partition(|c| iou(c.bbox, best.bbox) > NMS_MIN_IOU);
        if absorbed.is_empty() {
            // A degenerate (zero-area) best box overlaps nothing, not even itself: MediaPipe
            // keeps it as it is and stops.
            kept.push(best);
            break;
        }
        let total: f32 = absorbed.iter().map(|c| c.score).sum();
        let mut merged =
            Detection { score: best.score, bbox: [0.0; 4], keypoints: [[0.0; 2]; NUM_KEYPOINTS] };
        for c in &absorbed {
            for (m, v) in merged.bbox.iter_mut().zip(c.bbox) {
                *m += v * c.score;
            }
            for (m, v) in merged.keypoints.iter_mut().zip(c.keypoints) {
                m[0] += v[0] * c.score;
                m[1] += v[1] * c.score;
            }
        }
        if total > 0.0 {
            merged.bbox = merged.bbox.map(|v| v / total);
            merged.keypoints = merged.keypoints.map(|p| p.map(|v| v / total));
        } else {
            merged = best;
        }
        kept.push(merged);
        candidates = rest;
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_layout() {
        let anchors = ssd_anchors();
        assert_eq!(anchors.len(), NUM_ANCHORS);
        assert_eq!(anchors[0], [0.5 / 16.0, 0.5 / 16.0]);
        assert_eq!(anchors[1], anchors[0]);
        assert_eq!(anchors[2], [1.5 / 16.0, 0.5 / 16.0]);
        // First stride-16 cell: six anchors at (0.5/8, 0.5/8).
        assert_eq!(&anchors[512..518], &[[0.5 / 8.0, 0.5 / 8.0]; 6]);
        assert_eq!(anchors[895], [7.5 / 8.0, 7.5 / 8.0]);
    }

    fn det(score: f32, x0: f32) -> Detection {
        Detection { score, bbox: [x0, 0.0, x0 + 10.0, 10.0], keypoints: [[x0, 5.0]; NUM_KEYPOINTS] }
    }

    /// Overlapping boxes merge into their score-weighted mean; a distant one stays apart.
    #[test]
    fn weighted_nms_merges_overlaps() {
        let out = weighted_nms(vec![det(0.6, 2.0), det(0.9, 0.0), det(0.7, 100.0)]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].score, 0.9);
        let expected_x0 = (0.9 * 0.0 + 0.6 * 2.0) / 1.5;
        assert!((out[0].bbox[0] - expected_x0).abs() < 1e-6);
        assert!((out[0].keypoints[0][0] - expected_x0).abs() < 1e-6);
        assert_eq!(out[1], det(0.7, 100.0));
    }

    /// A box exactly at an anchor with zero offsets decodes to the anchor, mapped through the
    /// letterbox of a wide image (the image sits in the middle rows of the square).
    #[test]
    fn decode_maps_through_letterbox() {
        let anchors = ssd_anchors();
        let mut boxes = vec![0.0; NUM_ANCHORS * NUM_COORDS];
        let mut logits = vec![-10.0; NUM_ANCHORS];
        boxes[2] = 12.8; // w = 0.1
        boxes[3] = 12.8;
        logits[0] = 3.0;
        let letterbox = Roi::letterbox(200, 100);
        let dets = decode(&boxes, &logits, &anchors, &letterbox);
        assert_eq!(dets.len(), 1);
        let d = &dets[0];
        assert!((d.score - sigmoid(3.0)).abs() < 1e-7);
        // Anchor (1/32, 1/32) of a 200-px square whose top is at y = -50.
        let cx = 200.0 / 32.0;
        let cy = 200.0 / 32.0 - 50.0;
        assert!((d.bbox[0] - (cx - 10.0)).abs() < 1e-4 && (d.bbox[3] - (cy + 10.0)).abs() < 1e-4);
        assert!((d.keypoints[0][0] - cx).abs() < 1e-4);
    }
}
