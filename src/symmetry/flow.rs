//! Skin motion measured in the image: each measured landmark of the neutral face is followed
//! into the current frame by pyramidal Lucas–Kanade optical flow, after head motion is taken
//! out by a similarity fitted on the stable landmarks.
//!
//! Why: the face mesh is a strong shape prior that pulls faces toward symmetry and follows
//! only part of a real excursion (docs/validation.md). The skin itself carries the movement:
//! where it is textured enough to follow, its displacement is measured directly, side by side
//! and independently.

use image::RgbImage;

use super::frame::{FaceFrame, Vec3, sub};
use super::landmarks_map::{Side, on_side};
use super::movements::CORE_MOVEMENTS;

/// Pyramid levels: three halvings follow displacements up to about 8 window radii (0.5 IOD).
const PYRAMID_LEVELS: usize = 4;
/// Half-size of the Lucas–Kanade window, canonical pixels at each level: 4 px is 0.06 IOD,
/// small enough that the window moves with the landmark rather than with its surroundings.
const WINDOW_RADIUS: i64 = 4;
/// Gauss–Newton iterations per level at most.
const MAX_ITERATIONS: usize = 20;
/// Stop iterating when the update is below this, pixels.
const MIN_UPDATE_PX: f64 = 0.01;
/// Minimum eigenvalue of the window's structure tensor per pixel (intensities 0–1): below
/// it the skin is too smooth to follow, and the mesh's position is used instead.
const MIN_TEXTURE: f64 = 2e-4;

/// A grey image, intensities 0–1, row-major.
#[derive(Clone, Debug)]
struct Gray {
    width: usize,
    height: usize,
    data: Vec<f32>,
}

impl Gray {
    fn at(&self, x: i64, y: i64) -> f32 {
        let x = x.clamp(0, self.width as i64 - 1) as usize;
        let y = y.clamp(0, self.height as i64 - 1) as usize;
        self.data[y * self.width + x]
    }

    fn sample(&self, x: f64, y: f64) -> f64 {
        let (fx, fy) = (x.floor(), y.floor());
        let (ax, ay) = (x - fx, y - fy);
        let (x0, y0) = (fx as i64, fy as i64);
        let top = f64::from(self.at(x0, y0)) * (1.0 - ax) + f64::from(self.at(x0 + 1, y0)) * ax;
        let bottom =
            f64::from(self.at(x0, y0 + 1)) * (1.0 - ax) + f64::from(self.at(x0 + 1, y0 + 1)) * ax;
        top * (1.0 - ay) + bottom * ay
    }

    fn half(&self) -> Gray {
        let (w, h) = ((self.width / 2).max(1), (self.height / 2).max(1));
        let data = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .map(|(x, y)| {
                let (x2, y2) = (2 * x as i64, 2 * y as i64);
                (self.at(x2, y2)
                    + self.at(x2 + 1, y2)
                    + self.at(x2, y2 + 1)
                    + self.at(x2 + 1, y2 + 1))
                    / 4.0
            })
            .collect();
        Gray {
            width: w,
            height: h,
            data,
        }
    }
}

/// A grey image and its successive halvings.
#[derive(Clone, Debug)]
struct Pyramid {
    levels: Vec<Gray>,
}

impl Pyramid {
    fn new(base: Gray) -> Self {
        let mut levels = vec![base];
        while levels.len() < PYRAMID_LEVELS {
            let next = levels[levels.len() - 1].half();
            levels.push(next);
        }
        Pyramid { levels }
    }
}

/// Pixels per IOD of the canonical face image flow runs on: every face is resampled to this
/// scale, so windows and thresholds mean the same on small and large faces.
const CANONICAL_PX_PER_IOD: f64 = 64.0;
/// The canonical image covers these face coordinates (IOD): brows to chin, cheek to cheek.
const CANONICAL_X_IOD: [f64; 2] = [-1.4, 1.4];
const CANONICAL_Y_IOD: [f64; 2] = [-0.8, 1.9];

/// The neutral face kept for flow: its canonical grey image and landmarks (face coordinates).
#[derive(Clone, Debug)]
pub struct NeutralImage {
    pyramid: Pyramid,
    landmarks: Vec<Vec3>,
}

impl NeutralImage {
    /// Resamples the face of `image` (with face frame `frame`) into the canonical image.
    pub fn new(image: &RgbImage, frame: &FaceFrame) -> Self {
        NeutralImage {
            pyramid: canonical(image, frame),
            landmarks: frame.landmarks.clone(),
        }
    }

    /// Current landmarks in face coordinates, where the points that skin-motion measures read
    /// are moved from their neutral positions by the optical flow between the canonical
    /// neutral and current images, instead of by the mesh. Points flow cannot follow keep the
    /// mesh's position; z always comes from the mesh.
    pub fn follow(&self, image: &RgbImage, current: &FaceFrame) -> Vec<Vec3> {
        let mut out = current.landmarks.clone();
        let now = canonical(image, current);
        for index in flow_points() {
            let q = self.landmarks[index];
            let at = [
                (q[0] - CANONICAL_X_IOD[0]) * CANONICAL_PX_PER_IOD,
                (q[1] - CANONICAL_Y_IOD[0]) * CANONICAL_PX_PER_IOD,
            ];
            if let Some(d) = lucas_kanade(&self.pyramid, &now, at) {
                out[index][0] = q[0] + d[0] / CANONICAL_PX_PER_IOD;
                out[index][1] = q[1] + d[1] / CANONICAL_PX_PER_IOD;
            }
        }
        out
    }
}

/// The face plane (z = 0 in face coordinates) of `image`, resampled at
/// [`CANONICAL_PX_PER_IOD`], as a grey pyramid.
fn canonical(image: &RgbImage, frame: &FaceFrame) -> Pyramid {
    let width = ((CANONICAL_X_IOD[1] - CANONICAL_X_IOD[0]) * CANONICAL_PX_PER_IOD) as usize;
    let height = ((CANONICAL_Y_IOD[1] - CANONICAL_Y_IOD[0]) * CANONICAL_PX_PER_IOD) as usize;
    let origin = frame.image_from_face([CANONICAL_X_IOD[0], CANONICAL_Y_IOD[0], 0.0]);
    let step_x = sub(
        frame.image_from_face([
            CANONICAL_X_IOD[0] + 1.0 / CANONICAL_PX_PER_IOD,
            CANONICAL_Y_IOD[0],
            0.0,
        ]),
        origin,
    );
    let step_y = sub(
        frame.image_from_face([
            CANONICAL_X_IOD[0],
            CANONICAL_Y_IOD[0] + 1.0 / CANONICAL_PX_PER_IOD,
            0.0,
        ]),
        origin,
    );
    let source = GrayView(image);
    let data = (0..height)
        .flat_map(|v| (0..width).map(move |u| (u, v)))
        .map(|(u, v)| {
            let (u, v) = (u as f64, v as f64);
            let x = origin[0] + u * step_x[0] + v * step_y[0];
            let y = origin[1] + u * step_x[1] + v * step_y[1];
            source.sample(x, y) as f32
        })
        .collect();
    Pyramid::new(Gray {
        width,
        height,
        data,
    })
}

/// Landmarks whose position skin motion measures (both sides).
fn flow_points() -> Vec<usize> {
    let mut points: Vec<usize> = CORE_MOVEMENTS
        .iter()
        .filter(|m| m.measure.follows_skin_motion())
        .flat_map(|m| m.measure.points())
        .flat_map(|i| Side::BOTH.map(|side| on_side(i, side)))
        .collect();
    points.sort_unstable();
    points.dedup();
    points
}

/// Pyramidal Lucas–Kanade (Bouguet): the displacement of `point` (level-0 pixels of the
/// region) from `prev` to `next`, or `None` where the skin is too smooth to follow.
fn lucas_kanade(prev: &Pyramid, next: &Pyramid, point: [f64; 2]) -> Option<[f64; 2]> {
    let mut guess = [0.0f64; 2];
    for level in (0..prev.levels.len()).rev() {
        let scale = (1u32 << level) as f64;
        let (i, j) = (&prev.levels[level], &next.levels[level]);
        let (px, py) = (point[0] / scale, point[1] / scale);
        // Gradients of the neutral window and their structure tensor.
        let mut window =
            Vec::with_capacity(((2 * WINDOW_RADIUS + 1) * (2 * WINDOW_RADIUS + 1)) as usize);
        let (mut gxx, mut gxy, mut gyy) = (0.0, 0.0, 0.0);
        for dy in -WINDOW_RADIUS..=WINDOW_RADIUS {
            for dx in -WINDOW_RADIUS..=WINDOW_RADIUS {
                let (x, y) = (px + dx as f64, py + dy as f64);
                let ix = (i.sample(x + 1.0, y) - i.sample(x - 1.0, y)) / 2.0;
                let iy = (i.sample(x, y + 1.0) - i.sample(x, y - 1.0)) / 2.0;
                gxx += ix * ix;
                gxy += ix * iy;
                gyy += iy * iy;
                window.push((x, y, i.sample(x, y), ix, iy));
            }
        }
        let n = window.len() as f64;
        let trace = gxx + gyy;
        let det = gxx * gyy - gxy * gxy;
        let min_eigen = (trace - (trace * trace - 4.0 * det).max(0.0).sqrt()) / 2.0;
        if level == 0 && min_eigen / n < MIN_TEXTURE {
            return None;
        }
        if det <= 0.0 {
            guess = guess.map(|g| g * 2.0);
            continue;
        }
        let mut v = [0.0f64; 2];
        for _ in 0..MAX_ITERATIONS {
            let (mut bx, mut by) = (0.0, 0.0);
            for &(x, y, value, ix, iy) in &window {
                let diff = value - j.sample(x + guess[0] + v[0], y + guess[1] + v[1]);
                bx += diff * ix;
                by += diff * iy;
            }
            let eta = [(gyy * bx - gxy * by) / det, (gxx * by - gxy * bx) / det];
            v = [v[0] + eta[0], v[1] + eta[1]];
            if eta[0].hypot(eta[1]) < MIN_UPDATE_PX {
                break;
            }
        }
        guess = [guess[0] + v[0], guess[1] + v[1]];
        if level > 0 {
            guess = guess.map(|g| g * 2.0);
        }
    }
    guess.iter().all(|g| g.is_finite()).then_some(guess)
}

fn luma(image: &RgbImage, x: i64, y: i64) -> f32 {
    let x = x.clamp(0, i64::from(image.width()) - 1) as u32;
    let y = y.clamp(0, i64::from(image.height()) - 1) as u32;
    let [r, g, b] = image.get_pixel(x, y).0;
    (0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b)) / 255.0
}

/// Bilinear grey samples straight from an RGB image.
struct GrayView<'a>(&'a RgbImage);

impl GrayView<'_> {
    fn sample(&self, x: f64, y: f64) -> f64 {
        let (fx, fy) = (x.floor(), y.floor());
        let (ax, ay) = (x - fx, y - fy);
        let (x0, y0) = (fx as i64, fy as i64);
        let l = |x, y| f64::from(luma(self.0, x, y));
        let top = l(x0, y0) * (1.0 - ax) + l(x0 + 1, y0) * ax;
        let bottom = l(x0, y0 + 1) * (1.0 - ax) + l(x0 + 1, y0 + 1) * ax;
        top * (1.0 - ay) + bottom * ay
    }
}
