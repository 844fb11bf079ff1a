//! Grey images for skin motion, and their pyramids of successive halvings.

use std::ops::Range;

use image::RgbImage;

/// Pyramid levels: after three halvings a displacement of 8 Lucas–Kanade window radii (48
/// canonical px, 0.75 IOD) is one radius at the coarsest level, room beyond the farthest track
/// kept (0.5 IOD).
const PYRAMID_LEVELS: usize = 4;

/// `x.floor()` as an integer without a libm call (x86-64 has no rounding instruction before
/// SSE4.1); positions here are far inside the i64 range.
#[inline]
fn fast_floor(x: f64) -> i64 {
    let t = x as i64;
    if (t as f64) > x { t - 1 } else { t }
}

/// A grey image, intensities 0–1, row-major.
#[derive(Clone, Debug)]
pub(super) struct Gray {
    pub(super) width: usize,
    pub(super) height: usize,
    pub(super) data: Vec<f32>,
}

impl Gray {
    /// The luma (Rec. 601 weights) of the pixels of `image` in columns `x` and rows `y`.
    pub(super) fn luma(image: &RgbImage, x: Range<usize>, y: Range<usize>) -> Self {
        let (width, height) = (x.len(), y.len());
        let mut data = Vec::with_capacity(width * height);
        for row in y {
            data.extend(x.clone().map(|col| {
                let [r, g, b] = image.get_pixel(col as u32, row as u32).0;
                (0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b)) / 255.0
            }));
        }
        Gray { width, height, data }
    }

    fn at(&self, x: i64, y: i64) -> f32 {
        let x = x.clamp(0, self.width as i64 - 1) as usize;
        let y = y.clamp(0, self.height as i64 - 1) as usize;
        self.data[y * self.width + x]
    }

    /// The bilinear sample at (x, y); beyond the image, its edge.
    #[inline]
    pub(super) fn sample(&self, x: f64, y: f64) -> f64 {
        let mut out = [0.0];
        self.samples(&[x], &[y], &mut out);
        out[0]
    }

    /// [`Gray::sample`] at each (`xs[k]`, `ys[k]`), into `out[k]`: the same operations point
    /// by point, written so that the compiler can do several points at once.
    #[inline(always)]
    pub(super) fn samples(&self, xs: &[f64], ys: &[f64], out: &mut [f64]) {
        let (w, h) = (self.width as i64, self.height as i64);
        let n = xs.len().min(ys.len()).min(out.len());
        if w == 0 || h == 0 || self.data.len() != (w * h) as usize {
            out[..n].fill(f64::NAN);
            return;
        }
        for k in 0..n {
            let (x, y) = (xs[k], ys[k]);
            let (x0, y0) = (fast_floor(x), fast_floor(y));
            let (ax, ay) = (x - x0 as f64, y - y0 as f64);
            let (c0, c1) = (x0.clamp(0, w - 1), (x0 + 1).clamp(0, w - 1));
            let (r0, r1) = (y0.clamp(0, h - 1) * w, (y0 + 1).clamp(0, h - 1) * w);
            // SAFETY: each index is a row in 0..h times w plus a column in 0..w, and there are
            // w·h pixels (checked above).
            let at = |i: i64| f64::from(unsafe { *self.data.get_unchecked(i as usize) });
            let top = at(r0 + c0) * (1.0 - ax) + at(r0 + c1) * ax;
            let bottom = at(r1 + c0) * (1.0 - ax) + at(r1 + c1) * ax;
            out[k] = top * (1.0 - ay) + bottom * ay;
        }
    }

    /// Bilinear samples of the (2·radius+1)² window centred on (cx, cy), row by row, into
    /// `out`. Every sample shares the centre's sub-pixel offset, so the weights are computed
    /// once and, inside the image, the four neighbours are read directly.
    pub(super) fn window(&self, cx: f64, cy: f64, radius: i64, out: &mut Vec<f64>) {
        out.clear();
        let (x0, y0) = (fast_floor(cx), fast_floor(cy));
        let (ax, ay) = (cx - x0 as f64, cy - y0 as f64);
        let (w, h) = (self.width as i64, self.height as i64);
        if x0 - radius >= 0 && y0 - radius >= 0 && x0 + radius + 1 < w && y0 + radius + 1 < h {
            let row = self.width;
            let (w00, w10, w01, w11) =
                ((1.0 - ax) * (1.0 - ay), ax * (1.0 - ay), (1.0 - ax) * ay, ax * ay);
            for y in y0 - radius..=y0 + radius {
                let base = (y * w) as usize;
                for x in x0 - radius..=x0 + radius {
                    let i = base + x as usize;
                    let (p00, p10) = (f64::from(self.data[i]), f64::from(self.data[i + 1]));
                    let (p01, p11) =
                        (f64::from(self.data[i + row]), f64::from(self.data[i + row + 1]));
                    out.push(w00 * p00 + w10 * p10 + w01 * p01 + w11 * p11);
                }
            }
        } else {
            for dy in -radius..=radius {
                for dx in -radius..=radius {
                    out.push(self.sample(cx + dx as f64, cy + dy as f64));
                }
            }
        }
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
        Gray { width: w, height: h, data }
    }
}

/// A grey image and its successive halvings.
#[derive(Clone, Debug)]
pub(super) struct Pyramid {
    pub(super) levels: Vec<Gray>,
    /// Level 0's value and central-difference gradients, one plane each, every row with its
    /// edge pixels repeated once on either side (columns −1 to w), so that a pixel's right-hand
    /// neighbour is always the next value, even where the image's edge clamps it.
    planes: [Vec<f32>; 3],
}

impl Pyramid {
    pub(super) fn new(base: Gray) -> Self {
        let (w, h) = (base.width as i64, base.height as i64);
        let mut planes = [(); 3].map(|_| Vec::with_capacity(base.data.len() + 2 * base.height));
        if w > 0 {
            for y in 0..h {
                for x in -1..=w {
                    let x = x.clamp(0, w - 1);
                    planes[0].push(base.at(x, y));
                    planes[1].push((base.at(x + 1, y) - base.at(x - 1, y)) / 2.0);
                    planes[2].push((base.at(x, y + 1) - base.at(x, y - 1)) / 2.0);
                }
            }
        }
        let mut levels = vec![base];
        while levels.len() < PYRAMID_LEVELS {
            let next = levels[levels.len() - 1].half();
            levels.push(next);
        }
        Pyramid { levels, planes }
    }

    /// Bilinear value and gradients of level 0 at each (`xs[k]`, `ys[k]`), into `value[k]`,
    /// `gx[k]`, `gy[k]`: the same operations point by point, written so that the compiler can
    /// do several points at once. Interpolating the central differences equals differencing
    /// the interpolated image one pixel either side.
    #[inline(always)]
    pub(super) fn values_and_gradients(
        &self,
        xs: &[f64],
        ys: &[f64],
        value: &mut [f64],
        gx: &mut [f64],
        gy: &mut [f64],
    ) {
        let base = &self.levels[0];
        let (w, h) = (base.width as i64, base.height as i64);
        let n = xs.len().min(ys.len()).min(value.len()).min(gx.len()).min(gy.len());
        let stride = w + 2;
        if w == 0 || h == 0 || self.planes.iter().any(|p| p.len() != (stride * h) as usize) {
            for out in [&mut value[..n], &mut gx[..n], &mut gy[..n]] {
                out.fill(f64::NAN);
            }
            return;
        }
        for k in 0..n {
            let (x, y) = (xs[k], ys[k]);
            let (x0, y0) = (fast_floor(x), fast_floor(y));
            let (ax, ay) = (x - x0 as f64, y - y0 as f64);
            // The left-hand neighbour's padded column; the right-hand one is the next.
            let c = x0.clamp(-1, w - 1) + 1;
            let (r0, r1) = (y0.clamp(0, h - 1) * stride + c, (y0 + 1).clamp(0, h - 1) * stride + c);
            let lerp = |plane: &[f32]| {
                // Both in one 8-byte read (several such at once where the vectors are wide).
                let pair = |r: i64| {
                    // SAFETY: r0 and r1 are a row in 0..h times the stride plus a column in
                    // 0..=w, so r + 1 < stride·h, the plane's length (checked above).
                    let bits =
                        unsafe { plane.as_ptr().add(r as usize).cast::<u64>().read_unaligned() };
                    let (low, high) = (bits as u32, (bits >> 32) as u32);
                    let (first, second) =
                        if cfg!(target_endian = "little") { (low, high) } else { (high, low) };
                    [f32::from_bits(first), f32::from_bits(second)]
                };
                let ([p00, p10], [p01, p11]) = (pair(r0), pair(r1));
                let top = f64::from(p00) * (1.0 - ax) + f64::from(p10) * ax;
                let bottom = f64::from(p01) * (1.0 - ax) + f64::from(p11) * ax;
                top * (1.0 - ay) + bottom * ay
            };
            (value[k], gx[k], gy[k]) =
                (lerp(&self.planes[0]), lerp(&self.planes[1]), lerp(&self.planes[2]));
        }
    }
}
