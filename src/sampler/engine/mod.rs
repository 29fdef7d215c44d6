//! The sampler engine: EDM Euler/Heun steps with churn, per-step augmentation and optional alignment
//! onto the prediction, stepped one frame at a time on the burn device.
//!
//! One step (Karras et al. 2022, Alg. 2; Boltz `AtomDiffusion.sample`):
//! 1. augment: x ← (x - mean x) R + t, R uniform, t ~ N(0, s_trans²) [note 002 §4];
//! 2. churn: t_hat = sigma (1 + gamma), x_hat = x + S_noise sqrt(t_hat² - sigma²) ε;
//! 3. x̂0 = D(x_hat; t_hat); optionally align x_hat onto x̂0 (Kabsch, Boltz `alignment_reverse_diff`;
//!    the moments are reduced on the device, the 3×3 SVD runs on the CPU);
//! 4. Euler: d = (x_hat - x̂0) / t_hat, x_next = x_hat + step_scale (sigma_next - t_hat) d;
//! 5. second order (not on the step to 0): x_E the Euler result, d' = (x_E - D(x_E; sigma_next)) / sigma_next;
//!    Heun: x_next = x_hat + dt (d + d') / 2; Chai-1: x_next = x_E + dt (d + d') / 2.
//!
//! The state is kept in the data frame, with the augmented pose as a separate map F (data → pose).
//! Augmentation moves x and the pose together, so in data coordinates it only changes F; churn
//! noise is isotropic, so drawing it in either frame gives the same distribution; the Euler and Heun
//! updates are affine combinations (weights summing to 1) and commute with rigid motions. Only the
//! denoiser can tell frames apart: equivariant ones (exact, ensemble) are called in the data frame,
//! others get x mapped through F and their x̂0 mapped back. x_t and x̂0 are recorded in the pose.
//! On the CPU backend this saves the two N × 3 rotations per step that dominated it.
//!
//! The state's layout is coordinate rows [3, N]: the centroid is three contiguous sums and the
//! per-axis shifts are contiguous broadcasts, which burn's backends run far faster than the strided
//! [N, 3] forms (README, Benchmarks).

mod record;

use burn::tensor::{Device, Tensor, TensorData, Transaction};

use super::error::SamplerError;
use super::euler::euler_update;
use super::frame::{Augmentation, DeviceBudget, Frame};
use super::moments::cross_covariance;
use super::precondition::level_sigmas_of;
use super::preset::{Solver, StepLevels};
use super::run::SteppedRun;
use super::settings::{ChurnNoise, SamplerSettings, StartNoise};
use crate::compute::{CoordinateLayout, mean_last_axis};
use crate::denoiser::{DenoiseContext, Denoiser};
use crate::geometry::{DevicePose, RigidTransform, centroid, kabsch_from_moments, random_rotation};
use crate::noise::{
    GroupSizes, HierarchyTensors, MeanSquaresBasis, NoiseModel, add_noise_rows, draw_noise, normal,
};
use crate::rng::SplitMix64;
use crate::structure::Structure;
use record::{
    SecondOrderRows, StepOutputs, augmentation_center, read_data, read_floats, read_points,
};

/// A sampler run in progress: device state plus the recorded frames.
pub struct Sampler {
    settings: SamplerSettings,
    sigmas: Vec<f64>,
    /// Each step's sigma, gamma and t_hat (`SamplerPreset::step_levels`, the schedule and coverage's too).
    levels: Vec<StepLevels>,
    /// The structure's expected mean squares per unit variance (per-level σ at every step).
    mean_squares: MeanSquaresBasis,
    hierarchy: HierarchyTensors,
    device: Device,
    denoiser: Box<dyn Denoiser>,
    /// The state in the data frame, coordinate rows [3, N].
    x: Tensor<2>,
    /// F on the device.
    device_pose: DevicePose,
    /// F on the host, updated from the state's mean read back after each step.
    pose: RigidTransform,
    frames: Vec<Frame>,
    recording: bool,
    /// Whether recorded frames keep the second-order evaluation of Heun and Chai-1 steps.
    substeps: bool,
    /// Augmentation centres still on the device (steps taken with recording off and no alignment,
    /// which read nothing back): the frame, the state's mean in the data frame [3, 1] (the centre is
    /// its image under the frame map before the step) and the step's transform.
    pending_means: Vec<(usize, Tensor<2>, RigidTransform)>,
    /// Device bytes recorded frames may still keep their rows in (`keep_frames_on_device`).
    device_budget: DeviceBudget,
}

/// Steps whose centre may wait on the device before one readback takes them all.
const PENDING_MEANS: usize = 256;

impl Sampler {
    /// Sets up a run: centers the ground truth (the data → pose map starts as that shift) and draws
    /// the start at sigma_0 around the frame's origin. Frame 0 is recorded.
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
        let pose = RigidTransform::translation(center.map(|c| -c));
        let device_pose = DevicePose::upload(&pose, device);
        let hierarchy = HierarchyTensors::new(structure, device);
        let start_model = match settings.start {
            StartNoise::Multiscale => settings.noise.model.clone(),
            StartNoise::Isotropic => NoiseModel::Flat,
        };
        let n = structure.atom_count();
        let x_in_pose = draw_noise(
            &hierarchy,
            start_model.stds(sigmas[0]),
            1,
            settings.seed,
            device,
        )
        .reshape([n, 3]);
        let x_t = read_points(read_data(x_in_pose.clone())?)?;
        let mut sampler = Self {
            mean_squares: MeanSquaresBasis::new(&GroupSizes::of(structure)),
            hierarchy,
            device: device.clone(),
            denoiser,
            x: device_pose.rows_to_data(x_in_pose.transpose()),
            device_pose,
            pose,
            frames: Vec::new(),
            recording: true,
            substeps: false,
            pending_means: Vec::new(),
            device_budget: DeviceBudget::default(),
            levels: settings.preset.step_levels(),
            sigmas,
            settings,
        };
        sampler.frames.push(Frame {
            sigma: sampler.sigmas[0],
            sigma_prev: sampler.sigmas[0],
            t_hat: sampler.sigmas[0],
            x_t,
            pose,
            ..Frame::from_positions(0, Vec::new())
        });
        Ok(sampler)
    }

    /// Lets recorded frames keep their state and prediction rows where a wgpu device holds them
    /// (`Frame::on_device`), up to `budget` bytes in all, so a renderer on the same device draws them
    /// without a readback; later frames keep host coordinates only. The start frame keeps its rows
    /// when no step was taken yet. Nothing is kept on burn's CPU backend.
    pub fn keep_frames_on_device(&mut self, budget: u64) {
        self.device_budget =
            DeviceBudget::renewed(budget, &mut self.frames, &self.x, CoordinateLayout::Rows);
    }

    /// The sigma schedule (Å), one more value than steps.
    pub fn sigmas(&self) -> &[f64] {
        &self.sigmas
    }

    /// The recorded frames (frame 0 is the start). Frames of steps taken with recording off carry
    /// their maps once `settle` has run.
    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// Gives the frames up, their maps settled (`settle`); if that readback fails, only the frames
    /// whose maps are known.
    pub fn into_frames(mut self) -> Vec<Frame> {
        if self.settle().is_err() {
            let known = self
                .pending_means
                .first()
                .map_or(self.frames.len(), |p| p.0);
            self.frames.truncate(known);
        }
        self.frames
    }

    /// Reads back the augmentation centres of the steps taken with recording off (one readback), so
    /// that every frame's map into the frame and its augmentation are known; until then those frames
    /// carry the map of the last step that read back. A recorded step does this in its own readback.
    /// Waits for the device to finish the steps taken.
    pub fn settle(&mut self) -> Result<(), SamplerError> {
        if self.pending_means.is_empty() {
            return Ok(());
        }
        let transaction = self
            .pending_means
            .iter()
            .fold(Transaction::default(), |t, (_, c, _)| t.register(c.clone()));
        let means = transaction
            .try_execute()
            .map_err(|e| SamplerError::Device(format!("{e:?}")))?;
        self.settle_means(means)
    }

    /// Applies the read-back `means` of the pending steps, in order, to the frames from the first
    /// of them on (those frames hold no alignment: a step with one reads back anyway).
    fn settle_means(&mut self, means: Vec<TensorData>) -> Result<(), SamplerError> {
        let Some(first) = self.pending_means.first().map(|p| p.0) else {
            return Ok(());
        };
        if means.len() != self.pending_means.len() {
            return Err(SamplerError::Device(
                "augmentation centre readback".to_owned(),
            ));
        }
        let pending = std::mem::take(&mut self.pending_means);
        let mut map = self.frames[first - 1].pose;
        let mut steps = pending.into_iter().zip(means).peekable();
        for frame in &mut self.frames[first..] {
            if let Some(((_, _, transform), mean)) =
                steps.next_if(|((i, _, _), _)| *i == frame.index)
            {
                let augmentation = Augmentation {
                    center: augmentation_center(mean, &map)?,
                    transform,
                };
                map = augmentation.after(&map);
                frame.augmentation = Some(augmentation);
            }
            frame.pose = map;
        }
        self.pose = map;
        Ok(())
    }

    /// Turns the per-step readback of x_t and x̂0 off (benchmarks) or on; frames taken while it is off
    /// carry the step's scalars and transforms but no coordinates.
    pub fn set_recording(&mut self, on: bool) {
        self.recording = on;
    }

    /// Keeps (or not) each recorded Heun or Chai-1 step's second-order evaluation, the Euler point
    /// and the prediction there, as the frame's sub-step (`Frame::substep_frame`); the churned state
    /// is recorded with every frame.
    pub fn record_substeps(&mut self, on: bool) {
        self.substeps = on;
    }

    /// The settings of this run.
    pub fn settings(&self) -> &SamplerSettings {
        &self.settings
    }

    /// x̂0 for the data-frame state `x_rows` [3, N], as coordinate rows in the data frame, and the
    /// ensemble weights if any. Non-equivariant denoisers see x in the current frame.
    fn denoise_rows(
        &self,
        x_rows: Tensor<2>,
        sigma: f64,
        step: usize,
    ) -> Result<(Tensor<2>, Option<Tensor<1>>), SamplerError> {
        let levels = level_sigmas_of(
            &self.mean_squares,
            &self.settings.noise.model.weights_at(sigma),
            sigma,
        );
        let failed =
            |reason: crate::denoiser::DenoiseError| SamplerError::Denoiser { step, reason };
        if self.denoiser.equivariant() {
            let mut context = DenoiseContext::in_data_frame(step);
            context.level_sigmas = Some([levels.atom, levels.residue, levels.chain]);
            let output = self
                .denoiser
                .denoise(x_rows.transpose(), sigma, &context)
                .map_err(failed)?;
            let x0 = self.with_level_outputs(output.x0, output.levels);
            Ok((x0.transpose(), output.weights))
        } else {
            let mut context = DenoiseContext::in_pose(self.device_pose.clone(), step);
            context.level_sigmas = Some([levels.atom, levels.residue, levels.chain]);
            context.pose = Some(self.pose_on_host()?);
            let x_in_pose = self.device_pose.rows_to_pose(x_rows).transpose();
            let output = self
                .denoiser
                .denoise(x_in_pose, sigma, &context)
                .map_err(failed)?;
            let x0 = self.with_level_outputs(output.x0, output.levels);
            Ok((
                self.device_pose.rows_to_data(x0.transpose()),
                output.weights,
            ))
        }
    }

    /// x̂0 [N, 3] with its residue and chain centroids moved onto the denoiser's own level predictions,
    /// when `level_outputs` is on and the denoiser gives them (segment means over the index maps).
    fn with_level_outputs(
        &self,
        x0: Tensor<2>,
        levels: Option<crate::denoiser::LevelX0>,
    ) -> Tensor<2> {
        let (true, Some(levels)) = (self.settings.level_outputs, levels) else {
            return x0;
        };
        let h = &self.hierarchy;
        let n = x0.dims()[0];
        let x0 = x0.reshape([1, n, 3]);
        let predicted_residues = levels.residues.unsqueeze_dim::<3>(0);
        // The residue targets: the model's residues with their chain centroids on its chains.
        let residue_targets = predicted_residues.clone()
            - h.chain_centroids(predicted_residues)
                .select(1, h.residue_chain.clone())
            + levels
                .chains
                .unsqueeze_dim::<3>(0)
                .select(1, h.residue_chain.clone());
        let shift =
            (residue_targets - h.residue_centroids(x0.clone())).select(1, h.atom_residue.clone());
        (x0 + shift).reshape([n, 3])
    }

    /// The frame map in force on the device, read back (12 numbers): `pose` learns this
    /// step's augmentation centre only after the step's readback, and a denoiser given x in the frame
    /// may need the map now. Only non-equivariant denoisers, which read x back anyway, ask for it.
    fn pose_on_host(&self) -> Result<RigidTransform, SamplerError> {
        let read = |t: Tensor<2>| {
            read_data(t)?
                .try_into_vec::<f32>()
                .map_err(|e| SamplerError::Device(format!("{e:?}")))
        };
        let r = read(self.device_pose.rotation.clone())?;
        let t = read(self.device_pose.translation.clone())?;
        Ok(RigidTransform {
            rotation: std::array::from_fn(|i| std::array::from_fn(|j| f64::from(r[3 * i + j]))),
            translation: std::array::from_fn(|k| f64::from(t[k])),
        })
    }

    /// The Kabsch superposition of `mobile` onto `target` (coordinate rows): the centroids and the 3×3
    /// cross-covariance are reduced on the device and read back (15 numbers); the SVD runs on the CPU.
    fn alignment_onto(
        &self,
        mobile: Tensor<2>,
        target: Tensor<2>,
    ) -> Result<RigidTransform, SamplerError> {
        let n = mobile.dims()[1];
        let (mobile_mean, target_mean) = (
            mean_last_axis(mobile.clone()),
            mean_last_axis(target.clone()),
        );
        // H[i][j] = Σ_n a_in b_jn over the centred rows (`sampler::moments`): a [3, N] × [N, 3] matmul
        // with N inside was much slower on wgpu, where the reduction over the long axis serialises.
        let covariance = cross_covariance(
            mobile,
            mobile_mean.clone(),
            target,
            target_mean.clone(),
            &self.device,
        );
        let read = Transaction::default()
            .register(covariance)
            .register(mobile_mean)
            .register(target_mean)
            .try_execute()
            .map_err(|e| SamplerError::Device(format!("{e:?}")))?;
        let mut values = read.into_iter().map(read_floats);
        let mut next = || {
            values
                .next()
                .unwrap_or_else(|| Err(SamplerError::Device("alignment readback".to_owned())))
        };
        let (h, pm, pt) = (next()?, next()?, next()?);
        if h.len() != 9 || pm.len() != 3 || pt.len() != 3 {
            return Err(SamplerError::Device("alignment readback".to_owned()));
        }
        let h: [[f64; 3]; 3] =
            std::array::from_fn(|i| std::array::from_fn(|j| f64::from(h[3 * i + j])));
        let centroid = |v: &[f32]| std::array::from_fn(|k| f64::from(v[k]));
        Ok(kabsch_from_moments(&h, centroid(&pm), centroid(&pt), n))
    }
    /// Takes one step (module docs) and records its frame; `None` once the run is done.
    pub fn step(&mut self) -> Result<Option<&Frame>, SamplerError> {
        if self.is_done() {
            return Ok(None);
        }
        let step = self.steps_taken();
        let levels = self.levels[step];
        let mut rng = SplitMix64::new(self.settings.seed, step as u64 + 1);
        let augmented = if self.settings.preset.augment {
            Some(self.augment(&mut rng))
        } else {
            None
        };
        let churn_std = self.settings.preset.noise_scale
            * (levels.t_hat * levels.t_hat - levels.sigma * levels.sigma)
                .max(0.0)
                .sqrt();
        // The generator's seed for this step, decorrelated from other steps and other run seeds.
        let x_hat = self.churn(churn_std, rng.next_u64());
        let (x0, weights) = self.denoise_rows(x_hat.clone(), levels.t_hat, step)?;
        // The state after churn, before the alignment: what the denoiser saw (data frame).
        // (Not kept when nothing is recorded: then the update may write into x_hat's own buffer.)
        let churned = self.recording.then(|| x_hat.clone());
        let (x_hat, alignment_in_data) = if self.settings.preset.align_to_prediction {
            let transform = self.alignment_onto(x_hat.clone(), x0.clone())?;
            let aligned = DevicePose::upload(&transform, &self.device).rows_to_pose(x_hat);
            (aligned, Some(transform))
        } else {
            (x_hat, None)
        };
        let (x_next, second_order) = self.update(x_hat, x0.clone(), levels, step)?;
        self.x = x_next;
        self.record(StepOutputs {
            second_order: second_order.filter(|_| self.recording && self.substeps),
            step,
            levels,
            churn_std,
            x0,
            churned,
            weights,
            augmented,
            alignment_in_data,
        })
    }

    /// 1. Augmentation changes only the frame map (module docs): the transform drawn, and the state's
    ///    mean, which stays on the device until a readback, where the host maps it into the frame as
    ///    the centre. Only a denoiser that sees x in the frame needs the map on the device now, so
    ///    only for it is the map composed there as well.
    fn augment(&mut self, rng: &mut SplitMix64) -> (RigidTransform, Tensor<2>) {
        let transform = RigidTransform {
            rotation: random_rotation(rng),
            translation: std::array::from_fn(|_| {
                rng.normal() * self.settings.preset.translation_std
            }),
        };
        let mean = mean_last_axis(self.x.clone());
        if !self.denoiser.equivariant() {
            let DevicePose {
                rotation,
                translation,
            } = DevicePose::upload(&transform, &self.device);
            let center = self.device_pose.rows_to_pose(mean.clone()).transpose();
            self.device_pose = DevicePose {
                rotation: self.device_pose.rotation.clone().matmul(rotation.clone()),
                translation: (self.device_pose.translation.clone() - center).matmul(rotation)
                    + translation,
            };
        }
        (transform, mean)
    }

    /// 2. Churn to t_hat: the state plus noise of std `churn_std`, its scale applied as it is drawn.
    fn churn(&self, churn_std: f64, seed: u64) -> Tensor<2> {
        let x = self.x.clone();
        if churn_std <= 0.0 {
            return x;
        }
        // Both kinds have the same covariance on every axis, so the data frame is as good as any.
        match self.settings.churn_noise {
            ChurnNoise::Isotropic => {
                let n = x.dims()[1];
                x + normal([3, n], churn_std, seed, &self.device)
            }
            ChurnNoise::NoiseModel => add_noise_rows(
                &self.hierarchy,
                x,
                self.settings.noise.model.stds(churn_std),
                seed,
                &self.device,
            ),
        }
    }

    /// 4. and 5. The update from x_hat: Euler, delta = step_scale (sigma_next - t_hat) d, or the
    ///    second-order correction, skipped on the step to sigma = 0: Heun averages the slopes from
    ///    x_hat (EDM Alg. 2); Chai-1 adds the averaged step to the Euler result (chai1.py). The
    ///    second order also gives its Euler point and the prediction there (a sub-step).
    fn update(
        &self,
        x_hat: Tensor<2>,
        x0: Tensor<2>,
        levels: StepLevels,
        step: usize,
    ) -> Result<(Tensor<2>, Option<SecondOrderRows>), SamplerError> {
        let preset = &self.settings.preset;
        let StepLevels {
            sigma_next, t_hat, ..
        } = levels;
        let scale = preset.step_scale * (sigma_next - t_hat);
        Ok(match preset.solver {
            Solver::Heun | Solver::Chai if sigma_next > 0.0 => {
                let delta = (x_hat.clone() - x0) * (scale / t_hat);
                let x_euler = x_hat.clone() + delta.clone();
                let (x0_next, _) = self.denoise_rows(x_euler.clone(), sigma_next, step)?;
                let delta_next = (x_euler.clone() - x0_next.clone()) * (scale / sigma_next);
                let averaged = (delta + delta_next) * 0.5;
                let second = SecondOrderRows {
                    sigma: sigma_next,
                    x: x_euler.clone(),
                    x0_hat: x0_next,
                };
                let x_next = if preset.solver == Solver::Chai {
                    x_euler + averaged
                } else {
                    x_hat + averaged
                };
                (x_next, Some(second))
            }
            _ => (euler_update(x_hat, x0, scale / t_hat, &self.device)?, None),
        })
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

impl SteppedRun for Sampler {
    fn step(&mut self) -> Result<Option<&Frame>, SamplerError> {
        Sampler::step(self)
    }

    fn frames(&self) -> &[Frame] {
        Sampler::frames(self)
    }

    fn take_coordinates(&mut self, index: usize) -> Option<Frame> {
        self.frames.get_mut(index).map(Frame::take_coordinates)
    }

    fn keep_frames_on_device(&mut self, budget: u64) {
        Sampler::keep_frames_on_device(self, budget);
    }

    fn sigmas(&self) -> &[f64] {
        Sampler::sigmas(self)
    }
}
