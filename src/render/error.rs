//! Why rendering failed.

use crate::structure::WriteError;

/// Why rendering failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A pipeline's shader is not among the compiled-in files.
    #[error("shader {0} is missing from shaders/")]
    MissingShader(&'static str),
    /// Reading the image back failed.
    #[error("cannot read the rendered image back: {0}")]
    Readback(String),
    /// Writing the PNG failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A frame's device rows cannot be bound for drawing.
    #[error("cannot draw the frame from GPU memory: {0}")]
    Rows(String),
    /// Encoding the PNG failed.
    #[error("cannot encode the PNG: {0}")]
    Encode(String),
}
