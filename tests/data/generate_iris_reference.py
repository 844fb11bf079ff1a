#!/usr/bin/env python3
"""Reference eye contours for facesym's iris test, computed independently of facesym.

Run by hand, never in CI (it needs onnxruntime and OpenCV, models/requirements.txt):

    /opt/mpvenv/bin/python tests/data/generate_iris_reference.py

For every face in tests/data/faces/reference.json (MediaPipe's own face-mesh landmarks), each
eye is cropped as MediaPipe's iris graph crops it: the box of the eye corners (33 -> 133, and
362 -> 263 mirrored left-right), turned so the corners are level, squared on its long side,
scaled 2.3x; OpenCV's RotatedRect points, getPerspectiveTransform and a bilinear
warpPerspective with replicated border into 64 x 64, values in [0, 1]. onnxruntime runs
models/iris_landmark.onnx on it, and the 71 contour and 5 iris points are mirrored back and
projected into the image (rotation about the crop's centre, then scale). Written to
tests/data/faces/iris_reference.json: per image and face, per eye, the crop (centre, size,
rotation) and the points (x, y, image pixels).
"""

import json
import math
import pathlib

import cv2
import numpy as np
import onnxruntime as ort

ROOT = pathlib.Path(__file__).resolve().parents[2]
FACES = ROOT / "tests/data/faces"
SIZE = 64
SCALE = 2.3
EYES = [(33, 133, False), (362, 263, True)]


def roi(p, q):
    # In single precision, as MediaPipe's rectangles (and facesym's) are, so that OpenCV gets
    # the same corners and the crops agree pixel for pixel.
    f = np.float32
    p, q = [f(v) for v in p[:2]], [f(v) for v in q[:2]]
    x0, y0 = min(p[0], q[0]), min(p[1], q[1])
    x1, y1 = max(p[0], q[0]), max(p[1], q[1])
    rotation = -np.arctan2(-(q[1] - p[1]), q[0] - p[0])
    two_pi = f(2 * math.pi)
    rotation = f(rotation - two_pi * np.floor((rotation + f(math.pi)) / two_pi))
    center = [x0 + (x1 - x0) / f(2), y0 + (y1 - y0) / f(2)]
    return [float(c) for c in center], float(max(x1 - x0, y1 - y0) * f(SCALE)), float(rotation)


def eye(session, image, center, size, rotation, mirrored):
    f = np.float32
    angle_deg = f(rotation) * f(180) / f(math.pi)
    corners = cv2.boxPoints(((center[0], center[1]), (size, size), float(angle_deg)))
    dst = np.float32([[0, SIZE], [0, 0], [SIZE, 0], [SIZE, SIZE]])
    matrix = cv2.getPerspectiveTransform(np.float32(corners), dst)
    crop = cv2.warpPerspective(image, matrix, (SIZE, SIZE), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
    if mirrored:
        crop = crop[:, ::-1]
    tensor = (crop.astype(np.float32) / 255.0).transpose(2, 0, 1)[None].copy()
    contour, iris = session.run(None, {session.get_inputs()[0].name: tensor})
    sin, cos = math.sin(rotation), math.cos(rotation)

    def project(raw):
        out = []
        for x, y, _ in np.asarray(raw, dtype=np.float64).reshape(-1, 3):
            if mirrored:
                x = SIZE - x
            dx, dy = x / SIZE - 0.5, y / SIZE - 0.5
            out.append([(cos * dx - sin * dy) * size + center[0],
                        (sin * dx + cos * dy) * size + center[1]])
        return out

    return project(contour), project(iris)


def main():
    session = ort.InferenceSession(str(ROOT / "models/iris_landmark.onnx"))
    reference = json.loads((FACES / "reference.json").read_text())
    out = []
    for entry in reference:
        image = cv2.cvtColor(cv2.imread(str(FACES / entry["image"]), cv2.IMREAD_COLOR),
                             cv2.COLOR_BGR2RGB)
        faces = []
        for face in entry["faces"]:
            points = face["landmarks"]
            eyes = []
            for a, b, mirrored in EYES:
                center, size, rotation = roi(points[a], points[b])
                contour, iris = eye(session, image, center, size, rotation, mirrored)
                eyes.append({"center": center, "size": size, "rotation_rad": rotation,
                             "contour": contour, "iris": iris})
            faces.append({"eyes": eyes})
        out.append({"image": entry["image"], "faces": faces})
    (FACES / "iris_reference.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
