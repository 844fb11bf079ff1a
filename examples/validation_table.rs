//! Prints docs/validation.md's table of known one-sided movements: real faces warped so the
//! subject's left side moves fully and the right with strength r, measured by the mesh alone
//! and by skin motion.
//!
//! cargo run --release --example validation_table

use std::path::Path;

use facesym::io::read_rgb;
use facesym::landmarks::{FaceLandmarker, ModelPaths};
use facesym::synthetic::validation::known_movements;

const FACES: [&str; 3] = ["grace_hopper.png", "obama.png", "astronaut.png"];
const STRENGTHS: [f64; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut landmarker = FaceLandmarker::new(&ModelPaths::in_dir(&root.join("models")))?;
    println!(
        "| face | movement | r | true L / R | mesh L / R | mesh ratio | flow L / R | flow ratio |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for face in FACES {
        let image = read_rgb(&root.join("tests/data/faces").join(face))?;
        let results = match known_movements(&mut landmarker, &image, &STRENGTHS) {
            Ok(results) => results,
            Err(err) => {
                println!("| {face} | all | – | – | – | {err} | – | – |");
                continue;
            }
        };
        for k in results {
            let ratio = |r: Option<f64>| r.map_or("not enough".to_string(), |r| format!("{r:.2}"));
            println!(
                "| {face} | {} | {:.2} | {:.3} / {:.3} | {:.3} / {:.3} | {} | {:.3} / {:.3} | {} |",
                k.movement,
                k.strength,
                k.truth[0],
                k.truth[1],
                k.mesh.left,
                k.mesh.right,
                ratio(k.mesh.ratio),
                k.flow.left,
                k.flow.right,
                ratio(k.flow.ratio)
            );
        }
    }
    Ok(())
}
