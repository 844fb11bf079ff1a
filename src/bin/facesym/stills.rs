//! `facesym landmarks` and `facesym score`: still images, analysed in parallel or against a
//! neutral face, printed as text or JSON.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use rayon::prelude::*;
use serde::Serialize;

use facesym::analysis::{
    Calibration, CalibrationError, Caveats, MirrorImage, NO_MIRROR_CHECK_WARNING, closed_eyes_note,
};
use facesym::landmarks::{Face, FaceLandmarker, ModelPaths, largest_face};
use facesym::overlay;
use facesym::symmetry::movements::movement;
use facesym::symmetry::{self, FaceFrame, Method};

use crate::{file_stem, read_rgb};

/// `facesym landmarks --json` output for one image; other tools read it, keep it stable.
#[derive(Serialize)]
struct ImageFaces {
    image: String,
    width: u32,
    height: u32,
    faces: Vec<FaceJson>,
}

#[derive(Serialize)]
struct FaceJson {
    score: f32,
    #[serde(rename = "box")]
    bbox: [f32; 4],
    landmarks: Vec<[f32; 3]>,
}

impl From<&Face> for FaceJson {
    fn from(face: &Face) -> Self {
        Self {
            score: face.score(),
            bbox: face.bounding_box(),
            landmarks: face.landmarks.points().to_vec(),
        }
    }
}

/// The face models, with the iris model unless `mesh_only`.
fn load_landmarker(models: &ModelPaths, mesh_only: bool) -> Result<FaceLandmarker> {
    let loaded =
        if mesh_only { FaceLandmarker::mesh_only(models) } else { FaceLandmarker::new(models) };
    loaded.context("cannot load the face models")
}

pub fn landmarks(
    models: &ModelPaths,
    images: &[PathBuf],
    json: bool,
    overlay_out: Option<&Path>,
    mesh_only: bool,
) -> Result<ExitCode> {
    let landmarker = load_landmarker(models, mesh_only)?;
    let overlay_dir = overlay_out.filter(|p| images.len() > 1 || p.is_dir());
    if let Some(dir) = overlay_dir {
        facesym::io::create_private_dir(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
    }
    // Images are independent: analyse them in parallel, one landmarker per worker thread,
    // each cloned from the loaded one (the models are shared, not reloaded).
    let prototype = std::sync::Mutex::new(landmarker);
    let outcomes: Vec<Result<(ImageFaces, Vec<Face>)>> = images
        .par_iter()
        .map_init(
            || prototype.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone(),
            |landmarker, path| {
                let image = read_rgb(path)?;
                let faces = landmarker
                    .faces(&image)
                    .with_context(|| format!("cannot analyse {}", path.display()))?;
                if let Some(out) = overlay_out {
                    let out = match overlay_dir {
                        Some(dir) => dir.join(format!("{}.overlay.png", file_stem(path))),
                        None => out.to_owned(),
                    };
                    facesym::io::write_png_private(&out, &overlay::draw_faces(&image, &faces))
                        .with_context(|| format!("cannot write {}", out.display()))?;
                }
                let summary = ImageFaces {
                    image: path.display().to_string(),
                    width: image.width(),
                    height: image.height(),
                    faces: faces.iter().map(FaceJson::from).collect(),
                };
                Ok((summary, faces))
            },
        )
        .collect();
    // One unreadable image does not lose the others: report it, go on, exit 1 at the end.
    let mut results = Vec::with_capacity(images.len());
    let mut failed = 0;
    for (path, outcome) in images.iter().zip(outcomes) {
        match outcome {
            Ok((summary, faces)) => {
                if !json {
                    print_summary(path, &faces);
                }
                results.push(summary);
            }
            Err(err) => {
                eprintln!("error: {err:#}");
                failed += 1;
            }
        }
    }
    finish_batch(&results, images.len(), json, failed)
}

/// `facesym score --json` output for one frame; other tools read it, keep it stable.
#[derive(Serialize)]
struct FrameJson {
    image: String,
    pose: Option<symmetry::HeadPose>,
    flags: Vec<symmetry::FrameFlag>,
    resting: symmetry::RestingSymmetry,
    /// The closure the person's closed eyes read (`--eyes-closed`), which eye closure is a
    /// fraction of; absent without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    closed_eyes: Option<f64>,
    /// Keyed by the id's string, so the keys stay in alphabetical order.
    movements: BTreeMap<&'static str, MovementJson>,
}

#[derive(Serialize)]
struct MovementJson {
    left: f64,
    right: f64,
    ratio: Option<f64>,
    ratio_uncertainty: Option<f64>,
    weaker: Option<symmetry::Side>,
    status: symmetry::ScoreStatus,
    /// How far the frame's mirror image read it differently (`null`: not checked).
    mirror_difference: Option<f64>,
    /// Why this movement's score is only provisional; absent when it is validated.
    #[serde(skip_serializing_if = "Option::is_none")]
    provisional: Option<&'static str>,
}

/// What `score` measures against: the relaxed face, and the eyes gently closed if given.
pub struct Reference<'a> {
    pub neutral: &'a Path,
    pub eyes_closed: Option<&'a Path>,
}

pub fn score(
    models: &ModelPaths,
    reference: Reference<'_>,
    frames: &[PathBuf],
    json: bool,
    mesh_only: bool,
) -> Result<ExitCode> {
    let neutral_path = reference.neutral;
    let mut landmarker = load_landmarker(models, mesh_only)?;
    let mut calibration = Calibration::from_image(&mut landmarker, &read_rgb(neutral_path)?)
        .map_err(|err| match err {
            CalibrationError::NoFace => {
                anyhow!("no face found in the neutral image {}", neutral_path.display())
            }
            CalibrationError::Unusable(why) => {
                anyhow!("cannot use {} as the neutral face: {why}", neutral_path.display())
            }
            CalibrationError::Landmarks(err) => err.into(),
        })?;
    if let Some(path) = reference.eyes_closed {
        let face = largest_face(landmarker.faces(&read_rgb(path)?)?).with_context(|| {
            format!("no face found in the closed-eyes image {}", path.display())
        })?;
        let frame = FaceFrame::fit(&face.landmarks)
            .map_err(|flag| anyhow!("cannot use {} as the closed eyes: {flag}", path.display()))?;
        let closed = calibration
            .calibrate_closed_eyes(&[frame])
            .with_context(|| format!("cannot use {} as the closed eyes", path.display()))?;
        if !json {
            println!("{}", closed_eyes_note(closed));
        }
    }
    let method = if mesh_only { Method::MeshOnly } else { Method::SkinMotion };
    if !mesh_only {
        for warning in calibration.direct.image.warnings() {
            eprintln!("warning: {warning}");
        }
    }
    if calibration.mirrored.is_none() {
        eprintln!("warning: {NO_MIRROR_CHECK_WARNING}");
    }
    let mut results = Vec::with_capacity(frames.len());
    let mut failed = 0;
    for path in frames {
        let outcome = read_rgb(path).and_then(|image| {
            let face = largest_face(landmarker.faces(&image)?);
            let landmarks = face.as_ref().map(|face| &face.landmarks);
            let mirror = MirrorImage::Find(&mut landmarker);
            Ok(calibration.score_checked(method, &image, landmarks, mirror)?)
        });
        match outcome {
            Ok(score) => {
                if !json {
                    print_score(path, &score);
                }
                results.push(FrameJson {
                    image: path.display().to_string(),
                    pose: score.pose,
                    flags: score.flags,
                    resting: calibration.direct.neutral.resting,
                    closed_eyes: calibration.direct.neutral.closed_eyes,
                    movements: score
                        .movements
                        .into_iter()
                        .map(|m| {
                            let json = MovementJson {
                                left: m.left,
                                right: m.right,
                                ratio: m.ratio,
                                ratio_uncertainty: m.ratio_uncertainty,
                                weaker: m.weaker,
                                status: m.status,
                                mirror_difference: m.mirror_difference,
                                provisional: movement(m.movement).caveat(),
                            };
                            (m.movement.as_str(), json)
                        })
                        .collect(),
                });
            }
            Err(err) => {
                eprintln!("error: {err:#}");
                failed += 1;
            }
        }
    }
    if !json && !results.is_empty() {
        print!("{Caveats}");
    }
    finish_batch(&results, frames.len(), json, failed)
}

/// Prints the JSON of a batch (one object for one input, an array for several) and gives the
/// exit code: failure when any input failed (its error is already on stderr).
fn finish_batch<T: Serialize>(
    results: &[T],
    inputs: usize,
    json: bool,
    failed: usize,
) -> Result<ExitCode> {
    if json && !results.is_empty() {
        let text = if inputs == 1 {
            serde_json::to_string(&results[0])?
        } else {
            serde_json::to_string(results)?
        };
        println!("{text}");
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn print_score(path: &Path, score: &symmetry::FrameScore) {
    println!("{}:", path.display());
    if let Some(pose) = score.pose {
        println!(
            "  head: yaw {:.0}°, pitch {:.0}°, roll {:.0}°",
            pose.yaw_deg, pose.pitch_deg, pose.roll_deg
        );
    }
    for flag in &score.flags {
        println!("  not scored: {flag}");
    }
    for m in &score.movements {
        let verdict = match (m.status, m.ratio, m.weaker) {
            (symmetry::ScoreStatus::MirrorDisagrees, ..) => format!(
                "not scored: its mirror image reads it {:.3} differently",
                m.mirror_difference.unwrap_or(f64::NAN)
            ),
            (symmetry::ScoreStatus::NotFollowed, ..) => {
                "not measured: the skin there could not be followed on both sides".to_string()
            }
            (_, Some(ratio), Some(weaker)) => {
                let within = symmetry::score::plus_minus(m.ratio_uncertainty);
                format!("ratio {ratio:.2}{within}, weaker side: {}", weaker.name())
            }
            _ => "not enough movement".to_string(),
        };
        let provisional = movement(m.movement).caveat().map_or("", |_| " *");
        // "+0.052", or "  –   " where a side was not measured.
        let side =
            |v: f64| if v.is_finite() { format!("{v:+.3}") } else { format!("{:^6}", "–") };
        println!(
            "  {:<13} left {}  right {}  {verdict}{provisional}",
            m.movement,
            side(m.left),
            side(m.right)
        );
    }
}

fn print_summary(path: &Path, faces: &[Face]) {
    match faces.len() {
        0 => println!("{}: no face found", path.display()),
        n => {
            println!("{}: {n} face{}", path.display(), if n == 1 { "" } else { "s" });
            for (i, face) in faces.iter().enumerate() {
                let [x0, y0, x1, y1] = face.bounding_box();
                println!(
                    "  face {}: score {:.3}, box ({x0:.0}, {y0:.0})-({x1:.0}, {y1:.0}), 468 landmarks",
                    i + 1,
                    face.score()
                );
            }
        }
    }
}
