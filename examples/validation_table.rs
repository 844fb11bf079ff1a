//! Prints docs/validation.md's tables of known one-sided movements: real faces warped so the
//! subject's left side moves fully and the right with strength r, measured by the mesh alone
//! and by skin motion; then the cross-talk, what the other movements read on the same frames;
//! then what the smile reads on the pucker's frames (the corner moves against the smile's
//! direction).
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
    let mut cross_talk = Vec::new();
    let mut smile_in_pucker = Vec::new();
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
            if k.movement == "pucker" {
                let smile = k.others.iter().find(|m| m.movement == "smile");
                smile_in_pucker.push(format!(
                    "| {face} | {:.2} | {} | {} |",
                    k.strength,
                    smile.map_or("–".to_string(), |m| format!("{:.3} / {:.3}", m.left, m.right)),
                    smile.map_or("–".to_string(), |m| ratio(m.ratio))
                ));
            }
            // The other movement that moved most, and every other one that was scored.
            let largest = k
                .others
                .iter()
                .map(|m| (m.movement, m.left.max(m.right)))
                .max_by(|a, b| a.1.total_cmp(&b.1));
            let scored: Vec<String> = k
                .others
                .iter()
                .filter(|m| m.ratio.is_some())
                .map(|m| format!("{} {:.3} / {:.3}", m.movement, m.left, m.right))
                .collect();
            cross_talk.push(format!(
                "| {face} | {} | {:.2} | {} | {} |",
                k.movement,
                k.strength,
                largest.map_or("–".to_string(), |(id, e)| format!("{id} {e:.3}")),
                if scored.is_empty() { "none".to_string() } else { scored.join(", ") }
            ));
        }
    }
    println!();
    println!("| face | movement | r | largest other excursion (flow) | others scored (L / R) |");
    println!("| --- | --- | --- | --- | --- |");
    for row in cross_talk {
        println!("{row}");
    }
    println!();
    println!("| face | pucker r | smile L / R (flow) | smile ratio |");
    println!("| --- | --- | --- | --- |");
    for row in smile_in_pucker {
        println!("{row}");
    }
    Ok(())
}
