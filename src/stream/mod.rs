//! Live runs: a user's own sampling loop streams its steps (the Python package in `python/`) to a
//! listener here, which the window shows as they arrive and `sigmascope listen` records.

#[cfg(feature = "app")]
mod listener;
mod protocol;

#[cfg(feature = "app")]
pub use listener::{DEFAULT_PORT, Listener, StreamEvent, listen_address};
pub use protocol::{
    Decoded, MAX_HELLO_BYTES, MAX_STEP_HEADER_BYTES, STREAM_PROTOCOL, STREAM_VERSION, StreamHello,
    StreamStep, TopologySpec, read_hello, read_message,
};
