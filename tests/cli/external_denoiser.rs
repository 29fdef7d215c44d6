//! The external-denoiser protocol end to end: the shipped Python client and examples as the child, the
//! CLI and the window's state as the parent, and every way a child can fail.

#![expect(clippy::unwrap_used)]

use crate::common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use sigmascope::app::{AppCommand, AppState, Settings};
use sigmascope::denoiser::DenoiserChoice;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> bool {
    common::python_with_numpy()
}

fn example(name: &str) -> String {
    format!(
        "external:python3 {}",
        root()
            .join("examples/external_denoiser")
            .join(name)
            .display()
    )
}

fn misbehave(mode: &str, after: usize) -> String {
    format!(
        "external:python3 {} {mode} {after}",
        root().join("tests/data/external/misbehave.py").display()
    )
}

fn sample(denoiser: &str, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sigmascope"))
        .args([
            "sample", "1crn", "--device", "cpu", "--steps", "20", "--json",
        ])
        .arg("--denoiser")
        .arg(denoiser)
        .args(extra)
        .output()
        .unwrap()
}

fn json(output: &std::process::Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The one stderr line of a failed run, which must exit 2.
fn failure(output: &std::process::Output) -> String {
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
}

#[test]
fn the_exact_example_returns_the_ground_truth_as_the_built_in_one_does() {
    if !python() {
        return;
    }
    let external = json(&sample(&example("exact.py"), &[]));
    let built_in = json(&sample("exact", &[]));
    assert_eq!(external["denoiser"], "external");
    let (e, b) = (
        external["final_rmsd"].as_f64().unwrap(),
        built_in["final_rmsd"].as_f64().unwrap(),
    );
    assert!(e < 1e-3 && b < 1e-3, "external {e} vs built-in {b}");
    assert_eq!(
        external["frames"].as_array().unwrap().len(),
        built_in["frames"].as_array().unwrap().len()
    );
}

#[test]
fn each_way_a_child_fails_is_one_clear_line_and_the_frames_so_far_are_written() {
    if !python() {
        return;
    }
    let dir = common::scratch("external-failures");
    let cases = [
        (
            misbehave("wrong_shape", 2),
            "has shape [326, 3]; expected [327, 3]",
        ),
        (misbehave("nan", 2), "NaN or infinite values (atom 3)"),
        (misbehave("error", 2), "ValueError: model weights not found"),
        (misbehave("die", 3), "giving up on purpose"),
        (misbehave("garbage", 1), "not a protocol header"),
        ("external:exit 3".to_owned(), "exited with exit status: 3"),
        (
            "external:definitely-not-a-command-xyz".to_owned(),
            "not found",
        ),
    ];
    for (denoiser, want) in cases {
        let out = dir.join("partial.pdb");
        std::fs::remove_file(&out).ok();
        let output = sample(&denoiser, &["--out", out.to_str().unwrap()]);
        let line = failure(&output);
        assert!(line.contains(want), "{denoiser}: {line}");
        if denoiser.contains("misbehave") {
            assert!(line.contains("frames recorded and written"), "{line}");
            // MODEL 0 (ground truth), the start and the good steps.
            let models = std::fs::read_to_string(&out)
                .unwrap()
                .matches("MODEL ")
                .count();
            assert!(models >= 2, "{denoiser}: {models} models");
        }
    }
}

#[test]
fn a_child_that_does_not_answer_times_out() {
    if !python() {
        return;
    }
    let start = Instant::now();
    let output = sample(&misbehave("sleep", 1), &["--denoiser-timeout", "1"]);
    let line = failure(&output);
    assert!(line.contains("gave no x0_hat within 1 s"), "{line}");
    assert!(
        start.elapsed() < Duration::from_secs(25),
        "the sleeping child was waited for"
    );
}

fn window_with(denoiser: String, steps: usize) -> AppState {
    let settings = Settings {
        steps,
        denoiser: denoiser.parse::<DenoiserChoice>().unwrap(),
        ..Settings::default()
    };
    let structure = common::bundled("4hhb");
    AppState::new(structure, settings, common::cpu().clone(), || {})
}

#[test]
fn in_the_window_a_failing_child_keeps_the_frames_and_says_why() {
    if !python() {
        return;
    }
    let mut s = window_with(misbehave("die", 4), 10);
    s.apply(AppCommand::Step(usize::MAX));
    common::settle(&mut s);
    // The start and the steps before the child died.
    assert!(s.run().frames.len() >= 2, "{}", s.run().frames.len());
    assert!(s.run().frames.len() < 11);
    let status = s.status().unwrap();
    assert!(
        status.contains("the denoiser failed") && status.contains("giving up on purpose"),
        "{status}"
    );
}

#[test]
fn the_flawed_example_leaves_residues_where_their_chain_carries_them() {
    if !python() {
        return;
    }
    let mut s = window_with(example("flawed.py"), 20);
    s.apply(AppCommand::Step(usize::MAX));
    common::settle(&mut s);
    assert!(s.status().is_none(), "{:?}", s.status());
    let last = s.run().metrics.last().unwrap();
    // The truth's residue offsets are never restored: residues end far from their places, though each
    // chain's own motion was corrected.
    assert!(
        last.levels.residue.rmsd > 10.0,
        "{}",
        last.levels.residue.rmsd
    );
    let x0 = last.levels.residue.x0_rmsd.unwrap();
    assert!(x0 > 10.0, "x0_hat keeps the residues' offsets: {x0}");
    // The diagnosis names the cause, with the figure flawed.py was made with (it keeps 90%).
    let kept = s.run().metrics[1].residue_offset_kept.unwrap();
    assert!((kept - 0.9).abs() < 0.01, "{kept}");
    let finding = s
        .findings()
        .into_iter()
        .find(|f| {
            f.text()
                .starts_with("The denoiser carries residues with their chain")
        })
        .unwrap_or_else(|| panic!("{:?}", s.findings()));
    assert!(
        finding.is_warning() && finding.text().contains("keeps 90%"),
        "{}",
        finding.text()
    );
    // The exact example's run has no such finding.
    let mut s = window_with(example("exact.py"), 20);
    s.apply(AppCommand::Step(usize::MAX));
    common::settle(&mut s);
    assert!(
        s.findings()
            .iter()
            .all(|f| !f.text().contains("carries residues")),
        "{:?}",
        s.findings()
    );
}
