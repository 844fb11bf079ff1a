//! The face-warping tool: move chosen landmark groups of a real face, on each side with its
//! own strength, and warp the image piecewise-affinely over a triangulation of the landmarks,
//! so that a movement with a known answer can be shown to the whole pipeline.

use image::{Rgb, RgbImage};

use crate::landmarks::Landmarks;
#[cfg(doc)]
use crate::symmetry::HeadPose;
use crate::symmetry::frame::Vec3;
use crate::symmetry::landmarks_map::{Side, on_side};
use crate::symmetry::{FaceFrame, MovementId};

/// A 2-D point, image pixels.
pub type Point = [f64; 2];

/// Fixed anchors around the face, as a multiple of the landmarks' half-extent from their
/// centre: everything outside this ring stays where it is.
const ANCHOR_RING_SCALE: f64 = 1.6;
/// Anchors on the ring.
const ANCHOR_RING_POINTS: usize = 24;

/// Landmarks that move together: the controls (named for the subject's right side) move by
/// `displacement_iod` (face coordinates, right side; mirrored for the left), every other
/// landmark following with weight `exp(−(d/σ)²)` of its distance `d` to the nearest control.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ControlGroup {
    /// Landmarks that move fully.
    pub controls: &'static [usize],
    /// Their displacement on the subject's right side, IOD (x towards the subject's left,
    /// y down, z away from the camera).
    pub displacement_iod: Vec3,
    /// Fall-off distance σ, IOD.
    pub falloff_iod: f64,
}

/// A movement to apply: one or more groups of landmarks, each moving its own way (an eye
/// closing moves the upper lid down and the lower lid up). A landmark's displacement is the sum
/// of every group's, each weighted by its fall-off.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SyntheticMovement {
    /// The groups, each on both sides.
    pub groups: &'static [ControlGroup],
}

impl SyntheticMovement {
    /// Where each landmark goes (face coordinates, IOD) when the left side moves with strength
    /// `left` and the right side with `right` (1 = fully, 0 = not at all).
    pub fn displaced(&self, face: &[Vec3], left: f64, right: f64) -> Vec<Vec3> {
        face.iter()
            .map(|p| {
                let mut moved = *p;
                for group in self.groups {
                    for (side, strength) in [(Side::Left, left), (Side::Right, right)] {
                        let weight = group
                            .controls
                            .iter()
                            .map(|&c| {
                                let q = face[on_side(c, side)];
                                let d2: f64 = (0..3).map(|k| (p[k] - q[k]).powi(2)).sum();
                                (-d2 / group.falloff_iod.powi(2)).exp()
                            })
                            .fold(0.0, f64::max);
                        let mut d = group.displacement_iod;
                        if side == Side::Left {
                            d[0] = -d[0];
                        }
                        for k in 0..3 {
                            moved[k] += strength * weight * d[k];
                        }
                    }
                }
                moved
            })
            .collect()
    }
}

/// `image` with the head turned by `yaw_deg` (about the image's vertical axis) and tilted by
/// `pitch_deg` (about its horizontal axis; both signed as [`HeadPose`] reads them) and nothing
/// else: the mesh's 3-D landmarks (z on x's scale) are rotated rigidly about their centroid,
/// seen orthographically, and the image is warped over them, so skin shifts with its depth as
/// on a real head. For small angles: what a larger turn would hide behind the nose is still
/// drawn.
pub fn turn_head(
    image: &RgbImage,
    landmarks: &Landmarks,
    yaw_deg: f64,
    pitch_deg: f64,
) -> RgbImage {
    let points = landmarks.points();
    let n = points.len() as f64;
    let centre: Vec3 = [0, 1, 2].map(|k| points.iter().map(|p| f64::from(p[k])).sum::<f64>() / n);
    let (sy, cy) = yaw_deg.to_radians().sin_cos();
    let (sp, cp) = pitch_deg.to_radians().sin_cos();
    let to: Vec<Point> = points
        .iter()
        .map(|p| {
            let [x, y, z] = [0, 1, 2].map(|k| f64::from(p[k]) - centre[k]);
            // Yaw about the vertical axis, then pitch about the horizontal one, signed as
            // `HeadPose` reads them.
            let (x, z) = (x * cy + z * sy, -x * sy + z * cy);
            let y = y * cp + z * sp;
            [centre[0] + x, centre[1] + y]
        })
        .collect();
    warp_landmarks(image, &image_points(landmarks), &to)
}

/// `image` with the face's landmarks moved by `movement` (strengths per side); also returns
/// the moved landmarks in image pixels (x, y).
pub fn apply_movement(
    image: &RgbImage,
    landmarks: &Landmarks,
    frame: &FaceFrame,
    movement: &SyntheticMovement,
    left: f64,
    right: f64,
) -> (RgbImage, Vec<Point>) {
    warp_face(image, landmarks, frame, &movement.displaced(&frame.landmarks, left, right))
}

/// Adds to `moved` what one more movement does: `displaced` (its
/// [`SyntheticMovement::displaced`]) less `base` (the landmarks it moved from), landmark by
/// landmark; for movements made together.
pub fn add_displacement(moved: &mut [Vec3], displaced: &[Vec3], base: &[Vec3]) {
    for ((m, d), b) in moved.iter_mut().zip(displaced).zip(base) {
        for k in 0..3 {
            m[k] += d[k] - b[k];
        }
    }
}

/// `image` with the face's landmarks (`frame` fitted to `landmarks`) moved to `moved`, face
/// coordinates: for movements composed of several [`SyntheticMovement::displaced`]. Also
/// returns the moved landmarks in image pixels (x, y).
pub fn warp_face(
    image: &RgbImage,
    landmarks: &Landmarks,
    frame: &FaceFrame,
    moved: &[Vec3],
) -> (RgbImage, Vec<Point>) {
    let to = in_image(frame, moved);
    (warp_landmarks(image, &image_points(landmarks), &to), to)
}

/// Face coordinates `moved` in image pixels (x, y), by `frame`.
fn in_image(frame: &FaceFrame, moved: &[Vec3]) -> Vec<Point> {
    moved
        .iter()
        .map(|&q| {
            let p = frame.image_from_face(q);
            [p[0], p[1]]
        })
        .collect()
}

/// The lower lid's margin, right eye, outer corner to inner.
const LOWER_LID_MARGIN_RIGHT: [usize; 9] = [33, 7, 163, 144, 145, 153, 154, 155, 133];

/// How far above a risen lower lid's margin the eye is pinned, pixels: the band the eye's
/// contents between are pressed into.
const LID_PIN_PX: f64 = 0.5;

/// [`warp_face`], with each eye's opening kept still above a lower lid that rose by more than
/// [`LID_PIN_PX`]: the lid slides over the eye, as when the cheek pushes it up in a smile,
/// instead of stretching the eye's contents with it (a point pinned just above each risen
/// margin point, at the same place in the image before and after).
pub fn warp_face_lids_over_eyes(
    image: &RgbImage,
    landmarks: &Landmarks,
    frame: &FaceFrame,
    moved: &[Vec3],
) -> RgbImage {
    let (mut from, mut to) = (image_points(landmarks), in_image(frame, moved));
    let margin =
        Side::BOTH.into_iter().flat_map(|side| LOWER_LID_MARGIN_RIGHT.map(|i| on_side(i, side)));
    let pins: Vec<Point> = margin
        .filter(|&i| from[i][1] - to[i][1] > LID_PIN_PX)
        .map(|i| [to[i][0], to[i][1] - LID_PIN_PX])
        .collect();
    from.extend(&pins);
    to.extend(&pins);
    warp_landmarks(image, &from, &to)
}

/// The landmarks' image positions (x, y).
fn image_points(landmarks: &Landmarks) -> Vec<Point> {
    landmarks.points().iter().map(|p| [f64::from(p[0]), f64::from(p[1])]).collect()
}

/// Warps `image` so that each point of `from` lands on the same point of `to`, affinely inside
/// each triangle of a Delaunay triangulation of `from` plus fixed anchors (a ring around the
/// points and the image corners).
pub fn warp_landmarks(image: &RgbImage, from: &[Point], to: &[Point]) -> RgbImage {
    let anchors = anchors(from, image.width(), image.height());
    let src: Vec<Point> = from.iter().chain(&anchors).copied().collect();
    let dst: Vec<Point> = to.iter().chain(&anchors).copied().collect();
    let triangles = delaunay(&src);
    let mut out = image.clone();
    for t in &triangles {
        warp_triangle(
            image,
            &mut out,
            [src[t[0]], src[t[1]], src[t[2]]],
            [dst[t[0]], dst[t[1]], dst[t[2]]],
        );
    }
    out
}

fn anchors(points: &[Point], width: u32, height: u32) -> Vec<Point> {
    let (w, h) = (f64::from(width), f64::from(height));
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in points {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    let centre = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0];
    let half =
        [(hi[0] - lo[0]) / 2.0 * ANCHOR_RING_SCALE, (hi[1] - lo[1]) / 2.0 * ANCHOR_RING_SCALE];
    let mut out: Vec<Point> = (0..ANCHOR_RING_POINTS)
        .map(|i| {
            let a = i as f64 / ANCHOR_RING_POINTS as f64 * std::f64::consts::TAU;
            [centre[0] + half[0] * a.cos(), centre[1] + half[1] * a.sin()]
        })
        .collect();
    // Image corners, pushed out a little so every pixel centre is inside the hull.
    let m = 2.0;
    out.extend([[-m, -m], [w + m, -m], [w + m, h + m], [-m, h + m]]);
    out
}

/// Fills the pixels of destination triangle `dst` from source triangle `src` (bilinear).
fn warp_triangle(image: &RgbImage, out: &mut RgbImage, src: [Point; 3], dst: [Point; 3]) {
    let [a, b, c] = dst;
    let det = (b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1]);
    if det.abs() < 1e-12 {
        return;
    }
    let (w, h) = (out.width() as i64, out.height() as i64);
    let x0 = (a[0].min(b[0]).min(c[0]).floor() as i64).max(0);
    let x1 = (a[0].max(b[0]).max(c[0]).ceil() as i64).min(w - 1);
    let y0 = (a[1].min(b[1]).min(c[1]).floor() as i64).max(0);
    let y1 = (a[1].max(b[1]).max(c[1]).ceil() as i64).min(h - 1);
    const EDGE: f64 = -1e-9;
    for y in y0..=y1 {
        for x in x0..=x1 {
            let (px, py) = (x as f64, y as f64);
            let l1 = ((px - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (py - a[1])) / det;
            let l2 = ((b[0] - a[0]) * (py - a[1]) - (px - a[0]) * (b[1] - a[1])) / det;
            let l0 = 1.0 - l1 - l2;
            if l0 < EDGE || l1 < EDGE || l2 < EDGE {
                continue;
            }
            let sx = l0 * src[0][0] + l1 * src[1][0] + l2 * src[2][0];
            let sy = l0 * src[0][1] + l1 * src[1][1] + l2 * src[2][1];
            out.put_pixel(x as u32, y as u32, bilinear(image, sx, sy));
        }
    }
}

fn bilinear(image: &RgbImage, x: f64, y: f64) -> Rgb<u8> {
    let (w, h) = (image.width() as i64, image.height() as i64);
    let (fx, fy) = (x.floor(), y.floor());
    let (ax, ay) = (x - fx, y - fy);
    let px =
        |xi: i64, yi: i64| image.get_pixel(xi.clamp(0, w - 1) as u32, yi.clamp(0, h - 1) as u32).0;
    let (x0, y0) = (fx as i64, fy as i64);
    let (p00, p10, p01, p11) = (px(x0, y0), px(x0 + 1, y0), px(x0, y0 + 1), px(x0 + 1, y0 + 1));
    Rgb(std::array::from_fn(|c| {
        let top = f64::from(p00[c]) * (1.0 - ax) + f64::from(p10[c]) * ax;
        let bottom = f64::from(p01[c]) * (1.0 - ax) + f64::from(p11[c]) * ax;
        (top * (1.0 - ay) + bottom * ay).round().clamp(0.0, 255.0) as u8
    }))
}

/// Delaunay triangulation (Bowyer–Watson): triangles as indices into `points`.
pub fn delaunay(points: &[Point]) -> Vec<[usize; 3]> {
    let n = points.len();
    if n < 3 {
        return Vec::new();
    }
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in points {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    let span = (hi[0] - lo[0]).max(hi[1] - lo[1]).max(1.0) * 20.0;
    let mid = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0];
    let mut all = points.to_vec();
    all.extend([
        [mid[0] - span, mid[1] - span],
        [mid[0] + span, mid[1] - span],
        [mid[0], mid[1] + span],
    ]);
    let mut triangles: Vec<([usize; 3], Point, f64)> = vec![circumscribed([n, n + 1, n + 2], &all)];
    for i in 0..n {
        let p = all[i];
        let (bad, good): (Vec<_>, Vec<_>) = triangles
            .into_iter()
            .partition(|(_, c, r2)| (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2) < *r2);
        triangles = good;
        // Edges of the cavity: those belonging to exactly one bad triangle.
        let mut edges: Vec<[usize; 2]> = Vec::new();
        for (t, _, _) in &bad {
            for e in [[t[0], t[1]], [t[1], t[2]], [t[2], t[0]]] {
                let key = if e[0] < e[1] { e } else { [e[1], e[0]] };
                if let Some(pos) = edges.iter().position(|x| *x == key) {
                    edges.swap_remove(pos);
                } else {
                    edges.push(key);
                }
            }
        }
        triangles.extend(edges.into_iter().map(|[a, b]| circumscribed([a, b, i], &all)));
    }
    triangles.into_iter().map(|(t, _, _)| t).filter(|t| t.iter().all(|&v| v < n)).collect()
}

fn circumscribed(t: [usize; 3], p: &[Point]) -> ([usize; 3], Point, f64) {
    let ([ax, ay], [bx, by], [cx, cy]) = (p[t[0]], p[t[1]], p[t[2]]);
    let d = 2.0 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by));
    if d.abs() < 1e-12 {
        // Collinear: a circle that contains nothing, so the triangle is never split.
        return (t, [0.0, 0.0], -1.0);
    }
    let (a2, b2, c2) = (ax * ax + ay * ay, bx * bx + by * by, cx * cx + cy * cy);
    let ux = (a2 * (by - cy) + b2 * (cy - ay) + c2 * (ay - by)) / d;
    let uy = (a2 * (cx - bx) + b2 * (ax - cx) + c2 * (bx - ax)) / d;
    (t, [ux, uy], (ax - ux).powi(2) + (ay - uy).powi(2))
}

/// Synthetic movements with a known answer, by movement id: what the validation warps and
/// the built-in demo apply. Only the in-plane part of a movement can be shown with a 2-D warp;
/// each entry says what its form can and cannot show (docs/validation.md has the numbers).
pub const SYNTHETIC_MOVEMENTS: [(MovementId, SyntheticMovement); 6] = [
    (
        MovementId::BrowLift,
        SyntheticMovement {
            groups: &[ControlGroup {
                controls: &[70, 63, 105, 66, 107, 46, 53, 52, 65, 55],
                displacement_iod: [0.0, -0.15, 0.0],
                falloff_iod: 0.12,
            }],
        },
    ),
    (
        MovementId::Smile,
        SyntheticMovement {
            groups: &[ControlGroup {
                controls: &[61, 78],
                displacement_iod: [-0.10, -0.10, 0.0],
                falloff_iod: 0.15,
            }],
        },
    ),
    (
        MovementId::CheekPuff,
        SyntheticMovement {
            groups: &[ControlGroup {
                controls: &[50, 205, 187, 147, 207],
                displacement_iod: [-0.08, 0.0, 0.0],
                falloff_iod: 0.15,
            }],
        },
    ),
    EYE_CLOSURE,
    NOSE_WRINKLE,
    PUCKER,
];

/// Eye closure: the middle of the upper lid margin comes down and the lower lid rises a
/// little, the flanks following less, so the lid closes most where the eye is most open (as a
/// real lid does); the middle closes by 0.062 IOD, so the lids do not cross on eyes open wider
/// than that at rest (the test faces' narrowest middle lid pair: 0.071). The skin of the upper
/// lid above the margin is stretched down with it. What it cannot show: a real lid slides over
/// the eye and hides the iris from the top; the warp squeezes what is between the lids into a
/// slit instead, and it cannot close the eye completely (the triangles between the lids would
/// fold). Whether the face mesh reads the slit as a closing eye is what the validation
/// measures.
const EYE_CLOSURE: (MovementId, SyntheticMovement) = (
    MovementId::EyeClosure,
    SyntheticMovement {
        groups: &[
            // Upper lid margin, middle third.
            ControlGroup {
                controls: &[160, 159, 158],
                displacement_iod: [0.0, 0.05, 0.0],
                falloff_iod: 0.05,
            },
            // Lower lid margin, middle third.
            ControlGroup {
                controls: &[144, 145, 153],
                displacement_iod: [0.0, -0.012, 0.0],
                falloff_iod: 0.05,
            },
        ],
    },
);

/// Nose wrinkle: the nasal ala and the skin beside it rise towards the inner eye corner, the
/// upper lip just below the nostril following. What it cannot show: the wrinkles across the
/// nasal bridge and the deepening of the nasolabial fold are changes of texture and shading,
/// not of position.
const NOSE_WRINKLE: (MovementId, SyntheticMovement) = (
    MovementId::NoseWrinkle,
    SyntheticMovement {
        groups: &[ControlGroup {
            controls: &[129, 98, 64, 102, 49, 48],
            displacement_iod: [0.01, -0.07, 0.0],
            falloff_iod: 0.15,
        }],
    },
);

/// Pucker: the mouth corners move towards the midline and the lips gather between them. What
/// it cannot show: the lips pushing forward (the measure's z term, metrics.md) is movement
/// towards the camera; a flat warp leaves the mesh's depth to the model, so only the corners'
/// medial movement is known.
const PUCKER: (MovementId, SyntheticMovement) = (
    MovementId::Pucker,
    SyntheticMovement {
        groups: &[ControlGroup {
            controls: &[61, 78],
            displacement_iod: [0.10, 0.0, 0.0],
            falloff_iod: 0.15,
        }],
    },
);

#[cfg(test)]
mod tests {
    use super::*;

    /// A square grid triangulates into two triangles per cell, covering its area exactly.
    #[test]
    fn delaunay_of_a_grid() {
        let pts: Vec<Point> =
            (0..5).flat_map(|y| (0..5).map(move |x| [f64::from(x), f64::from(y)])).collect();
        // Jitter breaks the grid's co-circular ties without changing the area.
        let pts: Vec<Point> = pts
            .iter()
            .enumerate()
            .map(|(i, p)| [p[0] + 1e-7 * (i % 3) as f64, p[1] + 1e-7 * (i % 5) as f64])
            .collect();
        let tris = delaunay(&pts);
        assert_eq!(tris.len(), 32);
        let area: f64 = tris
            .iter()
            .map(|t| {
                let (a, b, c) = (pts[t[0]], pts[t[1]], pts[t[2]]);
                ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])).abs() / 2.0
            })
            .sum();
        assert!((area - 16.0).abs() < 1e-5, "{area}");
    }

    /// Each group moves its own controls fully (mirrored on the left), the groups' movements
    /// add up, and a landmark far from every control stays where it is.
    #[test]
    fn groups_move_their_controls_and_add_up() {
        // Landmarks spread on a line far apart, so no control drags another.
        let face: Vec<Vec3> = (0..crate::landmarks::NUM_LANDMARKS)
            .map(|i| [i as f64 * 10.0 * if i < 248 { -1.0 } else { 1.0 }, 0.0, 0.0])
            .collect();
        let movement = SyntheticMovement {
            groups: &[
                ControlGroup {
                    controls: &[160],
                    displacement_iod: [0.0, 0.05, 0.0],
                    falloff_iod: 1.0,
                },
                ControlGroup {
                    controls: &[144],
                    displacement_iod: [0.01, -0.02, 0.0],
                    falloff_iod: 1.0,
                },
            ],
        };
        let moved = movement.displaced(&face, 1.0, 0.5);
        let delta = |i: usize| [0, 1, 2].map(|k| moved[i][k] - face[i][k]);
        let close = |a: Vec3, b: Vec3| (0..3).all(|k| (a[k] - b[k]).abs() < 1e-12);
        assert!(close(delta(160), [0.0, 0.025, 0.0]), "{:?}", delta(160));
        assert!(close(delta(144), [0.005, -0.01, 0.0]), "{:?}", delta(144));
        let (left_upper, left_lower) = (on_side(160, Side::Left), on_side(144, Side::Left));
        assert!(close(delta(left_upper), [0.0, 0.05, 0.0]), "{:?}", delta(left_upper));
        assert!(close(delta(left_lower), [-0.01, -0.02, 0.0]), "{:?}", delta(left_lower));
        assert!(close(delta(3), [0.0; 3]));
    }

    /// The new forms keep the first three entries (the demo and the validation rely on them)
    /// and cover every core movement once.
    #[test]
    fn every_core_movement_has_one_synthetic_form() {
        let ids: Vec<MovementId> = SYNTHETIC_MOVEMENTS.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids[..3], [MovementId::BrowLift, MovementId::Smile, MovementId::CheekPuff]);
        for m in crate::symmetry::CORE_MOVEMENTS {
            assert_eq!(ids.iter().filter(|id| **id == m.id).count(), 1, "{}", m.id);
        }
    }

    /// Points that do not move leave the image unchanged.
    #[test]
    fn identity_warp_keeps_the_image() {
        let img = RgbImage::from_fn(40, 30, |x, y| Rgb([(x * 6) as u8, (y * 8) as u8, 90]));
        let pts = vec![[10.0, 10.0], [30.0, 8.0], [20.0, 22.0], [14.0, 18.0]];
        assert_eq!(warp_landmarks(&img, &pts, &pts), img);
    }

    /// Moving one point drags the pixels next to it and leaves far pixels alone.
    #[test]
    fn moved_point_drags_its_pixels() {
        let img = RgbImage::from_fn(60, 60, |x, y| Rgb([(x * 4) as u8, (y * 4) as u8, 0]));
        let from = vec![[20.0, 20.0], [40.0, 20.0], [30.0, 30.0], [20.0, 40.0], [40.0, 40.0]];
        let mut to = from.clone();
        to[2] = [33.0, 30.0];
        let out = warp_landmarks(&img, &from, &to);
        // The pixel now at (33, 30) came from (30, 30): red 120.
        assert_eq!(out.get_pixel(33, 30).0[0], 120);
        assert_eq!(out.get_pixel(2, 2), img.get_pixel(2, 2));
    }
}
