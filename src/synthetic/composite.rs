//! One-sided composites of real footage: a frame aligned onto the neutral frame by their face
//! frames, one half of the face taken from it and the other from the neutral, so that a real
//! movement on one side sits beside a real face at rest on the other (docs/validation.md,
//! "Real footage").

use image::{Rgb, RgbImage};

use crate::landmarks::warp::{Affine, Border, warp_rgb};
use crate::symmetry::{FaceFrame, Side};

/// Half-width of the blend between the two halves of a composite, IOD.
pub const FEATHER_IOD: f64 = 0.04;

/// The point of the face plane (face coordinates, z = 0) seen at image pixel (x, y).
pub fn face_plane(frame: &FaceFrame, x: f64, y: f64) -> [f64; 2] {
    let r = frame.rotation;
    let s = frame.px_per_iod;
    let (a, b, c, d) = (s * r[0][0], s * r[0][1], s * r[1][0], s * r[1][1]);
    let (dx, dy) = (x - frame.origin[0], y - frame.origin[1]);
    let det = a * d - b * c;
    [(d * dx - b * dy) / det, (-c * dx + a * dy) / det]
}

/// `image` (with face frame `from`) resampled so that its face plane lies where `to`'s does:
/// the affine map from a pixel of the result, through `to`'s face plane, into `image`.
pub fn aligned_to(
    image: &RgbImage,
    from: &FaceFrame,
    to: &FaceFrame,
    size: (u32, u32),
) -> RgbImage {
    let plane = |f: &FaceFrame| {
        let (r, s) = (f.rotation, f.px_per_iod);
        [s * r[0][0], s * r[0][1], s * r[1][0], s * r[1][1]]
    };
    let ([a, b, c, d], [e, g, h, k]) = (plane(to), plane(from));
    let det = a * d - b * c;
    // to's plane coordinates of pixel p: inverse · (p − origin); then from's image of them.
    let inverse = [d / det, -b / det, -c / det, a / det];
    let m = [
        e * inverse[0] + g * inverse[2],
        e * inverse[1] + g * inverse[3],
        h * inverse[0] + k * inverse[2],
        h * inverse[1] + k * inverse[3],
    ];
    let (ox, oy) = (to.origin[0], to.origin[1]);
    let source_from_dst = Affine([
        m[0],
        m[1],
        from.origin[0] - m[0] * ox - m[1] * oy,
        m[2],
        m[3],
        from.origin[1] - m[2] * ox - m[3] * oy,
    ]);
    warp_rgb(image, &source_from_dst, size.0, size.1, Border::Replicate)
}

/// `moved` on the `moving` side of the face's midline (face frame `frame`), `rest` on the
/// other, blended over ±[`FEATHER_IOD`] at the midline.
pub fn one_sided(rest: &RgbImage, moved: &RgbImage, frame: &FaceFrame, moving: Side) -> RgbImage {
    RgbImage::from_fn(rest.width(), rest.height(), |x, y| {
        let [u, _] = face_plane(frame, f64::from(x), f64::from(y));
        let t = (u * moving.sign() / FEATHER_IOD * 0.5 + 0.5).clamp(0.0, 1.0);
        let (a, b) = (moved.get_pixel(x, y).0, rest.get_pixel(x, y).0);
        Rgb(std::array::from_fn(|k| {
            (f64::from(a[k]) * t + f64::from(b[k]) * (1.0 - t)).round() as u8
        }))
    })
}
