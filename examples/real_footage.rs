//! The real-footage benchmark (docs/validation.md, "Real footage"): every clip of a local list,
//! read as the app reads it, against what is known of it. Footage that cannot be committed
//! stays on the machine; the list names it.
//!
//! cargo run --release --example real_footage -- LIST.json [--root DIR] [--frames]
//!
//! LIST.json (docs/real-footage.json is ours): `{"root": DIR, "clips": [CLIP, ...]}`, each CLIP
//! `{"person": "P1", "file": "clip.mp4", "neutral": 3, "movement": "smile", "peak": [20, 60],
//!   "role": "tune"|"held_out", "source": "..."}`: frame `neutral` (from 0) is the relaxed
//! face, frames `peak` (inclusive) the even movement held, or a list of such ranges
//! (blinks); an optional `"closed": [a, b]` gives frames of both eyes gently closed, that eye
//! closure is calibrated to; `--root` replaces the list's root. Each clip is read four ways: as filmed (an even
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
    peak: Peaks,
    /// Frames of both eyes gently closed, that eye closure is calibrated to.
    #[serde(default)]
    closed: Option<[usize; 2]>,
    role: String,
}

/// The frames held: one range, or several (blinks), each inclusive.
#[derive(Deserialize, Clone)]
#[serde(untagged)]
enum Peaks {
    One([usize; 2]),
    Many(Vec<[usize; 2]>),
}

/// Frames read before each of several ranges, for the tracker to settle on the face.
const LEAD_IN: usize = 3;

/// A clip's frames in the order they are read: the neutral first, then the others in the
/// clip's order.
struct Sequence {
    images: Vec<RgbImage>,
    /// Whether each frame follows on from the one before it in the clip (else the face is
    /// found afresh there).
    follows_on: Vec<bool>,
    /// Positions of the held frames, and of the closed-eye frames.
    peak: Vec<usize>,
    closed: Vec<usize>,
    /// Clip frame number of each position.
    numbers: Vec<usize>,
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
        let seq = sequence(&list.root.join(&clip.file), clip)?;
        let sequence = &seq.images;
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
            let readings = match read(&mut tracker, images, id, &seq) {
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
            let mirror_readings = read(&mut tracker, &mirrored, id, &seq)
                .unwrap_or_else(|_| readings.iter().map(|r| vec![None; r.len()]).collect());
            let truth = match still {
                None => "≥ 0.80".to_string(),
                Some(side) => format!("≤ 0.15, {} weaker", side.name()),
            };
            let cells: Vec<String> = (0..readings.len())
                .map(|w| summarise(&readings[w], &mirror_readings[w], &seq.peak, *still, id))
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
                for &k in &seq.peak {
                    let line: Vec<String> =
                        readings.iter().map(|r| describe(r[k].as_ref())).collect();
                    println!("    frame {:4}: {}", seq.numbers[k], line.join("   "));
                }
            }
        }
    }
    Ok(())
}

/// The frames of `clip` that are read: with one held range and no closed eyes, every frame
/// from the neutral to the range's end; else the neutral, the closed-eye frames and each held
/// range with [`LEAD_IN`] frames before it.
fn sequence(path: &Path, clip: &Clip) -> anyhow::Result<Sequence> {
    let ranges = match &clip.peak {
        Peaks::One(range) => vec![*range],
        Peaks::Many(ranges) => ranges.clone(),
    };
    if ranges.is_empty() || ranges.iter().chain(&clip.closed).any(|[a, b]| a > b) {
        bail!("{}: each range of frames must be [first, last]", clip.file);
    }
    let mut wanted = std::collections::BTreeSet::new();
    match (&clip.peak, clip.closed) {
        (Peaks::One([a, b]), None) => {
            if clip.neutral > *a {
                bail!("{}: the neutral frame must come before the peak frames", clip.file);
            }
            wanted.extend(clip.neutral..=*b);
        }
        _ => {
            for [a, b] in &ranges {
                wanted.extend(a.saturating_sub(LEAD_IN)..=*b);
            }
            if let Some([a, b]) = clip.closed {
                wanted.extend(a..=b);
            }
        }
    }
    wanted.remove(&clip.neutral);
    let last = wanted.iter().copied().chain([clip.neutral]).max().unwrap_or(0);
    let mut source: Box<dyn FrameSource> = if path.is_dir() {
        Box::new(ImageFolderSource::open(path, Some(30.0))?)
    } else {
        Box::new(VideoFileSource::open(path)?)
    };
    let (mut neutral, mut rest) = (None, Vec::new());
    for n in 0..=last {
        let Some(frame) = source.next_frame()? else {
            bail!("{}: {n} frames only", clip.file);
        };
        if n == clip.neutral {
            neutral = Some(frame.image);
        } else if wanted.contains(&n) {
            rest.push((n, frame.image));
        }
    }
    let neutral = neutral.context("no neutral frame")?;
    let numbers: Vec<usize> =
        [clip.neutral].into_iter().chain(rest.iter().map(|(n, _)| *n)).collect();
    let follows_on =
        (0..numbers.len()).map(|k| k > 0 && numbers[k] == numbers[k - 1] + 1).collect();
    let within = |ranges: &[[usize; 2]]| -> Vec<usize> {
        (1..numbers.len())
            .filter(|&k| ranges.iter().any(|[a, b]| (*a..=*b).contains(&numbers[k])))
            .collect()
    };
    Ok(Sequence {
        peak: within(&ranges),
        closed: clip.closed.map_or(Vec::new(), |range| within(&[range])),
        images: [neutral].into_iter().chain(rest.into_iter().map(|(_, image)| image)).collect(),
        follows_on,
        numbers,
    })
}

fn face_frame(tracker: &mut Tracker, image: &RgbImage) -> anyhow::Result<FaceFrame> {
    let face = largest_face(tracker.track(image)?).context("no face")?;
    FaceFrame::fit(&face.landmarks).map_err(|f| anyhow::anyhow!("{f}"))
}

/// Per way, per frame of `images` (the first is the neutral; laid out as `seq`), the
/// movement's score; eye closure calibrated to `seq`'s closed-eye frames when it has some.
fn read(
    tracker: &mut Tracker,
    images: &[RgbImage],
    id: MovementId,
    seq: &Sequence,
) -> anyhow::Result<Vec<Vec<Option<MovementScore>>>> {
    tracker.reset();
    let first = largest_face(tracker.track(&images[0])?).context("no face at rest")?;
    let mut neutral = NeutralFace::calibrate(&images[0], &first.landmarks)
        .map_err(|e| anyhow::anyhow!("neutral: {e}"))?;
    let mut frames = vec![None];
    for (k, image) in images.iter().enumerate().skip(1) {
        if !seq.follows_on[k] {
            tracker.reset();
        }
        let face = largest_face(tracker.track(image)?);
        let frame = face.as_ref().and_then(|f| FaceFrame::fit(&f.landmarks).ok());
        frames.push(frame.filter(|f| f.flags().is_empty()));
    }
    if !seq.closed.is_empty() {
        let closed: Vec<FaceFrame> = seq.closed.iter().filter_map(|&k| frames[k].clone()).collect();
        neutral
            .neutral
            .calibrate_closed_eyes(&closed)
            .map_err(|e| anyhow::anyhow!("closed eyes: {e}"))?;
    }
    let m = neutral.neutral.movement(id);
    let mut track = SkinTrack::new();
    let mut out = vec![vec![None]; WAYS.len()];
    for (k, (image, frame)) in images.iter().zip(&frames).enumerate().skip(1) {
        if !seq.follows_on[k] {
            track.reset();
        }
        let Some(frame) = frame else {
            track.reset();
            out.iter_mut().for_each(|o| o.push(None));
            continue;
        };
        let n = &neutral.neutral.landmarks;
        out[0].push(Some(MovementScore::of(&m, n, &frame.landmarks)));
        let still = neutral.image.follow(image, frame);
        out[1].push(Some(MovementScore::of_followed(&m, n, &still)));
        let video = neutral.image.follow_video(image, frame, &mut track);
        out[2].push(Some(MovementScore::of_followed(&m, n, &video)));
    }
    Ok(out)
}

/// Over the peak frames: the median ratio, how many frames gave one, the weaker side's votes
/// and the largest mirror difference.
fn summarise(
    readings: &[Option<MovementScore>],
    mirrored: &[Option<MovementScore>],
    peak: &[usize],
    still: Option<Side>,
    id: MovementId,
) -> String {
    let mut ratios = Vec::new();
    let mut mirror_ratios = Vec::new();
    let (mut right_side, mut mirror_worst, mut frames) = (0, 0.0f64, 0);
    let mut sides = [Vec::new(), Vec::new()];
    for &k in peak {
        frames += 1;
        let Some(score) = &readings[k] else { continue };
        sides[0].push(score.left);
        sides[1].push(score.right);
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
    // Eye closure's own size says how closed the eyes read: each side's median.
    let closure = if id == MovementId::EyeClosure {
        let [left, right] = sides.map(|mut v| {
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).map_or("–".into(), |c| format!("{c:.2}"))
        });
        format!("; closed L {left} R {right}")
    } else {
        String::new()
    };
    format!(
        "{median} ({}/{frames}{side}{closure}; mirrored {mirror_median}, by {mirror_worst:.3})",
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
