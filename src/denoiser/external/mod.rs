//! A denoiser in another process: sigmascope starts `CMD` (through `sh -c`) and, at every denoiser call,
//! sends the noisy coordinates and sigma over its stdin and reads x̂0 from its stdout, in the messages of
//! `protocol`. `examples/external_denoiser/` is the client.

mod error;
mod link;
mod protocol;

use std::sync::Mutex;
use std::time::Duration;

use burn::tensor::{Device, Tensor, TensorData};

pub use error::{ExitNote, ExternalError};
use link::Link;
pub use protocol::{PROTOCOL, PROTOCOL_VERSION};
use protocol::{Reply, Request};
use protocol::{f32_bytes, f32_values, hello_arrays};

use super::{DenoiseContext, DenoiseError, Denoiser, DenoiserOutput};
use crate::structure::Structure;

/// How long a reply may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// The denoiser in a child process.
pub struct ExternalDenoiser {
    link: Mutex<Link>,
    atoms: usize,
    timeout: Duration,
    device: Device,
}

impl ExternalDenoiser {
    /// Starts `command` and introduces the structure: the atom → residue and residue → chain maps,
    /// atom, residue and chain names, and the reference coordinates (the loaded structure, for loop
    /// checks and for models that condition on the input).
    pub fn start(
        command: &str,
        structure: &Structure,
        timeout: Duration,
        device: &Device,
    ) -> Result<Self, ExternalError> {
        if command.trim().is_empty() {
            return Err(ExternalError::NoCommand);
        }
        let mut link = Link::start(command)?;
        let [atom_residue, residue_chain, reference] = hello_arrays(structure);
        link.send(
            &Request::hello(structure),
            &[&atom_residue, &residue_chain, &reference],
        )?;
        let ready = link.receive(timeout, "its ready message")?;
        if ready.reply
            != (Reply::Ready {
                version: u64::from(PROTOCOL_VERSION),
            })
        {
            return Err(ExternalError::protocol(format!(
                "the denoiser answered {} instead of a ready message of protocol version {PROTOCOL_VERSION}",
                ready.header
            )));
        }
        Ok(Self {
            link: Mutex::new(link),
            atoms: structure.atom_count(),
            timeout,
            device: device.clone(),
        })
    }

    /// One round trip: x [N, 3] and the step's numbers out, x̂0 [N, 3] back, checked.
    pub fn round_trip(
        &self,
        x: &[f32],
        sigma: f64,
        step: usize,
        level_sigmas: Option<[f64; 3]>,
        pose: Option<&crate::geometry::RigidTransform>,
    ) -> Result<Vec<f32>, ExternalError> {
        let mut link = self
            .link
            .lock()
            .map_err(|_| ExternalError::protocol("the denoiser link is poisoned"))?;
        let call = Request::denoise(self.atoms, sigma, step, level_sigmas, pose);
        link.send(&call, &[&f32_bytes(x)])?;
        let reply = link.receive(self.timeout, "x0_hat")?;
        let spec = match &reply.reply {
            Reply::X0Hat { arrays } => arrays.first().filter(|spec| spec.dtype == "<f4"),
            _ => None,
        };
        let (Some(spec), Some(bytes)) = (spec, reply.payloads.first()) else {
            return Err(ExternalError::protocol(format!(
                "the denoiser answered {} instead of x0_hat <f4",
                reply.header
            )));
        };
        if spec.shape != [self.atoms as u64, 3] {
            return Err(ExternalError::WrongShape {
                shape: spec.shape.clone(),
                atoms: self.atoms,
            });
        }
        let values = f32_values(bytes);
        if let Some(bad) = values.iter().position(|v| !v.is_finite()) {
            return Err(ExternalError::NotANumber { atom: bad / 3 });
        }
        Ok(values)
    }
}

impl Denoiser for ExternalDenoiser {
    fn name(&self) -> &'static str {
        "external"
    }

    fn denoise(
        &self,
        x: Tensor<2>,
        sigma: f64,
        context: &DenoiseContext,
    ) -> Result<DenoiserOutput, DenoiseError> {
        let values: Vec<f32> = x
            .into_data()
            .try_into_vec::<f32>()
            .map_err(|e| DenoiseError::Readback(format!("{e:?}")))?;
        let x0 = self.round_trip(
            &values,
            sigma,
            context.step,
            context.level_sigmas,
            context.pose.as_ref(),
        )?;
        Ok(DenoiserOutput {
            levels: None,
            x0: Tensor::from_data(TensorData::new(x0, [self.atoms, 3]), &self.device),
            weights: None,
        })
    }
}
