//! Per-landmark truth / mesh / flow displacement (face coords, IOD) for one warped movement:
//! FACE MOVEMENT R
use facesym::io::read_rgb;
use facesym::landmarks::{FaceLandmarker, ModelPaths};
use facesym::symmetry::landmarks_map::on_side;
use facesym::symmetry::{FaceFrame, Side, flow::NeutralImage, movements::movement};
use facesym::synthetic::deform::{SYNTHETIC_MOVEMENTS, apply_movement};
use std::path::Path;

fn main() -> anyhow::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut lm = FaceLandmarker::new(&ModelPaths::in_dir(&root.join("models")))?;
    let image = read_rgb(Path::new(&a[1]))?;
    let id = a[2].as_str();
    let r: f64 = a[3].parse()?;
    let landmarks = lm.faces(&image)?[0].landmarks.clone();
    let frame = FaceFrame::fit(&landmarks).unwrap();
    let ni = NeutralImage::new(&image, &frame);
    println!(
        "IOD {:.1} px, detail {:.2e}, follows head {}",
        frame.scale,
        ni.detail(),
        ni.follows_the_head()
    );
    let syn = SYNTHETIC_MOVEMENTS.iter().find(|(m, _)| *m == id).unwrap().1;
    let (warped, _) = apply_movement(&image, &landmarks, &frame, &syn, 1.0, r);
    if a.len() > 4 {
        warped.save(&a[4])?;
    }
    let moved = syn.displaced(&frame.landmarks, 1.0, r);
    let wl = lm.faces(&warped)?[0].landmarks.clone();
    let wf = FaceFrame::fit(&wl).unwrap();
    let fol = ni.follow(&warped, &wf);
    let out = fol.landmarks.clone();
    let m = movement(id).unwrap();
    for side in [Side::Left, Side::Right] {
        for i in m.measure.points() {
            let j = on_side(i, side);
            let n = frame.landmarks[j];
            let d = |p: [f64; 3]| format!("({:+.3},{:+.3})", p[0] - n[0], p[1] - n[1]);
            let followed = fol.followed[j];
            let pi = frame.image_from_face(n);
            println!("{side:?} {j:3} at ({:.0},{:.0}) px", pi[0], pi[1]);
            println!(
                "{side:?} {j:3}: true {} mesh {} flow {} {}",
                d(moved[j]),
                d(wf.landmarks[j]),
                d(out[j]),
                if followed { "" } else { "NOT FOLLOWED" }
            );
        }
        println!(
            "{side:?} excursion: true {:.3} flow {:.3}",
            m.measure.excursion(side, &frame.landmarks, &moved),
            m.measure.excursion(side, &frame.landmarks, &out)
        );
    }
    Ok(())
}
