//! Following one landmark's skin: a 3×3 grid of points around it, each followed by pyramidal
//! Lucas–Kanade (Bouguet) and refined ([`RefineTemplate`]), the landmark moving by the grid's
//! median. The neutral side of every window is computed once, at calibration.

use super::canonical::CANONICAL_PX_PER_IOD;
use super::pyramid::{Gray, Pyramid};
use super::refine::RefineTemplate;
use crate::stats::median_in_place;

/// Half-size of the Lucas–Kanade window, canonical pixels at each level (a 13×13 window): 6 px
/// is 0.09 IOD, small enough that the window moves with the landmark rather than with its
/// surroundings.
pub(super) const WINDOW_RADIUS_PX: i64 = 6;
/// The farthest a followed point can go, canonical pixels (0.5 IOD, 32 px). Skin moved by a
/// movement goes less far (a broad real smile moved the mouth corner by 0.24 IOD), so a track
/// that ends beyond it has latched onto something else and is lost (docs/validation.md).
pub(super) const MAX_TRACK_PX: f64 = 0.5 * CANONICAL_PX_PER_IOD;
/// Gauss–Newton iterations per level at most.
pub(super) const MAX_ITERATIONS: usize = 20;
/// Stop iterating when the update is below this, pixels.
pub(super) const MIN_UPDATE_PX: f64 = 0.01;
/// Minimum eigenvalue of the window's structure tensor per pixel (intensities 0–1): below it
/// the skin is too smooth to follow, and the mesh's position is used instead. Low enough to
/// follow the nasal bridge of the test faces, high enough to reject flat, featureless patches
/// (docs/validation.md, "Faces with little detail").
const MIN_TEXTURE: f64 = 2e-5;

/// Spacing of the grid of points followed around each landmark, canonical pixels.
const GRID_SPACING_PX: f64 = 3.0;
/// Of the 3×3 grid, how many must be followed for the median to be used.
const MIN_GRID_FOLLOWED: usize = 5;

/// A 3×3 grid of points around one landmark of the neutral face: its displacement is the
/// median of theirs, so that one point latching onto the wrong edge does not decide.
#[derive(Clone, Debug)]
pub(super) struct GridTemplate {
    /// The landmark, canonical pixels.
    pub(super) at: [f64; 2],
    /// The grid points textured enough to follow.
    points: Vec<PointTemplate>,
}

impl GridTemplate {
    pub(super) fn new(neutral: &Pyramid, at: [f64; 2]) -> Self {
        let points = (-1..=1)
            .flat_map(|gy| (-1..=1).map(move |gx| (gx, gy)))
            .filter_map(|(gx, gy)| {
                let p = [
                    at[0] + f64::from(gx) * GRID_SPACING_PX,
                    at[1] + f64::from(gy) * GRID_SPACING_PX,
                ];
                PointTemplate::new(neutral, p)
            })
            .collect();
        GridTemplate { at, points }
    }

    /// Whether enough of the grid is textured for [`GridTemplate::track`] to ever succeed.
    pub(super) fn followable(&self) -> bool {
        self.points.len() >= MIN_GRID_FOLLOWED
    }

    /// The landmark's displacement into `next`, or `None` when fewer than
    /// [`MIN_GRID_FOLLOWED`] grid points can be followed.
    pub(super) fn track(&self, next: &Pyramid) -> Option<[f64; 2]> {
        let mut window = Vec::with_capacity(WINDOW_SIDE_PX * WINDOW_SIDE_PX);
        self.median_of(|point| point.track(next, &mut window))
    }

    /// The landmark's displacement into `next` found by the refinement alone, started at
    /// `guess` (level-0 canonical pixels), when the grid's median lands within `radius` of
    /// `guess`; `None` when it does not or fewer than [`MIN_GRID_FOLLOWED`] points are found.
    /// It stops as soon as the answer is known to be `None`: too few points left to find, or
    /// more than half the grid found beyond `radius` on one side along one axis (then so is the
    /// median, whatever the rest find).
    pub(super) fn track_near(
        &self,
        next: &Pyramid,
        guess: [f64; 2],
        radius: f64,
    ) -> Option<[f64; 2]> {
        if !self.followable() {
            return None;
        }
        let count = self.points.len();
        let (mut dx, mut dy) = (Vec::with_capacity(count), Vec::with_capacity(count));
        let (mut lost, mut beyond) = (0, [0usize; 4]);
        for point in &self.points {
            let Some(d) = point.refine_from(next, guess) else {
                lost += 1;
                if count - lost < MIN_GRID_FOLLOWED {
                    return None;
                }
                continue;
            };
            let (ox, oy) = (d[0] - guess[0], d[1] - guess[1]);
            for (n, far) in
                beyond.iter_mut().zip([ox > radius, ox < -radius, oy > radius, oy < -radius])
            {
                *n += usize::from(far);
                if 2 * *n > count {
                    return None;
                }
            }
            dx.push(d[0]);
            dy.push(d[1]);
        }
        let median = grid_median(&mut dx, &mut dy)?;
        ((median[0] - guess[0]).hypot(median[1] - guess[1]) <= radius).then_some(median)
    }

    /// The median of the displacements `follow` finds for the grid's points, or `None` when
    /// fewer than [`MIN_GRID_FOLLOWED`] of them are found.
    fn median_of(
        &self,
        mut follow: impl FnMut(&PointTemplate) -> Option<[f64; 2]>,
    ) -> Option<[f64; 2]> {
        if !self.followable() {
            return None;
        }
        let mut dx = Vec::with_capacity(self.points.len());
        let mut dy = Vec::with_capacity(self.points.len());
        for d in self.points.iter().filter_map(&mut follow) {
            dx.push(d[0]);
            dy.push(d[1]);
        }
        grid_median(&mut dx, &mut dy)
    }
}

/// The median of a grid's found displacements (x and y apart), or `None` when fewer than
/// [`MIN_GRID_FOLLOWED`] were found.
fn grid_median(dx: &mut [f64], dy: &mut [f64]) -> Option<[f64; 2]> {
    if dx.len() < MIN_GRID_FOLLOWED {
        return None;
    }
    Some([median_in_place(dx)?, median_in_place(dy)?])
}

/// The displacement into `next` of the skin at `at` in `last` (one point, not a grid: for a
/// step between frames); `None` where that skin is too smooth or is lost.
pub(super) fn follow_point(last: &Pyramid, at: [f64; 2], next: &Pyramid) -> Option<[f64; 2]> {
    let point = PointTemplate::new(last, at)?;
    point.track(next, &mut Vec::with_capacity(WINDOW_SIDE_PX * WINDOW_SIDE_PX))
}

/// Side of the Lucas–Kanade window, pixels.
const WINDOW_SIDE_PX: usize = (2 * WINDOW_RADIUS_PX + 1) as usize;

/// One pyramid level of a point's neutral window: values and gradients, and the structure
/// tensor (Bouguet's pyramidal Lucas–Kanade keeps the neutral side fixed, so all of it is
/// known before any frame arrives).
#[derive(Clone, Debug)]
struct LevelTemplate {
    /// (value, ∂x, ∂y) per window pixel, row by row.
    samples: Vec<[f64; 3]>,
    gxx: f64,
    gxy: f64,
    gyy: f64,
    det: f64,
}

/// The smaller eigenvalue of a window's structure tensor per pixel: how well the window's
/// texture pins down its position in its weakest direction (intensities 0–1).
pub(super) fn texture(gxx: f64, gxy: f64, gyy: f64, pixels: usize) -> f64 {
    let (trace, det) = (gxx + gyy, gxx * gyy - gxy * gxy);
    (trace - (trace * trace - 4.0 * det).max(0.0).sqrt()) / 2.0 / pixels as f64
}

/// The Lucas–Kanade window of `image` centred on (x, y): (value, ∂x, ∂y) per pixel, row by
/// row, and the structure tensor's sums (gxx, gxy, gyy).
pub(super) fn window_gradients(image: &Gray, x: f64, y: f64) -> (Vec<[f64; 3]>, [f64; 3]) {
    const PADDED: usize = WINDOW_SIDE_PX + 2;
    let mut padded = Vec::with_capacity(PADDED * PADDED);
    // One pixel wider for central differences.
    image.window(x, y, WINDOW_RADIUS_PX + 1, &mut padded);
    let at = |r: usize, c: usize| padded[r * PADDED + c];
    let mut samples = Vec::with_capacity(WINDOW_SIDE_PX * WINDOW_SIDE_PX);
    let (mut gxx, mut gxy, mut gyy) = (0.0, 0.0, 0.0);
    for row in 1..=WINDOW_SIDE_PX {
        for col in 1..=WINDOW_SIDE_PX {
            let ix = (at(row, col + 1) - at(row, col - 1)) / 2.0;
            let iy = (at(row + 1, col) - at(row - 1, col)) / 2.0;
            gxx += ix * ix;
            gxy += ix * iy;
            gyy += iy * iy;
            samples.push([at(row, col), ix, iy]);
        }
    }
    (samples, [gxx, gxy, gyy])
}

/// A neutral point followed by pyramidal Lucas–Kanade, then refined by a fit that lets the
/// skin stretch and bend inside the window ([`RefineTemplate`]).
#[derive(Clone, Debug)]
pub(super) struct PointTemplate {
    /// Level-0 canonical pixels.
    point: [f64; 2],
    /// Index = pyramid level.
    levels: Vec<LevelTemplate>,
    refine: RefineTemplate,
}

impl PointTemplate {
    /// `None` where the neutral skin is too smooth to follow.
    pub(super) fn new(neutral: &Pyramid, point: [f64; 2]) -> Option<Self> {
        let mut levels = Vec::with_capacity(neutral.levels.len());
        for (level, image) in neutral.levels.iter().enumerate() {
            let scale = (1u32 << level) as f64;
            let (samples, [gxx, gxy, gyy]) =
                window_gradients(image, point[0] / scale, point[1] / scale);
            let det = gxx * gyy - gxy * gxy;
            if level == 0 && texture(gxx, gxy, gyy, samples.len()) < MIN_TEXTURE {
                return None;
            }
            levels.push(LevelTemplate { samples, gxx, gxy, gyy, det });
        }
        Some(PointTemplate { point, levels, refine: RefineTemplate::new(neutral, point) })
    }

    /// Pyramidal Lucas–Kanade (Bouguet): the displacement of the point from the neutral image
    /// into `next` (level-0 canonical pixels). `window` is scratch space.
    pub(super) fn track(&self, next: &Pyramid, window: &mut Vec<f64>) -> Option<[f64; 2]> {
        let mut guess = [0.0f64; 2];
        for (level, template) in self.levels.iter().enumerate().rev() {
            if template.det <= 0.0 {
                guess = guess.map(|g| g * 2.0);
                continue;
            }
            let scale = (1u32 << level) as f64;
            let (px, py) = (self.point[0] / scale, self.point[1] / scale);
            let j = &next.levels[level];
            let LevelTemplate { gxx, gxy, gyy, det, .. } = *template;
            let mut v = [0.0f64; 2];
            for _ in 0..MAX_ITERATIONS {
                j.window(px + guess[0] + v[0], py + guess[1] + v[1], WINDOW_RADIUS_PX, window);
                let (mut bx, mut by) = (0.0, 0.0);
                for (&[value, ix, iy], now) in template.samples.iter().zip(window.iter()) {
                    let diff = value - now;
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
        let refined = self.refine.refine(next, self.point, guess).unwrap_or(guess);
        (refined.iter().all(|g| g.is_finite()) && refined[0].hypot(refined[1]) <= MAX_TRACK_PX)
            .then_some(refined)
    }

    /// The refinement alone from `guess`; `None` when it fails or goes beyond [`MAX_TRACK_PX`].
    fn refine_from(&self, next: &Pyramid, guess: [f64; 2]) -> Option<[f64; 2]> {
        let refined = self.refine.refine(next, self.point, guess)?;
        (refined[0].hypot(refined[1]) <= MAX_TRACK_PX).then_some(refined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symmetry::flow::test_images::{pyramid, texture};

    const ANCHOR_RADIUS: f64 = 1.0;

    #[test]
    fn follows_a_known_translation() {
        let neutral = pyramid(texture);
        // The skin moved by d: the current image at x shows the neutral skin from x − d.
        for d in [[0.0, 0.0], [0.4, -0.3], [3.7, 1.2], [-9.5, 6.25]] {
            let current = pyramid(|x, y| texture(x - d[0], y - d[1]));
            let grid = GridTemplate::new(&neutral, [80.0, 80.0]);
            let found = grid.track(&current).expect("textured");
            assert!(
                (found[0] - d[0]).abs() < 0.05 && (found[1] - d[1]).abs() < 0.05,
                "{d:?}: {found:?}"
            );
        }
    }

    /// A point is followed up to [`MAX_TRACK_PX`]; a track that ends farther has latched onto
    /// something else and is reported as lost (here, without the bound, a shift of 38 px read as
    /// (69, −123)).
    #[test]
    fn a_track_beyond_the_pyramids_reach_is_lost() {
        // Blobs at scattered places: unlike `texture`, nothing repeats within the reach.
        let blobs: Vec<[f64; 2]> = (0..80u32)
            .map(|k| {
                let h = |m: u32| f64::from(k.wrapping_mul(m).wrapping_add(12345) % 997) / 997.0;
                [h(7919) * 160.0, h(104729) * 160.0]
            })
            .collect();
        let spots = |x: f64, y: f64| {
            let sum: f64 = blobs
                .iter()
                .map(|b| (-((x - b[0]).powi(2) + (y - b[1]).powi(2)) / 50.0).exp())
                .sum();
            0.2 + 0.6 * sum.min(1.0)
        };
        let neutral = pyramid(spots);
        let grid = GridTemplate::new(&neutral, [60.0, 60.0]);
        let within = [MAX_TRACK_PX - 4.0, 0.0];
        let current = pyramid(|x, y| spots(x - within[0], y - within[1]));
        let found = grid.track(&current).expect("within reach");
        assert!((found[0] - within[0]).abs() < 0.05 && found[1].abs() < 0.05, "{found:?}");
        let beyond = [MAX_TRACK_PX + 6.0, 0.0];
        let current = pyramid(|x, y| spots(x - beyond[0], y - beyond[1]));
        assert_eq!(grid.track(&current), None);
    }

    #[test]
    fn follows_the_centre_of_a_stretched_window() {
        // Skin stretched by 10 % about (70, 90) and moved by (2, -1): the point (80, 80)
        // goes to (70, 90) + 1.1·(10, −10) + (2, −1) = (83, 78).
        let neutral = pyramid(texture);
        let warp_back = |x: f64, y: f64| {
            let (u, v) = ((x - 2.0 - 70.0) / 1.1 + 70.0, (y + 1.0 - 90.0) / 1.1 + 90.0);
            texture(u, v)
        };
        let current = pyramid(warp_back);
        let grid = GridTemplate::new(&neutral, [80.0, 80.0]);
        let found = grid.track(&current).expect("textured");
        assert!((found[0] - 3.0).abs() < 0.1 && (found[1] + 2.0).abs() < 0.1, "{found:?}");
    }

    /// The grid's median from a guess, kept when within the radius: what `track_near` gives,
    /// its early stops included.
    #[test]
    fn track_near_is_the_median_within_the_radius() {
        let neutral = pyramid(texture);
        let d = [3.7, 1.2];
        let current = pyramid(|x, y| texture(x - d[0], y - d[1]));
        let grid = GridTemplate::new(&neutral, [80.0, 80.0]);
        let mut answers = Vec::new();
        for guess in [[3.5, 1.0], [4.5, 1.2], [6.0, -1.0], [1.0, 1.2], [3.7, 3.0]] {
            let median = grid.median_of(|point| point.refine_from(&current, guess));
            let within =
                median.filter(|m| (m[0] - guess[0]).hypot(m[1] - guess[1]) <= ANCHOR_RADIUS);
            let near = grid.track_near(&current, guess, ANCHOR_RADIUS);
            assert_eq!(near, within, "{guess:?}");
            answers.push(near.is_some());
        }
        // Both answers were seen: the guesses within the radius of the truth and beyond it.
        assert_eq!(answers, [true, true, false, false, false]);
    }

    #[test]
    fn refuses_flat_skin() {
        let flat = pyramid(|_, _| 0.5);
        assert!(GridTemplate::new(&flat, [80.0, 80.0]).track(&flat).is_none());
    }
}
