#!/usr/bin/env python3
"""Time facesym's per-frame path against MediaPipe's Python FaceMesh on the same frames.

Run by hand (needs MediaPipe 0.10.14 in /opt/mpvenv; see models/requirements.txt), after
`cargo build --release`:

    /opt/mpvenv/bin/python scripts/compare_mediapipe.py tests/data/faces/grace_hopper.png

INPUT is what `facesym bench` takes: one image (moved and rolled into a synthetic sequence),
a folder of frames, or a video file. `facesym bench --save-frames` writes the frames it timed
as PNGs, and MediaPipe is timed on those same frames, in this one run:
- facesym: `facesym bench --json`, `per_frame_ms` (the tracked frame: crop + face mesh,
  detector when needed; plus the landmark-only symmetry scoring) and each stage;
- MediaPipe 0.10.14 FaceMesh, tracking mode (static_image_mode=False, max_num_faces=1,
  refine_landmarks=False): each `process()` call on frames already decoded in memory.
It prints both medians and p95s and three ratios facesym / MediaPipe of the medians (below 1:
facesym is faster): the per-frame path (`per_frame_ms`), the landmarks alone (stage
`tracked_frame`, no scoring: what MediaPipe's `process()` does), and what the live app pays a
frame (stage `shipped_frame`: tracked frame, eyes and skin motion). Then offline throughput:
facesym's `offline_fps` (all cores, one tracker per run of frames) over MediaPipe's single
stream (1000 / mean ms per `process()`), the best of the runs on each side, as the medians
are.
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
        fps = 1000.0 / statistics.mean(samples)
        if best is None or median < best[0]:
            best = (median, percentile(samples, 0.95), found, max(fps, best[3] if best else 0.0))
        else:
            best = (*best[:3], max(best[3], fps))
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", help="an image (moved into a synthetic sequence), a folder of frames or a video")
    parser.add_argument("--frames", type=int, default=300, help="frames to time (the first N of a folder or video)")
    parser.add_argument("--binary", default=str(ROOT / "target/release/facesym"))
    parser.add_argument("--repeats", type=int, default=3, help="runs of each; the best median counts")
    args = parser.parse_args()
    if mp.__version__ != "0.10.14":
        sys.exit(f"expected mediapipe 0.10.14, found {mp.__version__}")

    with tempfile.TemporaryDirectory() as tmp:
        ours = None
        offline_fps = 0.0
        for repeat in range(args.repeats):
            command = [args.binary, "bench", args.input, "--frames", str(args.frames), "--json"]
            if repeat == 0:
                # The frames are the same on every run: save them once.
                command += ["--save-frames", tmp]
            out = subprocess.run(command, capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(f"facesym bench failed: {out.stderr.strip()}")
            report = json.loads(out.stdout)
            offline_fps = max(offline_fps, report["offline_fps"])
            if ours is None or report["per_frame_ms"]["median"] < ours["per_frame_ms"]["median"]:
                ours = report
        paths = sorted(pathlib.Path(tmp).glob("*.png"))
        frames = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in paths]

    mp_median, mp_p95, found, mp_fps = time_mediapipe(frames, args.repeats)
    ours_median = ours["per_frame_ms"]["median"]
    tracked_median = ours["stages"]["tracked_frame"]["median_ms"]
    print(f"frames: {len(frames)} (facesym tracked a face in {ours.get('frames_with_face', '?')}, "
          f"MediaPipe found one in {found})")
    print(f"facesym per frame (tracked frame + scoring): median {ours_median:.3f} ms, "
          f"p95 {ours['per_frame_ms']['p95']:.3f} ms, {ours['fps']:.1f} frames/s")
    order = ["decode", "detect", "crop", "face_mesh", "tracked_frame", "scoring", "skin_motion"]
    for name in sorted(ours["stages"], key=lambda n: (order.index(n) if n in order else len(order), n)):
        stage = ours["stages"][name]
        print(f"  {name:<14} median {stage['median_ms']:.3f} ms, p95 {stage['p95_ms']:.3f} ms")
    print(f"MediaPipe FaceMesh tracking, per process(): median {mp_median:.3f} ms, p95 {mp_p95:.3f} ms")
    print(f"ratio facesym / MediaPipe, per frame (per_frame_ms median): {ours_median / mp_median:.2f}")
    print(f"ratio facesym / MediaPipe, landmarks alone (tracked_frame median): "
          f"{tracked_median / mp_median:.2f}")
    if "shipped_frame" in ours["stages"]:
        shipped = ours["stages"]["shipped_frame"]["median_ms"]
        print(f"ratio facesym / MediaPipe, what the live app pays (shipped_frame median): "
              f"{shipped / mp_median:.2f}")
    print(f"offline throughput: facesym {offline_fps:.0f} frames/s on "
          f"{ours['offline_threads']} cores, MediaPipe single stream {mp_fps:.0f} frames/s: "
          f"ratio {offline_fps / mp_fps:.2f} (above 1: facesym is faster)")


if __name__ == "__main__":
    main()
