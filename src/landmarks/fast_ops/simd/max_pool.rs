//! The 2×2 max-pool's loop, stride 2, over one plane (an odd last row or column is dropped).

use crate::landmarks::isa::with_best_isa;

with_best_isa!(
    pub(crate) fn max_pool(plane: &[f32], width: usize, out: &mut [f32], out_w: usize) {
        for (oy, row_out) in out.chunks_exact_mut(out_w).enumerate() {
            let top = &plane[2 * oy * width..][..2 * out_w];
            let bottom = &plane[(2 * oy + 1) * width..][..2 * out_w];
            for ((o, t), b) in
                row_out.iter_mut().zip(top.chunks_exact(2)).zip(bottom.chunks_exact(2))
            {
                *o = t[0].max(t[1]).max(b[0].max(b[1]));
            }
        }
    }
);
