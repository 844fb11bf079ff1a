#!/usr/bin/env python3
"""Time facesym's tracked per-frame path against MediaPipe's Python FaceMesh on the same frames.

Run by hand (needs MediaPipe; see models/requirements.txt), after `cargo build --release`:

    /tmp/mpvenv/bin/python scripts/compare_mediapipe.py tests/data/faces/grace_hopper.png

It asks `facesym bench` to make a synthetic moving sequence from the image (or to read a
folder of frames), saves those frames, and times both on them in this one run:
- facesym: `per_frame_ms` of `facesym bench --json` (crop + face mesh, detector when needed);
- MediaPipe 0.10.14 FaceMesh, tracking mode (static_image_mode=False, max_num_faces=1,
  refine_landmarks=False): each `process()` call on frames already decoded in memory.
It prints both medians and p95s and the ratio facesym / MediaPipe (below 1: facesym is faster).
"""

import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import cv2
import mediapipe as mp
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent


def percentile(samples, q):
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), int(np.ceil(q * len(ordered)))))
    return ordered[rank - 1]


def time_mediapipe(frames, repeats):
    best = None
    for _ in range(repeats):
        mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1,
                                               refine_landmarks=False)
        samples = []
        found = 0
        for frame in frames:
            start = time.perf_counter()
            result = mesh.process(frame)
            samples.append((time.perf_counter() - start) * 1000.0)
            found += bool(result.multi_face_landmarks)
        mesh.close()
        median = statistics.median(samples)
        if best is None or median < best[0]:
            best = (median, percentile(samples, 0.95), found)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", help="an image (moved into a synthetic sequence) or a folder of frames")
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--binary", default=str(ROOT / "target/release/facesym"))
    parser.add_argument("--repeats", type=int, default=3, help="runs of each; the best median counts")
    args = parser.parse_args()
    if mp.__version__ != "0.10.14":
        sys.exit(f"expected mediapipe 0.10.14, found {mp.__version__}")

    with tempfile.TemporaryDirectory() as tmp:
        ours = None
        for _ in range(args.repeats):
            out = subprocess.run([args.binary, "bench", args.input, "--frames", str(args.frames),
                                  "--json", "--save-frames", tmp],
                                 check=True, capture_output=True, text=True)
            report = json.loads(out.stdout)
            if ours is None or report["per_frame_ms"]["median"] < ours["per_frame_ms"]["median"]:
                ours = report
        paths = sorted(pathlib.Path(tmp).glob("*.png"))
        frames = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in paths]

    mp_median, mp_p95, found = time_mediapipe(frames, args.repeats)
    ours_median = ours["per_frame_ms"]["median"]
    print(f"frames: {len(frames)} (MediaPipe found a face in {found})")
    print(f"facesym tracked frame: median {ours_median:.3f} ms, p95 {ours['per_frame_ms']['p95']:.3f} ms")
    for name, stage in ours["stages"].items():
        print(f"  {name:<14} median {stage['median_ms']:.3f} ms, p95 {stage['p95_ms']:.3f} ms")
    print(f"MediaPipe FaceMesh tracking: median {mp_median:.3f} ms, p95 {mp_p95:.3f} ms")
    print(f"ratio facesym / MediaPipe (medians): {ours_median / mp_median:.2f}")


if __name__ == "__main__":
    main()
