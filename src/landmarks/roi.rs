//! The rotated square the face mesh sees, from a detection or from the previous landmarks.

use std::f32::consts::PI;

use super::warp::SourceMap;
use super::{Detection, Landmarks};

/// Detector keypoints whose direction levels the crop (MediaPipe's "left eye" → "right eye").
const DETECTION_ROTATION_KEYPOINTS: (usize, usize) = (0, 1);
/// Mesh landmarks whose direction levels the crop when tracking: the outer eye corners.
const LANDMARK_ROTATION_POINTS: (usize, usize) = (33, 263);
/// The crop is this many times the face box (MediaPipe's `RectTransformationCalculator`).
const ROI_SCALE: f32 = 1.5;

/// A square region of the image, rotated by `rotation_rad` (clockwise on screen, y down).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Roi {
    /// Centre, image pixels.
    pub center_px: [f32; 2],
    /// Side length, image pixels.
    pub size_px: f32,
    /// Rotation in radians in `[-π, π)`.
    pub rotation_rad: f32,
}

impl Roi {
    /// MediaPipe's `FaceDetectionFrontDetectionToRoi`: the detection box, turned so the eyes
    /// are level, made square on its long side and scaled 1.5×.
    pub fn from_detection(detection: &Detection) -> Self {
        let (a, b) = DETECTION_ROTATION_KEYPOINTS;
        Self::from_box_and_axis(
            detection.bbox,
            detection.keypoints[a],
            detection.keypoints[b],
            ROI_SCALE,
        )
    }

    /// MediaPipe's `FaceLandmarkLandmarksToRoi`: the landmarks' bounds, turned so the outer eye
    /// corners are level, made square and scaled 1.5×.
    pub fn from_landmarks(landmarks: &Landmarks) -> Self {
        let (a, b) = LANDMARK_ROTATION_POINTS;
        let (p, q) = (landmarks[a], landmarks[b]);
        Self::from_box_and_axis(landmarks.bounds(), [p[0], p[1]], [q[0], q[1]], ROI_SCALE)
    }

    /// Whether the region has a finite centre, rotation and a positive size.
    pub fn is_usable(&self) -> bool {
        self.size_px > 0.0
            && self.size_px.is_finite()
            && self.center_px.iter().all(|c| c.is_finite())
            && self.rotation_rad.is_finite()
    }

    /// The whole image, letterboxed into a square (the detector's input).
    pub fn letterbox(width: u32, height: u32) -> Self {
        let (w, h) = (width as f32, height as f32);
        Self { center_px: [w / 2.0, h / 2.0], size_px: w.max(h), rotation_rad: 0.0 }
    }

    /// MediaPipe's `IrisLandmarkLandmarksToRoi`: the bounds of two points, turned so the axis
    /// from `from` to `to` is level, made square on the long side and scaled by `scale`.
    pub fn around_axis(from: [f32; 2], to: [f32; 2], scale: f32) -> Self {
        let bbox = [from[0].min(to[0]), from[1].min(to[1]), from[0].max(to[0]), from[1].max(to[1])];
        Self::from_box_and_axis(bbox, from, to, scale)
    }

    fn from_box_and_axis(bbox: [f32; 4], from: [f32; 2], to: [f32; 2], scale: f32) -> Self {
        let [x0, y0, x1, y1] = bbox;
        let rotation_rad = normalize_radians(-(-(to[1] - from[1])).atan2(to[0] - from[0]));
        let long_side = (x1 - x0).max(y1 - y0);
        Self {
            center_px: [x0 + (x1 - x0) / 2.0, y0 + (y1 - y0) / 2.0],
            size_px: long_side * scale,
            rotation_rad,
        }
    }

    /// The map from crop pixels to image positions for a `crop_size`×`crop_size` crop, as
    /// MediaPipe's CPU path builds it: crop pixel `(0, 0)` lands on the top-left corner itself
    /// and `(crop_size, crop_size)` on the bottom-right one. `None` for an empty region.
    pub fn image_from_crop(&self, crop_size: usize) -> Option<SourceMap> {
        SourceMap::from_corners(self.corners(), crop_size, crop_size)
    }

    /// Corners bottom-left, top-left, top-right, bottom-right (before rotation), computed as
    /// OpenCV's `RotatedRect::points` does: single precision, angle through degrees.
    pub fn corners(&self) -> [[f32; 2]; 4] {
        let angle_deg = self.rotation_rad * 180.0 / PI;
        let angle = f64::from(angle_deg).to_radians();
        let b = (angle.cos() as f32) * 0.5;
        let a = (angle.sin() as f32) * 0.5;
        let [cx, cy] = self.center_px;
        let (w, h) = (self.size_px, self.size_px);
        // pt0 bottom-left, pt1 top-left, pt2 top-right (OpenCV's order).
        let pt0 = [cx - a * h - b * w, cy + b * h - a * w];
        let pt1 = [cx + a * h - b * w, cy - b * h - a * w];
        let pt2 = [2.0 * cx - pt0[0], 2.0 * cy - pt0[1]];
        let pt3 = [2.0 * cx - pt1[0], 2.0 * cy - pt1[1]];
        [pt0, pt1, pt2, pt3]
    }

    /// Maps a point given in crop pixels of a `crop_size` crop to image pixels, as MediaPipe's
    /// `LandmarkProjectionCalculator` does (rotation about the centre, then scale).
    pub fn project(&self, crop_size: f32, x: f32, y: f32) -> [f32; 2] {
        let dx = x / crop_size - 0.5;
        let dy = y / crop_size - 0.5;
        let (sin, cos) = self.rotation_rad.sin_cos();
        [
            (cos * dx - sin * dy) * self.size_px + self.center_px[0],
            (sin * dx + cos * dy) * self.size_px + self.center_px[1],
        ]
    }

    /// Intersection over union of the axis-aligned squares, rotation ignored (MediaPipe's
    /// `AssociationNormRectCalculator` compares rectangles this way).
    pub fn iou(&self, other: &Roi) -> f32 {
        let bounds = |r: &Roi| {
            let h = r.size_px / 2.0;
            [r.center_px[0] - h, r.center_px[1] - h, r.center_px[0] + h, r.center_px[1] + h]
        };
        iou(bounds(self), bounds(other))
    }
}

/// Intersection over union of two `[x0, y0, x1, y1]` boxes; 0 when either is empty.
pub(crate) fn iou(a: [f32; 4], b: [f32; 4]) -> f32 {
    let ix = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let iy = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = ix * iy;
    let area = |r: [f32; 4]| (r[2] - r[0]) * (r[3] - r[1]);
    let union = area(a) + area(b) - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

/// An angle brought into `[-π, π)`.
fn normalize_radians(angle: f32) -> f32 {
    angle - 2.0 * PI * ((angle + PI) / (2.0 * PI)).floor()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The crop map and the landmark projection are the same map (up to rounding).
    #[test]
    fn crop_map_matches_projection() {
        let roi = Roi { center_px: [200.0, 150.0], size_px: 120.0, rotation_rad: 0.4 };
        let m = roi.image_from_crop(192).unwrap().0;
        for (u, v) in [(0.0, 0.0), (96.0, 50.0), (192.0, 192.0)] {
            let w = m[6] * u + m[7] * v + m[8];
            let x = (m[0] * u + m[1] * v + m[2]) / w;
            let y = (m[3] * u + m[4] * v + m[5]) / w;
            let p = roi.project(192.0, u as f32, v as f32);
            assert!((x as f32 - p[0]).abs() < 1e-3 && (y as f32 - p[1]).abs() < 1e-3);
        }
    }

    /// Level eyes give no rotation; eyes rising to the right (y down) turn the crop.
    #[test]
    fn rotation_from_eyes() {
        let det = |l: [f32; 2], r: [f32; 2]| Detection {
            score: 0.9,
            bbox: [0.0, 0.0, 100.0, 80.0],
            keypoints: [l, r, [0.0; 2], [0.0; 2], [0.0; 2], [0.0; 2]],
        };
        let level = Roi::from_detection(&det([30.0, 40.0], [70.0, 40.0]));
        assert_eq!(level.rotation_rad, 0.0);
        assert_eq!(level.size_px, 150.0);
        assert_eq!(level.center_px, [50.0, 40.0]);
        let tilted = Roi::from_detection(&det([30.0, 50.0], [70.0, 10.0]));
        assert!((tilted.rotation_rad + PI / 4.0).abs() < 1e-6);
    }

    #[test]
    fn normalizes_into_half_open_range() {
        assert!((normalize_radians(3.0 * PI / 2.0) + PI / 2.0).abs() < 1e-6);
        assert!((normalize_radians(PI) + PI).abs() < 1e-6);
        assert_eq!(normalize_radians(0.5), 0.5);
    }

    #[test]
    fn iou_of_boxes() {
        assert_eq!(iou([0.0, 0.0, 2.0, 2.0], [1.0, 0.0, 3.0, 2.0]), 2.0 / 6.0);
        assert_eq!(iou([0.0, 0.0, 1.0, 1.0], [5.0, 5.0, 6.0, 6.0]), 0.0);
        assert_eq!(iou([0.0; 4], [0.0; 4]), 0.0);
    }
}
