//! A real smile measured three ways: by the mesh alone, by skin motion, and from mouth corners
//! marked by hand; then the two one-sided smiles made from it (docs/validation.md, "Smiles on
//! real footage"). For footage that cannot be committed: pass the frames.
//!
//! cargo run --release --example real_smiles -- NEUTRAL SMILE [RX,RY,LX,LY RX,RY,LX,LY]
//!     NEUTRAL and SMILE are frames of one person; the optional pairs are the subject's right
//!     and left mouth corners marked by hand (image pixels) in NEUTRAL and then in SMILE.
//!
//! A one-sided smile is SMILE aligned to NEUTRAL by the two face frames, one half of the face
//! taken from it and the other from NEUTRAL, feathered over ±0.04 IOD at the midline: a real
//! smile on one side and a real face at rest on the other.

use std::path::Path;

use anyhow::{Context, bail};
use facesym::io::read_rgb;
use facesym::landmarks::{FaceLandmarker, Landmarks, ModelPaths};
use facesym::symmetry::NeutralFace;
use facesym::symmetry::landmarks_map::{MOUTH_CORNER_RIGHT, on_side};
use facesym::symmetry::movements::movement;
use facesym::symmetry::score::{MovementScore, score_frame, score_frame_with_flow};
use facesym::symmetry::{FaceFrame, MovementId, ScoreStatus, Side};
use facesym::synthetic::composite::{aligned_to, face_plane, one_sided};
use image::RgbImage;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (neutral_path, smile_path, corners) = match &args[..] {
        [n, s] => (n, s, None),
        [n, s, a, b] => (n, s, Some((corner_pair(a)?, corner_pair(b)?))),
        _ => bail!("usage: real_smiles NEUTRAL SMILE [RX,RY,LX,LY RX,RY,LX,LY]"),
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut landmarker = FaceLandmarker::new(&ModelPaths::in_dir(&root.join("models")))?;
    let neutral = read_rgb(Path::new(neutral_path))?;
    let smile = read_rgb(Path::new(smile_path))?;
    let at_rest = first_face(&mut landmarker, &neutral)?;
    let NeutralFace { neutral: neutral_face, image: neutral_image } =
        NeutralFace::calibrate(&neutral, &at_rest).map_err(|err| anyhow::anyhow!("{err}"))?;
    let rest_frame = FaceFrame::fit(&at_rest).map_err(|f| anyhow::anyhow!("{f}"))?;
    for warning in neutral_image.warnings() {
        println!("warning: {warning}");
    }
    let smiling = first_face(&mut landmarker, &smile)?;
    let smile_frame = FaceFrame::fit(&smiling).map_err(|f| anyhow::anyhow!("{f}"))?;
    println!("head at rest {:?}", rest_frame.pose);
    println!("head smiling {:?}", smile_frame.pose);

    let mut show = |label: &str, image: &RgbImage| -> anyhow::Result<()> {
        let landmarks = first_face(&mut landmarker, image)?;
        let mesh = smile_score(score_frame(&neutral_face, &landmarks).movements);
        let skin = smile_score(
            score_frame_with_flow(&neutral_face, &neutral_image, image, &landmarks).movements,
        );
        println!("{label:28} mesh only {} | skin motion {}", describe(&mesh), describe(&skin));
        Ok(())
    };
    show("even smile", &smile)?;
    if let Some((rest, smiling)) = corners {
        let measure = movement(MovementId::Smile).measure;
        let to_face = |frame: &FaceFrame, [rx, ry, lx, ly]: [f64; 4]| {
            let mut points = frame.landmarks.clone();
            for (side, x, y) in [(Side::Right, rx, ry), (Side::Left, lx, ly)] {
                let [u, v] = face_plane(frame, x, y);
                let corner = &mut points[on_side(MOUTH_CORNER_RIGHT, side)];
                (corner[0], corner[1]) = (u, v);
            }
            points
        };
        let (then, now) = (to_face(&rest_frame, rest), to_face(&smile_frame, smiling));
        let [left, right] = [Side::Left, Side::Right].map(|s| measure.excursion(s, &then, &now));
        let hand = MovementScore::from_excursions(movement(MovementId::Smile), left, right);
        println!("{:28} {}", "even smile, corners by hand", describe(&hand));
    }
    let aligned = aligned_to(&smile, &smile_frame, &rest_frame, neutral.dimensions());
    for moving in [Side::Left, Side::Right] {
        let one_sided = one_sided(&neutral, &aligned, &rest_frame, moving);
        show(&format!("only the {} side smiling", moving.name()), &one_sided)?;
    }
    Ok(())
}

/// "RX,RY,LX,LY" as four numbers.
fn corner_pair(text: &str) -> anyhow::Result<[f64; 4]> {
    let values: Vec<f64> =
        text.split(',').map(str::parse).collect::<Result<_, _>>().context("corner numbers")?;
    values.try_into().map_err(|_| anyhow::anyhow!("four numbers: RX,RY,LX,LY"))
}

fn first_face(landmarker: &mut FaceLandmarker, image: &RgbImage) -> anyhow::Result<Landmarks> {
    Ok(landmarker.faces(image)?.into_iter().next().context("no face")?.landmarks)
}

fn smile_score(movements: Vec<MovementScore>) -> MovementScore {
    movements.into_iter().find(|m| m.movement == MovementId::Smile).expect("smile is scored")
}

fn describe(score: &MovementScore) -> String {
    if score.status == ScoreStatus::NotFollowed {
        return "not measured (the corner not followed on both sides)".to_string();
    }
    let ratio = score.ratio.map_or("not enough".to_string(), |r| format!("{r:.2}"));
    format!("{:+.3} / {:+.3} ({ratio})", score.left, score.right)
}
