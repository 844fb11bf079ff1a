//! Where the time goes inside one ONNX model under tract: each node timed over many runs,
//! summed by operator kind. Used for docs/performance.md.
//!
//! `cargo run --release --example profile_model -- models/face_landmark.onnx 192 [RUNS] [tract]`
//!
//! With `tract` last, tract's own operators run throughout (see `facesym::landmarks::Runtime`).

use std::collections::BTreeMap;
use std::time::Instant;

use facesym::landmarks::{Runtime, optimised};
use tract_onnx::prelude::*;

fn main() -> TractResult<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).map_or("models/face_landmark.onnx", String::as_str);
    let size: usize = args.get(2).map_or(Ok(192), |s| s.parse())?;
    let runs: usize = args.get(3).map_or(Ok(300), |s| s.parse())?;
    let runtime = match args.get(4).map(String::as_str) {
        Some("tract") => Runtime::Tract,
        _ => Runtime::Specialised,
    };
    let model = optimised(&std::fs::read(path)?, size, runtime)?;
    let plan = model.into_runnable()?;
    let mut state = TypedSimpleState::new(&plan)?;
    let input: Tensor =
        tract_ndarray::Array4::<f32>::from_shape_fn((1, 3, size, size), |(_, c, y, x)| {
            ((c * 31 + y * 7 + x * 3) % 255) as f32 / 255.0
        })
        .into();
    let mut by_kind: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    let mut by_node: BTreeMap<usize, (String, f64)> = BTreeMap::new();
    let mut whole = Vec::new();
    for run in 0..runs + 20 {
        let start = Instant::now();
        let mut times: Vec<(usize, String, f64)> = Vec::new();
        state.run_plan_with_eval(tvec!(input.clone().into()), |ctx, op_state, node, inputs| {
            let t = Instant::now();
            let out = tract_onnx::tract_core::plan::eval(ctx, op_state, node, inputs);
            times.push((
                node.id,
                format!("{} {}", node.op().name(), node.name),
                t.elapsed().as_secs_f64(),
            ));
            out
        })?;
        if run >= 20 {
            whole.push(start.elapsed().as_secs_f64() * 1000.0);
            for (id, label, t) in times {
                let kind = label.split(' ').next().unwrap_or("").to_string();
                let e = by_kind.entry(kind).or_default();
                e.0 += t;
                e.1 += 1;
                by_node.entry(id).or_insert((label, 0.0)).1 += t;
            }
        }
    }
    whole.sort_by(f64::total_cmp);
    let total: f64 = by_kind.values().map(|v| v.0).sum();
    println!("whole run median {:.3} ms over {runs} runs", whole[runs / 2]);
    let mut kinds: Vec<_> = by_kind.into_iter().collect();
    kinds.sort_by(|a, b| b.1.0.total_cmp(&a.1.0));
    for (kind, (t, n)) in kinds {
        println!(
            "{kind:<28} {:>7.3} ms/run {:>5.1} %  ({} nodes)",
            t * 1000.0 / runs as f64,
            100.0 * t / total,
            n / runs
        );
    }
    let mut nodes: Vec<_> = by_node.into_iter().collect();
    nodes.sort_by(|a, b| b.1.1.total_cmp(&a.1.1));
    println!("\nslowest nodes:");
    for (_, (label, t)) in nodes.iter().take(25) {
        println!("{:>7.3} ms  {label}", t * 1000.0 / runs as f64);
    }
    Ok(())
}
