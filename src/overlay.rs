//! Drawing landmarks over an image, for `facesym landmarks --overlay`.

use image::{Rgb, RgbImage};

use crate::landmarks::Face;

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
