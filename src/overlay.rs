//! Drawing landmarks over an image, for `facesym landmarks --overlay`, and the feature
//! contours the live mirror draws.

use image::{Rgb, RgbImage};

use crate::landmarks::Face;
use crate::symmetry::Side;
use crate::symmetry::landmarks_map::on_side;

/// Feature contours across the midline, as closed polylines of mesh landmark indices: the
/// outer and inner edges of the lips and the outline of the face. (Landmark topology of
/// MediaPipe's face mesh; see models/NOTICE.)
const MIDLINE_CONTOURS: [&[usize]; 3] = [
    &[
        61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146,
        61,
    ],
    &[
        78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95,
        78,
    ],
    &[
        10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
        152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109, 10,
    ],
];

/// The subject's right eye (closed) and the lower and upper edges of the right brow; the
/// left side is their mirror image.
const RIGHT_CONTOURS: [&[usize]; 3] = [
    &[33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246, 33],
    &[46, 53, 52, 65, 55],
    &[70, 63, 105, 66, 107],
];

/// Contours of the brows, eyes, lips and face outline, as polylines of landmark indices.
pub fn contours() -> Vec<Vec<usize>> {
    let mut all: Vec<Vec<usize>> = MIDLINE_CONTOURS.iter().map(|c| c.to_vec()).collect();
    for side in Side::BOTH {
        all.extend(RIGHT_CONTOURS.iter().map(|c| c.iter().map(|&i| on_side(i, side)).collect()));
    }
    all
}

const LANDMARK_COLOUR: Rgb<u8> = Rgb([0, 255, 96]);
const BOX_COLOUR: Rgb<u8> = Rgb([255, 200, 0]);

/// A copy of `image` with each face's box and landmarks drawn on it. Dots and lines scale
/// with the face so they stay visible on large and small faces alike.
pub fn draw_faces(image: &RgbImage, faces: &[Face]) -> RgbImage {
    let mut out = image.clone();
    for face in faces {
        let [x0, y0, x1, y1] = face.bounding_box();
        let radius = (((x1 - x0).max(y1 - y0) / 250.0).round() as i64).max(1);
        draw_rect(&mut out, [x0, y0, x1, y1], radius, BOX_COLOUR);
        for p in face.landmarks.points() {
            fill_square(
                &mut out,
                p[0].round() as i64,
                p[1].round() as i64,
                radius,
                LANDMARK_COLOUR,
            );
        }
    }
    out
}

fn put(image: &mut RgbImage, x: i64, y: i64, colour: Rgb<u8>) {
    if (0..i64::from(image.width())).contains(&x) && (0..i64::from(image.height())).contains(&y) {
        image.put_pixel(x as u32, y as u32, colour);
    }
}

fn fill_square(image: &mut RgbImage, cx: i64, cy: i64, radius: i64, colour: Rgb<u8>) {
    for y in cy - radius..=cy + radius {
        for x in cx - radius..=cx + radius {
            put(image, x, y, colour);
        }
    }
}

fn draw_rect(image: &mut RgbImage, [x0, y0, x1, y1]: [f32; 4], width: i64, colour: Rgb<u8>) {
    let [x0, y0, x1, y1] = [x0, y0, x1, y1].map(|v| v.round() as i64);
    for t in 0..width {
        for x in x0..=x1 {
            put(image, x, y0 + t, colour);
            put(image, x, y1 - t, colour);
        }
        for y in y0..=y1 {
            put(image, x0 + t, y, colour);
            put(image, x1 - t, y, colour);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edges(polyline: &[usize]) -> std::collections::BTreeSet<(usize, usize)> {
        polyline.windows(2).map(|w| (w[0].min(w[1]), w[0].max(w[1]))).collect()
    }

    /// The mirrored right-side contours are MediaPipe's own left-eye and left-brow contours
    /// (`FACEMESH_LEFT_EYE`, `FACEMESH_LEFT_EYEBROW` in mediapipe 0.10.14), an independent
    /// check of the mirror map on these points.
    #[test]
    fn mirrored_contours_are_the_left_features() {
        let left_eye = [
            (263, 249),
            (249, 390),
            (390, 373),
            (373, 374),
            (374, 380),
            (380, 381),
            (381, 382),
            (382, 362),
            (263, 466),
            (466, 388),
            (388, 387),
            (387, 386),
            (386, 385),
            (385, 384),
            (384, 398),
            (398, 362),
        ];
        let left_brow = [
            (276, 283),
            (283, 282),
            (282, 295),
            (295, 285),
            (300, 293),
            (293, 334),
            (334, 296),
            (296, 336),
        ];
        let expected: std::collections::BTreeSet<_> =
            left_eye.iter().chain(&left_brow).map(|&(a, b)| (a.min(b), a.max(b))).collect();
        let mirrored: std::collections::BTreeSet<_> = RIGHT_CONTOURS
            .iter()
            .flat_map(|c| edges(&c.iter().map(|&i| on_side(i, Side::Left)).collect::<Vec<_>>()))
            .collect();
        assert_eq!(mirrored, expected);
    }

    #[test]
    fn midline_contours_are_their_own_mirror() {
        for contour in MIDLINE_CONTOURS {
            let mirrored: Vec<usize> = contour.iter().map(|&i| on_side(i, Side::Left)).collect();
            assert_eq!(edges(contour), edges(&mirrored));
        }
    }
}
