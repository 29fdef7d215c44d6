//! The wgpu path: device choice, a smoke computation and the noise table on the adapter CI has
//! (Mesa lavapipe) or on a real GPU. Skips without an adapter, except on CI where one must exist.

#![expect(clippy::unwrap_used)]

use sigmascope::compute::{ComputeKind, DevicePreference, select_device, smoke_test};
use sigmascope::noise::{NoiseTableSpec, SigmaPoint, noise_table, parse_noise};
use sigmascope::structure::{LoadOptions, find_bundled};

#[test]
fn wgpu_device_computes_and_draws_noise() {
    let device = match select_device(DevicePreference::Gpu) {
        Ok(d) => d,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must have a wgpu adapter: {e}"
            );
            eprintln!("skipped: {e}");
            return;
        }
    };
    assert_ne!(device.kind, ComputeKind::Cpu);
    let line = device.describe();
    if device.kind == ComputeKind::SoftwareGpu {
        assert!(line.contains("software"), "{line}");
    }
    println!("device: {line}");
    smoke_test(&device.device).unwrap();

    let s = find_bundled("4hhb")
        .unwrap()
        .load(&LoadOptions::default())
        .unwrap();
    let spec = NoiseTableSpec {
        noises: vec![parse_noise("seed-old").unwrap()],
        points: vec![SigmaPoint {
            z: None,
            sigma: 4.82,
        }],
        repeats: 32,
        seed: 1,
    };
    let a = noise_table(&s, &spec, &device.device, false).unwrap();
    let b = noise_table(&s, &spec, &device.device, false).unwrap();
    assert_eq!(a.rows, b.rows, "same seed, same device, same numbers");
    let cell = &a.rows[0].noises.0[0].1;
    for f in [
        cell.atom.abs,
        cell.residue.abs,
        cell.chain.unwrap().abs,
        cell.residue_over_atom,
    ] {
        assert!(
            (f.measured - f.expected).abs() <= 3.0 * f.stderr.unwrap(),
            "{f:?}"
        );
    }
}
