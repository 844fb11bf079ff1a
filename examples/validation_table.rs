//! Prints docs/validation.md's tables of known one-sided movements: real faces warped so the
//! subject's left side moves fully and the right with strength r, measured by the mesh alone
//! and by skin motion; then the cross-talk, what the other movements read on the same frames;
//! then what the smile reads on the pucker's frames (the corner moves against the smile's
//! direction); last, per face and movement, how far the skin-motion ratio strayed from r.
//!
//! cargo run --release --example validation_table [FACE.png ...]
//!
//! Without arguments it measures the committed test faces; with them, those images (each
//! with one face), for checking faces that may not be committed.

use std::path::{Path, PathBuf};

use facesym::io::read_rgb;
use facesym::landmarks::{FaceLandmarker, ModelPaths};
use facesym::symmetry::{MovementId, MovementScore, ScoreStatus};
use facesym::synthetic::validation::known_movements;

const FACES: [&str; 3] = ["grace_hopper.png", "obama.png", "astronaut.png"];
const STRENGTHS: [f64; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut landmarker = FaceLandmarker::new(&ModelPaths::in_dir(&root.join("models")))?;
    println!(
        "| face | movement | r | true L / R | mesh L / R | mesh ratio | flow L / R | flow ratio \
         | mirror check |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut cross_talk = Vec::new();
    let mut smile_in_pucker = Vec::new();
    let mut errors = Vec::new();
    // [wrong, right][kept, withheld, not checked] over the skin-motion rows.
    let mut mirror_counts = [[0usize; 3]; 2];
    let mut paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        paths = FACES.iter().map(|face| root.join("tests/data/faces").join(face)).collect();
    }
    for path in &paths {
        let face = path.file_name().unwrap_or_default().to_string_lossy();
        let image = read_rgb(path)?;
        let results = match known_movements(&mut landmarker, &image, &STRENGTHS) {
            Ok(results) => results,
            Err(err) => {
                println!("| {face} | all | – | – | – | {err} | – | – | – |");
                continue;
            }
        };
        let mut per_movement: Vec<(MovementId, f64, Option<f64>)> = Vec::new();
        for k in results {
            if k.movement != MovementId::EyeClosure {
                let error = k.flow.ratio.map_or(f64::INFINITY, |r| (r - k.strength).abs());
                match per_movement.iter_mut().find(|(id, _, _)| *id == k.movement) {
                    Some(row) if k.strength < 1.0 => row.1 = row.1.max(error),
                    Some(row) => row.2 = k.flow.ratio,
                    None => per_movement.push((k.movement, error, None)),
                }
                // Whether the ratio is within ±0.10 of r, and whether the mirror check kept it.
                let right = k.flow.ratio.is_some_and(|r| (r - k.strength).abs() <= 0.10);
                let kept = k.checked.as_ref().map(|c| c.status != ScoreStatus::MirrorDisagrees);
                mirror_counts[usize::from(right)][match kept {
                    Some(true) => 0,
                    Some(false) => 1,
                    None => 2,
                }] += 1;
            }
            let ratio = |r: Option<f64>| r.map_or("not enough".to_string(), |r| format!("{r:.2}"));
            let verdict = |m: &MovementScore| match m.status {
                ScoreStatus::NotFollowed => "not followed".to_string(),
                _ => ratio(m.ratio),
            };
            let mirror = k.checked.as_ref().map_or("–".to_string(), |c| {
                let difference =
                    c.mirror_difference.map_or("–".to_string(), |d| format!("{d:.3}"));
                match c.status {
                    ScoreStatus::MirrorDisagrees => format!("{difference}, withheld"),
                    _ => difference,
                }
            });
            println!(
                "| {face} | {} | {:.2} | {:.3} / {:.3} | {:.3} / {:.3} | {} | {:.3} / {:.3} | {} \
                 | {mirror} |",
                k.movement,
                k.strength,
                k.truth[0],
                k.truth[1],
                k.mesh.left,
                k.mesh.right,
                ratio(k.mesh.ratio),
                k.flow.left,
                k.flow.right,
                verdict(&k.flow)
            );
            if k.movement == MovementId::Pucker {
                let smile = k.others.iter().find(|m| m.movement == MovementId::Smile);
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
        for (id, error, at_one) in per_movement {
            let error = if error.is_finite() { format!("{error:.2}") } else { "not scored".into() };
            let at_one = at_one.map_or("not enough".to_string(), |r| format!("{r:.2}"));
            errors.push(format!("| {face} | {id} | {error} | {at_one} |"));
        }
    }
    println!();
    println!("| face | movement | r | largest other excursion (flow) | others scored (L / R) |");
    println!("| --- | --- | --- | --- | --- |");
    for row in cross_talk {
        println!("{row}");
    }
    println!();
    println!("| face | movement | largest |ratio − r|, r < 1 | ratio at r = 1 |");
    println!("| --- | --- | --- | --- |");
    for row in errors {
        println!("{row}");
    }
    println!();
    println!("| skin-motion ratio | kept by the mirror check | withheld | not checked |");
    println!("| --- | --- | --- | --- |");
    for (label, [kept, withheld, unchecked]) in
        ["more than 0.10 from r, or none", "within 0.10 of r"].iter().zip(mirror_counts)
    {
        println!("| {label} | {kept} | {withheld} | {unchecked} |");
    }
    println!();
    println!("| face | pucker r | smile L / R (flow) | smile ratio |");
    println!("| --- | --- | --- | --- |");
    for row in smile_in_pucker {
        println!("{row}");
    }
    Ok(())
}
