#!/usr/bin/env python3
"""Convert MediaPipe's face models from TFLite to the ONNX files facesym ships.

Run by hand, never in CI:

    python3 -m venv /tmp/mpvenv
    /tmp/mpvenv/bin/pip install -r models/requirements.txt
    /tmp/mpvenv/bin/python models/convert.py

It reads the .tflite files inside the installed `mediapipe==0.10.14` wheel, converts them with
`tflite2onnx==0.4.1` (opset 11, NCHW input), applies the exact graph rewrites listed below,
writes models/*.onnx and rewrites models/SHA256SUMS.

Rewrites, each exact in IEEE arithmetic and each covered by the golden test against MediaPipe:
- tflite2onnx crashes on face_landmark because its fp16 PReLU slopes are rank 3 while the
  layout pass expects rank 4; the slopes are padded to rank 4 before that pass.
- PRelu(x, a) becomes Add(Relu(x), Mul(a, Min(x, 0))): for x >= 0 this is x + a*0 = x, for
  x < 0 it is 0 + a*x = a*x, bit for bit. tract runs the rewritten form faster.
"""

import argparse
import hashlib
import pathlib
import sys


import numpy as np
import onnx
from onnx import helper, numpy_helper

import mediapipe
import tflite2onnx
from tflite2onnx import graph as t2o_graph

MODELS_DIR = pathlib.Path(__file__).resolve().parent
MEDIAPIPE_MODULES = pathlib.Path(mediapipe.__file__).resolve().parent / "modules"

# (source inside the wheel, output name)
MODELS = [
    ("face_detection/face_detection_short_range.tflite", "face_detection_short_range.onnx"),
    ("face_landmark/face_landmark.tflite", "face_landmark.onnx"),
    ("iris_landmark/iris_landmark.tflite", "iris_landmark.onnx"),
]


def pad_prelu_slopes(graph):
    """Give every PReLU slope, and the fp16 constant it is dequantised from, rank 4."""
    for op in graph.ops:
        if op.type != "PRelu":
            continue
        alpha = op.inputs[1]
        # tflite2onnx already inserted the batch axis on `alpha`; the fp16 constant feeding a
        # Dequantize into it still lacks it.
        for producer in alpha.producers:
            if producer.type == "DequantizeLinear":
                source = producer.inputs[0]
                while len(source.shape) < len(alpha.shape):
                    source.shape.insert(0, 1)


_original_convert = t2o_graph.Graph.convert


def _convert_with_padded_slopes(self, explicit_layouts):
    pad_prelu_slopes(self)
    return _original_convert(self, explicit_layouts)


t2o_graph.Graph.convert = _convert_with_padded_slopes


def rewrite_prelu(model):
    """Replace PRelu(x, a) with Relu(x) + a * Min(x, 0), exactly."""
    g = model.graph
    zero_name = "facesym_zero"
    new_nodes = []
    count = 0
    for node in g.node:
        if node.op_type != "PRelu":
            new_nodes.append(node)
            continue
        x, a = node.input
        (y,) = node.output
        base = f"facesym_prelu{count}"
        new_nodes += [
            helper.make_node("Relu", [x], [base + "_pos"], name=base + "_relu"),
            helper.make_node("Min", [x, zero_name], [base + "_neg"], name=base + "_min"),
            helper.make_node("Mul", [a, base + "_neg"], [base + "_scaled"], name=base + "_mul"),
            helper.make_node("Add", [base + "_pos", base + "_scaled"], [y], name=base + "_add"),
        ]
        count += 1
    if count:
        g.initializer.append(numpy_helper.from_array(np.zeros((), np.float32), zero_name))
    del g.node[:]
    g.node.extend(new_nodes)
    return count


def sort_tensor_lists(model):
    """tflite2onnx emits initializers and value infos from Python sets: sort them by name so the
    same inputs always give byte-identical ONNX files."""
    g = model.graph
    for field in (g.initializer, g.value_info):
        items = sorted(field, key=lambda t: t.name)
        del field[:]
        field.extend(items)


def main():
    parser = argparse.ArgumentParser(description="Convert MediaPipe's face models to ONNX.")
    parser.add_argument("--out", type=pathlib.Path, default=MODELS_DIR,
                        help="output folder (default: this models/ folder)")
    parser.add_argument("--keep-prelu", action="store_true",
                        help="skip the PReLU rewrite (only to measure what it gains)")
    args = parser.parse_args()
    if mediapipe.__version__ != "0.10.14":
        sys.exit(f"expected mediapipe 0.10.14, found {mediapipe.__version__}")
    args.out.mkdir(parents=True, exist_ok=True)
    sums = []
    for source, name in MODELS:
        src = MEDIAPIPE_MODULES / source
        dst = args.out / name
        tflite2onnx.convert(str(src), str(dst))
        model = onnx.load(str(dst))
        rewritten = 0 if args.keep_prelu else rewrite_prelu(model)
        sort_tensor_lists(model)
        onnx.checker.check_model(model)
        onnx.save(model, str(dst))
        digest = hashlib.sha256(dst.read_bytes()).hexdigest()
        src_digest = hashlib.sha256(src.read_bytes()).hexdigest()
        print(f"{name}: {rewritten} PReLU rewritten; source sha256 {src_digest}")
        sums.append(f"{digest}  {name}\n")
    (args.out / "SHA256SUMS").write_text("".join(sums))


if __name__ == "__main__":
    main()
