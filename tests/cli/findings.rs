//! The diagnosis is the core's: `sample --json` carries the findings the window shows for the same
//! run, and no finding contradicts another on a run of any preset with any reference denoiser.

#![expect(clippy::unwrap_used)]

use crate::common;

use std::path::Path;
use std::process::Command;

use sigmascope::app::{AppCommand, AppState, Settings};

fn sample_json(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_sigmascope"))
        .arg("sample")
        .args(args)
        .args(["--json", "--device", "cpu"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::json(&out)
}

fn codes(findings: &serde_json::Value) -> Vec<(String, String)> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn sample_json_carries_the_findings_the_window_shows() {
    let steps = 8;
    let settings = Settings {
        steps,
        ..Settings::default()
    };
    let mut state = AppState::new(
        common::bundled("1crn"),
        settings,
        common::cpu().clone(),
        || {},
    );
    state.apply(AppCommand::Step(usize::MAX));
    common::settle(&mut state);
    assert_eq!(state.run().frames.len(), steps + 1);
    let shown: Vec<String> = state
        .findings()
        .into_iter()
        .map(|f| f.finding.text)
        .collect();
    // The window's defaults: Boltz-2, seed-old weights, a multiscale start, seed 0.
    let report = sample_json(&["1crn", "--preset", "boltz2", "--steps", "8", "--seed", "0"]);
    let printed: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(printed, shown);
    assert!(
        codes(&report["findings"]).contains(&("run-residue-motion".into(), "warning".into()))
            || codes(&report["findings"]).contains(&("run-residue-motion".into(), "info".into()))
    );
    let first = &report["findings"][0];
    assert!(first["figures"].is_object(), "{first}");
}

/// True when python3 with NumPy runs (CI has it).
fn python() -> bool {
    Command::new("python3")
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success())
        || std::env::var_os("CI").is_some()
}

#[test]
fn no_finding_contradicts_another_on_any_preset_and_denoiser() {
    let flawed = format!(
        "external:python3 {}",
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/external_denoiser/flawed.py")
            .display()
    );
    let mut denoisers = vec![
        "exact".to_owned(),
        "ensemble".to_owned(),
        "rotation-marginal".to_owned(),
    ];
    if python() {
        denoisers.push(flawed);
    }
    for preset in ["edm", "boltz1", "boltz2", "af3", "chai1", "seed-002"] {
        for denoiser in &denoisers {
            let report = sample_json(&[
                "1l2y",
                "--preset",
                preset,
                "--steps",
                "8",
                "--denoiser",
                denoiser,
                "--rotations",
                "128",
            ]);
            let found = codes(&report["findings"]);
            let has = |code: &str| found.iter().any(|(c, _)| c == code);
            let case = format!("{preset} / {denoiser}: {found:?}");
            let mut unique: Vec<&String> = found.iter().map(|(c, _)| c).collect();
            unique.dedup();
            assert_eq!(unique.len(), found.len(), "one finding per code: {case}");
            // The run never blames the noise the noise finding calls sufficient, nor both the noise and
            // the denoiser for the same stillness.
            let noise_sufficient = found.contains(&("residue-noise".into(), "info".into()));
            assert!(
                !(noise_sufficient && has("noise-gives-little-own-motion")),
                "{case}"
            );
            assert!(
                !(has("denoiser-carries-residues") && has("noise-gives-little-own-motion")),
                "{case}"
            );
            // The flawed denoiser carries residues with their chain; the exact and the orientation-blind
            // ideal ones never do. (The ensemble's sample lands on whichever NMR model the posterior
            // picks, and its offsets are measured against model 1.)
            if denoiser.starts_with("external") {
                assert!(has("denoiser-carries-residues"), "{case}");
            } else if denoiser != "ensemble" {
                assert!(!has("denoiser-carries-residues"), "{case}");
            }
        }
    }
}
