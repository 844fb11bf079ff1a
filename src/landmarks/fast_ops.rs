//! The operators of MediaPipe's face models, run by loops written for the few shapes they
//! have here instead of tract's general ones.
//!
//! tract's profile of the face mesh (`examples/profile_model.rs`, docs/performance.md) put
//! 30 % of its time in 3×3 depthwise convolutions, 22 % in 2×2 max-pools and 22 % in the
//! PReLU activations (which models/convert.py writes as `Relu(x) + a·Min(x, 0)`), and with
//! those gone two thirds in its 1×1 convolutions. All are simple in these networks: NCHW, one
//! batch, 1×1, 3×3 or 2×2 windows. [`specialise`] swaps them, in the decluttered graph before
//! tract optimises it, for:
//! - [`Conv3x3`]: 3×3 convolutions, depthwise or dense over a few input channels (the face
//!   mesh's first layer): each input plane copied into scratch with its zero border (and, for
//!   stride 2, its even and odd columns apart), then each output row in one pass of nine
//!   multiply-adds over contiguous memory per input plane;
//! - [`Pointwise`]: 1×1 convolutions with their bias, outputs and pixels in register tiles
//!   (AVX2 + FMA, or AVX-512), where the processor has FMA;
//! - [`MaxPool2x2`]: stride 2, no padding;
//! - [`AddPrelu`]: `Relu(u + v) + a·Min(u + v, 0)`, the residual sum and the activation in
//!   one pass over memory instead of five (without `v` where nothing is added), and in the
//!   detector `Relu(u + v)`, its residual sum and ReLU.
//!
//! Max-pool and the activations compute the same floating-point operations as the graph they
//! replace, in the same order, so their results are identical. The convolutions add their
//! products in an order (and with fused multiply-adds) that may differ from tract's, so they
//! can differ in the last bits. The unit tests here check each operator against its definition and both models
//! against tract's own operators; the golden test (tests/landmarks/golden.rs) checks the
//! landmarks against MediaPipe's.
//!
//! On x86-64 the loops are also compiled with AVX2 (8 floats per instruction instead of
//! SSE2's 4), and that copy is chosen at run time where the processor has it; the 1×1
//! convolution's tiles are written with AVX2 + FMA and AVX-512 instructions.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::cnn::{Conv, KernelFormat, MaxPool, PaddingSpec, PoolSpec};
use tract_onnx::tract_core::ops::einsum::EinSum;
use tract_onnx::tract_core::ops::nn::DataFormat;

use super::model::f32_values;

/// Swaps every operator of the kinds above that has a shape they handle; returns how many
/// nodes were replaced. Anything else is left to tract.
pub(crate) fn specialise(model: &mut TypedModel) -> TractResult<usize> {
    let mut replaced = 0;
    // A patch adds nodes and rewires the old node's consumers, so the ids of the nodes still
    // to visit stay valid.
    for id in model.eval_order()? {
        let node = &model.nodes()[id];
        let patch = if let Some(conv) = node.op_as::<Conv>() {
            conv3x3_patch(model, node, conv)?
        } else if let Some(einsum) = node.op_as::<EinSum>() {
            pointwise_patch(model, node, einsum)?
        } else if let Some(pool) = node.op_as::<MaxPool>() {
            max_pool_patch(model, node, pool)?
        } else if node.op_as::<TypedBinOp>().is_some_and(|op| op.0.name() == "Add") {
            prelu_patch(model, node)?
        } else if node.op_as::<TypedBinOp>().is_some_and(|op| op.0.name() == "Max") {
            relu_patch(model, node)?
        } else {
            None
        };
        if let Some(patch) = patch {
            patch.apply(model)?;
            replaced += 1;
        }
    }
    replaced += fuse_pointwise_activations(model)?;
    model.compact()?;
    Ok(replaced)
}

/// Folds each [`AddPrelu`] whose sum reads a [`Pointwise`] (read by nothing else) into that
/// convolution, which then adds the other operand and applies the activation as it stores
/// its sums: one pass over memory fewer. Returns how many were folded.
fn fuse_pointwise_activations(model: &mut TypedModel) -> TractResult<usize> {
    let mut fused = 0;
    for id in model.eval_order()? {
        let node = &model.nodes()[id];
        let Some(activation) = node.op_as::<AddPrelu>() else { continue };
        if node.inputs.len() != 2 {
            continue;
        }
        let outputs = model.output_outlets()?;
        let convolution = node.inputs.iter().enumerate().find_map(|(k, input)| {
            let producer = &model.nodes()[input.node];
            let op = producer.op_as::<Pointwise>()?;
            (op.then == Then::Store
                && producer.outputs[0].successors.len() == 1
                && !outputs.contains(input))
            .then_some((k, producer, op))
        });
        let Some((k, producer, op)) = convolution else { continue };
        let op = Pointwise {
            then: Then::AddActivate { slopes: activation.slopes.clone() },
            ..op.clone()
        };
        let mut patch = TypedModelPatch::default();
        let source = patch.tap_model(model, producer.inputs[0])?;
        let residual = patch.tap_model(model, node.inputs[1 - k])?;
        let out = patch.wire_node(&node.name, op, &[source, residual])?[0];
        patch.shunt_outside(model, node.id.into(), out)?;
        patch.apply(model)?;
        fused += 1;
    }
    Ok(fused)
}

/// One f32 image, NCHW with a batch of one or CHW: `(channels, height, width, batched)`.
/// tract's declutter drops the batch axis from parts of some graphs (most of the iris
/// model's); the memory is the same either way.
fn image(fact: &TypedFact) -> Option<(usize, usize, usize, bool)> {
    if fact.datum_type != f32::datum_type() {
        return None;
    }
    match *fact.shape.as_concrete()? {
        [1, c, h, w] => Some((c, h, w, true)),
        [c, h, w] => Some((c, h, w, false)),
        _ => None,
    }
}

/// The shape of an image of `channels × height × width`, with the batch axis of one when
/// `batched`.
fn image_shape(batched: bool, channels: usize, height: usize, width: usize) -> TVec<usize> {
    if batched { tvec![1, channels, height, width] } else { tvec![channels, height, width] }
}

/// Whether `shape` is that of one value per channel, broadcast along an image of `batched`
/// rank: `[1, channels, 1, 1]` or `[channels, 1, 1]`.
fn per_channel(shape: Option<&[usize]>, channels: usize, batched: bool) -> bool {
    shape == Some(&image_shape(batched, channels, 1, 1)[..])
}

fn constant(model: &TypedModel, outlet: OutletId) -> TractResult<Option<Vec<f32>>> {
    let fact = model.outlet_fact(outlet)?;
    match &fact.konst {
        Some(t) if t.datum_type() == f32::datum_type() => {
            Ok(Some(t.try_as_plain_ram()?.as_slice::<f32>()?.to_vec()))
        }
        _ => Ok(None),
    }
}

/// 2-D stride and padding of a plain (undilated) NCHW pool spec: `(stride, [top, left,
/// bottom, right])`, with equal strides on both axes.
fn plain_geometry(
    spec: &PoolSpec,
    kernel: usize,
    (height, width): (usize, usize),
) -> Option<(usize, [usize; 4])> {
    let strides = spec.strides.clone().unwrap_or_else(|| tvec![1, 1]);
    let dilations = spec.dilations.clone().unwrap_or_else(|| tvec![1, 1]);
    if !matches!(spec.data_format, DataFormat::NCHW | DataFormat::CHW)
        || spec.kernel_shape[..] != [kernel, kernel]
        || dilations[..] != [1, 1]
        || strides.len() != 2
        || strides[0] != strides[1]
    {
        return None;
    }
    let pads = match &spec.padding {
        PaddingSpec::Valid => [0; 4],
        PaddingSpec::Explicit(before, after) if before.len() == 2 && after.len() == 2 => {
            [before[0], before[1], after[0], after[1]]
        }
        PaddingSpec::SameUpper | PaddingSpec::SameLower => {
            // TensorFlow's SAME: ceil(n / stride) outputs, the padding split with the odd one
            // after (upper) or before (lower).
            let split = |n: usize| {
                let total = ((n.div_ceil(strides[0]) - 1) * strides[0] + kernel).saturating_sub(n);
                let small = total / 2;
                if spec.padding == PaddingSpec::SameUpper {
                    (small, total - small)
                } else {
                    (total - small, small)
                }
            };
            let ((top, bottom), (left, right)) = (split(height), split(width));
            [top, left, bottom, right]
        }
        _ => return None,
    };
    Some((strides[0], pads))
}

/// Most input channels a dense (ungrouped) 3×3 convolution may have to be ours: the face
/// mesh's first layer reads the three colour planes; wider ones are left to tract's matrix
/// products, which suit them better.
const MAX_DENSE_INPUTS: usize = 4;

/// Matches a 3×3 convolution that is depthwise (one input channel per output) or dense over
/// at most [`MAX_DENSE_INPUTS`] input channels.
fn conv3x3_patch(
    model: &TypedModel,
    node: &TypedNode,
    conv: &Conv,
) -> TractResult<Option<TypedModelPatch>> {
    let input = model.outlet_fact(node.inputs[0])?;
    let Some((channels, height, width, batched)) = image(input) else { return Ok(None) };
    let Some((stride, pads)) = plain_geometry(&conv.pool_spec, 3, (height, width)) else {
        return Ok(None);
    };
    let outputs = conv.pool_spec.output_channels;
    let dense = conv.group == 1 && channels <= MAX_DENSE_INPUTS;
    let depthwise = conv.group == channels && outputs == channels;
    if conv.q_params.is_some()
        || !(dense || depthwise)
        || conv.kernel_fmt != KernelFormat::OIHW
        || node.inputs.len() != 3
    {
        return Ok(None);
    }
    let (Some(kernel), Some(bias)) =
        (constant(model, node.inputs[1])?, constant(model, node.inputs[2])?)
    else {
        return Ok(None);
    };
    let taps_per_output = if dense { channels * 9 } else { 9 };
    if kernel.len() != outputs * taps_per_output || (bias.len() != outputs && bias.len() != 1) {
        return Ok(None);
    }
    let bias = if bias.len() == 1 { vec![bias[0]; outputs] } else { bias };
    let op = Conv3x3 {
        geometry: Geometry { channels, height, width, stride, pads },
        batched,
        dense,
        kernel: Floats(kernel),
        bias: Floats(bias),
    };
    Ok(Some(TypedModelPatch::replace_single_op(model, node, &node.inputs[..1], op)?))
}

fn max_pool_patch(
    model: &TypedModel,
    node: &TypedNode,
    pool: &MaxPool,
) -> TractResult<Option<TypedModelPatch>> {
    let input = model.outlet_fact(node.inputs[0])?;
    let Some((channels, height, width, batched)) = image(input) else { return Ok(None) };
    if pool.with_index_outputs.is_some()
        || plain_geometry(&pool.pool_spec, 2, (height, width)) != Some((2, [0; 4]))
        || height < 2
        || width < 2
    {
        return Ok(None);
    }
    let op = MaxPool2x2 { channels, height, width, batched };
    Ok(Some(TypedModelPatch::replace_single_op(model, node, &node.inputs, op)?))
}

/// Matches a 1×1 convolution as the decluttered graph has it, `EinSum NIHW,OI->NOHW` with
/// constant weights (with or without the batch axis on either side), and the constant bias
/// `Add` after it when it is the only reader.
fn pointwise_patch(
    model: &TypedModel,
    node: &TypedNode,
    einsum: &EinSum,
) -> TractResult<Option<TypedModelPatch>> {
    if !simd::pointwise_is_fast() || einsum.q_params.is_some() || node.inputs.len() != 2 {
        return Ok(None);
    }
    let out_batched = match einsum.axes.to_string().as_str() {
        "NIHW,OI->NOHW" | "IHW,OI->NOHW" => true,
        "NIHW,OI->OHW" | "IHW,OI->OHW" => false,
        _ => return Ok(None),
    };
    let Some((inputs, height, width, _)) = image(model.outlet_fact(node.inputs[0])?) else {
        return Ok(None);
    };
    let Some(weights) = constant(model, node.inputs[1])? else { return Ok(None) };
    if weights.is_empty() || weights.len() % inputs != 0 {
        return Ok(None);
    }
    let outputs = weights.len() / inputs;
    // The bias: an Add of a constant [1, outputs, 1, 1] that reads nothing else.
    let successors = &node.outputs[0].successors;
    let bias_add = (successors.len() == 1)
        .then(|| &model.nodes()[successors[0].node])
        .filter(|add| add.op_as::<TypedBinOp>().is_some_and(|op| op.0.name() == "Add"))
        .filter(|_| !model.output_outlets().is_ok_and(|o| o.contains(&node.id.into())));
    let mut bias = vec![0.0; outputs];
    let mut last = node;
    if let Some(add) = bias_add {
        let other = add.inputs.iter().find(|i| i.node != node.id).copied();
        if let Some(other) = other {
            let shape = model.outlet_fact(other)?.shape.as_concrete().map(<[usize]>::to_vec);
            if let Some(values) = constant(model, other)?
                && per_channel(shape.as_deref(), outputs, out_batched)
            {
                bias = values;
                last = add;
            }
        }
    }
    let op = Pointwise {
        inputs,
        outputs,
        height,
        width,
        out_batched,
        weights: Floats(simd::group_weights(&weights, inputs, outputs)),
        bias: Floats(bias),
        then: Then::Store,
    };
    let mut patch = TypedModelPatch::default();
    let wire = patch.tap_model(model, node.inputs[0])?;
    let out = patch.wire_node(&last.name, op, &[wire])?[0];
    patch.shunt_outside(model, last.id.into(), out)?;
    Ok(Some(patch))
}

/// Matches `Add(Max(x, 0), Mul(Min(x, 0), a))` (either operand order) with `a` one slope per
/// channel, and folds `x = Add(u, v)` in too when that sum feeds nothing else.
fn prelu_patch(model: &TypedModel, add: &TypedNode) -> TractResult<Option<TypedModelPatch>> {
    let binary = |outlet: OutletId, name: &str| -> Option<&TypedNode> {
        let node = &model.nodes()[outlet.node];
        let op = node.op_as::<TypedBinOp>()?;
        (op.0.name() == name && outlet.slot == 0).then_some(node)
    };
    let is_zero = |outlet: OutletId| -> TractResult<bool> {
        Ok(constant(model, outlet)?.is_some_and(|v| v.len() == 1 && v[0] == 0.0))
    };
    if add.inputs.len() != 2 {
        return Ok(None);
    }
    // Which operand is the Max and which the Mul.
    let (max, mul) = match (
        binary(add.inputs[0], "Max"),
        binary(add.inputs[1], "Mul"),
        binary(add.inputs[1], "Max"),
        binary(add.inputs[0], "Mul"),
    ) {
        (Some(max), Some(mul), _, _) | (_, _, Some(max), Some(mul)) => (max, mul),
        _ => return Ok(None),
    };
    let x = max.inputs[0];
    if !is_zero(max.inputs[1])? {
        return Ok(None);
    }
    let (min, slopes_outlet) = match (binary(mul.inputs[0], "Min"), binary(mul.inputs[1], "Min")) {
        (Some(min), None) => (min, mul.inputs[1]),
        (None, Some(min)) => (min, mul.inputs[0]),
        _ => return Ok(None),
    };
    if min.inputs[0] != x || !is_zero(min.inputs[1])? {
        return Ok(None);
    }
    let Some((channels, height, width, batched)) = image(model.outlet_fact(x)?) else {
        return Ok(None);
    };
    if model.outlet_fact(add.id.into())?.shape != model.outlet_fact(x)?.shape {
        return Ok(None);
    }
    // One slope per channel, shaped to broadcast along the channel axis.
    let Some(slopes) = constant(model, slopes_outlet)? else { return Ok(None) };
    let slopes_shape = model.outlet_fact(slopes_outlet)?.shape.as_concrete().map(<[usize]>::to_vec);
    if slopes.len() != channels || !per_channel(slopes_shape.as_deref(), channels, batched) {
        return Ok(None);
    }
    // The Max, the Min and the Mul must feed nothing else, for the patch to drop them.
    let single = |n: &TypedNode, readers: usize| {
        n.outputs.len() == 1 && n.outputs[0].successors.len() == readers
    };
    if !single(max, 1) || !single(min, 1) || !single(mul, 1) {
        return Ok(None);
    }
    let op = AddPrelu { channels, plane: height * width, slopes: Some(Floats(slopes)) };
    activation_patch(model, add, x, 2, op)
}

/// Matches `Max(Add(u, v), 0)`, a residual sum then ReLU, with the sum read by nothing else.
fn relu_patch(model: &TypedModel, max: &TypedNode) -> TractResult<Option<TypedModelPatch>> {
    let [x, zero] = max.inputs[..] else { return Ok(None) };
    let is_sum = model.nodes()[x.node].op_as::<TypedBinOp>().is_some_and(|op| op.0.name() == "Add");
    if !is_sum || !constant(model, zero)?.is_some_and(|v| v.len() == 1 && v[0] == 0.0) {
        return Ok(None);
    }
    let Some((channels, height, width, _)) = image(model.outlet_fact(x)?) else {
        return Ok(None);
    };
    if model.outlet_fact(max.id.into())?.shape != model.outlet_fact(x)?.shape {
        return Ok(None);
    }
    let op = AddPrelu { channels, plane: height * width, slopes: None };
    // Without a sum to fold in, tract's own Max is as good: `activation_patch` declines.
    activation_patch(model, max, x, 1, op)
}

/// Replaces the activation ending at `last` (applied to `x`) by `op`, reading the two operands
/// of `x = Add(u, v)` instead of `x` when that sum has no readers but the activation's
/// `x_readers` nodes and is not a model output; otherwise reading `x`.
fn activation_patch(
    model: &TypedModel,
    last: &TypedNode,
    x: OutletId,
    x_readers: usize,
    op: AddPrelu,
) -> TractResult<Option<TypedModelPatch>> {
    let x_node = &model.nodes()[x.node];
    let x_fact = model.outlet_fact(x)?;
    let sum_operands = x_node
        .op_as::<TypedBinOp>()
        .filter(|add| add.0.name() == "Add" && x.slot == 0)
        .filter(|_| x_node.outputs[0].successors.len() == x_readers)
        .filter(|_| !model.output_outlets().is_ok_and(|o| o.contains(&x)))
        .filter(|_| {
            x_node.inputs.len() == 2
                && x_node.inputs.iter().all(|i| {
                    model
                        .outlet_fact(*i)
                        .is_ok_and(|f| f.konst.is_none() && f.shape == x_fact.shape)
                })
        })
        .map(|_| x_node.inputs.clone());
    let inputs: TVec<OutletId> = match sum_operands {
        Some(operands) => operands.into_iter().collect(),
        None if op.slopes.is_some() => tvec![x],
        None => return Ok(None),
    };
    let mut patch = TypedModelPatch::default();
    let wires: TVec<OutletId> =
        inputs.iter().map(|i| patch.tap_model(model, *i)).collect::<TractResult<_>>()?;
    let out = patch.wire_node(&last.name, op, &wires)?[0];
    patch.shunt_outside(model, last.id.into(), out)?;
    Ok(Some(patch))
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
pub(crate) struct Floats(Vec<f32>);

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

/// Where a 3×3 depthwise convolution reads: one NCHW image.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub(crate) struct Geometry {
    channels: usize,
    height: usize,
    width: usize,
    stride: usize,
    /// Zero rows/columns added: top, left, bottom, right.
    pads: [usize; 4],
}

impl Geometry {
    fn output(&self) -> (usize, usize) {
        let [top, left, bottom, right] = self.pads;
        (
            (self.height + top + bottom - 3) / self.stride + 1,
            (self.width + left + right - 3) / self.stride + 1,
        )
    }
}

/// 3×3 convolution with bias, depthwise or dense over a few input channels, weights held in
/// the operator.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub(crate) struct Conv3x3 {
    /// The input's geometry (`channels` are the input's).
    geometry: Geometry,
    /// Input and output have the batch axis (NCHW), else not (CHW).
    batched: bool,
    /// Every output reads every input (`kernel` `[outputs][inputs][9]`), else output `c`
    /// reads input `c` (`[channels][9]`).
    dense: bool,
    kernel: Floats,
    /// One per output.
    bias: Floats,
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
    inputs: usize,
    outputs: usize,
    height: usize,
    width: usize,
    /// The output has the batch axis (NCHW), else not (CHW); the input may have it or not.
    out_batched: bool,
    /// Grouped as [`simd::group_weights`] lays them out.
    weights: Floats,
    bias: Floats,
    /// What is done to the sums before they are stored.
    then: Then,
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
    channels: usize,
    height: usize,
    width: usize,
    /// Input and output have the batch axis (NCHW), else not (CHW).
    batched: bool,
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
    channels: usize,
    plane: usize,
    slopes: Option<Floats>,
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

/// The loops, and their choice between the SSE2 build and an AVX2 one.
mod simd {
    use super::Geometry;
    use crate::landmarks::isa::with_best_isa;

    with_best_isa!(
        /// A 3×3 convolution, each input plane copied into scratch with its zero border
        /// (stride 1), or with its even and odd columns side by side (stride 2), so that
        /// every output row is one pass of nine multiply-adds over contiguous memory per
        /// input plane it reads. `dense`: every output reads every input (`kernel` is
        /// `[outputs][inputs][9]`); otherwise output `c` reads input `c` alone (depthwise,
        /// `[channels][9]`). The outputs are `bias.len()`.
        pub(super) fn conv3x3(
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
                        let taps =
                            kernel[(o * g.channels + i) * 9..][..9].try_into().expect("taps");
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

    /// Output rows computed together, and pixels per tile: 4 × 16 accumulators, eight AVX
    /// registers.
    const ROWS: usize = 4;
    const TILE: usize = 16;

    /// Whether [`pointwise`] has its fast form here: AVX2 with FMA.
    pub(super) fn pointwise_is_fast() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
        }
        #[cfg(not(target_arch = "x86_64"))]
        false
    }

    /// The weights `[outputs][inputs]` of a 1×1 convolution as [`pointwise`] reads them: in
    /// groups of ROWS outputs (the last padded with zeros), each input by input,
    /// `[group][input][row]`.
    pub(super) fn group_weights(weights: &[f32], inputs: usize, outputs: usize) -> Vec<f32> {
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
    /// [`specialise`]: super::specialise
    pub(super) fn pointwise(
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
    pub(super) enum Epilogue<'a> {
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
            let (x0, x1) =
                unsafe { (_mm512_loadu_ps(x.as_ptr()), _mm512_loadu_ps(x[16..].as_ptr())) };
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
            let (x0, x1) =
                unsafe { (_mm256_loadu_ps(x.as_ptr()), _mm256_loadu_ps(x[8..].as_ptr())) };
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

    with_best_isa!(
        pub(super) fn max_pool(plane: &[f32], width: usize, out: &mut [f32], out_w: usize) {
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

    with_best_isa!(
        pub(super) fn add_prelu(u: &[f32], v: Option<&[f32]>, slope: Option<f32>, out: &mut [f32]) {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landmarks::{Runtime, optimised};

    /// Deterministic values in -1..1.
    fn noise(len: usize, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state as f32 / u32::MAX as f32) * 2.0 - 1.0
            })
            .collect()
    }

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

    /// Both shipped models, our operators against tract's, on the same input.
    #[test]
    fn specialised_models_compute_what_tract_computes() {
        for (file, size, expected_ops, pointwise_ops) in
            // The face mesh: 20 depthwise convolutions and its first 3×3 convolution over the
            // colour planes, 5 max-pools (its sixth reads the same tensor as another and tract
            // merges the two), 23 PReLUs; and where the processor has AVX2 and FMA, 22 1×1
            // convolutions, 20 of which take in the residual sum and PReLU after them. The
            // detector: 16 depthwise convolutions, 3 max-pools, 16 residual sums + ReLU; and
            // 16 1×1 convolutions, each taking in the sum and ReLU after it. The iris model,
            // most of whose graph tract runs without the batch axis: 26 depthwise convolutions
            // and its first 3×3 one, 6 max-pools, 53 PReLUs; and 46 1×1 convolutions, 26 of
            // which take in the residual sum and PReLU after them.
            [
                ("face_landmark.onnx", 192, 20 + 1 + 5 + 23, 22 + 20),
                ("face_detection_short_range.onnx", 128, 16 + 3 + 16, 16 + 16),
                ("iris_landmark.onnx", 64, 26 + 1 + 6 + 53, 46 + 26),
            ]
        {
            let expected_ops =
                expected_ops + if simd::pointwise_is_fast() { pointwise_ops } else { 0 };
            let bytes =
                std::fs::read(crate::landmarks::ModelPaths::default_dir().join(file)).unwrap();
            let mut decluttered = tract_onnx::onnx()
                .model_for_read(&mut &bytes[..])
                .unwrap()
                .with_input_fact(0, f32::fact([1, 3, size, size]).into())
                .unwrap()
                .into_typed()
                .unwrap()
                .into_decluttered()
                .unwrap();
            let replaced = specialise(&mut decluttered).unwrap();
            assert_eq!(replaced, expected_ops, "{file}");
            let input =
                Tensor::from_shape(&[1, 3, size, size], &noise(3 * size * size, 9)).unwrap();
            let run = |runtime| {
                let plan = optimised(&bytes, size, runtime).unwrap().into_runnable().unwrap();
                let out = plan.run(tvec!(input.clone().into_tvalue())).unwrap();
                out.iter()
                    .map(|t| t.try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec())
                    .collect::<Vec<_>>()
            };
            let (ours, theirs) = (run(Runtime::Specialised), run(Runtime::Tract));
            for (a, b) in ours.iter().zip(&theirs) {
                let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
                let scale = b.iter().map(|v| v.abs()).fold(1.0, f32::max);
                assert!(worst <= 1e-5 * scale, "{file}: outputs differ by {worst} (scale {scale})");
            }
        }
    }
}
