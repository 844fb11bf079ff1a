//! The mirror check on real footage (docs/validation.md, "Mirror"): every frame of a folder is
//! scored against a neutral frame with skin motion, and again with both images flipped
//! horizontally. Flipping swaps the subject's sides, so each side's excursion must come back
//! as the other side's; how far it does not is the measure's own inconsistency on that frame,
//! with a known answer and no hand marking. For footage that cannot be committed: pass it.
//!
//! cargo run --release --example real_mirror -- NEUTRAL FRAMES_DIR
//!     NEUTRAL: a frame of the person at rest; FRAMES_DIR: frames of the same clip (PNG or
//!     JPEG, taken in name order).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use facesym::io::read_rgb;
use facesym::landmarks::{FaceLandmarker, Landmarks, ModelPaths};
use facesym::symmetry::NeutralFace;
use facesym::symmetry::movements::CORE_MOVEMENTS;
use facesym::symmetry::score::score_frame_with_flow;
use facesym::symmetry::{FrameScore, MovementId};
use image::RgbImage;
use image::imageops::flip_horizontal;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [neutral_path, dir] = &args[..] else {
        bail!("usage: real_mirror NEUTRAL FRAMES_DIR");
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut landmarker = FaceLandmarker::new(&ModelPaths::in_dir(&root.join("models")))?;
    let neutral = read_rgb(Path::new(neutral_path))?;
    let flipped = flip_horizontal(&neutral);
    let NeutralFace { neutral: rest, image: rest_image } =
        NeutralFace::calibrate(&neutral, &first_face(&mut landmarker, &neutral)?)
            .map_err(|err| anyhow::anyhow!("neutral: {err}"))?;
    for warning in rest_image.warnings() {
        println!("warning: {warning}");
    }
    let NeutralFace { neutral: rest_flipped, image: rest_flipped_image } =
        NeutralFace::calibrate(&flipped, &first_face(&mut landmarker, &flipped)?)
            .map_err(|err| anyhow::anyhow!("flipped neutral: {err}"))?;

    let mut frames: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {dir}"))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "png" || e == "jpg" || e == "jpeg"))
        .collect();
    frames.sort();
    let ids: Vec<MovementId> = CORE_MOVEMENTS.iter().map(|m| m.id).collect();
    let names: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
    println!(
        "frame | yaw pitch roll from the neutral (°) | |side − mirrored side| (IOD): {names:?}"
    );
    // Per movement, the largest difference of each frame scored both ways.
    let mut differences: Vec<Vec<f64>> = vec![Vec::new(); ids.len()];
    let mut unscored = 0;
    for path in &frames {
        let name = path.file_stem().map_or(String::new(), |s| s.to_string_lossy().into_owned());
        let image = read_rgb(path)?;
        let mirror = flip_horizontal(&image);
        let score = |landmarker: &mut FaceLandmarker, image: &RgbImage, flipped: bool| {
            let Ok(face) = first_face(landmarker, image) else { return None };
            let (rest, rest_image) =
                if flipped { (&rest_flipped, &rest_flipped_image) } else { (&rest, &rest_image) };
            Some(score_frame_with_flow(rest, rest_image, image, &face))
        };
        let (Some(direct), Some(mirrored)) =
            (score(&mut landmarker, &image, false), score(&mut landmarker, &mirror, true))
        else {
            println!("{name} | no face");
            unscored += 1;
            continue;
        };
        if let Some(flag) = direct.flags.first().or(mirrored.flags.first()) {
            println!("{name} | not scored: {}", flag.kind());
            unscored += 1;
            continue;
        }
        let pose = direct.pose.context("a scored frame has a pose")?;
        let row: Vec<String> = ids
            .iter()
            .zip(&mut differences)
            .map(|(id, all)| {
                let d = mirror_difference(&direct, &mirrored, *id);
                // Not measured (skin not followed on both sides) in either image: nothing
                // to compare.
                if !d.is_finite() {
                    return "–".to_string();
                }
                all.push(d);
                format!("{d:.3}")
            })
            .collect();
        println!(
            "{name} | {:+5.1} {:+5.1} {:+6.1} | {}",
            pose.yaw_deg - rest.pose.yaw_deg,
            pose.pitch_deg - rest.pose.pitch_deg,
            pose.roll_deg - rest.pose.roll_deg,
            row.join(" ")
        );
    }
    println!("\n{} frames, {unscored} not scored", frames.len());
    println!("movement | frames measured | median | 90th percentile | largest | frames above 0.03");
    for (id, all) in ids.iter().zip(&mut differences) {
        all.sort_by(f64::total_cmp);
        let at = |q: f64| all.get(((all.len() as f64 - 1.0) * q).round() as usize).copied();
        let show = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.3}"));
        let above = all.iter().filter(|&&d| d > 0.03).count();
        println!(
            "{id} | {} | {} | {} | {} | {above}",
            all.len(),
            show(at(0.5)),
            show(at(0.9)),
            show(all.last().copied())
        );
    }
    Ok(())
}

/// The larger of |left − mirrored right| and |right − mirrored left| for one movement.
fn mirror_difference(direct: &FrameScore, mirrored: &FrameScore, id: MovementId) -> f64 {
    let find = |s: &FrameScore| s.movements.iter().find(|m| m.movement == id).cloned();
    match (find(direct), find(mirrored)) {
        (Some(a), Some(b)) => (a.left - b.right).abs().max((a.right - b.left).abs()),
        _ => f64::NAN,
    }
}

fn first_face(landmarker: &mut FaceLandmarker, image: &RgbImage) -> anyhow::Result<Landmarks> {
    Ok(landmarker.faces(image)?.into_iter().next().context("no face")?.landmarks)
}
