//! The activation's loop: `Relu(s) + a·Min(s, 0)`, or `Relu(s)` without a slope, with `s`
//! the sum of one or two inputs, in the operations and order of the graph it replaces.

use crate::landmarks::isa::with_best_isa;

with_best_isa!(
    pub(crate) fn add_prelu(u: &[f32], v: Option<&[f32]>, slope: Option<f32>, out: &mut [f32]) {
        match (v, slope) {
            (Some(v), Some(a)) => {
                for ((o, x), y) in out.iter_mut().zip(u).zip(v) {
                    let s = x + y;
                    *o = s.max(0.0) + a * s.min(0.0);
                }
            }
            (None, Some(a)) => {
                for (o, x) in out.iter_mut().zip(u) {
                    *o = x.max(0.0) + a * x.min(0.0);
                }
            }
            (Some(v), None) => {
                for ((o, x), y) in out.iter_mut().zip(u).zip(v) {
                    *o = (x + y).max(0.0);
                }
            }
            (None, None) => {
                for (o, x) in out.iter_mut().zip(u) {
                    *o = x.max(0.0);
                }
            }
        }
    }
);
