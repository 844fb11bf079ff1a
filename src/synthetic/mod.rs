//! Synthetic input with known answers: [`deform`] moves parts of a real face, and the
//! functions here make test sequences from a still image, the face moving and rolling frame by
//! frame along a smooth path, with the exact transform of every frame known.

pub mod composite;
pub mod deform;
pub mod demo;
pub mod exercise;
pub mod twitch;
pub mod validation;

use std::f64::consts::TAU;

use image::RgbImage;

use crate::landmarks::warp::{self, Affine, Border};

/// How far the image moves over one sequence.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Motion {
    /// Largest horizontal and vertical shift, pixels.
    pub shift_px: [f64; 2],
    /// Largest roll, degrees (positive turns the face clockwise on screen).
    pub roll_deg: f64,
}

impl Default for Motion {
    /// About what a person drifts by while exercising: ±30 px, ±15°.
    fn default() -> Self {
        Self { shift_px: [30.0, 20.0], roll_deg: 15.0 }
    }
}

/// The transform of frame `index` of `count`: maps original-image pixels to frame pixels.
/// One full period of a sine in x and roll, two in y, so consecutive frames differ little.
pub fn frame_from_original(
    width: u32,
    height: u32,
    index: usize,
    count: usize,
    motion: Motion,
) -> Affine {
    let t = index as f64 / count.max(1) as f64;
    let angle = (motion.roll_deg * (TAU * t).sin()).to_radians();
    let shift = [motion.shift_px[0] * (TAU * t).sin(), motion.shift_px[1] * (2.0 * TAU * t).sin()];
    let (cx, cy) = (f64::from(width) / 2.0, f64::from(height) / 2.0);
    let (sin, cos) = angle.sin_cos();
    // p' = R (p - c) + c + shift
    Affine([
        cos,
        -sin,
        cx - cos * cx + sin * cy + shift[0],
        sin,
        cos,
        cy - sin * cx - cos * cy + shift[1],
    ])
}

/// Frame `index` of `count`: `image` moved by [`frame_from_original`], same size, edges
/// replicated.
pub fn moving_frame(image: &RgbImage, index: usize, count: usize, motion: Motion) -> RgbImage {
    let (w, h) = image.dimensions();
    let frame_from_original = frame_from_original(w, h, index, count, motion);
    let original_from_frame = frame_from_original.inverse().unwrap_or(frame_from_original);
    warp::warp_rgb(image, &original_from_frame, w, h, Border::Replicate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_frame_is_the_original() {
        let img = RgbImage::from_fn(20, 10, |x, y| image::Rgb([x as u8, y as u8, 7]));
        assert_eq!(moving_frame(&img, 0, 50, Motion::default()), img);
    }

    #[test]
    fn quarter_period_is_the_largest_move() {
        let m = Motion::default();
        let a = frame_from_original(100, 100, 25, 100, m);
        // At t = 1/4 the roll and x shift peak and y is back to 0: the centre moves by 30 px in x.
        let [x, y] = a.apply(50.0, 50.0);
        assert!((x - 80.0).abs() < 1e-9 && (y - 50.0).abs() < 1e-9);
        assert!((a.0[3].asin().to_degrees() - 15.0).abs() < 1e-9);
    }
}
