#!/usr/bin/env bash
# System packages facesym needs on Debian 12 beyond Rust and a C compiler. Safe to re-run.
# ffmpeg: decodes video files (facesym runs the program; tests also encode clips with it).
# libgl1, libegl1, libgl1-mesa-dri, libxkbcommon-x11-0, libxcursor1, libxrandr2, libxi6: what
# the live window (eframe, OpenGL on X11) loads at run time, software GL included.
# libclang-dev: the camera crate (nokhwa) generates its Video4Linux bindings with bindgen at
# build time.
# libsqlite3-dev, pkg-config: the record's SQLite, linked from the system rather than compiled
# with every build.
# alsa-utils: `aplay`, which plays a guided session's sound cues (any of aplay, paplay or
# pw-play will do; without one the session is silent and says so).
set -euo pipefail

packages=(ffmpeg libgl1 libegl1 libgl1-mesa-dri libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6
    libclang-dev libsqlite3-dev pkg-config alsa-utils)

missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update
    $sudo_cmd apt-get install -y --no-install-recommends "${missing[@]}"
fi
