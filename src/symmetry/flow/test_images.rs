//! Synthetic images for the unit tests of skin motion.

use super::pyramid::{Gray, Pyramid};

/// A smooth texture with structure in every direction, intensities in 0–1.
pub(super) fn texture(x: f64, y: f64) -> f64 {
    0.5 + 0.15 * (0.31 * x + 0.17 * y).sin()
        + 0.12 * (0.23 * y - 0.11 * x).cos()
        + 0.08 * (0.07 * x * 1.3 + 0.19 * y).sin()
}

/// The 160 × 160 image of `f` and its pyramid.
pub(super) fn pyramid(f: impl Fn(f64, f64) -> f64) -> Pyramid {
    let (width, height) = (160, 160);
    let data = (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .map(|(x, y)| f(x as f64, y as f64) as f32)
        .collect();
    Pyramid::new(Gray { width, height, data })
}
