//! The real-footage benchmark (docs/validation.md, "Real footage"): every clip of a local list,
//! read as the app reads it, against what is known of it. Footage that cannot be committed
//! stays on the machine; the list names it.
//!
//! cargo run --release --example real_footage -- LIST.json [--root DIR] [--frames]
//!
//! LIST.json (docs/real-footage.json is ours): `{"root": DIR, "clips": [CLIP, ...]}`, each CLIP
//! `{"person": "P1", "file": "clip.mp4", "neutral": 3, "movement": "smile", "peak": [20, 60],
//!   "role": "tune"|"held_out", "source": "..."}`: frame `neutral` (from 0) is the relaxed
//! face, frames `peak` (inclusive) the even movement held; `--root` replaces the list's root. Each clip is read four ways: as filmed (an even
//! movement: ratio ≥ 0.80 expected), as a one-sided composite each way (the moving half of
//! every frame aligned onto the neutral frame, the other half the neutral frame: ratio ≤ 0.15
//! with the still side weaker expected), and mirrored (the flipped frames against the flipped
//! neutral: each side's excursion should come back as the other's). Each is measured three
//! ways: the mesh alone, skin motion against the neutral frame (as `score` does a still), and
//! skin motion followed through the video (as `analyze` and the live app do).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use facesym::capture::{FrameSource, ImageFolderSource, VideoFileSource};
use facesym::landmarks::{ModelPaths, Tracker, TrackerOptions, largest_face};
use facesym::symmetry::flow::SkinTrack;
use facesym::symmetry::movements::movement;
use facesym::symmetry::score::MovementScore;
use facesym::symmetry::{FaceFrame, MovementId, NeutralFace, ScoreStatus, Side};
use facesym::synthetic::composite::{aligned_to, one_sided};
use image::RgbImage;
use image::imageops::flip_horizontal;
use serde::Deserialize;

#[derive(Deserialize)]
struct List {
    root: PathBuf,
    clips: Vec<Clip>,
}

#[derive(Deserialize, Clone)]
struct Clip {
    person: String,
    file: String,
    neutral: usize,
    movement: String,
    peak: [usize; 2],
    role: String,
}

/// The three ways each form is measured, in the table's column order.
const WAYS: [&str; 3] = ["mesh", "still", "video"];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: real_footage LIST.json [--root DIR] [--frames]";
    let Some(list_path) = args.first() else { bail!(usage) };
    let show_frames = args.iter().any(|a| a == "--frames");
    let mut list: List = serde_json::from_str(&std::fs::read_to_string(list_path)?)?;
    if let Some(i) = args.iter().position(|a| a == "--root") {
        list.root = args.get(i + 1).context(usage)?.into();
    }
    let mut tracker = Tracker::new(&ModelPaths::embedded(), TrackerOptions::default())?;
    println!("| person | clip | movement | role | form | truth | {} |", WAYS.join(" | "));
    println!("|{}", " --- |".repeat(6 + WAYS.len()));
    for clip in &list.clips {
        let id: MovementId = clip.movement.parse()?;
        if !(clip.neutral <= clip.peak[0] && clip.peak[0] <= clip.peak[1]) {
            bail!("{}: the neutral frame must come before the peak frames", clip.file);
        }
        let frames = read_frames(&list.root.join(&clip.file), clip.peak[1] + 1)?;
        if clip.neutral >= frames.len() || clip.peak[1] >= frames.len() {
            bail!("{}: {} frames only", clip.file, frames.len());
        }
        let last = clip.peak[1];
        let sequence = &frames[clip.neutral..=last];
        let peak = (clip.peak[0] - clip.neutral)..=(last - clip.neutral);
        tracker.reset();
        let rest = face_frame(&mut tracker, &sequence[0])?;
        let mut forms: Vec<(String, Vec<RgbImage>, Option<Side>)> =
            vec![("even".into(), sequence.to_vec(), None)];
        for moving in [Side::Left, Side::Right] {
            let mut composite = Vec::with_capacity(sequence.len());
            for image in sequence {
                tracker.reset();
                let Ok(frame) = face_frame(&mut tracker, image) else {
                    composite.push(sequence[0].clone());
                    continue;
                };
                let aligned = aligned_to(image, &frame, &rest, image.dimensions());
                composite.push(one_sided(&sequence[0], &aligned, &rest, moving));
            }
            forms.push((format!("{} only", moving.name()), composite, Some(moving.other())));
        }
        for (form, images, still) in &forms {
            let readings = match read(&mut tracker, images, id) {
                Ok(readings) => readings,
                Err(err) => {
                    println!(
                        "| {} | {} | {} | {} | {form} | {err} |",
                        clip.person, clip.file, clip.movement, clip.role
                    );
                    continue;
                }
            };
            let mirrored: Vec<RgbImage> = images.iter().map(flip_horizontal).collect();
            let mirror_readings = read(&mut tracker, &mirrored, id)
                .unwrap_or_else(|_| readings.iter().map(|r| vec![None; r.len()]).collect());
            let truth = match still {
                None => "≥ 0.80".to_string(),
                Some(side) => format!("≤ 0.15, {} weaker", side.name()),
            };
            let cells: Vec<String> = (0..readings.len())
                .map(|w| summarise(&readings[w], &mirror_readings[w], peak.clone(), *still))
                .collect();
            println!(
                "| {} | {} | {} | {} | {} | {} | {} |",
                clip.person,
                clip.file,
                clip.movement,
                clip.role,
                form,
                truth,
                cells.join(" | ")
            );
            if show_frames {
                for k in peak.clone() {
                    let line: Vec<String> =
                        readings.iter().map(|r| describe(r[k].as_ref())).collect();
                    println!("    frame {:4}: {}", k + clip.neutral, line.join("   "));
                }
            }
        }
    }
    Ok(())
}

/// The first `count` frames of a video or image folder.
fn read_frames(path: &Path, count: usize) -> anyhow::Result<Vec<RgbImage>> {
    let mut source: Box<dyn FrameSource> = if path.is_dir() {
        Box::new(ImageFolderSource::open(path, Some(30.0))?)
    } else {
        Box::new(VideoFileSource::open(path)?)
    };
    let mut frames = Vec::new();
    while frames.len() < count {
        match source.next_frame()? {
            Some(frame) => frames.push(frame.image),
            None => break,
        }
    }
    Ok(frames)
}

fn face_frame(tracker: &mut Tracker, image: &RgbImage) -> anyhow::Result<FaceFrame> {
    let face = largest_face(tracker.track(image)?).context("no face")?;
    FaceFrame::fit(&face.landmarks).map_err(|f| anyhow::anyhow!("{f}"))
}

/// Per way, per frame of `images` (the first is the neutral), the movement's score.
fn read(
    tracker: &mut Tracker,
    images: &[RgbImage],
    id: MovementId,
) -> anyhow::Result<Vec<Vec<Option<MovementScore>>>> {
    tracker.reset();
    let m = movement(id);
    let first = largest_face(tracker.track(&images[0])?).context("no face at rest")?;
    let neutral = NeutralFace::calibrate(&images[0], &first.landmarks)
        .map_err(|e| anyhow::anyhow!("neutral: {e}"))?;
    let mut track = SkinTrack::new();
    let mut out = vec![vec![None]; WAYS.len()];
    for image in &images[1..] {
        let face = largest_face(tracker.track(image)?);
        let frame = face.as_ref().and_then(|f| FaceFrame::fit(&f.landmarks).ok());
        let Some(frame) = frame.filter(|f| f.flags().is_empty()) else {
            track.reset();
            out.iter_mut().for_each(|o| o.push(None));
            continue;
        };
        let n = &neutral.neutral.landmarks;
        out[0].push(Some(MovementScore::of(m, n, &frame.landmarks)));
        let still = neutral.image.follow(image, &frame);
        out[1].push(Some(MovementScore::of_followed(m, n, &still)));
        let video = neutral.image.follow_video(image, &frame, &mut track);
        out[2].push(Some(MovementScore::of_followed(m, n, &video)));
    }
    Ok(out)
}

/// Over the peak frames: the median ratio, how many frames gave one, the weaker side's votes
/// and the largest mirror difference.
fn summarise(
    readings: &[Option<MovementScore>],
    mirrored: &[Option<MovementScore>],
    peak: std::ops::RangeInclusive<usize>,
    still: Option<Side>,
) -> String {
    let mut ratios = Vec::new();
    let mut mirror_ratios = Vec::new();
    let (mut right_side, mut mirror_worst, mut frames) = (0, 0.0f64, 0);
    for k in peak {
        frames += 1;
        let Some(score) = &readings[k] else { continue };
        if let (Some(ratio), Some(weaker)) = (score.ratio, score.weaker) {
            ratios.push(ratio);
            if still.is_none_or(|s| s == weaker) {
                right_side += 1;
            }
        }
        if let Some(Some(m)) = mirrored.get(k)
            && score.status != ScoreStatus::NotFollowed
            && m.status != ScoreStatus::NotFollowed
        {
            let d = (score.left - m.right).abs().max((score.right - m.left).abs());
            if let Some(r) = m.ratio {
                mirror_ratios.push(r);
            }
            mirror_worst = mirror_worst.max(d);
        }
    }
    ratios.sort_by(f64::total_cmp);
    mirror_ratios.sort_by(f64::total_cmp);
    let median = ratios.get(ratios.len() / 2).map_or("–".into(), |r| format!("{r:.2}"));
    let mirror_median =
        mirror_ratios.get(mirror_ratios.len() / 2).map_or("–".into(), |r| format!("{r:.2}"));
    let side = if still.is_some() { format!(", side {right_side}") } else { String::new() };
    format!(
        "{median} ({}/{frames}{side}; mirrored {mirror_median}, by {mirror_worst:.3})",
        ratios.len()
    )
}

fn describe(score: Option<&MovementScore>) -> String {
    match score {
        None => "no face".into(),
        Some(s) if s.status == ScoreStatus::NotFollowed => "not followed".into(),
        Some(s) => format!(
            "{:+.3}/{:+.3} {}",
            s.left,
            s.right,
            s.ratio.map_or("  –  ".into(), |r| format!("{r:.2}"))
        ),
    }
}
