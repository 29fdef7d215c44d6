//! `sample --substeps`: each step's churned state and second-order point written as models of their
//! own before their frame, checked against EDM's Euler point from the models beside them.

#![expect(clippy::unwrap_used)]

use crate::common;

use std::path::Path;
use std::process::Command;

/// Each model of a multi-MODEL PDB: its REMARK 250 label and its atoms' coordinates.
fn models(path: &Path) -> Vec<(String, Vec<[f64; 3]>)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut models: Vec<(String, Vec<[f64; 3]>)> = Vec::new();
    for line in text.lines() {
        if line.starts_with("MODEL") {
            models.push((String::new(), Vec::new()));
        } else if let Some(label) = line.strip_prefix("REMARK 250 ") {
            models.last_mut().unwrap().0 = label.to_owned();
        } else if line.starts_with("ATOM") || line.starts_with("HETATM") {
            let field = |a: usize, b: usize| line[a..b].trim().parse::<f64>().unwrap();
            let xyz = [field(30, 38), field(38, 46), field(46, 54)];
            models.last_mut().unwrap().1.push(xyz);
        }
    }
    models
}

/// The number after `key=` in a label.
fn value(label: &str, key: &str) -> f64 {
    let rest = label.split(&format!("{key}=")).nth(1).unwrap();
    rest.split_whitespace().next().unwrap().parse().unwrap()
}

fn sample(out: &Path, extra: &[&str]) {
    let one_crn = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/1crn.pdb");
    let mut args = vec![
        "sample",
        one_crn.to_str().unwrap(),
        "--preset",
        "edm",
        "--steps",
        "4",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    let run = Command::new(env!("CARGO_BIN_EXE_sigmascope"))
        .args(&args)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn substeps_are_models_before_their_frame_only_when_asked() {
    let dir = common::scratch("substeps");
    let (plain, with) = (dir.join("plain.pdb"), dir.join("with.pdb"));
    sample(&plain, &[]);
    sample(&with, &["--substeps"]);
    assert_eq!(models(&plain).len(), 6, "ground truth, start and 4 frames");
    let models = models(&with);
    // Each of the 4 steps: its churned state, a second-order point but on the step to σ = 0, the frame.
    assert_eq!(models.len(), 6 + 4 + 3);
    // MODEL 0 the truth, MODEL 1 the start, then step 1: churned, second-order, its frame.
    assert!(
        models[2].0.starts_with("frame=1 substep=churned"),
        "{}",
        models[2].0
    );
    assert!(
        models[3].0.starts_with("frame=1 substep=second-order"),
        "{}",
        models[3].0
    );
    assert!(models[4].0.starts_with("frame=1 sigma="), "{}", models[4].0);
    assert_eq!(
        value(&models[2].0, "sigma"),
        value(&models[4].0, "t_hat"),
        "the churned state is at t̂"
    );
    assert_eq!(
        value(&models[3].0, "sigma"),
        value(&models[4].0, "sigma"),
        "x_E is at σ_next"
    );
    let truth = &models[0].1;
    // x_E = x̂ + (σ_next − t̂)/t̂ (x̂ − x̂0), x̂0 the ground truth (exact denoiser, step scale 1).
    let mut checked = 0;
    for pair in models.windows(2) {
        let ((churned, x_hat), (second, x_e)) = (&pair[0], &pair[1]);
        if !(churned.contains("substep=churned") && second.contains("substep=second-order")) {
            continue;
        }
        let (t_hat, sigma_next) = (value(churned, "sigma"), value(second, "sigma"));
        assert_eq!(value(churned, "frame"), value(second, "frame"));
        let k = (sigma_next - t_hat) / t_hat;
        for ((h, e), x0) in x_hat.iter().zip(x_e).zip(truth) {
            for a in 0..3 {
                let want = h[a] + k * (h[a] - x0[a]);
                assert!((e[a] - want).abs() < 0.01, "{} vs {want}", e[a]);
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 3);
}
