#!/usr/bin/env python3
"""Make the face fixtures and MediaPipe's reference landmarks for facesym's golden tests.

Run by hand, never in CI (it needs MediaPipe itself):

    /tmp/mpvenv/bin/pip install -r models/requirements.txt
    /tmp/mpvenv/bin/python tests/data/generate_reference.py SOURCE_DIR

SOURCE_DIR holds the three public-domain portraits as they ship in their packages
(see tests/data/faces/README.md): astronaut.png, grace_hopper.jpg, obama.jpg.

It writes, under tests/data/faces/:
- the portraits as PNG (JPEGs decoded once here, so Rust and MediaPipe read identical pixels);
- derived images: rolled faces, two faces in one frame, a face partly outside the frame, a tiny
  face, a grayscale face;
- reference.json: for every image, what MediaPipe 0.10.14 finds, in the JSON schema of
  `facesym landmarks --json` (landmarks from FaceMesh with static_image_mode=True,
  refine_landmarks=False, max_num_faces=4; score and box from FaceDetection model_selection=0,
  the same short-range detector), x and y in image pixels, z on the scale of x.
"""

import json
import pathlib
import sys

import cv2
import mediapipe as mp
import numpy as np

OUT = pathlib.Path(__file__).resolve().parent / "faces"
MAX_FACES = 4


def rgb(path):
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        sys.exit(f"cannot read {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def save(name, image):
    path = OUT / name
    if image.ndim == 2:
        cv2.imwrite(str(path), image)
    else:
        cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return name


def rotate(image, degrees):
    """Rotate about the centre onto a canvas large enough to keep every pixel, grey border."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(round(h * sin + w * cos)), int(round(h * cos + w * sin))
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(image, m, (nw, nh), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(128, 128, 128))


def canvas(h, w, value=128):
    return np.full((h, w, 3), value, np.uint8)


def make_images(src):
    astronaut = rgb(src / "astronaut.png")
    hopper = rgb(src / "grace_hopper.jpg")
    obama = rgb(src / "obama.jpg")
    names = [save("astronaut.png", astronaut), save("grace_hopper.png", hopper),
             save("obama.png", obama)]

    # Rolled faces: positive angles turn the image counter-clockwise.
    names.append(save("grace_hopper_roll25.png", rotate(hopper, 25)))
    names.append(save("obama_roll-30.png", rotate(cv2.resize(obama, (455, 568), interpolation=cv2.INTER_AREA), -30)))

    # Two faces side by side, at different sizes (each large enough for the short-range detector).
    two = canvas(440, 800)
    two[20:420, 10:380] = hopper[80:480, 80:450]
    right = cv2.resize(obama[60:520, 280:700], (365, 400), interpolation=cv2.INTER_AREA)
    two[30:430, 420:785] = right
    names.append(save("two_faces.png", two))

    # A face partly outside the frame: the left third of Grace Hopper's face is cut off.
    names.append(save("partial_face.png", np.ascontiguousarray(hopper[60:600, 190:512])))

    # A tiny face (about 60 px wide) in a small frame: still found.
    tiny = canvas(240, 320, 90)
    tiny[30:230, 100:271] = cv2.resize(hopper, (171, 200), interpolation=cv2.INTER_AREA)
    names.append(save("tiny_face.png", tiny))

    # A face too small for the short-range detector (about 45 px in a 640x480 frame): none found.
    far = canvas(480, 640, 90)
    far[200:350, 300:428] = cv2.resize(hopper, (128, 150), interpolation=cv2.INTER_AREA)
    names.append(save("far_face.png", far))

    # Grayscale (single channel): MediaPipe gets it with the channel repeated.
    names.append(save("astronaut_gray.png", cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)))
    return names


def reference(names):
    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=False,
                                           max_num_faces=MAX_FACES)
    detector = mp.solutions.face_detection.FaceDetection(model_selection=0)
    out = []
    for name in names:
        image = cv2.imread(str(OUT / name), cv2.IMREAD_UNCHANGED)
        if image.ndim == 2:
            image = np.repeat(image[:, :, None], 3, axis=2)
        else:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        h, w = image.shape[:2]
        meshes = mesh.process(image).multi_face_landmarks or []
        detections = detector.process(image).detections or []
        faces = []
        for landmarks in meshes:
            faces.append({
                "landmarks": [[p.x * w, p.y * h, p.z * w] for p in landmarks.landmark],
            })
        dets = []
        for d in detections:
            b = d.location_data.relative_bounding_box
            dets.append({
                "score": d.score[0],
                "box": [b.xmin * w, b.ymin * h, (b.xmin + b.width) * w, (b.ymin + b.height) * h],
                "keypoints": [[k.x * w, k.y * h] for k in d.location_data.relative_keypoints],
            })
        out.append({"image": name, "width": w, "height": h, "faces": faces, "detections": dets})
        print(f"{name}: {len(faces)} face(s), {len(dets)} detection(s)")
    (OUT / "reference.json").write_text(json.dumps(out, indent=1) + "\n")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    if mp.__version__ != "0.10.14":
        sys.exit(f"expected mediapipe 0.10.14, found {mp.__version__}")
    reference(make_images(pathlib.Path(sys.argv[1])))


if __name__ == "__main__":
    main()
