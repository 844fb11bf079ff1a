//! Bilinear resampling that reproduces OpenCV's `warpPerspective(INTER_LINEAR)` on 8-bit
//! images, which is how MediaPipe's CPU graph cuts the detector's and the face mesh's inputs.
//!
//! MediaPipe (0.10.14, with OpenCV 3.4) builds a perspective matrix from the crop's four
//! corners (`getPerspectiveTransform`, an 8×8 LU solve), inverts it, maps each destination
//! pixel to a source position rounded to 1/32 pixel (`INTER_BITS = 5`), weighs the four
//! neighbours with integer weights that sum to 32 768 and rounds back to 8 bits. Doing each of
//! these steps in the same order and precision keeps our model inputs bit-identical to
//! MediaPipe's: when the source position falls exactly half-way between two 1/32 steps (common
//! when an image side is a multiple of the crop side), the last bits of the solved matrix
//! decide the rounding, and a plain affine map picks the other neighbour.

use image::RgbImage;

use super::isa::with_best_isa;

/// Sub-pixel positions per pixel (OpenCV's `INTER_TAB_SIZE`).
const SUBPIXELS: i64 = 32;
/// log2 of [`SUBPIXELS`].
const SUBPIXEL_BITS: u32 = 5;

/// What a sample outside the source image reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Border {
    /// Black (OpenCV `BORDER_CONSTANT` with 0): the detector's letterbox.
    Zero,
    /// The nearest edge pixel (OpenCV `BORDER_REPLICATE`): the face-mesh crop.
    Replicate,
}

/// A 2-D affine map `p ↦ [m0·x + m1·y + m2, m3·x + m4·y + m5]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Affine(pub [f64; 6]);

impl Affine {
    /// Applies the map.
    pub fn apply(&self, x: f64, y: f64) -> [f64; 2] {
        let m = &self.0;
        [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]]
    }

    /// The inverse map; `None` when the map is singular.
    pub fn inverse(&self) -> Option<Affine> {
        let [a, b, c, d, e, f] = self.0;
        let det = a * e - b * d;
        if det == 0.0 || !det.is_finite() {
            return None;
        }
        let (ia, ib, id, ie) = (e / det, -b / det, -d / det, a / det);
        Some(Affine([ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)]))
    }
}

/// A projective map from destination pixels to source positions, 3×3 row-major, used the way
/// OpenCV's `warpPerspective` uses its inverted matrix.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SourceMap(pub [f64; 9]);

impl SourceMap {
    /// OpenCV's `getPerspectiveTransform(corners → dst_corners)` followed by `invert`, where
    /// the destination corners are those of a `width`×`height` image in the order
    /// bottom-left, top-left, top-right, bottom-right (the order of `RotatedRect::points`).
    /// `None` when the corners are degenerate.
    pub fn from_corners(corners: [[f32; 2]; 4], width: usize, height: usize) -> Option<Self> {
        let (w, h) = (width as f32, height as f32);
        let dst = [[0.0, h], [0.0, 0.0], [w, 0.0], [w, h]];
        let forward = perspective_transform(&corners, &dst)?;
        invert3(&forward).map(SourceMap)
    }

    /// The affine map as a projective one.
    pub fn from_affine(a: &Affine) -> Self {
        let m = a.0;
        SourceMap([m[0], m[1], m[2], m[3], m[4], m[5], 0.0, 0.0, 1.0])
    }

    /// Calls `f(u, v, (fx, fy))` for every pixel of a `width`×`height` destination, with the
    /// source position of [`Self::row_positions`].
    fn for_each_position(
        &self,
        width: usize,
        height: usize,
        mut f: impl FnMut(usize, usize, (i64, i64)),
    ) {
        let (mut fx, mut fy) = (vec![0; width], vec![0; width]);
        for v in 0..height {
            self.row_positions(v, height, &mut fx, &mut fy);
            for (u, (x, y)) in fx.iter().zip(&fy).enumerate() {
                f(u, v, (i64::from(*x), i64::from(*y)));
            }
        }
    }

    /// The source positions, in 1/32 pixel, of destination row `v` of an image `fx.len()`
    /// wide and `height` high, computed as OpenCV 3.4's `WarpPerspectiveInvoker` does: per
    /// block of columns, `X0 = M0·x_block + M1·y + M2`, then `(X0 + M0·x1) · 32/W`. One pass
    /// per block with no branch, so that it compiles to vector instructions.
    #[inline(always)]
    fn row_positions(&self, v: usize, height: usize, fx: &mut [i32], fy: &mut [i32]) {
        let m = &self.0;
        let width = fx.len();
        let block = block_width(width, height);
        let y = v as f64;
        for block_start in (0..width).step_by(block) {
            let end = (block_start + block).min(width);
            let xb = block_start as f64;
            let x0 = m[0] * xb + m[1] * y + m[2];
            let y0 = m[3] * xb + m[4] * y + m[5];
            let w0 = m[6] * xb + m[7] * y + m[8];
            let xs = fx[block_start..end].iter_mut();
            for (x1, (fx, fy)) in xs.zip(&mut fy[block_start..end]).enumerate() {
                let x1 = x1 as f64;
                let w = w0 + m[6] * x1;
                let w = if w != 0.0 { SUBPIXELS as f64 / w } else { 0.0 };
                *fx = saturate_round((x0 + m[0] * x1) * w);
                *fy = saturate_round((y0 + m[3] * x1) * w);
            }
        }
    }
}

/// Columns per block in OpenCV's `WarpPerspectiveInvoker` for a `width`×`height` output.
fn block_width(width: usize, height: usize) -> usize {
    const BLOCK: usize = 32;
    let rows = (BLOCK / 2).min(height).max(1);
    (BLOCK * BLOCK / rows).min(width).max(1)
}

/// OpenCV's `getPerspectiveTransform` with `DECOMP_LU`: the 3×3 matrix taking `src[i]` to
/// `dst[i]`, solved in double precision from single-precision points.
fn perspective_transform(src: &[[f32; 2]; 4], dst: &[[f32; 2]; 4]) -> Option<[f64; 9]> {
    let mut a = [[0.0f64; 8]; 8];
    let mut b = [0.0f64; 8];
    for i in 0..4 {
        let ([sx, sy], [dx, dy]) = (src[i], dst[i]);
        a[i][0] = f64::from(sx);
        a[i + 4][3] = f64::from(sx);
        a[i][1] = f64::from(sy);
        a[i + 4][4] = f64::from(sy);
        a[i][2] = 1.0;
        a[i + 4][5] = 1.0;
        // These products are single precision in OpenCV (float * float).
        a[i][6] = f64::from(-sx * dx);
        a[i][7] = f64::from(-sy * dx);
        a[i + 4][6] = f64::from(-sx * dy);
        a[i + 4][7] = f64::from(-sy * dy);
        b[i] = f64::from(dx);
        b[i + 4] = f64::from(dy);
    }
    lu_solve(&mut a, &mut b)?;
    Some([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], 1.0])
}

/// OpenCV's `hal::LU64f`: Gaussian elimination with partial pivoting, storing reciprocal
/// pivots, then back substitution; the same operations in the same order.
fn lu_solve(a: &mut [[f64; 8]; 8], b: &mut [f64; 8]) -> Option<()> {
    const EPS: f64 = f64::EPSILON * 100.0;
    let m = 8;
    for i in 0..m {
        let mut k = i;
        for j in i + 1..m {
            if a[j][i].abs() > a[k][i].abs() {
                k = j;
            }
        }
        if a[k][i].abs() < EPS {
            return None;
        }
        if k != i {
            // OpenCV swaps columns i.. only; the columns before i are never read again.
            a.swap(i, k);
            b.swap(i, k);
        }
        let d = -1.0 / a[i][i];
        for j in i + 1..m {
            let (upper, lower) = a.split_at_mut(j);
            let (pivot_row, row) = (&upper[i], &mut lower[0]);
            let alpha = row[i] * d;
            for (x, p) in row[i + 1..].iter_mut().zip(&pivot_row[i + 1..]) {
                *x += alpha * p;
            }
            b[j] += alpha * b[i];
        }
        a[i][i] = -d;
    }
    for i in (0..m).rev() {
        let mut s = b[i];
        for k in i + 1..m {
            s -= a[i][k] * b[k];
        }
        b[i] = s * a[i][i];
    }
    Some(())
}

/// OpenCV's `invert` of a 3×3 double matrix (`DECOMP_LU` takes the cofactor formula).
fn invert3(m: &[f64; 9]) -> Option<[f64; 9]> {
    let s = |r: usize, c: usize| m[r * 3 + c];
    let det = s(0, 0) * (s(1, 1) * s(2, 2) - s(1, 2) * s(2, 1))
        - s(0, 1) * (s(1, 0) * s(2, 2) - s(1, 2) * s(2, 0))
        + s(0, 2) * (s(1, 0) * s(2, 1) - s(1, 1) * s(2, 0));
    if det == 0.0 || !det.is_finite() {
        return None;
    }
    let d = 1.0 / det;
    Some([
        (s(1, 1) * s(2, 2) - s(1, 2) * s(2, 1)) * d,
        (s(0, 2) * s(2, 1) - s(0, 1) * s(2, 2)) * d,
        (s(0, 1) * s(1, 2) - s(0, 2) * s(1, 1)) * d,
        (s(1, 2) * s(2, 0) - s(1, 0) * s(2, 2)) * d,
        (s(0, 0) * s(2, 2) - s(0, 2) * s(2, 0)) * d,
        (s(0, 2) * s(1, 0) - s(0, 0) * s(1, 2)) * d,
        (s(1, 0) * s(2, 1) - s(1, 1) * s(2, 0)) * d,
        (s(0, 1) * s(2, 0) - s(0, 0) * s(2, 1)) * d,
        (s(0, 0) * s(1, 1) - s(0, 1) * s(1, 0)) * d,
    ])
}

/// Per-channel value map applied after sampling: `value = pixel · scale + offset`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ValueRange {
    /// Multiplier on the 0–255 pixel value.
    pub scale: f32,
    /// Added after scaling.
    pub offset: f32,
}

impl ValueRange {
    /// Maps 0–255 onto `min..=max` (MediaPipe's `GetValueRangeTransformation`).
    pub fn new(min: f32, max: f32) -> Self {
        let scale = (max - min) / 255.0;
        Self { scale, offset: min }
    }
}

with_best_isa!(
    /// Samples `size`×`size` pixels, destination pixel `(u, v)` reading the source position
    /// `source_from_crop` gives it, into `dst` as three planes (NCHW, RGB), each value mapped
    /// through `range`. `dst` must hold `3·size·size` values.
    pub fn crop_to_planes(
        image: &RgbImage,
        source_from_crop: &SourceMap,
        size: usize,
        border: Border,
        range: ValueRange,
        dst: &mut [f32],
    ) {
        let plane = size * size;
        assert_eq!(dst.len(), 3 * plane, "destination holds three {size}x{size} planes");
        let (r, rest) = dst.split_at_mut(plane);
        let (g, b) = rest.split_at_mut(plane);
        let (mut fx, mut fy) = (vec![0; size], vec![0; size]);
        let mut pixels = vec![[0u8; 3]; size];
        let ValueRange { scale, offset } = range;
        touch_source(image, source_from_crop, size);
        for v in 0..size {
            source_from_crop.row_positions(v, size, &mut fx, &mut fy);
            sample_row(image, &fx, &fy, border, &mut pixels);
            let row = v * size..(v + 1) * size;
            let planes = r[row.clone()].iter_mut().zip(&mut g[row.clone()]).zip(&mut b[row]);
            for (((r, g), b), px) in planes.zip(&pixels) {
                *r = f32::from(px[0]) * scale + offset;
                *g = f32::from(px[1]) * scale + offset;
                *b = f32::from(px[2]) * scale + offset;
            }
        }
    }
);

/// Reads one byte of every cache line of the source rectangle a `size`×`size` crop samples,
/// row after row. The sampling itself walks the source along the crop's rotated rows and
/// gathers four neighbours at a time, which the processor's prefetcher cannot follow; read in
/// order first, a frame not yet in cache arrives at memory speed instead (tracked frame 1.65 →
/// 1.37 ms, docs/performance.md).
fn touch_source(image: &RgbImage, map: &SourceMap, size: usize) {
    const CACHE_LINE: usize = 64;
    let m = &map.0;
    let s = size as f64;
    let (mut x0, mut y0, mut x1, mut y1) =
        (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for (u, v) in [(0.0, 0.0), (s, 0.0), (0.0, s), (s, s)] {
        let w = m[6] * u + m[7] * v + m[8];
        let (x, y) = ((m[0] * u + m[1] * v + m[2]) / w, (m[3] * u + m[4] * v + m[5]) / w);
        if !(x.is_finite() && y.is_finite()) {
            return;
        }
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    // One pixel more on each side for the bilinear neighbours, then inside the image.
    let (width, height) = (image.width() as f64, image.height() as f64);
    let (x0, x1) = ((x0 - 1.0).max(0.0), (x1 + 2.0).min(width));
    let (y0, y1) = ((y0 - 1.0).max(0.0), (y1 + 2.0).min(height));
    if x0 >= x1 || y0 >= y1 {
        return;
    }
    let (x0, x1, y0, y1) = (x0 as usize, x1 as usize, y0 as usize, y1 as usize);
    let stride = 3 * image.width() as usize;
    let mut any = 0u8;
    for row in image.as_raw().chunks_exact(stride).take(y1).skip(y0) {
        any ^= row[3 * x0..3 * x1].iter().step_by(CACHE_LINE).fold(0, |a, b| a ^ b);
    }
    std::hint::black_box(any);
}

/// [`sample`] for each position of a row; with AVX2, eight at a time (the same integer
/// arithmetic, so the same bytes), except with a zero border where some neighbour is outside.
#[inline(always)]
fn sample_row(image: &RgbImage, fx: &[i32], fy: &[i32], border: Border, pixels: &mut [[u8; 3]]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor was just asked whether it has AVX2.
        unsafe { sample_row_avx2(image, fx, fy, border, pixels) };
        return;
    }
    sample_each(image, fx, fy, border, pixels);
}

/// [`sample`] at each position, one pixel at a time.
#[inline(always)]
fn sample_each(image: &RgbImage, fx: &[i32], fy: &[i32], border: Border, pixels: &mut [[u8; 3]]) {
    for ((px, x), y) in pixels.iter_mut().zip(fx).zip(fy) {
        *px = sample(image, (i64::from(*x), i64::from(*y)), border);
    }
}

/// [`sample_row`] with AVX2: the four neighbours of eight pixels (clamped to the image for a
/// replicated border) read by four gathers of 32 bits (each an RGB pixel and one byte more),
/// weighed and rounded in 32-bit lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn sample_row_avx2(
    image: &RgbImage,
    fx: &[i32],
    fy: &[i32],
    border: Border,
    pixels: &mut [[u8; 3]],
) {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi32, _mm256_and_si256, _mm256_cmpgt_epi32, _mm256_i32gather_epi32,
        _mm256_loadu_si256, _mm256_max_epi32, _mm256_min_epi32, _mm256_movemask_epi8,
        _mm256_mullo_epi32, _mm256_set1_epi32, _mm256_setzero_si256, _mm256_srai_epi32,
        _mm256_srli_epi32, _mm256_storeu_si256, _mm256_sub_epi32,
    };
    const LANES: usize = 8;
    let n = pixels.len().min(fx.len()).min(fy.len());
    let (w, h) = (image.width() as i32, image.height() as i32);
    let raw: &[u8] = image.as_raw();
    // Offsets are computed in 32 bits: larger images take the scalar path.
    let small_enough = raw.len() < i32::MAX as usize / 2 && raw.len() >= 4;
    let mut u = 0;
    while small_enough && u + LANES <= n {
        // SAFETY: `fx` and `fy` hold at least `u + 8` values.
        let (x, y) = unsafe {
            (
                _mm256_loadu_si256(fx[u..].as_ptr().cast::<__m256i>()),
                _mm256_loadu_si256(fy[u..].as_ptr().cast::<__m256i>()),
            )
        };
        let (sx, sy) = (_mm256_srai_epi32::<5>(x), _mm256_srai_epi32::<5>(y));
        let one = _mm256_set1_epi32(1);
        let (sx1, sy1) = (_mm256_add_epi32(sx, one), _mm256_add_epi32(sy, one));
        // The neighbours' columns and rows: clamped to the image for a replicated border,
        // as `sample` clamps each; for a zero border the eight must all be inside.
        let [x0, x1, y0, y1] = match border {
            Border::Replicate => {
                let zero = _mm256_setzero_si256();
                let (last_x, last_y) = (_mm256_set1_epi32(w - 1), _mm256_set1_epi32(h - 1));
                let clamp = |v, last| _mm256_min_epi32(_mm256_max_epi32(v, zero), last);
                [clamp(sx, last_x), clamp(sx1, last_x), clamp(sy, last_y), clamp(sy1, last_y)]
            }
            Border::Zero => {
                let minus_one = _mm256_set1_epi32(-1);
                let inside = _mm256_and_si256(
                    _mm256_and_si256(
                        _mm256_cmpgt_epi32(sx, minus_one),
                        _mm256_cmpgt_epi32(sy, minus_one),
                    ),
                    _mm256_and_si256(
                        _mm256_cmpgt_epi32(_mm256_set1_epi32(w), sx1),
                        _mm256_cmpgt_epi32(_mm256_set1_epi32(h), sy1),
                    ),
                );
                if _mm256_movemask_epi8(inside) != -1 {
                    let lanes = u..u + LANES;
                    sample_each(
                        image,
                        &fx[lanes.clone()],
                        &fy[lanes.clone()],
                        border,
                        &mut pixels[lanes],
                    );
                    u += LANES;
                    continue;
                }
                [sx, sx1, sy, sy1]
            }
        };
        let three = _mm256_set1_epi32(3);
        let width = _mm256_set1_epi32(w);
        let offset =
            |x, y| _mm256_mullo_epi32(_mm256_add_epi32(_mm256_mullo_epi32(y, width), x), three);
        let offsets = [offset(x0, y0), offset(x1, y0), offset(x0, y1), offset(x1, y1)];
        // Each read takes 4 bytes (a pixel and one more): the image's very last pixel is read
        // the scalar way.
        let past_end = _mm256_cmpgt_epi32(offsets[3], _mm256_set1_epi32(raw.len() as i32 - 4));
        if _mm256_movemask_epi8(past_end) != 0 {
            let lanes = u..u + LANES;
            sample_each(image, &fx[lanes.clone()], &fy[lanes.clone()], border, &mut pixels[lanes]);
            u += LANES;
            continue;
        }
        let fraction = _mm256_set1_epi32((SUBPIXELS - 1) as i32);
        let (ax, ay) = (_mm256_and_si256(x, fraction), _mm256_and_si256(y, fraction));
        let s = _mm256_set1_epi32(SUBPIXELS as i32);
        let (bx, by) = (_mm256_sub_epi32(s, ax), _mm256_sub_epi32(s, ay));
        let weights = [
            _mm256_mullo_epi32(bx, by),
            _mm256_mullo_epi32(ax, by),
            _mm256_mullo_epi32(bx, ay),
            _mm256_mullo_epi32(ax, ay),
        ];
        let base = raw.as_ptr().cast::<i32>();
        // SAFETY: every offset is that of a pixel inside the image, and none is within 4
        // bytes of its end.
        let neighbours = unsafe { offsets.map(|o| _mm256_i32gather_epi32::<1>(base, o)) };
        let byte = _mm256_set1_epi32(0xFF);
        let channel = |shifted: [__m256i; 4]| {
            let mut sum = _mm256_set1_epi32(512);
            for (value, weight) in shifted.into_iter().zip(weights) {
                sum = _mm256_add_epi32(
                    sum,
                    _mm256_mullo_epi32(_mm256_and_si256(value, byte), weight),
                );
            }
            _mm256_min_epi32(_mm256_srli_epi32::<10>(sum), byte)
        };
        let values = [
            channel(neighbours),
            channel(neighbours.map(|v| _mm256_srli_epi32::<8>(v))),
            channel(neighbours.map(|v| _mm256_srli_epi32::<16>(v))),
        ];
        let mut lanes = [[0i32; LANES]; 3];
        for (dst, v) in lanes.iter_mut().zip(values) {
            // SAFETY: `dst` holds 8 values.
            unsafe { _mm256_storeu_si256(dst.as_mut_ptr().cast::<__m256i>(), v) };
        }
        for (k, px) in pixels[u..u + LANES].iter_mut().enumerate() {
            *px = [lanes[0][k] as u8, lanes[1][k] as u8, lanes[2][k] as u8];
        }
        u += LANES;
    }
    sample_each(image, &fx[u..n], &fy[u..n], border, &mut pixels[u..n]);
}

/// A `width`×`height` RGB image whose pixel `(u, v)` samples `source_from_dst.apply(u, v)`.
pub fn warp_rgb(
    image: &RgbImage,
    source_from_dst: &Affine,
    width: u32,
    height: u32,
    border: Border,
) -> RgbImage {
    let mut out = RgbImage::new(width, height);
    let map = SourceMap::from_affine(source_from_dst);
    map.for_each_position(width as usize, height as usize, |u, v, position| {
        out.put_pixel(u as u32, v as u32, image::Rgb(sample(image, position, border)));
    });
    out
}

/// One destination pixel reading source position `(fx, fy)` (1/32 pixel), exactly as
/// OpenCV's fixed-point bilinear remap computes it.
#[inline(always)]
fn sample(image: &RgbImage, (fx, fy): (i64, i64), border: Border) -> [u8; 3] {
    let (w, h) = (i64::from(image.width()), i64::from(image.height()));
    let sx = fx >> SUBPIXEL_BITS;
    let sy = fy >> SUBPIXEL_BITS;
    let ax = (fx & (SUBPIXELS - 1)) as u32;
    let ay = (fy & (SUBPIXELS - 1)) as u32;
    // Weights in 1/1024: OpenCV's 1/32768 table entries are exactly 32 times these.
    let s = SUBPIXELS as u32;
    let weights = [(s - ax) * (s - ay), ax * (s - ay), (s - ax) * ay, ax * ay];
    let pixels: &[u8] = image.as_raw();
    if sx >= 0 && sy >= 0 && sx + 1 < w && sy + 1 < h {
        // All four neighbours inside: the common case, read straight from the buffer.
        let top = ((sy * w + sx) * 3) as usize;
        let bottom = top + (w * 3) as usize;
        let (t, b) = (&pixels[top..top + 6], &pixels[bottom..bottom + 6]);
        let channel = |c: usize| {
            let sum = weights[0] * u32::from(t[c])
                + weights[1] * u32::from(t[c + 3])
                + weights[2] * u32::from(b[c])
                + weights[3] * u32::from(b[c + 3]);
            // (Σ w·p + 2^14) >> 15 in OpenCV's units is (Σ w·p + 512) >> 10 in ours.
            ((sum + 512) >> 10).min(255) as u8
        };
        return [channel(0), channel(1), channel(2)];
    }
    if w == 0
        || h == 0
        || (border == Border::Zero && (sx >= w || sx + 1 < 0 || sy >= h || sy + 1 < 0))
    {
        return [0; 3];
    }
    let neighbours = [(sx, sy), (sx + 1, sy), (sx, sy + 1), (sx + 1, sy + 1)];
    let mut acc = [0u32; 3];
    for ((nx, ny), weight) in neighbours.into_iter().zip(weights) {
        let inside = match border {
            Border::Replicate => Some((nx.clamp(0, w - 1), ny.clamp(0, h - 1))),
            Border::Zero => ((0..w).contains(&nx) && (0..h).contains(&ny)).then_some((nx, ny)),
        };
        if let Some((px, py)) = inside {
            let i = ((py * w + px) * 3) as usize;
            for c in 0..3 {
                acc[c] += weight * u32::from(pixels[i + c]);
            }
        }
    }
    acc.map(|a| ((a + 512) >> 10).min(255) as u8)
}

/// OpenCV's clamp to the `int` range followed by `saturate_cast<int>` (round half to even;
/// NaN gives `i32::MAX`). Branch-free, so that a loop over it vectorises.
#[inline(always)]
fn saturate_round(x: f64) -> i32 {
    // Adding and subtracting 1.5·2^52 rounds half to even for |x| < 2^51, without a call to
    // libm's `rint` (x86-64 has no rounding instruction before SSE4.1); the int range is well
    // inside that.
    const ROUNDER: f64 = 6_755_399_441_055_744.0;
    let clamped = x.max(f64::from(i32::MIN)).min(f64::from(i32::MAX));
    let rounded = ((clamped + ROUNDER) - ROUNDER) as i32;
    if x.is_nan() { i32::MAX } else { rounded }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp() -> RgbImage {
        RgbImage::from_fn(8, 6, |x, y| image::Rgb([(x * 30) as u8, (y * 40) as u8, 200]))
    }

    /// The crop, eight pixels at a time where it can, gives exactly the bytes of `sample`
    /// pixel by pixel: rotated and scaled maps that run off every side, both borders, a crop
    /// size that leaves a partial group of eight on each row.
    #[test]
    fn crop_matches_sampling_pixel_by_pixel() {
        let image = RgbImage::from_fn(53, 41, |x, y| {
            let v = x.wrapping_mul(2_654_435_761).wrapping_add(y.wrapping_mul(40_503));
            image::Rgb([(v >> 3) as u8, (v >> 11) as u8, (x * 5 + y * 3) as u8])
        });
        let size = 37;
        for (angle, scale, dx, dy) in [
            (0.5f64, 1.3, -6.0, 4.0),
            (-0.3, 0.7, 10.0, 8.0),
            (1.2, 1.9, 30.0, -12.0),
            (0.2, 1.0, 900.0, -700.0),
        ] {
            let (c, s) = (angle.cos() * scale, angle.sin() * scale);
            let map = SourceMap::from_affine(&Affine([c, -s, dx, s, c, dy]));
            for border in [Border::Replicate, Border::Zero] {
                let range = ValueRange::new(-1.0, 1.0);
                let mut got = vec![0.0; 3 * size * size];
                crop_to_planes(&image, &map, size, border, range, &mut got);
                let mut want = vec![0.0; 3 * size * size];
                map.for_each_position(size, size, |u, v, position| {
                    let px = sample(&image, position, border);
                    for c in 0..3 {
                        want[c * size * size + v * size + u] =
                            f32::from(px[c]) * range.scale + range.offset;
                    }
                });
                assert_eq!(got, want, "angle {angle}, scale {scale}, {border:?}");
            }
        }
    }

    /// Maps with no finite source rectangle (degenerate, NaN, infinite) crop without panicking.
    #[test]
    fn crop_survives_degenerate_maps() {
        let image = ramp();
        for m in [[0.0; 9], [f64::NAN; 9], [f64::INFINITY, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]]
        {
            let mut got = vec![0.0; 3 * 5 * 5];
            crop_to_planes(
                &image,
                &SourceMap(m),
                5,
                Border::Replicate,
                ValueRange::new(0.0, 1.0),
                &mut got,
            );
            assert!(got.iter().all(|v| (0.0..=1.0).contains(v)), "{m:?}");
        }
    }

    /// The identity map reproduces the image exactly.
    #[test]
    fn identity_is_exact() {
        let img = ramp();
        let out = warp_rgb(&img, &Affine([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]), 8, 6, Border::Zero);
        assert_eq!(out, img);
    }

    /// Half a pixel right averages neighbours, rounding half up as OpenCV does.
    #[test]
    fn half_pixel_shift_averages() {
        let img = ramp();
        let out = warp_rgb(&img, &Affine([1.0, 0.0, 0.5, 0.0, 1.0, 0.0]), 7, 6, Border::Zero);
        // (0 + 30) / 2 = 15, (30 + 60) / 2 = 45.
        assert_eq!(out.get_pixel(0, 0).0[0], 15);
        assert_eq!(out.get_pixel(1, 0).0[0], 45);
    }

    /// Outside the image: zero border gives black, replicate gives the edge.
    #[test]
    fn borders() {
        let img = ramp();
        let far = Affine([1.0, 0.0, -100.0, 0.0, 1.0, 0.0]);
        assert_eq!(warp_rgb(&img, &far, 1, 1, Border::Zero).get_pixel(0, 0).0, [0, 0, 0]);
        assert_eq!(warp_rgb(&img, &far, 1, 1, Border::Replicate).get_pixel(0, 0).0, [0, 0, 200]);
        // Half a pixel outside the left edge, zero border: half of the edge value.
        let half_out = Affine([1.0, 0.0, -0.5, 0.0, 1.0, 2.0]);
        assert_eq!(warp_rgb(&img, &half_out, 1, 1, Border::Zero).get_pixel(0, 0).0, [0, 40, 100]);
    }

    /// The solved perspective map of an axis-aligned square is the expected scale and shift.
    #[test]
    fn corners_give_the_scaling_map() {
        // A 256-px square with its top-left corner at (10, 20), sampled into 128 pixels.
        let corners = [[10.0, 276.0], [10.0, 20.0], [266.0, 20.0], [266.0, 276.0]];
        let map = SourceMap::from_corners(corners, 128, 128).unwrap();
        let expected = [2.0, 0.0, 10.0, 0.0, 2.0, 20.0, 0.0, 0.0, 1.0];
        for (m, e) in map.0.iter().zip(expected) {
            assert!((m - e).abs() < 1e-12, "{:?}", map.0);
        }
        // Pixel (3, 5) reads (16, 30): 512 and 960 in 1/32 pixel.
        let mut seen = None;
        map.for_each_position(128, 128, |u, v, p| {
            if (u, v) == (3, 5) {
                seen = Some(p);
            }
        });
        assert_eq!(seen, Some((512, 960)));
        assert!(SourceMap::from_corners([[0.0; 2]; 4], 8, 8).is_none());
    }

    /// Rounding is half to even, like `cvRound`, and saturates like `saturate_cast<int>`.
    #[test]
    fn rounds_half_to_even() {
        for (x, r) in [(0.5, 0), (1.5, 2), (2.5, 2), (-0.5, 0), (-1.5, -2), (2.4999, 2), (-7.6, -8)]
        {
            assert_eq!(saturate_round(x), r, "{x}");
        }
        assert_eq!(saturate_round(1e300), i32::MAX);
        assert_eq!(saturate_round(-1e300), i32::MIN);
        assert_eq!(saturate_round(f64::NAN), i32::MAX);
    }

    #[test]
    fn affine_inverse_round_trips() {
        let a = Affine([0.8, -0.6, 10.0, 0.6, 0.8, -4.0]);
        let inv = a.inverse().unwrap();
        let [x, y] = inv.apply(a.apply(3.0, 7.0)[0], a.apply(3.0, 7.0)[1]);
        assert!((x - 3.0).abs() < 1e-12 && (y - 7.0).abs() < 1e-12);
        assert!(Affine([0.0; 6]).inverse().is_none());
    }
}
