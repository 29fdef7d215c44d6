//! The command line's exit codes: 0 when the command did what was asked, 2 for bad input (a file,
//! flag, selection or child process of the user's that is wrong, or a GPU asked for where none
//! exists), 3 when a device or sigmascope itself failed on good input.

use crate::compute::DeviceError;
use crate::denoiser::DenoiseError;
use crate::render::RenderError;
use crate::sampler::SamplerError;

use super::sample::PartialRun;

/// Exit code for bad input (missing, unreadable or malformed file, empty selection, bad flag values,
/// an external denoiser that fails, `--device gpu` without an adapter).
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for a device that failed to open or to compute, or an internal failure.
pub const EXIT_DEVICE_FAILURE: u8 = 3;

/// Whether `error` is a device's failure rather than the input's.
fn is_device_failure(error: &(dyn std::error::Error + 'static)) -> bool {
    if let Some(e) = error.downcast_ref::<DeviceError>() {
        return matches!(e, DeviceError::OpenFailed { .. });
    }
    if let Some(e) = error.downcast_ref::<PartialRun>() {
        return is_device_failure(&e.error);
    }
    if let Some(e) = error.downcast_ref::<SamplerError>() {
        return match e {
            SamplerError::Device(_) => true,
            SamplerError::Denoiser { reason, .. } => matches!(reason, DenoiseError::Readback(_)),
            _ => false,
        };
    }
    if let Some(e) = error.downcast_ref::<DenoiseError>() {
        return matches!(e, DenoiseError::Readback(_));
    }
    if let Some(e) = error.downcast_ref::<RenderError>() {
        return !matches!(e, RenderError::Write(_));
    }
    false
}

/// The exit code of a failed command: 3 when any cause in its chain is a device's failure, else 2.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if error.chain().any(is_device_failure) {
        EXIT_DEVICE_FAILURE
    } else {
        EXIT_BAD_INPUT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_failures_exit_3_and_bad_input_2() {
        let opened = anyhow::Error::new(DeviceError::OpenFailed {
            name: "gpu".to_owned(),
            reason: "lost".to_owned(),
        });
        assert_eq!(exit_code(&opened), EXIT_DEVICE_FAILURE);
        assert_eq!(
            exit_code(&anyhow::Error::new(DeviceError::NoAdapter)),
            EXIT_BAD_INPUT
        );
        let readback = anyhow::Error::new(SamplerError::Denoiser {
            step: 3,
            reason: DenoiseError::Readback("lost".to_owned()),
        })
        .context("sampling failed");
        assert_eq!(exit_code(&readback), EXIT_DEVICE_FAILURE);
        let child = anyhow::Error::new(SamplerError::Denoiser {
            step: 3,
            reason: DenoiseError::External(crate::denoiser::ExternalError::NotANumber { atom: 1 }),
        });
        assert_eq!(exit_code(&child), EXIT_BAD_INPUT);
        assert_eq!(exit_code(&anyhow::anyhow!("no such file")), EXIT_BAD_INPUT);
    }
}
