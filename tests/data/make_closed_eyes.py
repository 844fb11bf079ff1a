#!/usr/bin/env python3
"""Make the closed-eye fixtures for facesym's eye-closure calibration tests.

Run by hand, never in CI (it needs MediaPipe itself, as generate_reference.py does):

    /tmp/mpvenv/bin/python tests/data/make_closed_eyes.py

From tests/data/faces/obama.png it writes, beside it, two overlays (RGBA, opaque only where a
pixel differs from obama.png, so that they stay small; the tests lay them over obama.png):
- obama_eyes_closed.png: both eyes painted shut;
- obama_left_eye_closed.png: the subject's left eye (the image's right) painted shut.

An eye is painted shut by moving the lid skin above it down over its opening (MediaPipe's
eye contour, widened by 2 px, feathered) and drawing a dark lid line near the lower lid.
"""

from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np

FACES = Path(__file__).resolve().parent / "faces"
# MediaPipe's eye contours: upper and lower lid, corner to corner.
RIGHT = ([33, 246, 161, 160, 159, 158, 157, 173, 133], [33, 7, 163, 144, 145, 153, 154, 155, 133])
LEFT = ([263, 466, 388, 387, 386, 385, 384, 398, 362], [263, 249, 390, 373, 374, 380, 381, 382, 362])


def close_eyes(image, landmarks, eyes):
    h, w = image.shape[:2]
    point = lambda i: np.array([landmarks[i].x * w, landmarks[i].y * h])
    out = image.copy()
    for upper, lower in eyes:
        up = np.array([point(i) for i in upper])
        low = np.array([point(i) for i in lower])
        mask = np.zeros((h, w), np.uint8)
        cv2.fillPoly(mask, [np.vstack([up, low[::-1]]).astype(np.int32)], 255)
        mask = cv2.dilate(mask, np.ones((5, 5), np.uint8))
        shift = int(np.max(low[:, 1] - up[:, 1])) + 4
        lid_skin = np.roll(image, shift, axis=0)
        m = cv2.GaussianBlur(mask, (7, 7), 0).astype(float)[..., None] / 255
        out = (out * (1 - m) + lid_skin * m).astype(np.uint8)
        line = ((up + low) / 2 * 0.3 + low * 0.7).astype(np.int32)
        cv2.polylines(out, [line], False, (40, 35, 35), 2, cv2.LINE_AA)
    return out


def main():
    image = cv2.imread(str(FACES / "obama.png"))
    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1)
    landmarks = mesh.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)).multi_face_landmarks[0]
    landmarks = landmarks.landmark
    for name, eyes in (("obama_eyes_closed.png", [RIGHT, LEFT]), ("obama_left_eye_closed.png", [LEFT])):
        closed = close_eyes(image, landmarks, eyes)
        changed = np.any(closed != image, axis=2)
        overlay = np.zeros(image.shape[:2] + (4,), np.uint8)
        overlay[changed, :3] = closed[changed]
        overlay[changed, 3] = 255
        cv2.imwrite(str(FACES / name), overlay)


if __name__ == "__main__":
    main()
