//! Eye closure read from the face mesh's lids and from the iris model's lid margins, side by
//! side (docs/validation.md, "Eye closure").
//!
//! cargo run --release --example eye_closure -- NEUTRAL FRAME...
//!     each frame's closure (1 − aperture / neutral aperture), subject's right / left eye;
//! cargo run --release --example eye_closure -- --synthetic FACE
//!     FACE warped with the synthetic eye closure, left eye fully and right with r = 0–1.

use std::path::PathBuf;

use anyhow::{Context, bail};
use facesym::io::read_rgb;
use facesym::landmarks::{EyeModel, FaceLandmarker, ModelPaths};
use facesym::symmetry::movements::movement;
use facesym::symmetry::{FaceFrame, MovementId, Side};
use facesym::synthetic::deform::{SYNTHETIC_MOVEMENTS, apply_movement};
use image::RgbImage;

/// The lids of one image in face coordinates: from the mesh, and with the iris model's lid
/// margins put in (both in the face frame the mesh's stable points give).
struct Lids {
    mesh: Vec<[f64; 3]>,
    iris: Vec<[f64; 3]>,
}

fn lids(
    landmarker: &mut FaceLandmarker,
    eyes: &mut EyeModel,
    image: &RgbImage,
) -> anyhow::Result<Lids> {
    let face = landmarker.faces(image)?.into_iter().next().context("no face")?;
    let frame = FaceFrame::fit(&face.landmarks).map_err(|f| anyhow::anyhow!("{f}"))?;
    let refined = eyes.refine_lids(image, &face.landmarks)?;
    let iris = refined
        .points()
        .iter()
        .map(|p| frame.face_from_image([f64::from(p[0]), f64::from(p[1]), f64::from(p[2])]))
        .collect();
    Ok(Lids { mesh: frame.landmarks, iris })
}

fn closure(neutral: &[[f64; 3]], current: &[[f64; 3]]) -> [f64; 2] {
    let measure = movement(MovementId::EyeClosure).measure;
    [Side::Right, Side::Left].map(|side| measure.excursion(side, neutral, current))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let paths = ModelPaths::default_paths();
    // The face mesh's own lids here; the iris model's are put in by `lids`.
    let mut landmarker = FaceLandmarker::mesh_only(&paths)?;
    let mut eyes = EyeModel::new(&paths.iris)?;
    println!("| frame | r | true R / L | face mesh R / L | iris model R / L |");
    println!("| --- | --- | --- | --- | --- |");
    let row = |name: &str, r: &str, truth: &str, n: &Lids, c: &Lids| {
        let [mr, ml] = closure(&n.mesh, &c.mesh);
        let [ir, il] = closure(&n.iris, &c.iris);
        println!("| {name} | {r} | {truth} | {mr:.2} / {ml:.2} | {ir:.2} / {il:.2} |");
    };
    match args.as_slice() {
        [flag, face] if flag == "--synthetic" => {
            let image = read_rgb(&PathBuf::from(face))?;
            let found = landmarker.faces(&image)?.into_iter().next().context("no face")?;
            let frame = FaceFrame::fit(&found.landmarks).map_err(|f| anyhow::anyhow!("{f}"))?;
            let (_, closing) = SYNTHETIC_MOVEMENTS
                .iter()
                .find(|(id, _)| *id == MovementId::EyeClosure)
                .context("synthetic eye closure")?;
            let neutral = lids(&mut landmarker, &mut eyes, &image)?;
            for r in [0.0, 0.25, 0.5, 0.75, 1.0] {
                let (warped, _) = apply_movement(&image, &found.landmarks, &frame, closing, 1.0, r);
                let moved = closing.displaced(&frame.landmarks, 1.0, r);
                let [tr, tl] = closure(&frame.landmarks, &moved);
                let current = lids(&mut landmarker, &mut eyes, &warped)?;
                row(face, &format!("{r:.2}"), &format!("{tr:.2} / {tl:.2}"), &neutral, &current);
            }
        }
        [neutral, frames @ ..] if !frames.is_empty() => {
            let neutral = lids(&mut landmarker, &mut eyes, &read_rgb(&PathBuf::from(neutral))?)?;
            for frame in frames {
                let current = lids(&mut landmarker, &mut eyes, &read_rgb(&PathBuf::from(frame))?)
                    .with_context(|| frame.clone())?;
                row(frame, "–", "–", &neutral, &current);
            }
        }
        _ => bail!("usage: eye_closure NEUTRAL FRAME... | eye_closure --synthetic FACE"),
    }
    Ok(())
}
