//! The listener the window holds while it listens for live runs, and the run it is filling.

use std::sync::mpsc::Receiver;

use crate::stream::{Listener, StreamEvent};

/// A running listener and the run it is filling.
pub struct LiveRuns {
    pub(super) listener: Listener,
    pub(super) events: Receiver<StreamEvent>,
    pub(super) current: Option<u64>,
}

impl LiveRuns {
    /// The address listened on.
    pub fn address(&self) -> std::net::SocketAddr {
        self.listener.address
    }
}
