//! The canonical face image skin motion runs on: the face plane of an image resampled at a
//! fixed scale, each pixel its footprint's mean, and where each landmark's skin is seen in it.

use image::RgbImage;
use rayon::prelude::*;

use super::head_motion::Similarity2;
use super::pyramid::{Gray, Pyramid};
use crate::symmetry::frame::{FaceFrame, Vec3, sub};

/// Pixels per IOD of the canonical face image flow runs on: every face is resampled to this
/// scale, so windows and thresholds mean the same on small and large faces.
pub(super) const CANONICAL_PX_PER_IOD: f64 = 64.0;
/// The canonical image covers these face coordinates (IOD): brows to chin, cheek to cheek.
const CANONICAL_X_IOD: [f64; 2] = [-1.4, 1.4];
const CANONICAL_Y_IOD: [f64; 2] = [-0.8, 1.9];

/// The margin around the canonical rectangle that [`face_luma`] converts too, IOD: room for
/// the head motion [`canonical`] takes out and for its footprint samples.
const LUMA_MARGIN_IOD: f64 = 0.5;

/// Samples per side of a canonical pixel at most (a face 6× the canonical size).
const MAX_SUPERSAMPLES: usize = 6;

/// The luma of the part of an image around a face that [`canonical`] reads.
pub(super) struct FaceLuma {
    gray: Gray,
    /// The image column and row of `gray`'s first pixel.
    x0: f64,
    y0: f64,
}

/// The luma of `image` over the canonical rectangle of `frame` and [`LUMA_MARGIN_IOD`]
/// around it (within the image), not the whole frame: a face fills a small part of a large
/// camera frame. A sample beyond it reads its edge, as one beyond the image reads the image's.
pub(super) fn face_luma(image: &RgbImage, frame: &FaceFrame) -> FaceLuma {
    let [x_min, x_max] = CANONICAL_X_IOD.map(|x| x + LUMA_MARGIN_IOD * x.signum());
    let [y_min, y_max] = CANONICAL_Y_IOD.map(|y| y + LUMA_MARGIN_IOD * y.signum());
    let corners = [[x_min, y_min], [x_max, y_min], [x_min, y_max], [x_max, y_max]]
        .map(|[x, y]| frame.image_from_face([x, y, 0.0]));
    let (w, h) = (image.width() as usize, image.height() as usize);
    if w == 0 || h == 0 {
        // Nothing to read: one black pixel, which no point can be followed on.
        return FaceLuma { gray: Gray { width: 1, height: 1, data: vec![0.0] }, x0: 0.0, y0: 0.0 };
    }
    let span = |axis: usize, len: usize| {
        let lo = corners.iter().map(|c| c[axis]).fold(f64::INFINITY, f64::min);
        let hi = corners.iter().map(|c| c[axis]).fold(f64::NEG_INFINITY, f64::max);
        // Whole pixels around it, at least one inside the image (a NaN frame gives the
        // first): `canonical` then clamps to it as to the image.
        let lo = if lo.is_finite() { (lo.floor().max(0.0) as usize).min(len - 1) } else { 0 };
        let hi = if hi.is_finite() { (hi.ceil() as usize + 2).clamp(lo + 1, len) } else { len };
        lo..hi
    };
    let (x, y) = (span(0, w), span(1, h));
    let (x0, y0) = (x.start as f64, y.start as f64);
    FaceLuma { gray: Gray::luma(image, x, y), x0, y0 }
}

/// The face plane (z = 0 in face coordinates) of `image`, resampled at
/// [`CANONICAL_PX_PER_IOD`], as a grey pyramid; with `moved`, canonical pixel p shows what
/// the plain resampling shows at `moved(p)` (head motion measured in canonical pixels, taken
/// out).
pub(super) fn canonical(
    source: &FaceLuma,
    frame: &FaceFrame,
    moved: Option<Similarity2>,
) -> Pyramid {
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
    // Each canonical pixel covers step × step image pixels: averaging n × n bilinear samples
    // spread over that footprint (n = the step rounded up) keeps finer image detail from
    // aliasing into it, so the canonical image looks the same whatever the face's size and
    // roll in the image.
    let step = step_x[0].hypot(step_x[1]).max(step_y[0].hypot(step_y[1]));
    // Image coordinates from here on are the luma part's.
    let (source, origin) = (&source.gray, sub(origin, [source.x0, source.y0, 0.0]));
    let n = (step.ceil() as usize).clamp(1, MAX_SUPERSAMPLES);
    let offsets: Vec<f64> = (0..n).map(|i| (i as f64 + 0.5) / n as f64 - 0.5).collect();
    let resampling = Resampling { source, origin, step_x, step_y, moved, offsets };
    let mut data = vec![0.0; width * height];
    data.par_chunks_mut(width).enumerate().for_each(|(v, row)| canonical_row(&resampling, v, row));
    Pyramid::new(Gray { width, height, data })
}

/// How [`canonical`] maps canonical pixels to the luma image.
struct Resampling<'a> {
    source: &'a Gray,
    /// Canonical (0, 0) in the luma image, and the image step of one canonical pixel along
    /// each canonical axis.
    origin: Vec3,
    step_x: Vec3,
    step_y: Vec3,
    /// The head motion taken out, canonical pixels.
    moved: Option<Similarity2>,
    /// Where in a canonical pixel its n × n samples lie, along each axis.
    offsets: Vec<f64>,
}

widest_vectors! {
    /// Canonical row `v` into `row`: each pixel the mean of its samples.
    fn canonical_row(resampling: &Resampling, v: usize, row: &mut [f32]) -> ()
        = canonical_row_portable;
}

/// [`canonical_row`] as written: the samples of every pixel of the row at one offset at a
/// time, so that several pixels go at once where the vectors are wide, each pixel's sum still
/// taken in the same order.
#[inline(always)]
fn canonical_row_portable(resampling: &Resampling, v: usize, row: &mut [f32]) {
    let Resampling { source, origin, step_x, step_y, moved, offsets } = resampling;
    let width = row.len();
    let (mut xs, mut ys) = (vec![0.0; width], vec![0.0; width]);
    let (mut samples, mut sums) = (vec![0.0; width], vec![0.0; width]);
    for &dv in offsets {
        for &du in offsets {
            for (u, (x, y)) in xs.iter_mut().zip(ys.iter_mut()).enumerate() {
                let p = [u as f64 + du, v as f64 + dv];
                let [u, v] = moved.as_ref().map_or(p, |s| s.apply(p));
                *x = origin[0] + u * step_x[0] + v * step_y[0];
                *y = origin[1] + u * step_x[1] + v * step_y[1];
            }
            source.samples(&xs, &ys, &mut samples);
            for (sum, sample) in sums.iter_mut().zip(&samples) {
                *sum += sample;
            }
        }
    }
    let weight = 1.0 / (offsets.len() * offsets.len()) as f64;
    for (out, sum) in row.iter_mut().zip(&sums) {
        *out = (sum * weight) as f32;
    }
}

/// Where the face plane's point (x, y) of face coordinates `q` falls in the canonical
/// image, pixels.
fn canonical_at(q: Vec3) -> [f64; 2] {
    [
        (q[0] - CANONICAL_X_IOD[0]) * CANONICAL_PX_PER_IOD,
        (q[1] - CANONICAL_Y_IOD[0]) * CANONICAL_PX_PER_IOD,
    ]
}

/// Where the skin at face point `q` is seen in the canonical image of a face with frame
/// `frame`: the point of the face plane on the same line of sight (the image seen
/// orthographically, as the face frame models it). The canonical image samples the plane
/// z = 0; skin behind or in front of it is seen beside its own (x, y) by its depth times
/// the tangent of the head's turn: 0.05 IOD, 3.4 canonical pixels, for the outer cheek
/// (landmark 147, about 0.3 IOD behind the plane) with the head turned 10°. A window placed
/// at (x, y) would follow the skin beside the landmark, on the side turned away towards the
/// face's outline, where the skin moves less (docs/validation.md, "More faces").
pub(super) fn seen_at(frame: &FaceFrame, q: Vec3) -> [f64; 2] {
    let r = frame.rotation;
    // The image shift of q's depth, undone within the plane: solve the plane axes' image
    // columns (2 × 2) for the shift.
    let det = r[0][0] * r[1][1] - r[0][1] * r[1][0];
    if !det.is_finite() || det.abs() < 1e-6 {
        return canonical_at(q);
    }
    let (ex, ey) = (q[2] * r[0][2], q[2] * r[1][2]);
    let dx = (r[1][1] * ex - r[0][1] * ey) / det;
    let dy = (r[0][0] * ey - r[1][0] * ex) / det;
    canonical_at([q[0] + dx, q[1] + dy, 0.0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symmetry::flow::test_images::texture;
    use crate::symmetry::frame::TEMPLATE;

    /// The canonical image read from the face's part of a frame is the one read from the whole
    /// frame, for a face inside a large frame and for one running off its corner.
    #[test]
    fn face_luma_reads_what_the_whole_frame_gives() {
        let (w, h) = (1600u32, 1000u32);
        let image = RgbImage::from_fn(w, h, |x, y| {
            let v = texture(f64::from(x), f64::from(y));
            image::Rgb([(v * 255.0) as u8, (v * 200.0) as u8, ((1.0 - v) * 255.0) as u8])
        });
        let whole = || FaceLuma {
            gray: Gray::luma(&image, 0..w as usize, 0..h as usize),
            x0: 0.0,
            y0: 0.0,
        };
        for (centre, roll) in [([700.0, 450.0], 0.2), ([40.0, 30.0], -0.3)] {
            // The template's points scaled to 110 px per IOD, rolled, placed at `centre`.
            let (sin, cos) = f64::sin_cos(roll);
            let place = |p: Vec3| {
                let (x, y) = (110.0 * p[0], 110.0 * p[1]);
                [centre[0] + cos * x - sin * y, centre[1] + sin * x + cos * y, 110.0 * p[2]]
            };
            let mut points = vec![place(TEMPLATE[0].1); crate::landmarks::NUM_LANDMARKS];
            for (i, p) in TEMPLATE {
                points[i] = place(p);
            }
            let frame = FaceFrame::fit_points(&points).expect("the template is a face");
            let part = face_luma(&image, &frame);
            assert!(part.gray.data.len() * 4 < (w * h) as usize, "{centre:?}: read too much");
            let (a, b) = (canonical(&part, &frame, None), canonical(&whole(), &frame, None));
            let worst = a.levels[0]
                .data
                .iter()
                .zip(&b.levels[0].data)
                .map(|(p, q)| (p - q).abs())
                .fold(0.0, f32::max);
            assert!(worst < 1e-6, "{centre:?}: canonical images differ by {worst}");
        }
    }

    /// Skin off the face plane is looked for where it is seen: on a face turned 10°, tilted
    /// and rolled, the canonical point `seen_at` gives lies on the same line of sight as the
    /// skin (same image position), and a point 0.5 IOD deep sits 0.5·tan 10° IOD beside its
    /// own (x, y); skin on the plane sits at its own.
    #[test]
    fn skin_is_looked_for_where_it_is_seen() {
        let (yaw, pitch, roll) = (10f64.to_radians(), (-5f64).to_radians(), 15f64.to_radians());
        let turn = |p: Vec3| {
            // Yaw about y, then pitch about x, then roll about the view axis.
            let (x, z) =
                (p[0] * yaw.cos() + p[2] * yaw.sin(), -p[0] * yaw.sin() + p[2] * yaw.cos());
            let (y, z) =
                (p[1] * pitch.cos() - z * pitch.sin(), p[1] * pitch.sin() + z * pitch.cos());
            let (x, y) = (x * roll.cos() - y * roll.sin(), x * roll.sin() + y * roll.cos());
            [320.0 + 90.0 * x, 240.0 + 90.0 * y, 90.0 * z]
        };
        let mut points = vec![turn(TEMPLATE[0].1); crate::landmarks::NUM_LANDMARKS];
        for (i, p) in TEMPLATE {
            points[i] = turn(p);
        }
        let frame = FaceFrame::fit_points(&points).expect("the template is a face");
        let on_plane = |[u, v]: [f64; 2]| {
            [
                CANONICAL_X_IOD[0] + u / CANONICAL_PX_PER_IOD,
                CANONICAL_Y_IOD[0] + v / CANONICAL_PX_PER_IOD,
                0.0,
            ]
        };
        for q in [[0.8, 0.6, 0.5], [-0.8, 0.6, 0.5], [0.2, 1.2, -0.3], [0.5, 0.1, 0.0]] {
            let seen = seen_at(&frame, q);
            let (a, b) = (frame.image_from_face(q), frame.image_from_face(on_plane(seen)));
            assert!((a[0] - b[0]).hypot(a[1] - b[1]) < 1e-9, "{q:?}: {a:?} vs {b:?}");
        }
        // In the face's own axes the turn is about 10° (the fitted frame need not be
        // exactly the constructed one), so the shift is about 0.5 · tan 10° = 0.088 IOD.
        let shift = seen_at(&frame, [0.8, 0.6, 0.5])[0] - canonical_at([0.8, 0.6, 0.5])[0];
        assert!((shift.abs() / CANONICAL_PX_PER_IOD - 0.088).abs() < 0.01, "{shift}");
        let flat = [0.5, 0.1, 0.0];
        let (seen, own) = (seen_at(&frame, flat), canonical_at(flat));
        assert!((seen[0] - own[0]).hypot(seen[1] - own[1]) < 1e-9);
    }
}
