//! The refinement of each track: the window's centre measured with a quadratic motion model
//! that may stretch, turn and bend inside the window ([`RefineTemplate`]).

use std::sync::LazyLock;

use super::pyramid::Pyramid;
use super::solve::solve;
use super::track::{MAX_ITERATIONS, MIN_UPDATE_PX};

/// Half-size of the refinement window, canonical pixels (0.14 IOD; a 19×19 window).
const REFINE_RADIUS_PX: i64 = 9;
/// Pixels of the refinement window, and as many rounded up to whole vector registers.
const WINDOW_PIXELS: usize = (2 * REFINE_RADIUS_PX as usize + 1).pow(2);
const PADDED_PIXELS: usize = WINDOW_PIXELS.next_multiple_of(8);
/// The refinement weighs each pixel of its window by a Gaussian of its distance from the
/// centre with this σ (canonical pixels, 0.09 IOD), so that texture at the window's edge,
/// where the skin moves less or not at all (the face's outline, a spectacle frame), counts
/// less than texture at the landmark. 6 px is the smallest σ that keeps a test face's mouth
/// corner within the invariance tests' 0.01 IOD (docs/validation.md, "More faces").
const REFINE_SIGMA_PX: f64 = 6.0;

/// Gauss–Newton iterations of the refinement at most, as many as the translational steps
/// ([`MAX_ITERATIONS`]): started with no stretch or bend, its twelve parameters need more than
/// 8 at the mouth corner under a full smile (docs/validation.md, "Known one-sided movements").
const MAX_REFINE_ITERATIONS: usize = MAX_ITERATIONS;
/// Largest shear or stretch the refinement may find at the window's centre (50 % is not
/// skin).
const MAX_REFINE_DEFORMATION: f64 = 0.5;

/// Monomials x^i·y^j of degree up to 4 in the window's coordinates, as (i, j): the first six
/// are the motion model's basis 1, x, y, x², xy, y², and every product of two of those is one
/// of them.
const MONOMIALS: [(u8, u8); 15] = [
    (0, 0),
    (1, 0),
    (0, 1),
    (2, 0),
    (1, 1),
    (0, 2),
    (3, 0),
    (2, 1),
    (1, 2),
    (0, 3),
    (4, 0),
    (3, 1),
    (2, 2),
    (1, 3),
    (0, 4),
];
/// `PRODUCT[k][l]`: the index into [`MONOMIALS`] of the product of basis functions `k` and
/// `l`, found at compile time.
const PRODUCT: [[usize; 6]; 6] = {
    let mut table = [[0; 6]; 6];
    let mut k = 0;
    while k < 6 {
        let mut l = 0;
        while l < 6 {
            let (i, j) = (MONOMIALS[k].0 + MONOMIALS[l].0, MONOMIALS[k].1 + MONOMIALS[l].1);
            let mut m = 0;
            while MONOMIALS[m].0 != i || MONOMIALS[m].1 != j {
                m += 1;
            }
            table[k][l] = m;
            l += 1;
        }
        k += 1;
    }
    table
};

/// Per window pixel, row by row: its Gaussian weight times each of [`MONOMIALS`] (the first
/// six are the weighted basis; the sixteenth lane is zero, so that the sums run in whole
/// vector registers), coordinates in units of [`REFINE_RADIUS_PX`]; and, function by function,
/// the basis unweighted and the pixel's offset from the centre (pixels), zero past the window.
struct RefineWindow {
    weighted: Vec<[f64; 16]>,
    basis: [[f64; PADDED_PIXELS]; 6],
    offset: [[f64; PADDED_PIXELS]; 2],
}

fn refine_window() -> &'static RefineWindow {
    static WINDOW: LazyLock<RefineWindow> = LazyLock::new(|| {
        let r = REFINE_RADIUS_PX as f64;
        let mut weighted = Vec::with_capacity(WINDOW_PIXELS);
        let (mut basis, mut offset) = ([[0.0; PADDED_PIXELS]; 6], [[0.0; PADDED_PIXELS]; 2]);
        let mut k = 0;
        for dy in -REFINE_RADIUS_PX..=REFINE_RADIUS_PX {
            for dx in -REFINE_RADIUS_PX..=REFINE_RADIUS_PX {
                let (x, y) = (dx as f64, dy as f64);
                let weight = (-(x * x + y * y) / (2.0 * REFINE_SIGMA_PX * REFINE_SIGMA_PX)).exp();
                let (u, v) = (x / r, y / r);
                let m = MONOMIALS.map(|(i, j)| u.powi(i32::from(i)) * v.powi(i32::from(j)));
                weighted.push(std::array::from_fn(|k| if k < 15 { weight * m[k] } else { 0.0 }));
                for j in 0..6 {
                    basis[j][k] = m[j];
                }
                (offset[0][k], offset[1][k]) = (x, y);
                k += 1;
            }
        }
        RefineWindow { weighted, basis, offset }
    });
    &WINDOW
}

/// One Gauss–Newton iteration's sums over the refinement window. Each is accumulated pixel
/// by pixel in window order, whatever the vector width, so every processor gets the same
/// numbers.
#[derive(Debug, Default, PartialEq)]
struct Sums {
    /// The image gradients' products (x–x, x–y, y–y) times each monomial (lane 15 unused).
    xx: [f64; 16],
    xy: [f64; 16],
    yy: [f64; 16],
    /// Times each basis function (lanes 6 and 7 unused): the error times the x and y
    /// gradients (the right-hand side), and the gain and bias's cross terms with the motion
    /// (each gradient times the current value, and alone).
    ex: [f64; 8],
    ey: [f64; 8],
    x_now: [f64; 8],
    x: [f64; 8],
    y_now: [f64; 8],
    y: [f64; 8],
    /// The gain and bias's own block (Σ w·now², Σ w·now, Σ w) and right-hand side
    /// (Σ w·error·now, Σ w·error).
    own: [f64; 3],
    photometric: [f64; 2],
}

/// [`sums`] as written: the same operations in the same order on every processor, several
/// pixels at once where the vectors are wide.
#[inline(always)]
#[allow(clippy::needless_range_loop)] // Lane-indexed loops over several arrays.
fn sums_portable(
    template: &[f64],
    next: &Pyramid,
    point: [f64; 2],
    p: &[f64; 12],
    gain: f64,
    bias: f64,
) -> Sums {
    let window = refine_window();
    // First each pixel's warped position, value and gradients, pixel by pixel (several
    // at once in vector registers), then the sums in window order.
    let (mut xs, mut ys) = ([0.0f64; PADDED_PIXELS], [0.0f64; PADDED_PIXELS]);
    for k in 0..PADDED_PIXELS {
        let (mut u, mut v) = (0.0, 0.0);
        for j in 0..6 {
            u += p[j] * window.basis[j][k];
            v += p[6 + j] * window.basis[j][k];
        }
        xs[k] = point[0] + window.offset[0][k] + u;
        ys[k] = point[1] + window.offset[1][k] + v;
    }
    let mut now = [0.0f64; PADDED_PIXELS];
    let (mut gx, mut gy) = ([0.0f64; PADDED_PIXELS], [0.0f64; PADDED_PIXELS]);
    next.values_and_gradients(&xs, &ys, &mut now, &mut gx, &mut gy);
    let mut s = Sums::default();
    for (k, weighted) in window.weighted.iter().enumerate() {
        let (now, jx, jy) = (now[k], gain * gx[k], gain * gy[k]);
        let error = template[k] - (gain * now + bias);
        let (ex, ey) = (error * jx, error * jy);
        let (xx, xy, yy) = (jx * jx, jx * jy, jy * jy);
        let (x_now, y_now) = (jx * now, jy * now);
        for m in 0..16 {
            s.xx[m] += xx * weighted[m];
            s.xy[m] += xy * weighted[m];
            s.yy[m] += yy * weighted[m];
        }
        for j in 0..8 {
            s.ex[j] += ex * weighted[j];
            s.ey[j] += ey * weighted[j];
            s.x_now[j] += x_now * weighted[j];
            s.x[j] += jx * weighted[j];
            s.y_now[j] += y_now * weighted[j];
            s.y[j] += jy * weighted[j];
        }
        let w = weighted[0];
        s.own[0] += w * now * now;
        s.own[1] += w * now;
        s.own[2] += w;
        s.photometric[0] += w * error * now;
        s.photometric[1] += w * error;
    }
    s
}

widest_vectors! {
    /// The sums of one iteration at parameters `p`, `gain`, `bias` (see
    /// [`RefineTemplate::refine`]).
    fn sums(
        template: &[f64],
        next: &Pyramid,
        point: [f64; 2],
        p: &[f64; 12],
        gain: f64,
        bias: f64,
    ) -> Sums = sums_portable;
}

/// The neutral side of the refinement of a point's track: the displacement of the window's
/// centre is measured with a motion model that may stretch, turn and bend inside the window,
/// so that it is not an average of the skin around the landmark. Under a movement the skin's
/// motion peaks at the skin that moves and falls off around it; a translation, or an affine
/// map, fitted to such a window reads the centre's displacement as a mean of its
/// surroundings weighted by where the texture lies (an eyebrow's hairs, a lip's edge), which
/// is different on each side of a face (docs/validation.md, "What a perfect tracker would
/// read"). Each coordinate of the displacement is a quadratic in the window's coordinates,
/// u(x, y) = Σ pₖ·bₖ(x, y) over b = (1, x, y, x², xy, y²) and likewise v, x and y in units of
/// [`REFINE_RADIUS_PX`]; the window's centre moves by (p₀, p₆). The current window is also
/// given a gain and a bias (neutral ≈ gain · current + bias): skin that bulges as it moves
/// (a cheek under a smile) turns to or from the light, and without them the fit slid such
/// skin along its own shading (docs/validation.md, "Real footage"). Gauss–Newton, forward
/// additive, each pixel weighted by [`REFINE_SIGMA_PX`]; the neutral window's values are
/// sampled once.
#[derive(Clone, Debug)]
pub(super) struct RefineTemplate {
    /// Neutral values of the window, row by row.
    values: Vec<f64>,
}

impl RefineTemplate {
    pub(super) fn new(neutral: &Pyramid, point: [f64; 2]) -> Self {
        let base = &neutral.levels[0];
        let values = (-REFINE_RADIUS_PX..=REFINE_RADIUS_PX)
            .flat_map(|dy| (-REFINE_RADIUS_PX..=REFINE_RADIUS_PX).map(move |dx| (dx, dy)))
            .map(|(dx, dy)| base.sample(point[0] + dx as f64, point[1] + dy as f64))
            .collect();
        RefineTemplate { values }
    }

    /// Refines the translation `guess` of the window at `point` into `next`; `None` when the
    /// fit fails or wanders off.
    pub(super) fn refine(
        &self,
        next: &Pyramid,
        point: [f64; 2],
        guess: [f64; 2],
    ) -> Option<[f64; 2]> {
        // p[0..6] for the x displacement, p[6..12] for y; the current window's gain and
        // bias (the skin's shading changes as it moves) in `gain`, `bias`.
        let mut p = [0.0f64; 12];
        p[0] = guess[0];
        p[6] = guess[1];
        let (mut gain, mut bias) = (1.0f64, 0.0f64);
        for _ in 0..MAX_REFINE_ITERATIONS {
            // The Gauss–Newton matrix's blocks (x–x, x–y, y–y) are sums of the image
            // gradients' products times monomials: 45 sums per pixel instead of 78.
            let sums = sums(&self.values, next, point, &p, gain, bias);
            let mut h = [[0.0f64; 14]; 14];
            for r in 0..6 {
                for c in 0..6 {
                    let m = PRODUCT[r][c];
                    h[r][c] = sums.xx[m];
                    h[r][6 + c] = sums.xy[m];
                    h[6 + r][c] = sums.xy[m];
                    h[6 + r][6 + c] = sums.yy[m];
                }
                let (cross_x, cross_y) = ([sums.x_now[r], sums.x[r]], [sums.y_now[r], sums.y[r]]);
                for k in 0..2 {
                    (h[r][12 + k], h[12 + k][r]) = (cross_x[k], cross_x[k]);
                    (h[6 + r][12 + k], h[12 + k][6 + r]) = (cross_y[k], cross_y[k]);
                }
            }
            h[12][12] = sums.own[0];
            (h[12][13], h[13][12]) = (sums.own[1], sums.own[1]);
            h[13][13] = sums.own[2];
            let rhs = std::array::from_fn(|k| match k {
                0..6 => sums.ex[k],
                6..12 => sums.ey[k - 6],
                _ => sums.photometric[k - 12],
            });
            let delta = solve(h, rhs)?;
            gain += delta[12];
            bias += delta[13];
            for k in 0..12 {
                p[k] += delta[k];
            }
            if delta[0].hypot(delta[6]) < MIN_UPDATE_PX {
                break;
            }
        }
        let r = REFINE_RADIUS_PX as f64;
        if [p[1], p[2], p[7], p[8]].iter().any(|a| (a / r).abs() > MAX_REFINE_DEFORMATION)
            || (p[0] - guess[0]).hypot(p[6] - guess[1]) > 2.0 * r
            || !p.iter().all(|v| v.is_finite())
        {
            return None;
        }
        Some([p[0], p[6]])
    }
}

#[cfg(test)]
mod tests {
    use super::{WINDOW_PIXELS, sums, sums_portable};
    use crate::symmetry::flow::test_images::{pyramid, texture};
    use crate::symmetry::flow::track::PointTemplate;

    /// The sums built for wide vectors equal the plain build's to the bit, for a window
    /// inside the image and one running off its edge.
    #[test]
    fn every_processor_gets_the_same_sums() {
        let next = pyramid(texture);
        let template: Vec<f64> = (0..WINDOW_PIXELS).map(|k| (k as f64 * 0.37).sin()).collect();
        let p = [1.3, 0.2, -0.1, 0.05, 0.01, -0.02, -0.7, 0.1, 0.15, -0.03, 0.03, 0.01];
        for point in [[80.0, 80.0], [3.5, 150.2]] {
            let wide = sums(&template, &next, point, &p, 1.1, -0.02);
            assert_eq!(wide, sums_portable(&template, &next, point, &p, 1.1, -0.02));
            assert!(wide.xx.iter().all(|v| v.is_finite()) && wide.xx[0] > 0.0);
        }
    }

    /// Skin whose motion peaks at the point and falls off around it, as a movement moves it (a
    /// lift of 3 px at the point, a Gaussian of σ = 8 px around it): the refinement reads the
    /// point's own displacement, not the window's mean motion, which is what a translation (or,
    /// the field being even about the point, an affine map) fits: translational Lucas–Kanade
    /// reads 2.28 px here, the quadratic refinement 2.80.
    #[test]
    fn follows_the_peak_of_a_motion_that_falls_off() {
        let (at, lift, spread) = ([80.0, 80.0], 3.0, 8.0);
        let motion = |x: f64, y: f64| {
            lift * (-((x - at[0]).powi(2) + (y - at[1]).powi(2)) / (2.0 * spread * spread)).exp()
        };
        // The current image at (x, y) shows the neutral skin from where it moved from:
        // (x, y + m) with m = motion there, found by fixed-point iteration.
        let current = pyramid(|x, y| {
            let mut from = y;
            for _ in 0..20 {
                from = y + motion(x, from);
            }
            texture(x, from)
        });
        let neutral = pyramid(texture);
        let point = PointTemplate::new(&neutral, at).expect("textured");
        let found = point.track(&current, &mut Vec::new()).expect("followed");
        assert!(found[0].abs() < 0.1 && (found[1] + lift).abs() < 0.1 * lift, "{found:?}");
    }
}
