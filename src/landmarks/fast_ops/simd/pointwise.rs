//! The 1×1 convolution's loop: outputs and pixels in register tiles (AVX2 + FMA, or AVX-512),
//! the bias, and the residual sum and activation when it has taken them in, applied as each
//! tile is stored.

use super::add_prelu::add_prelu;

/// Output rows computed together, and pixels per tile: 4 × 16 accumulators, eight AVX
/// registers.
const ROWS: usize = 4;
const TILE: usize = 16;

/// Whether [`pointwise`] has its fast form here: AVX2 with FMA.
pub(crate) fn pointwise_is_fast() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// The weights `[outputs][inputs]` of a 1×1 convolution as [`pointwise`] reads them: in
/// groups of ROWS outputs (the last padded with zeros), each input by input,
/// `[group][input][row]`.
pub(crate) fn group_weights(weights: &[f32], inputs: usize, outputs: usize) -> Vec<f32> {
    let groups = outputs.div_ceil(ROWS);
    let mut grouped = vec![0.0; groups * inputs * ROWS];
    for o in 0..outputs {
        for i in 0..inputs {
            grouped[((o / ROWS) * inputs + i) * ROWS + o % ROWS] = weights[o * inputs + i];
        }
    }
    grouped
}

/// A 1×1 convolution over one image: `input` is `[inputs][plane]`, `grouped` the weights
/// as [`group_weights`] lays them out, `out` `[outputs][plane]` with `outputs =
/// bias.len()`. Outputs are taken four at a time and pixels sixteen at a time, the 64
/// sums kept in registers over all the inputs, each product fused with its sum (FMA).
/// Without AVX2 and FMA (where [`specialise`] leaves these convolutions to tract) a plain
/// loop gives the same sums.
///
/// [`specialise`]: crate::landmarks::fast_ops::specialise
pub(crate) fn pointwise(
    input: &[f32],
    inputs: usize,
    plane: usize,
    grouped: &[f32],
    bias: &[f32],
    then: Epilogue<'_>,
    out: &mut [f32],
) {
    let outputs = bias.len();
    let groups = outputs.div_ceil(ROWS);
    assert!(input.len() >= inputs * plane && out.len() >= outputs * plane);
    assert_eq!(grouped.len(), groups * inputs * ROWS);
    // The last, narrower tile's pixels copied into a whole one, zero beyond.
    let tail = plane % TILE;
    let mut last = vec![0.0; if tail > 0 { inputs * TILE } else { 0 }];
    for (i, dst) in last.chunks_exact_mut(TILE).enumerate() {
        dst[..tail].copy_from_slice(&input[i * plane + plane - tail..][..tail]);
    }
    let mut sums = [[0.0f32; TILE]; ROWS];
    let mut g = 0;
    while g < groups {
        // With AVX-512, two groups (8 outputs) and 32 pixels at a time, as far as whole
        // tiles of 32 go; the rest 16 pixels at a time.
        let mut done = 0;
        #[cfg(target_arch = "x86_64")]
        if g + 1 < groups && outputs >= (g + 2) * ROWS && avx512() {
            let w = &grouped[g * inputs * ROWS..][..2 * inputs * ROWS];
            let b: &[f32; 2 * ROWS] = bias[g * ROWS..][..2 * ROWS].try_into().expect("rows");
            let mut wide = [[0.0f32; 2 * TILE]; 2 * ROWS];
            while done + 2 * TILE <= plane {
                // SAFETY: the processor was asked whether it has AVX-512F.
                unsafe { tile_avx512(input, plane, done, inputs, w, b, &mut wide) };
                for (r, row) in wide.iter().enumerate() {
                    let at = (g * ROWS + r) * plane + done;
                    then.store(g * ROWS + r, at, row, &mut out[at..][..2 * TILE]);
                }
                done += 2 * TILE;
            }
        }
        let pair = if done > 0 { 2 } else { 1 };
        for g in g..g + pair {
            let w = &grouped[g * inputs * ROWS..][..inputs * ROWS];
            let rows = (outputs - g * ROWS).min(ROWS);
            let mut b = [0.0; ROWS];
            b[..rows].copy_from_slice(&bias[g * ROWS..][..rows]);
            for start in (done..plane).step_by(TILE) {
                let width = (plane - start).min(TILE);
                if width == TILE {
                    tile(input, plane, start, w, &b, &mut sums);
                } else {
                    tile(&last, TILE, 0, w, &b, &mut sums);
                }
                for (r, row) in sums.iter().enumerate().take(rows) {
                    let at = (g * ROWS + r) * plane + start;
                    then.store(g * ROWS + r, at, &row[..width], &mut out[at..][..width]);
                }
            }
        }
        g += pair;
    }
}

/// What [`pointwise`] does to its sums as it stores them.
#[derive(Clone, Copy)]
pub(crate) enum Epilogue<'a> {
    /// Nothing.
    Store,
    /// `v = sum + residual`, then `Relu(v) + a·Min(v, 0)` with `a` the output's slope, or
    /// `Relu(v)` without slopes (`residual` has the output's layout).
    AddActivate { residual: &'a [f32], slopes: Option<&'a [f32]> },
}

impl Epilogue<'_> {
    /// Stores the sums of output `output` whose first is at `at` in the output.
    #[inline(always)]
    fn store(&self, output: usize, at: usize, sums: &[f32], dst: &mut [f32]) {
        match *self {
            Epilogue::Store => dst.copy_from_slice(sums),
            Epilogue::AddActivate { residual, slopes } => {
                // The same operations as the AddPrelu this replaces, by its kernel.
                let residual = &residual[at..][..sums.len()];
                add_prelu(sums, Some(residual), slopes.map(|s| s[output]), dst);
            }
        }
    }
}

/// Whether the processor has AVX-512F (and the AVX2 and FMA the rest needs).
#[cfg(target_arch = "x86_64")]
fn avx512() -> bool {
    pointwise_is_fast() && std::arch::is_x86_feature_detected!("avx512f")
}

/// Eight outputs (two groups of `w`) by 32 pixels from `start`, with AVX-512:
/// `sums[r][l] = b[r] + Σ_i w[r / 4][i][r % 4] · input[i][start + l]`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn tile_avx512(
    input: &[f32],
    plane: usize,
    start: usize,
    inputs: usize,
    w: &[f32],
    b: &[f32; 2 * ROWS],
    sums: &mut [[f32; 2 * TILE]; 2 * ROWS],
) {
    use std::arch::x86_64::{
        __m512, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_set1_ps, _mm512_storeu_ps,
    };
    let mut acc: [[__m512; 2]; 2 * ROWS] = b.map(|v| [_mm512_set1_ps(v); 2]);
    let (first, second) = w.split_at(inputs * ROWS);
    for (i, (wa, wb)) in first.chunks_exact(ROWS).zip(second.chunks_exact(ROWS)).enumerate() {
        let x = &input[i * plane + start..][..2 * TILE];
        // SAFETY: `x` holds 32 floats: these read 0..16 and 16..32.
        let (x0, x1) = unsafe { (_mm512_loadu_ps(x.as_ptr()), _mm512_loadu_ps(x[16..].as_ptr())) };
        for (a, wr) in acc.iter_mut().zip(wa.iter().chain(wb)) {
            let wv = _mm512_set1_ps(*wr);
            a[0] = _mm512_fmadd_ps(wv, x0, a[0]);
            a[1] = _mm512_fmadd_ps(wv, x1, a[1]);
        }
    }
    for (row, a) in sums.iter_mut().zip(acc) {
        // SAFETY: `row` holds 32 floats: these write 0..16 and 16..32.
        unsafe {
            _mm512_storeu_ps(row.as_mut_ptr(), a[0]);
            _mm512_storeu_ps(row[16..].as_mut_ptr(), a[1]);
        }
    }
}

/// `sums[r][l] = b[r] + Σ_i w[i][r] · input[i][start + l]` for a whole tile.
#[inline(always)]
fn tile(
    input: &[f32],
    plane: usize,
    start: usize,
    w: &[f32],
    b: &[f32; ROWS],
    sums: &mut [[f32; TILE]; ROWS],
) {
    #[cfg(target_arch = "x86_64")]
    if pointwise_is_fast() {
        // SAFETY: the processor was just asked whether it has AVX2 and FMA.
        unsafe { tile_fma(input, plane, start, w, b, sums) };
        return;
    }
    for (r, row) in sums.iter_mut().enumerate() {
        row.fill(b[r]);
    }
    for i in 0..w.len() / ROWS {
        let x = &input[i * plane + start..][..TILE];
        for (r, row) in sums.iter_mut().enumerate() {
            let wr = w[i * ROWS + r];
            for (s, v) in row.iter_mut().zip(x) {
                *s += wr * v;
            }
        }
    }
}

/// [`tile`] with AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn tile_fma(
    input: &[f32],
    plane: usize,
    start: usize,
    w: &[f32],
    b: &[f32; ROWS],
    sums: &mut [[f32; TILE]; ROWS],
) {
    use std::arch::x86_64::{
        __m256, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_set1_ps, _mm256_storeu_ps,
    };
    let mut acc: [[__m256; 2]; ROWS] = b.map(|v| [_mm256_set1_ps(v); 2]);
    for (i, wi) in w.chunks_exact(ROWS).enumerate() {
        let x = &input[i * plane + start..][..TILE];
        // SAFETY: `x` holds TILE = 16 floats: these read 0..8 and 8..16.
        let (x0, x1) = unsafe { (_mm256_loadu_ps(x.as_ptr()), _mm256_loadu_ps(x[8..].as_ptr())) };
        for (a, wr) in acc.iter_mut().zip(wi) {
            let wv = _mm256_set1_ps(*wr);
            a[0] = _mm256_fmadd_ps(wv, x0, a[0]);
            a[1] = _mm256_fmadd_ps(wv, x1, a[1]);
        }
    }
    for (row, a) in sums.iter_mut().zip(acc) {
        // SAFETY: `row` holds 16 floats: these write 0..8 and 8..16.
        unsafe {
            _mm256_storeu_ps(row.as_mut_ptr(), a[0]);
            _mm256_storeu_ps(row[8..].as_mut_ptr(), a[1]);
        }
    }
}
