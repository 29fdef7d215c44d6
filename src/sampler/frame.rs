//! One recorded sampler frame: the state after a step, the prediction, and what the step did.

use super::precondition::LevelPreconditioning;
use burn::tensor::Tensor;

use crate::compute::{CoordinateLayout, DeviceRows};
use crate::geometry::RigidTransform;

/// The augmentation a step applied before denoising: x ← (x - center) R + t (Boltz `center_random_augmentation`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Augmentation {
    /// Centroid removed, Å.
    pub center: [f64; 3],
    /// The transform applied after centering.
    pub transform: RigidTransform,
}

impl Augmentation {
    /// The data → pose map `map` followed by this augmentation: x ← (x - center) R + t.
    pub fn after(&self, map: &RigidTransform) -> RigidTransform {
        map.then(&RigidTransform::translation(self.center.map(|v| -v)))
            .then(&self.transform)
    }
}

/// Everything recorded for one frame. Frame 0 is the start; frame k follows step k.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Frame {
    /// Frame index.
    pub index: usize,
    /// Noise level of `x_t` (the step's target sigma; sigma_0 for the start), Å.
    pub sigma: f64,
    /// Noise level the step started from, Å.
    pub sigma_prev: f64,
    /// sigma_prev (1 + gamma): the level after churn, where the denoiser was evaluated, Å.
    pub t_hat: f64,
    /// Churn factor gamma.
    pub gamma: f64,
    /// Std of the churn noise injected, Å per coordinate.
    pub churn_std: f64,
    /// The state after the step, in the sampler's frame, Å.
    #[serde(skip)]
    pub x_t: Vec<[f32; 3]>,
    /// The denoiser's prediction x̂0 at this step, in the sampler's frame (none for the start).
    #[serde(skip)]
    pub x0_hat: Option<Vec<[f32; 3]>>,
    /// The state after this step's churn, before the alignment onto x̂0: what the denoiser saw, in the
    /// data frame (none for the start and for imported frames).
    #[serde(skip)]
    pub x_churned: Option<Vec<[f32; 3]>>,
    /// The second-order evaluation of a Heun or Chai-1 step, when sub-steps are recorded
    /// (`Sampler::record_substeps`).
    #[serde(skip)]
    pub second_order: Option<SecondOrderState>,
    /// The sampler's pose in force for this frame: the map from the data's coordinates to x_t's
    /// (centring and augmentation; undo it to compare with the truth).
    pub pose: RigidTransform,
    /// The augmentation applied by this step, if any.
    pub augmentation: Option<Augmentation>,
    /// The rigid alignment of the noisy state onto x̂0 applied by this step, if any.
    pub alignment: Option<RigidTransform>,
    /// Preconditioning coefficients at t_hat, global and per level.
    pub precondition: Option<LevelPreconditioning>,
    /// Posterior weight per data structure (ensemble denoiser).
    pub ensemble_weights: Option<Vec<f64>>,
    /// x_t and x̂0 where a wgpu device keeps them, for drawing without a readback (none on the CPU
    /// backend and once the run's device budget is spent; `Sampler::keep_frames_on_device`).
    #[serde(skip)]
    pub on_device: Option<FrameRows>,
}

/// The second-order evaluation of a Heun or Chai-1 step, in the data frame.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondOrderState {
    /// σ_next, where the denoiser was evaluated again, Å.
    pub sigma: f64,
    /// The Euler point x_E.
    pub x: Vec<[f32; 3]>,
    /// The denoiser's prediction at x_E.
    pub x0_hat: Vec<[f32; 3]>,
}

/// A frame's coordinates as the device keeps them, in the data frame: rows [3, N] for the EDM sampler,
/// points [N, 3] for the other families (`DeviceRows::layout`). Map them by `pose` to get
/// the frame's `x_t` and `x0_hat`.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameRows {
    /// The state.
    pub state: DeviceRows,
    /// The prediction (none for the start).
    pub x0_hat: Option<DeviceRows>,
}

impl FrameRows {
    /// Bytes the rows take on the device.
    pub fn bytes(&self) -> u64 {
        self.state.bytes() + self.x0_hat.as_ref().map_or(0, DeviceRows::bytes)
    }
}

/// Device bytes a run's recorded frames may still keep their coordinates in.
#[derive(Debug, Default)]
pub(super) struct DeviceBudget(u64);

impl DeviceBudget {
    /// A budget of `bytes` for a run whose recorded frames are `frames`: the start frame, when no
    /// step was taken yet, keeps its state (`state`) under it.
    pub fn renewed(
        bytes: u64,
        frames: &mut [Frame],
        state: &Tensor<2>,
        layout: CoordinateLayout,
    ) -> Self {
        let mut budget = Self(bytes);
        if let [start] = frames
            && start.on_device.is_none()
        {
            start.on_device = budget.keep(state, None, layout);
        }
        budget
    }

    /// A frame's state and x̂0 kept where they lie, laid out as `layout` says, while they fit the
    /// budget; none on burn's CPU backend.
    pub fn keep(
        &mut self,
        state: &Tensor<2>,
        x0_hat: Option<&Tensor<2>>,
        layout: CoordinateLayout,
    ) -> Option<FrameRows> {
        if self.0 == 0 {
            return None;
        }
        let rows = FrameRows {
            state: DeviceRows::keep(state, layout)?,
            x0_hat: x0_hat.and_then(|x| DeviceRows::keep(x, layout)),
        };
        let bytes = rows.bytes();
        (bytes <= self.0).then(|| {
            self.0 -= bytes;
            rows
        })
    }
}

impl Frame {
    /// A frame of plain coordinates (imported trajectories): no transforms, no sampler data.
    pub fn from_positions(index: usize, positions: Vec<[f32; 3]>) -> Self {
        Self {
            index,
            sigma: f64::NAN,
            sigma_prev: f64::NAN,
            t_hat: f64::NAN,
            gamma: 0.0,
            churn_std: 0.0,
            x_t: positions,
            x0_hat: None,
            x_churned: None,
            second_order: None,
            pose: RigidTransform::IDENTITY,
            augmentation: None,
            alignment: None,
            precondition: None,
            ensemble_weights: None,
            on_device: None,
        }
    }

    /// Moves this frame's coordinates (x_t, x̂0, the churned state) out into a copy of it, leaving
    /// the scalars and transforms here: a run measured as it goes and not exported keeps no atoms.
    pub fn take_coordinates(&mut self) -> Frame {
        let x_t = std::mem::take(&mut self.x_t);
        let x0_hat = self.x0_hat.take();
        let x_churned = self.x_churned.take();
        let second_order = self.second_order.take();
        let on_device = self.on_device.take();
        Frame {
            x_t,
            x0_hat,
            x_churned,
            second_order,
            on_device,
            ..self.clone()
        }
    }

    /// x_t with the sampler's transforms undone (in the ground truth's frame).
    pub fn x_t_in_data(&self) -> Vec<[f32; 3]> {
        self.pose.inverse().apply_all(&self.x_t)
    }

    /// The step's alignment onto x̂0 as a motion of the data frame: `alignment` is recorded in the
    /// sampler's frame F, so conjugate it back (F, the alignment, F⁻¹).
    pub fn alignment_in_data(&self) -> Option<RigidTransform> {
        self.alignment
            .map(|a| self.pose.then(&a).then(&self.pose.inverse()))
    }

    /// x̂0 with the sampler's transforms undone.
    pub fn x0_in_data(&self) -> Option<Vec<[f32; 3]>> {
        self.x0_hat
            .as_ref()
            .map(|x| self.pose.inverse().apply_all(x))
    }
}
