//! Sub-steps: the churned state and the second-order evaluation each step records, against EDM's
//! Heun step and Chai-1's variant written out again from the recorded pieces.

#![expect(clippy::unwrap_used)]

use crate::common::bundled;
use crate::sampler::exact_sampler;

use sigmascope::sampler::{Frame, Solver, SubStep, find_preset};

/// max |a − b| over two point lists.
fn worst(a: &[[f32; 3]], b: &[[f64; 3]]) -> f64 {
    a.iter()
        .zip(b)
        .flat_map(|(p, q)| (0..3).map(move |k| (f64::from(p[k]) - q[k]).abs()))
        .fold(0.0, f64::max)
}

fn f64s(p: &[[f32; 3]]) -> Vec<[f64; 3]> {
    p.iter().map(|v| v.map(f64::from)).collect()
}

/// Checks one frame: x_E = x̂ + dt d, and the next state is Heun's x̂ + dt (d + d')/2 or Chai-1's
/// x_E + dt (d + d')/2, with d = (x̂ − x̂0)/t̂ and d' = (x_E − D(x_E))/σ_next (Karras et al. 2022,
/// Alg. 2; chai1.py). Everything in the data frame; x̂ after the alignment where the preset aligns.
fn check_second_order(frame: &Frame, step_scale: f64, solver: Solver) {
    let second = frame.second_order.as_ref().unwrap();
    assert_eq!(second.sigma, frame.sigma, "evaluated at σ_next");
    let churned = frame.x_churned.as_ref().unwrap();
    let x_hat = f64s(&match frame.alignment_in_data() {
        Some(a) => a.apply_all(churned),
        None => churned.clone(),
    });
    let x0 = f64s(&frame.x0_in_data().unwrap());
    let (x_e, x0_e) = (f64s(&second.x), f64s(&second.x0_hat));
    let dt = step_scale * (frame.sigma - frame.t_hat);
    let scale = x_hat.iter().flatten().fold(1.0f64, |m, v| m.max(v.abs()));
    let mut euler = Vec::new();
    let mut next = Vec::new();
    for i in 0..x_hat.len() {
        let d: [f64; 3] = std::array::from_fn(|k| (x_hat[i][k] - x0[i][k]) / frame.t_hat);
        let d2: [f64; 3] = std::array::from_fn(|k| (x_e[i][k] - x0_e[i][k]) / frame.sigma);
        euler.push(std::array::from_fn(|k| x_hat[i][k] + dt * d[k]));
        let base = if solver == Solver::Chai {
            x_e[i]
        } else {
            x_hat[i]
        };
        next.push(std::array::from_fn(|k| base[k] + dt * (d[k] + d2[k]) / 2.0));
    }
    assert!(
        worst(&second.x, &euler) < 1e-5 * scale,
        "x_E of frame {}",
        frame.index
    );
    let state = frame.x_t_in_data();
    assert!(
        worst(&state, &next) < 1e-5 * scale,
        "x_next of frame {}",
        frame.index
    );
}

#[test]
fn second_order_steps_record_their_euler_point_and_the_prediction_there() {
    let s = bundled("1crn");
    for name in ["edm", "chai1"] {
        let mut preset = find_preset(name).unwrap();
        preset.schedule.steps = 6;
        let (step_scale, solver) = (preset.step_scale, preset.solver);
        let mut sampler = exact_sampler(&s, preset, 5);
        sampler.record_substeps(true);
        sampler.run(|_, _| true).unwrap();
        let frames = sampler.into_frames();
        assert!(frames[0].substeps().is_empty(), "the start has none");
        for frame in &frames[1..] {
            let last_step = frame.sigma == 0.0;
            let want: &[SubStep] = if last_step {
                &[SubStep::Churned]
            } else {
                &[SubStep::Churned, SubStep::SecondOrder]
            };
            assert_eq!(frame.substeps(), want, "{name} frame {}", frame.index);
            if !last_step {
                check_second_order(frame, step_scale, solver);
            }
            // The churned sub-frame sits at t̂, in the frame's pose, with the step's prediction.
            let churned = frame.substep_frame(SubStep::Churned).unwrap();
            assert_eq!(churned.sigma, frame.t_hat);
            assert_eq!(churned.x0_hat, frame.x0_hat);
            let in_data = churned.x_t_in_data();
            assert!(worst(&in_data, &f64s(frame.x_churned.as_ref().unwrap())) < 1e-3);
        }
    }
}

#[test]
fn second_order_states_are_kept_only_when_asked() {
    let s = bundled("1crn");
    let mut preset = find_preset("edm").unwrap();
    preset.schedule.steps = 4;
    let mut sampler = exact_sampler(&s, preset, 5);
    sampler.run(|_, _| true).unwrap();
    let frames = sampler.into_frames();
    assert!(frames.iter().all(|f| f.second_order.is_none()));
    assert!(frames[1].substep_frame(SubStep::SecondOrder).is_none());
    assert!(frames[1].substep_frame(SubStep::Churned).is_some());
}
