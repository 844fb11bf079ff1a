//! The 3×3 convolution's loop, depthwise or dense over a few input planes.

use crate::landmarks::isa::with_best_isa;

/// Where a 3×3 convolution reads: one NCHW image, its stride and zero border.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub(crate) channels: usize,
    pub(crate) height: usize,
    pub(crate) width: usize,
    pub(crate) stride: usize,
    /// Zero rows/columns added: top, left, bottom, right.
    pub(crate) pads: [usize; 4],
}

impl Geometry {
    /// Output height and width.
    pub(crate) fn output(&self) -> (usize, usize) {
        let [top, left, bottom, right] = self.pads;
        (
            (self.height + top + bottom - 3) / self.stride + 1,
            (self.width + left + right - 3) / self.stride + 1,
        )
    }
}

with_best_isa!(
    /// A 3×3 convolution, each input plane copied into scratch with its zero border
    /// (stride 1), or with its even and odd columns side by side (stride 2), so that
    /// every output row is one pass of nine multiply-adds over contiguous memory per
    /// input plane it reads. `dense`: every output reads every input (`kernel` is
    /// `[outputs][inputs][9]`); otherwise output `c` reads input `c` alone (depthwise,
    /// `[channels][9]`). The outputs are `bias.len()`.
    pub(crate) fn conv3x3(
        input: &[f32],
        g: &Geometry,
        dense: bool,
        kernel: &[f32],
        bias: &[f32],
        out: &mut [f32],
    ) {
        let (out_h, out_w) = g.output();
        let [top, left, bottom, right] = g.pads;
        let rows = g.height + top + bottom;
        let cols = g.width + left + right;
        // Stride 1: each padded row as is. Stride 2: columns 0, 2, 4… then 1, 3, 5…, so
        // that input column 2x + k is `even[x + k/2]` (k = 0, 2) or `odd[x]` (k = 1).
        let half = cols.div_ceil(2);
        let row_len = if g.stride == 1 { cols } else { 2 * half };
        let padded_len = rows * row_len;
        let planes = input.chunks_exact(g.height * g.width);
        let out_planes = out.chunks_exact_mut(out_h * out_w);
        let layout = PaddedLayout { top, left, half, row_len };
        if dense {
            // Every input plane padded once, then read by every output.
            let mut padded = vec![0.0; g.channels * padded_len];
            for (plane, dst) in planes.zip(padded.chunks_exact_mut(padded_len)) {
                pad_plane(plane, g, &layout, dst);
            }
            for ((o, out), b) in out_planes.enumerate().zip(bias) {
                for (i, src) in padded.chunks_exact(padded_len).enumerate() {
                    let taps = kernel[(o * g.channels + i) * 9..][..9].try_into().expect("taps");
                    add_taps(src, g, &layout, taps, (i == 0).then_some(*b), out);
                }
            }
        } else {
            let mut padded = vec![0.0; padded_len];
            for (c, ((plane, out), b)) in planes.zip(out_planes).zip(bias).enumerate() {
                pad_plane(plane, g, &layout, &mut padded);
                let taps = kernel[c * 9..][..9].try_into().expect("nine taps per channel");
                add_taps(&padded, g, &layout, taps, Some(*b), out);
            }
        }
    }
);

/// Where a plane goes in its padded scratch: zero rows above, zero columns left, and for
/// stride 2 where the odd columns start (`half`); `row_len` floats a row.
struct PaddedLayout {
    top: usize,
    left: usize,
    half: usize,
    row_len: usize,
}

/// Copies `plane` into `dst` as [`PaddedLayout`] says; the border is left as it is (zero).
#[inline(always)]
fn pad_plane(plane: &[f32], g: &Geometry, layout: &PaddedLayout, dst: &mut [f32]) {
    let PaddedLayout { top, left, half, row_len } = *layout;
    for (src, dst) in
        plane.chunks_exact(g.width).zip(dst[top * row_len..].chunks_exact_mut(row_len))
    {
        if g.stride == 1 {
            dst[left..left + g.width].copy_from_slice(src);
        } else {
            let (even, odd) = dst.split_at_mut(half);
            // Padded column c = x + left goes to even[c / 2] or odd[c / 2]: the source in
            // pairs, the first of each pair to the even columns when `left` is even, to
            // the odd ones when it is odd.
            let (first, second) = if left % 2 == 0 {
                (&mut even[left / 2..], &mut odd[left / 2..])
            } else {
                (&mut odd[left / 2..], &mut even[left / 2 + 1..])
            };
            let pairs = src.chunks_exact(2);
            if let [last] = pairs.remainder() {
                first[g.width / 2] = *last;
            }
            for ((pair, a), b) in pairs.zip(first.iter_mut()).zip(second.iter_mut()) {
                *a = pair[0];
                *b = pair[1];
            }
        }
    }
}

/// The nine taps over one padded plane, into `out`: `bias` plus them when `bias` is
/// given, added to what `out` holds otherwise.
#[inline(always)]
fn add_taps(
    padded: &[f32],
    g: &Geometry,
    layout: &PaddedLayout,
    taps: &[f32; 9],
    bias: Option<f32>,
    out: &mut [f32],
) {
    let (_, out_w) = g.output();
    let PaddedLayout { half, row_len, .. } = *layout;
    let [w0, w1, w2, w3, w4, w5, w6, w7, w8] = *taps;
    for (oy, row_out) in out.chunks_exact_mut(out_w).enumerate() {
        let row = |k: usize| &padded[(oy * g.stride + k) * row_len..][..row_len];
        let [a0, a1, a2] = kernel_columns(row(0), g.stride, half, out_w);
        let [b0, b1, b2] = kernel_columns(row(1), g.stride, half, out_w);
        let [c0, c1, c2] = kernel_columns(row(2), g.stride, half, out_w);
        // Without a bias the taps are added to what `out` holds (no closure here: it
        // would not be inlined into the vector loop).
        let (base, accumulate) = (bias.unwrap_or(0.0), bias.is_none());
        for x in 0..out_w {
            let start = if accumulate { row_out[x] } else { base };
            row_out[x] = start
                + (w0 * a0[x] + w1 * a1[x] + w2 * a2[x])
                + (w3 * b0[x] + w4 * b1[x] + w5 * b2[x])
                + (w6 * c0[x] + w7 * c1[x] + w8 * c2[x]);
        }
    }
}

/// What the three kernel columns read of one padded row, as slices of exactly `out_w`.
#[inline(always)]
fn kernel_columns(row: &[f32], stride: usize, half: usize, out_w: usize) -> [&[f32]; 3] {
    if stride == 1 {
        [&row[..out_w], &row[1..1 + out_w], &row[2..2 + out_w]]
    } else {
        [&row[..out_w], &row[half..half + out_w], &row[1..1 + out_w]]
    }
}
