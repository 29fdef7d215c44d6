//! The sampler engine: EDM Euler/Heun steps with churn, per-step augmentation and optional alignment
//! onto the prediction, stepped one frame at a time on the burn device.
//!
//! One step (Karras et al. 2022, Alg. 2; Boltz `AtomDiffusion.sample`):
//! 1. augment: x ← (x - mean x) R + t, R uniform, t ~ N(0, s_trans²) (seed 002, pitfall 4);
//! 2. churn: t_hat = sigma (1 + gamma), x_hat = x + S_noise sqrt(t_hat² - sigma²) ε;
//! 3. x̂0 = D(x_hat; t_hat); optionally align x_hat onto x̂0 (Kabsch, Boltz `alignment_reverse_diff`);
//! 4. Euler: d = (x_hat - x̂0) / t_hat, x_next = x_hat + step_scale (sigma_next - t_hat) d;
//! 5. Heun (not on the step to 0): d' = (x_next - D(x_next; sigma_next)) / sigma_next,
//!    x_next = x_hat + step_scale (sigma_next - t_hat) (d + d') / 2.

use burn::tensor::{Device, Tensor, TensorData, Transaction};

use super::precondition::level_preconditioning;
use super::preset::{SamplerPreset, Solver};
use crate::denoiser::{DenoiseContext, Denoiser};
use crate::noise::{
    GroupSizes, HierarchyTensors, NamedNoise, NoiseModel, draw_noise, standard_normal,
};
use crate::structure::Structure;
use crate::trajectory::{
    Augmentation, Frame, RigidTransform, SplitMix64, centroid, kabsch, random_rotation,
};

/// What the sampler starts from (seed 002, pitfall 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum StartNoise {
    /// Multiscale noise of the chosen noise model at sigma_0, around the origin.
    Multiscale,
    /// Isotropic per-atom noise at sigma_0 (what EDM/Boltz sample from).
    Isotropic,
}

/// Everything a run needs besides the structure and the denoiser.
#[derive(Debug, Clone)]
pub struct SamplerSettings {
    /// Schedule, churn, solver, augmentation (a preset with overrides applied).
    pub preset: SamplerPreset,
    /// The noise model of the start (and the covariance of the ensemble denoiser).
    pub noise: NamedNoise,
    /// Start from multiscale or isotropic noise.
    pub start: StartNoise,
    /// Seed of every draw; each step derives its own stream, so runs repeat exactly on one device.
    pub seed: u64,
}

/// Why a sampler could not start or step.
#[derive(Debug, thiserror::Error)]
pub enum SamplerError {
    /// The schedule has fewer than two sigmas.
    #[error("the schedule needs at least one step (got {0} sigma values)")]
    EmptySchedule(usize),
    /// A sigma is negative or not finite.
    #[error("the schedule has an invalid sigma {0}")]
    InvalidSigma(f64),
    /// Reading results back from the device failed.
    #[error("device computation failed: {0}")]
    Device(String),
    /// The state became NaN or infinite.
    #[error("the sampler state became NaN or infinite at step {0}")]
    NonFinite(usize),
}

/// A sampler run in progress: device state plus the recorded frames.
pub struct Sampler {
    settings: SamplerSettings,
    sigmas: Vec<f64>,
    sizes: GroupSizes,
    device: Device,
    denoiser: Box<dyn Denoiser>,
    x: Tensor<2>,
    frame_rotation: Tensor<2>,
    frame_translation: Tensor<2>,
    frame_from_data: RigidTransform,
    frames: Vec<Frame>,
    recording: bool,
}

fn upload(values: &[f32], shape: [usize; 2], device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values.to_vec(), shape), device)
}

fn read_points(data: TensorData) -> Result<Vec<[f32; 3]>, SamplerError> {
    let v = data
        .try_into_vec::<f32>()
        .map_err(|e| SamplerError::Device(format!("{e:?}")))?;
    Ok(v.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect())
}

impl Sampler {
    /// Sets up a run: centers the ground truth (the data → frame map starts as that shift) and draws
    /// the start at sigma_0. Frame 0 is recorded.
    pub fn new(
        structure: &Structure,
        settings: SamplerSettings,
        denoiser: Box<dyn Denoiser>,
        device: &Device,
    ) -> Result<Self, SamplerError> {
        let sigmas = settings.preset.schedule.sigmas();
        if sigmas.len() < 2 {
            return Err(SamplerError::EmptySchedule(sigmas.len()));
        }
        if let Some(bad) = sigmas.iter().find(|s| !(s.is_finite() && **s >= 0.0)) {
            return Err(SamplerError::InvalidSigma(*bad));
        }
        let center = centroid(&structure.positions);
        let frame_from_data = RigidTransform::translation(center.map(|c| -c));
        let hierarchy = HierarchyTensors::new(structure, device);
        let start_model = match settings.start {
            StartNoise::Multiscale => settings.noise.model.clone(),
            StartNoise::Isotropic => NoiseModel::Flat,
        };
        let n = structure.atom_count();
        let x = draw_noise(
            &hierarchy,
            start_model.stds(sigmas[0]),
            1,
            settings.seed,
            device,
        )
        .reshape([n, 3]);
        let mut sampler = Self {
            sizes: GroupSizes::of(structure),
            device: device.clone(),
            denoiser,
            x,
            frame_rotation: upload(&frame_from_data.rotation_flat(), [3, 3], device),
            frame_translation: upload(
                &frame_from_data.translation.map(|v| v as f32),
                [1, 3],
                device,
            ),
            frame_from_data,
            frames: Vec::new(),
            recording: true,
            sigmas,
            settings,
        };
        let x_t = read_points(sampler.x.clone().into_data())?;
        sampler.frames.push(Frame {
            sigma: sampler.sigmas[0],
            sigma_prev: sampler.sigmas[0],
            t_hat: sampler.sigmas[0],
            x_t,
            frame_from_data,
            ..Frame::from_positions(0, Vec::new())
        });
        Ok(sampler)
    }

    /// The sigma schedule (Å), one more value than steps.
    pub fn sigmas(&self) -> &[f64] {
        &self.sigmas
    }

    /// Steps in the schedule.
    pub fn total_steps(&self) -> usize {
        self.sigmas.len() - 1
    }

    /// Steps taken so far.
    pub fn steps_taken(&self) -> usize {
        self.frames.len() - 1
    }

    /// True when every step of the schedule has been taken.
    pub fn is_done(&self) -> bool {
        self.steps_taken() >= self.total_steps()
    }

    /// The recorded frames (frame 0 is the start).
    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// Gives the frames up.
    pub fn into_frames(self) -> Vec<Frame> {
        self.frames
    }

    /// Turns the per-step readback of x_t and x̂0 off (benchmarks) or on; frames taken while it is off
    /// carry the step's scalars and transforms but no coordinates.
    pub fn set_recording(&mut self, on: bool) {
        self.recording = on;
    }

    /// The settings of this run.
    pub fn settings(&self) -> &SamplerSettings {
        &self.settings
    }

    fn context(&self, step: usize) -> DenoiseContext {
        DenoiseContext {
            frame_rotation: self.frame_rotation.clone(),
            frame_translation: self.frame_translation.clone(),
            step,
        }
    }

    /// Takes one step and records its frame. Does nothing once the schedule is done.
    pub fn step(&mut self) -> Result<Option<&Frame>, SamplerError> {
        if self.is_done() {
            return Ok(None);
        }
        let step = self.steps_taken();
        let preset = self.settings.preset;
        let (sigma, sigma_next) = (self.sigmas[step], self.sigmas[step + 1]);
        let mut rng = SplitMix64::new(self.settings.seed, step as u64 + 1);

        // 1. Augmentation: the centroid stays on the device; the rotation and translation come from the CPU.
        let mut augmentation = None;
        let mut center_tensor = None;
        if preset.augment {
            let transform = RigidTransform {
                rotation: random_rotation(&mut rng),
                translation: std::array::from_fn(|_| rng.normal() * preset.translation_std),
            };
            let rotation = upload(&transform.rotation_flat(), [3, 3], &self.device);
            let translation = upload(
                &transform.translation.map(|v| v as f32),
                [1, 3],
                &self.device,
            );
            let center = self.x.clone().mean_dim(0);
            self.x =
                (self.x.clone() - center.clone()).matmul(rotation.clone()) + translation.clone();
            self.frame_rotation = self.frame_rotation.clone().matmul(rotation.clone());
            self.frame_translation =
                (self.frame_translation.clone() - center.clone()).matmul(rotation) + translation;
            augmentation = Some(transform);
            center_tensor = Some(center);
        }

        // 2. Churn.
        let gamma = preset.churn.gamma(sigma, sigma_next, self.total_steps());
        let t_hat = sigma * (1.0 + gamma);
        let churn_std = preset.noise_scale * (t_hat * t_hat - sigma * sigma).max(0.0).sqrt();
        // The device generator's seed for this step, decorrelated from other steps and other run seeds.
        let seed = rng.next_u64();
        let n = self.x.dims()[0];
        let mut x_hat = self.x.clone();
        if churn_std > 0.0 {
            let eps = standard_normal([n, 3], seed, &self.device);
            x_hat = x_hat + eps * churn_std;
        }

        // 3. Denoise, optionally align the noisy state onto the prediction.
        let context = self.context(step);
        let output = self.denoiser.denoise(x_hat.clone(), t_hat, &context);
        let mut alignment = None;
        if preset.align_to_prediction {
            // Kabsch on the CPU: a 3×3 SVD; the two point sets are read back once for it.
            let read = Transaction::default()
                .register(x_hat.clone())
                .register(output.x0.clone())
                .try_execute();
            let mut data = read
                .map_err(|e| SamplerError::Device(format!("{e:?}")))?
                .into_iter();
            let (Some(mobile), Some(target)) = (data.next(), data.next()) else {
                return Err(SamplerError::Device("alignment readback".to_owned()));
            };
            let transform = kabsch(&read_points(mobile)?, &read_points(target)?);
            let rotation = upload(&transform.rotation_flat(), [3, 3], &self.device);
            let translation = upload(
                &transform.translation.map(|v| v as f32),
                [1, 3],
                &self.device,
            );
            x_hat = x_hat.matmul(rotation) + translation;
            alignment = Some(transform);
        }

        // 4. Euler.
        let d = (x_hat.clone() - output.x0.clone()) / t_hat;
        let scale = preset.step_scale * (sigma_next - t_hat);
        let mut x_next = x_hat.clone() + d.clone() * scale;

        // 5. Heun correction, skipped on the step to sigma = 0 (EDM).
        if preset.solver == Solver::Heun && sigma_next > 0.0 {
            let second = self.denoiser.denoise(x_next.clone(), sigma_next, &context);
            let d_next = (x_next - second.x0) / sigma_next;
            x_next = x_hat + (d + d_next) * (scale * 0.5);
        }
        self.x = x_next;

        // Record: one readback of the state, the prediction, the weights and the centroid (only the
        // centroid when recording is off, to keep the host's copy of the frame transform).
        let mut transaction = Transaction::default();
        let weights_present = output.weights.is_some();
        if self.recording {
            transaction = transaction.register(self.x.clone()).register(output.x0);
            if let Some(w) = output.weights {
                transaction = transaction.register(w);
            }
        }
        if let Some(c) = center_tensor {
            transaction = transaction.register(c);
        }
        let mut data = transaction
            .try_execute()
            .map_err(|e| SamplerError::Device(format!("{e:?}")))?
            .into_iter();
        let missing = || SamplerError::Device("readback".to_owned());
        let (x_t, x0, ensemble_weights) = if self.recording {
            let x_t = read_points(data.next().ok_or_else(missing)?)?;
            let x0 = read_points(data.next().ok_or_else(missing)?)?;
            let weights = if weights_present {
                let w = data.next().ok_or_else(missing)?;
                let w = w
                    .try_into_vec::<f32>()
                    .map_err(|e| SamplerError::Device(format!("{e:?}")))?;
                Some(w.into_iter().map(f64::from).collect::<Vec<f64>>())
            } else {
                None
            };
            if x_t.iter().flatten().any(|v| !v.is_finite()) {
                return Err(SamplerError::NonFinite(step + 1));
            }
            (x_t, Some(x0), weights)
        } else {
            (Vec::new(), None, None)
        };
        let augmentation = match (augmentation, data.next()) {
            (Some(transform), Some(center)) => {
                let c = read_points(center)?
                    .first()
                    .copied()
                    .unwrap_or_default()
                    .map(f64::from);
                self.frame_from_data = self
                    .frame_from_data
                    .then(&RigidTransform::translation(c.map(|v| -v)))
                    .then(&transform);
                Some(Augmentation {
                    center: c,
                    transform,
                })
            }
            _ => None,
        };
        let weights = self.settings.noise.model.weights_at(t_hat);
        self.frames.push(Frame {
            index: step + 1,
            sigma: sigma_next,
            sigma_prev: sigma,
            t_hat,
            gamma,
            churn_std,
            x_t,
            x0_hat: x0,
            frame_from_data: self.frame_from_data,
            augmentation,
            alignment,
            precondition: Some(level_preconditioning(
                &self.sizes,
                &weights,
                t_hat,
                preset.schedule.sigma_data,
                preset.c_noise,
            )),
            ensemble_weights,
        });
        Ok(self.frames.last())
    }

    /// Steps to the end; `keep_going(done, total)` is called after each step and can stop the run.
    pub fn run(
        &mut self,
        mut keep_going: impl FnMut(usize, usize) -> bool,
    ) -> Result<(), SamplerError> {
        while !self.is_done() {
            self.step()?;
            if !keep_going(self.steps_taken(), self.total_steps()) {
                break;
            }
        }
        Ok(())
    }
}
