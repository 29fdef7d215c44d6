//! A step's sub-steps, shown between its frames: the churned state x̂ at t̂ (after the noise
//! injection, before the denoiser; Karras et al. 2022, Alg. 2, lines 5–6) and, for Heun's and
//! Chai-1's second order, the Euler point x_E at σ_next where the denoiser is evaluated again
//! (lines 9–10). Seen apart, the churn's motion and the denoiser's correction are two movements.

use super::frame::Frame;

/// One sub-step of a sampler step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum SubStep {
    /// x̂ = x + noise, at t̂: what the denoiser saw.
    Churned,
    /// The Euler point x_E at σ_next and the denoiser's x̂0 there (second-order solvers).
    SecondOrder,
}

impl SubStep {
    /// What the sub-step is, in a few words (labels and export remarks).
    pub fn label(self) -> &'static str {
        match self {
            Self::Churned => "churned x̂",
            Self::SecondOrder => "second-order x_E",
        }
    }

    /// The name in export remarks and JSON.
    pub fn key(self) -> &'static str {
        match self {
            Self::Churned => "churned",
            Self::SecondOrder => "second-order",
        }
    }
}

impl Frame {
    /// The sub-steps recorded for the step that led to this frame, in the order the step went
    /// through them (none for the start and for imported frames).
    pub fn substeps(&self) -> Vec<SubStep> {
        let mut steps = Vec::new();
        if self.x_churned.is_some() {
            steps.push(SubStep::Churned);
        }
        if self.second_order.is_some() {
            steps.push(SubStep::SecondOrder);
        }
        steps
    }

    /// The noise level of the sub-step `kind`: t̂ for the churned state, σ_next for the second-order
    /// point; none when the step did not record it.
    pub fn substep_sigma(&self, kind: SubStep) -> Option<f64> {
        match kind {
            SubStep::Churned => self.x_churned.as_ref().map(|_| self.t_hat),
            SubStep::SecondOrder => self.second_order.as_ref().map(|s| s.sigma),
        }
    }

    /// The sub-step `kind` of this frame's step as a frame of its own, in this frame's pose: its σ
    /// (t̂ for the churned state, σ_next for the second-order point), its state and the prediction
    /// made from it. None when the step did not record it.
    pub fn substep_frame(&self, kind: SubStep) -> Option<Frame> {
        let (sigma, state, prediction) = match kind {
            SubStep::Churned => (
                self.t_hat,
                self.pose.apply_all(self.x_churned.as_ref()?),
                self.x0_hat.clone(),
            ),
            SubStep::SecondOrder => {
                let second = self.second_order.as_ref()?;
                (
                    second.sigma,
                    self.pose.apply_all(&second.x),
                    Some(self.pose.apply_all(&second.x0_hat)),
                )
            }
        };
        Some(Frame {
            index: self.index,
            sigma,
            sigma_prev: self.sigma_prev,
            t_hat: self.t_hat,
            gamma: self.gamma,
            churn_std: self.churn_std,
            x_t: state,
            x0_hat: prediction,
            x_churned: None,
            second_order: None,
            pose: self.pose,
            augmentation: self.augmentation,
            alignment: self.alignment,
            precondition: self.precondition,
            ensemble_weights: self.ensemble_weights.clone(),
            on_device: None,
        })
    }
}
