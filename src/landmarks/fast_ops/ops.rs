//! Our operators as tract sees them: their types, output shapes and evaluation, each a thin
//! wrapper over its loop in `simd`.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;

use super::simd::{self, Geometry};
use crate::landmarks::model::f32_values;

/// The shape of an image of `channels × height × width`, with the batch axis of one when
/// `batched`.
pub(super) fn image_shape(
    batched: bool,
    channels: usize,
    height: usize,
    width: usize,
) -> TVec<usize> {
    if batched { tvec![1, channels, height, width] } else { tvec![channels, height, width] }
}

/// An operator's one output: a new f32 tensor of `shape`, its values written by `fill`.
fn output(
    shape: &[usize],
    fill: impl FnOnce(&mut [f32]) -> TractResult<()>,
) -> TractResult<TVec<TValue>> {
    let mut tensor = Tensor::zero::<f32>(shape)?;
    fill(tensor.try_as_plain_ram_mut()?.as_slice_mut::<f32>()?)?;
    Ok(tvec!(tensor.into_tvalue()))
}

/// Constant values an operator holds (weights, biases, slopes), compared and hashed by their
/// bits, as tract requires of an operator.
#[derive(Clone, Debug)]
pub(crate) struct Floats(pub(super) Vec<f32>);

impl PartialEq for Floats {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self.0.iter().zip(&other.0).all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

impl Eq for Floats {}

impl std::hash::Hash for Floats {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for v in &self.0 {
            v.to_bits().hash(state);
        }
    }
}

/// 3×3 convolution with bias, depthwise or dense over a few input channels, weights held in
/// the operator.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub(crate) struct Conv3x3 {
    /// The input's geometry (`channels` are the input's).
    pub(super) geometry: Geometry,
    /// Input and output have the batch axis (NCHW), else not (CHW).
    pub(super) batched: bool,
    /// Every output reads every input (`kernel` `[outputs][inputs][9]`), else output `c`
    /// reads input `c` (`[channels][9]`).
    pub(super) dense: bool,
    pub(super) kernel: Floats,
    /// One per output.
    pub(super) bias: Floats,
}

impl Op for Conv3x3 {
    fn name(&self) -> StaticName {
        "facesym.Conv3x3".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!("{:?}, dense: {}", self.geometry, self.dense)])
    }

    fn validation(&self) -> Validation {
        Validation::Rounding
    }

    op_as_typed_op!();
}

impl EvalOp for Conv3x3 {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let g = self.geometry;
        let (out_h, out_w) = g.output();
        let input = f32_values(&inputs[0])?;
        output(&image_shape(self.batched, self.bias.0.len(), out_h, out_w), |out| {
            simd::conv3x3(input, &g, self.dense, &self.kernel.0, &self.bias.0, out);
            Ok(())
        })
    }
}

impl TypedOp for Conv3x3 {
    fn output_facts(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let (h, w) = self.geometry.output();
        Ok(tvec!(f32::fact(image_shape(self.batched, self.bias.0.len(), h, w))))
    }

    as_op!();
}

/// 1×1 convolution with bias: `out[o][p] = bias[o] + Σ_i weights[o][i] · in[i][p]` over the
/// `plane` pixels of one NCHW image.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub(crate) struct Pointwise {
    pub(super) inputs: usize,
    pub(super) outputs: usize,
    pub(super) height: usize,
    pub(super) width: usize,
    /// The output has the batch axis (NCHW), else not (CHW); the input may have it or not.
    pub(super) out_batched: bool,
    /// Grouped as [`simd::group_weights`] lays them out.
    pub(super) weights: Floats,
    pub(super) bias: Floats,
    /// What is done to the sums before they are stored.
    pub(super) then: Then,
}

/// What a [`Pointwise`] does to its sums before storing them.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub(crate) enum Then {
    /// Nothing.
    Store,
    /// Add its second input (the residual) and apply ReLU, or PReLU with these slopes, one
    /// per output: the operations of the [`AddPrelu`] it replaces.
    AddActivate { slopes: Option<Floats> },
}

impl Op for Pointwise {
    fn name(&self) -> StaticName {
        "facesym.Pointwise".into()
    }

    fn validation(&self) -> Validation {
        Validation::Rounding
    }

    op_as_typed_op!();
}

impl EvalOp for Pointwise {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let shape = image_shape(self.out_batched, self.outputs, self.height, self.width);
        let input = f32_values(&inputs[0])?;
        let residual = inputs.get(1).map(f32_values).transpose()?;
        output(&shape, |out| {
            let then = match (&self.then, residual) {
                (Then::Store, _) => simd::Epilogue::Store,
                (Then::AddActivate { slopes }, Some(residual)) => simd::Epilogue::AddActivate {
                    residual,
                    slopes: slopes.as_ref().map(|s| s.0.as_slice()),
                },
                (Then::AddActivate { .. }, None) => bail!("the residual input is missing"),
            };
            simd::pointwise(
                input,
                self.inputs,
                self.height * self.width,
                &self.weights.0,
                &self.bias.0,
                then,
                out,
            );
            Ok(())
        })
    }
}

impl TypedOp for Pointwise {
    fn output_facts(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let shape = image_shape(self.out_batched, self.outputs, self.height, self.width);
        Ok(tvec!(f32::fact(shape)))
    }

    as_op!();
}

/// 2×2 max-pool, stride 2, no padding (an odd last row or column is dropped, as tract and
/// TFLite do with valid padding).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub(crate) struct MaxPool2x2 {
    pub(super) channels: usize,
    pub(super) height: usize,
    pub(super) width: usize,
    /// Input and output have the batch axis (NCHW), else not (CHW).
    pub(super) batched: bool,
}

impl Op for MaxPool2x2 {
    fn name(&self) -> StaticName {
        "facesym.MaxPool2x2".into()
    }

    op_as_typed_op!();
}

impl EvalOp for MaxPool2x2 {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let (h, w) = (self.height, self.width);
        let (out_h, out_w) = (h / 2, w / 2);
        let input = f32_values(&inputs[0])?;
        output(&image_shape(self.batched, self.channels, out_h, out_w), |out| {
            for (plane, out_plane) in
                input.chunks_exact(h * w).zip(out.chunks_exact_mut(out_h * out_w))
            {
                simd::max_pool(plane, w, out_plane, out_w);
            }
            Ok(())
        })
    }
}

impl TypedOp for MaxPool2x2 {
    fn output_facts(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let (h, w) = (self.height / 2, self.width / 2);
        Ok(tvec!(f32::fact(image_shape(self.batched, self.channels, h, w))))
    }

    as_op!();
}

/// `y = Relu(s) + a·Min(s, 0)` with `s` the sum of its one or two inputs and `a` one slope
/// per channel, or `y = Relu(s)` without slopes: exactly the operations of the graph it
/// replaces.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub(crate) struct AddPrelu {
    pub(super) channels: usize,
    pub(super) plane: usize,
    pub(super) slopes: Option<Floats>,
}

impl Op for AddPrelu {
    fn name(&self) -> StaticName {
        "facesym.AddPrelu".into()
    }

    op_as_typed_op!();
}

impl EvalOp for AddPrelu {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let u = f32_values(&inputs[0])?;
        let v = inputs.get(1).map(f32_values).transpose()?;
        output(inputs[0].shape(), |out| {
            for c in 0..self.channels {
                let range = c * self.plane..(c + 1) * self.plane;
                let slope = self.slopes.as_ref().map(|s| s.0[c]);
                simd::add_prelu(
                    &u[range.clone()],
                    v.map(|v| &v[range.clone()]),
                    slope,
                    &mut out[range],
                );
            }
            Ok(())
        })
    }
}

impl TypedOp for AddPrelu {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(tvec!(f32::fact(inputs[0].shape.clone())))
    }

    as_op!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landmarks::fast_ops::tests::noise;

    /// The textbook definition, one output at a time, in f64: output `o` reads every input
    /// (`dense`) or input `o` alone.
    fn reference_conv3x3(
        input: &[f32],
        g: &Geometry,
        dense: bool,
        kernel: &[f32],
        bias: &[f32],
    ) -> Vec<f32> {
        let (out_h, out_w) = g.output();
        let [top, left, _, _] = g.pads;
        let mut out = Vec::new();
        for (o, b) in bias.iter().enumerate() {
            let reads: Vec<usize> = if dense { (0..g.channels).collect() } else { vec![o] };
            for oy in 0..out_h {
                for ox in 0..out_w {
                    let mut sum = *b as f64;
                    for (k, &i) in reads.iter().enumerate() {
                        let taps = &kernel[(o * reads.len() + k) * 9..][..9];
                        for ky in 0..3 {
                            for kx in 0..3 {
                                let y = (oy * g.stride + ky) as isize - top as isize;
                                let x = (ox * g.stride + kx) as isize - left as isize;
                                if (0..g.height as isize).contains(&y)
                                    && (0..g.width as isize).contains(&x)
                                {
                                    let v =
                                        input[(i * g.height + y as usize) * g.width + x as usize];
                                    sum += taps[ky * 3 + kx] as f64 * v as f64;
                                }
                            }
                        }
                    }
                    out.push(sum as f32);
                }
            }
        }
        out
    }

    fn eval(op: impl EvalOp, inputs: Vec<Vec<f32>>, shape: &[usize]) -> Vec<f32> {
        let inputs =
            inputs.iter().map(|v| Tensor::from_shape(shape, v).unwrap().into_tvalue()).collect();
        let out = op.eval(&EvalContext::out_of_plan(), inputs).unwrap();
        out[0].try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec()
    }

    #[test]
    fn conv3x3_matches_the_definition_for_every_stride_and_padding() {
        for (height, width, stride, pads) in [
            (6, 7, 1, [1, 1, 1, 1]),
            (8, 8, 2, [0, 0, 1, 1]),
            (7, 9, 2, [0, 0, 1, 1]),
            (5, 5, 1, [0, 0, 0, 0]),
            (9, 6, 2, [0, 0, 0, 0]),
            (4, 10, 2, [1, 1, 1, 1]),
            (3, 3, 1, [1, 1, 1, 1]),
        ] {
            let g = Geometry { channels: 3, height, width, stride, pads };
            let input = noise(3 * height * width, 1);
            // Depthwise: 3 outputs of one input each; dense: 5 outputs of all 3 inputs.
            for (dense, outputs) in [(false, 3), (true, 5)] {
                let per_output = if dense { 27 } else { 9 };
                let kernel = noise(outputs * per_output, 2);
                let bias = noise(outputs, 3);
                let op = Conv3x3 {
                    geometry: g,
                    batched: true,
                    dense,
                    kernel: Floats(kernel.clone()),
                    bias: Floats(bias.clone()),
                };
                let got = eval(op, vec![input.clone()], &[1, 3, height, width]);
                let want = reference_conv3x3(&input, &g, dense, &kernel, &bias);
                assert_eq!(got.len(), want.len(), "{g:?}, dense {dense}");
                for (a, b) in got.iter().zip(&want) {
                    assert!((a - b).abs() < 1e-5, "{g:?}, dense {dense}: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn max_pool_and_prelu_match_the_definition() {
        let (h, w) = (5, 7);
        let input = noise(2 * h * w, 4);
        let got = eval(
            MaxPool2x2 { channels: 2, height: h, width: w, batched: true },
            vec![input.clone()],
            &[1, 2, h, w],
        );
        let mut want = Vec::new();
        for c in 0..2 {
            for oy in 0..h / 2 {
                for ox in 0..w / 2 {
                    let at = |y: usize, x: usize| input[(c * h + y) * w + x];
                    let m = [
                        at(2 * oy, 2 * ox),
                        at(2 * oy, 2 * ox + 1),
                        at(2 * oy + 1, 2 * ox),
                        at(2 * oy + 1, 2 * ox + 1),
                    ];
                    want.push(m.into_iter().fold(f32::MIN, f32::max));
                }
            }
        }
        assert_eq!(got, want);

        let slopes = [0.25f32, -1.5];
        let other = noise(2 * h * w, 5);
        for with_slopes in [true, false] {
            let op = AddPrelu {
                channels: 2,
                plane: h * w,
                slopes: with_slopes.then(|| Floats(slopes.to_vec())),
            };
            let got = eval(op, vec![input.clone(), other.clone()], &[1, 2, h, w]);
            for (i, y) in got.iter().enumerate() {
                let s = input[i] + other[i];
                let a = if with_slopes { slopes[i / (h * w)] } else { 0.0 };
                let want = if s >= 0.0 { s } else { a * s };
                assert_eq!(*y, want, "element {i}, slopes {with_slopes}");
            }
        }
    }

    #[test]
    fn pointwise_matches_the_definition() {
        // Output counts that fill whole pairs of groups, leave one group over, or a partial
        // group; planes with and without tails of 16 and 32.
        for (inputs, outputs, plane) in
            [(16, 16, 64), (5, 12, 45), (32, 8, 9), (3, 7, 36), (16, 24, 144), (8, 32, 100)]
        {
            let input = noise(inputs * plane, 6);
            let weights = noise(outputs * inputs, 7);
            let bias = noise(outputs, 8);
            let residual = noise(outputs * plane, 9);
            let slopes: Vec<f32> = noise(outputs, 10).iter().map(|a| a * 2.0).collect();
            for then in [
                Then::Store,
                Then::AddActivate { slopes: None },
                Then::AddActivate { slopes: Some(Floats(slopes.clone())) },
            ] {
                let op = Pointwise {
                    inputs,
                    outputs,
                    height: 1,
                    width: plane,
                    out_batched: true,
                    weights: Floats(simd::group_weights(&weights, inputs, outputs)),
                    bias: Floats(bias.clone()),
                    then: then.clone(),
                };
                let mut given = vec![input.clone()];
                if then != Then::Store {
                    given.push(residual.clone());
                }
                let inputs_of = |v: &Vec<f32>| v.len() / plane;
                let tensors: TVec<TValue> = given
                    .iter()
                    .map(|v| {
                        Tensor::from_shape(&[1, inputs_of(v), 1, plane], v).unwrap().into_tvalue()
                    })
                    .collect();
                let out = op.eval(&EvalContext::out_of_plan(), tensors).unwrap();
                let got = out[0].try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec();
                assert_eq!(got.len(), outputs * plane);
                for o in 0..outputs {
                    for p in 0..plane {
                        let sum = bias[o] as f64
                            + (0..inputs)
                                .map(|i| {
                                    weights[o * inputs + i] as f64 * input[i * plane + p] as f64
                                })
                                .sum::<f64>();
                        let want = match &then {
                            Then::Store => sum,
                            Then::AddActivate { slopes } => {
                                let v = sum + residual[o * plane + p] as f64;
                                let a = slopes.as_ref().map_or(0.0, |s| s.0[o] as f64);
                                if v >= 0.0 { v } else { a * v }
                            }
                        };
                        let g = got[o * plane + p] as f64;
                        assert!(
                            (g - want).abs() < 1e-5,
                            "{inputs}x{outputs}x{plane} {then:?}: {g} vs {want}"
                        );
                    }
                }
            }
        }
    }
}
