//! The recording half of a step: one readback of what the step computed (the state, x̂0 and the churned
//! state, the ensemble's weights and the augmentation's centre), mapped into the step's frame on the
//! host, and the frame it makes. With recording off and no alignment the step reads nothing: its mean
//! waits on the device (`Sampler::settle`), so steps follow each other without a round trip.

use burn::tensor::{Device, Tensor, TensorData, Transaction};

use super::{PENDING_MEANS, Sampler};
use crate::compute::CoordinateLayout;
use crate::geometry::{RigidTransform, points_of_rows};
use crate::sampler::error::SamplerError;
use crate::sampler::frame::{Augmentation, Frame, SecondOrderState};
use crate::sampler::precondition::level_preconditioning;
use crate::sampler::preset::StepLevels;

/// A tensor read back; a device that failed is an error, not a panic.
pub(super) fn read_data<const D: usize>(t: Tensor<D>) -> Result<TensorData, SamplerError> {
    t.try_into_data()
        .map_err(|e| SamplerError::Device(e.to_string()))
}

/// One tensor's values read back as f32.
pub(super) fn read_floats(data: TensorData) -> Result<Vec<f32>, SamplerError> {
    data.try_into_vec::<f32>()
        .map_err(|e| SamplerError::Device(format!("{e:?}")))
}

pub(super) fn read_points(data: TensorData) -> Result<Vec<[f32; 3]>, SamplerError> {
    let v = read_floats(data)?;
    Ok(v.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect())
}

/// The augmentation centre of a step whose state's mean [3, 1] in the data frame was read back as
/// `mean`: its image under `map`, the data → pose map before the step (a rigid map moves the mean
/// with the points).
pub(super) fn augmentation_center(
    mean: TensorData,
    map: &RigidTransform,
) -> Result<[f64; 3], SamplerError> {
    let mean = read_points(mean)?.first().copied().unwrap_or_default();
    Ok(map.apply_f64(mean))
}

/// Points from coordinate rows [3, N], mapped by `transform` (in f64) where one is given.
pub(super) fn read_rows(
    data: TensorData,
    transform: Option<&RigidTransform>,
) -> Result<Vec<[f32; 3]>, SamplerError> {
    Ok(points_of_rows(&read_floats(data)?, transform))
}

/// Points of rows on the host: read where they lie on burn's CPU backend, else copied back.
pub(super) fn host_rows(
    rows: &Tensor<2>,
    transform: Option<&RigidTransform>,
) -> Result<Vec<[f32; 3]>, SamplerError> {
    match crate::compute::with_host_values(rows, |v| points_of_rows(v, transform)) {
        Some(points) => Ok(points),
        None => read_rows(read_data(rows.clone())?, transform),
    }
}

/// What a step computed, for its frame.
pub(super) struct StepOutputs {
    /// The step's index (its frame is `step + 1`).
    pub step: usize,
    /// Its σ, σ_next, γ and t_hat.
    pub levels: StepLevels,
    /// The std of its churn noise.
    pub churn_std: f64,
    /// x̂0 (data frame, rows).
    pub x0: Tensor<2>,
    /// The churned state the denoiser saw (data frame, rows), kept when the step is recorded.
    pub churned: Option<Tensor<2>>,
    /// The ensemble denoiser's weights, where it gives them.
    pub weights: Option<Tensor<1>>,
    /// The augmentation's transform and the state's mean before it [3, 1].
    pub augmented: Option<(RigidTransform, Tensor<2>)>,
    /// The alignment onto x̂0, in the data frame.
    pub alignment_in_data: Option<RigidTransform>,
    /// The second-order evaluation, when sub-steps are recorded.
    pub second_order: Option<SecondOrderRows>,
}

/// A second-order step's Euler point and the prediction there (data frame, rows).
pub(super) struct SecondOrderRows {
    /// σ_next, where the denoiser was evaluated.
    pub sigma: f64,
    /// x_E.
    pub x: Tensor<2>,
    /// D(x_E; σ_next).
    pub x0_hat: Tensor<2>,
}

/// What one readback brought back of a step.
struct ReadBack {
    x_t: Vec<[f32; 3]>,
    x0: Option<Vec<[f32; 3]>>,
    churned: Option<Vec<[f32; 3]>>,
    weights: Option<Vec<f64>>,
    augmentation: Option<Augmentation>,
}

impl Sampler {
    /// Reads back what the step computed and records its frame.
    pub(super) fn record(
        &mut self,
        mut outputs: StepOutputs,
    ) -> Result<Option<&Frame>, SamplerError> {
        let on_device = if self.recording {
            self.device_budget
                .keep(&self.x, Some(&outputs.x0), CoordinateLayout::Rows)
        } else {
            None
        };
        let step = outputs.step;
        let StepLevels {
            sigma,
            sigma_next,
            gamma,
            t_hat,
        } = outputs.levels;
        let (churn_std, alignment_in_data) = (outputs.churn_std, outputs.alignment_in_data);
        let defer = alignment_in_data.is_none();
        let second_order = match outputs.second_order.take() {
            Some(rows) => Some(SecondOrderState {
                sigma: rows.sigma,
                x: host_rows(&rows.x, None)?,
                x0_hat: host_rows(&rows.x0_hat, None)?,
            }),
            None => None,
        };
        let read = self.read_back(outputs, defer)?;
        // The alignment as a motion of the state in the frame: F⁻¹, then the data-frame alignment, then F.
        let frame = self.pose;
        let alignment = alignment_in_data.map(|a| frame.inverse().then(&a).then(&frame));
        let level_weights = self.settings.noise.model.weights_at(t_hat);
        let preset = &self.settings.preset;
        self.frames.push(Frame {
            index: step + 1,
            sigma: sigma_next,
            sigma_prev: sigma,
            t_hat,
            gamma,
            churn_std,
            x_t: read.x_t,
            x0_hat: read.x0,
            x_churned: read.churned,
            second_order,
            pose: self.pose,
            augmentation: read.augmentation,
            alignment,
            precondition: Some(level_preconditioning(
                &self.mean_squares,
                &level_weights,
                t_hat,
                preset.schedule.sigma_data,
                preset.c_noise,
            )),
            ensemble_weights: read.weights,
            on_device,
        });
        Ok(self.frames.last())
    }

    /// One readback of the state and the prediction (data frame), the weights and the state's mean
    /// (only the mean when recording is off, to keep the host's copy of F). The map into the step's
    /// frame is applied on the host while the rows are interleaved, not on the device. With
    /// recording off and `may_defer` (no alignment) the mean waits on the device instead.
    fn read_back(
        &mut self,
        outputs: StepOutputs,
        may_defer: bool,
    ) -> Result<ReadBack, SamplerError> {
        let defer = !self.recording && may_defer && self.pending_means.len() < PENDING_MEANS;
        // On burn's CPU backend the recorded rows are read where they lie, after the readback.
        let in_place = self.recording && self.device == Device::flex();
        let mut transaction = Transaction::default();
        let weights_present = outputs.weights.is_some();
        let mut in_place_rows = None;
        if self.recording {
            let churned = outputs.churned.ok_or_else(missing)?;
            if in_place {
                in_place_rows = Some((outputs.x0, churned));
            } else {
                transaction = transaction
                    .register(self.x.clone())
                    .register(outputs.x0)
                    .register(churned);
            }
            if let Some(w) = outputs.weights {
                transaction = transaction.register(w);
            }
        }
        let recorded = if self.recording {
            3 * usize::from(!in_place) + usize::from(weights_present)
        } else {
            0
        };
        let mut augmentation_here = None;
        match outputs.augmented {
            Some((transform, mean)) if defer => {
                self.pending_means.push((outputs.step + 1, mean, transform));
            }
            Some((transform, mean)) => {
                for (_, m, _) in &self.pending_means {
                    transaction = transaction.register(m.clone());
                }
                transaction = transaction.register(mean);
                augmentation_here = Some(transform);
            }
            None => {}
        }
        let data = if recorded > 0 || augmentation_here.is_some() {
            transaction
                .try_execute()
                .map_err(|e| SamplerError::Device(format!("{e:?}")))?
        } else {
            Vec::new()
        };
        let (data, augmentation) = self.take_augmentation(data, recorded, augmentation_here)?;
        if !self.recording {
            return Ok(ReadBack {
                x_t: Vec::new(),
                x0: None,
                churned: None,
                weights: None,
                augmentation,
            });
        }
        let mut read = self.recorded_rows(data, in_place_rows.as_ref(), weights_present)?;
        if read.x_t.iter().flatten().any(|v| !v.is_finite()) {
            return Err(SamplerError::NonFinite(outputs.step + 1));
        }
        read.augmentation = augmentation;
        Ok(read)
    }

    /// The step's augmentation from the readback's last tensor (the state's mean), settling the means
    /// that waited before it; the recorded tensors are what is left.
    fn take_augmentation(
        &mut self,
        mut data: Vec<TensorData>,
        recorded: usize,
        transform: Option<RigidTransform>,
    ) -> Result<(Vec<TensorData>, Option<Augmentation>), SamplerError> {
        let Some(transform) = transform else {
            return Ok((data, None));
        };
        let mean = data.pop().ok_or_else(missing)?;
        let pending = data.split_off(recorded.min(data.len()));
        self.settle_means(pending)?;
        let augmentation = Augmentation {
            center: augmentation_center(mean, &self.pose)?,
            transform,
        };
        self.pose = augmentation.after(&self.pose);
        Ok((data, Some(augmentation)))
    }

    /// The recorded state, x̂0 and churned state as points (x_t and x̂0 in the step's frame), from the
    /// readback or, on burn's CPU backend, from where the rows lie.
    fn recorded_rows(
        &self,
        data: Vec<TensorData>,
        in_place_rows: Option<&(Tensor<2>, Tensor<2>)>,
        weights_present: bool,
    ) -> Result<ReadBack, SamplerError> {
        let into_pose = Some(&self.pose);
        let mut data = data.into_iter();
        let (x_t, x0, churned) = match in_place_rows {
            Some((x0, churned)) => (
                host_rows(&self.x, into_pose)?,
                host_rows(x0, into_pose)?,
                host_rows(churned, None)?,
            ),
            None => (
                read_rows(data.next().ok_or_else(missing)?, into_pose)?,
                read_rows(data.next().ok_or_else(missing)?, into_pose)?,
                read_rows(data.next().ok_or_else(missing)?, None)?,
            ),
        };
        let weights = if weights_present {
            let w = read_floats(data.next().ok_or_else(missing)?)?;
            Some(w.into_iter().map(f64::from).collect())
        } else {
            None
        };
        Ok(ReadBack {
            x_t,
            x0: Some(x0),
            churned: Some(churned),
            weights,
            augmentation: None,
        })
    }
}

fn missing() -> SamplerError {
    SamplerError::Device("readback".to_owned())
}
