//! Our own operators for the few shapes MediaPipe's face models have, swapped into tract's
//! graph where tract's general ones would run.
//!
//! [`specialise`] walks the decluttered graph, before tract optimises it, and replaces where
//! the shapes allow (f32, NCHW with one batch or CHW):
//! - 3×3 convolutions, depthwise or dense over a few input channels, by [`Conv3x3`];
//! - 1×1 convolutions and their bias, where the processor has AVX2 and FMA, by [`Pointwise`];
//! - 2×2 max-pools, stride 2, no padding, by [`MaxPool2x2`];
//! - PReLU (`Relu(x) + a·Min(x, 0)`, as models/convert.py writes it) and ReLU, with the
//!   residual sum before them when nothing else reads it, by [`AddPrelu`] (ReLU only with such
//!   a sum), in turn folded into the [`Pointwise`] before it when nothing else reads that.
//!
//! These were most of tract's time on the face mesh (docs/performance.md). Max-pool and the
//! activations do the graph's floating-point operations in its order, so their results are
//! identical; the convolutions sum in another order (with fused multiply-adds), so theirs can
//! differ in the last bits. The tests check each operator against its definition and every
//! model against tract's operators; tests/landmarks/golden.rs checks the landmarks against
//! MediaPipe's.

mod ops;
mod simd;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::cnn::{Conv, KernelFormat, MaxPool, PaddingSpec, PoolSpec};
use tract_onnx::tract_core::ops::einsum::EinSum;
use tract_onnx::tract_core::ops::nn::DataFormat;

use ops::{AddPrelu, Conv3x3, Floats, MaxPool2x2, Pointwise, Then, image_shape};
use simd::Geometry;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landmarks::{Runtime, optimised};

    /// Deterministic values in -1..1.
    pub(super) fn noise(len: usize, seed: u32) -> Vec<f32> {
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

    /// Every shipped model, our operators against tract's, on the same input.
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
            let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
            let bytes = std::fs::read(models.join(file)).unwrap();
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
