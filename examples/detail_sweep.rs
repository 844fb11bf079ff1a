//! Where skin motion stops recovering known movements as a face loses fine detail
//! (docs/validation.md, "Faces with little detail"; the evidence for `flow::MIN_DETAIL`).
//!
//! Grace Hopper and Barack Obama, sharp, blurred (Gaussian, σ in image pixels) and shrunk
//! then enlarged again, and the astronaut (42 px between the eyes, below the 60-px minimum)
//! enlarged 2×: each neutral image's detail, then the known one-sided movements on it (as
//! `validation_table`), summarised as the largest |measured − r| for r < 1 and the smallest
//! ratio at r = 1 over the five validated movements.
//!
//! cargo run --release --example detail_sweep

use std::path::Path;

use facesym::io::read_rgb;
use facesym::landmarks::{FaceLandmarker, ModelPaths};
use facesym::symmetry::flow::{MIN_DETAIL, NeutralImage};
use facesym::symmetry::{FaceFrame, MovementId};
use facesym::synthetic::validation::known_movements;
use image::RgbImage;
use image::imageops::{FilterType, blur, resize};

const VALIDATED: [MovementId; 5] = [
    MovementId::BrowLift,
    MovementId::Smile,
    MovementId::CheekPuff,
    MovementId::Pucker,
    MovementId::NoseWrinkle,
];
const STRENGTHS: [f64; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut landmarker = FaceLandmarker::new(&ModelPaths::in_dir(&root.join("models")))?;
    let face = |name: &str| read_rgb(&root.join("tests/data/faces").join(name));
    let mut cases: Vec<(String, RgbImage)> = Vec::new();
    for name in ["grace_hopper.png", "obama.png"] {
        let image = face(name)?;
        cases.push((name.to_string(), image.clone()));
        for sigma in [1.0f32, 2.0, 3.0, 4.0, 6.0] {
            cases.push((format!("{name}, blurred σ = {sigma} px"), blur(&image, sigma)));
        }
        let (w, h) = image.dimensions();
        for k in [0.5, 0.35] {
            let (sw, sh) = ((f64::from(w) * k) as u32, (f64::from(h) * k) as u32);
            let small = resize(&image, sw, sh, FilterType::Triangle);
            let back = resize(&small, w, h, FilterType::CatmullRom);
            cases.push((format!("{name}, shrunk to {k}× and enlarged"), back));
        }
    }
    let astronaut = face("astronaut.png")?;
    for (filter, name) in
        [(FilterType::CatmullRom, "Catmull-Rom"), (FilterType::Triangle, "linear")]
    {
        let big = resize(&astronaut, 1024, 1024, filter);
        cases.push((format!("astronaut.png, enlarged 2× ({name})"), big));
    }
    println!("MIN_DETAIL = {MIN_DETAIL:.2e}");
    println!("| image | IOD (px) | detail | largest error, r < 1 | smallest ratio, r = 1 |");
    println!("| --- | --- | --- | --- | --- |");
    for (name, image) in cases {
        let Some(found) = landmarker.faces(&image)?.into_iter().next() else {
            println!("| {name} | – | – | no face | – |");
            continue;
        };
        let frame = FaceFrame::fit(&found.landmarks).map_err(|f| anyhow::anyhow!("{f}"))?;
        let detail = NeutralImage::new(&image, &frame).detail();
        let results = known_movements(&mut landmarker, &image, &STRENGTHS)?;
        let (mut worst, mut worst_at) = (0.0f64, String::new());
        let (mut symmetric, mut symmetric_at) = (f64::INFINITY, String::new());
        for k in results.iter().filter(|k| VALIDATED.contains(&k.movement)) {
            // Not scored counts as the largest miss.
            let ratio = k.flow.ratio.unwrap_or(f64::NEG_INFINITY);
            if k.strength < 1.0 {
                let error = (ratio - k.strength).abs();
                if error > worst {
                    (worst, worst_at) = (error, format!("{} r = {}", k.movement, k.strength));
                }
            } else if ratio < symmetric {
                (symmetric, symmetric_at) = (ratio, k.movement.to_string());
            }
        }
        let show = |v: f64| if v.is_finite() { format!("{v:.2}") } else { "not scored".into() };
        println!(
            "| {name} | {:.0} | {detail:.2e} | {} ({worst_at}) | {} ({symmetric_at}) |",
            frame.px_per_iod,
            show(worst),
            show(symmetric)
        );
    }
    Ok(())
}
