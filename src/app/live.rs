//! The window's side of live runs: a listener (the Listen toggle, `--listen`) whose events become the
//! run on screen as they arrive. A streamed run replaces the structure when its atoms are not the
//! structure's, can be pinned, compared and exported like any other, and stays when its client goes.

use std::sync::Arc;
use std::sync::mpsc::channel;

use super::live_runs::LiveRuns;
use super::state::AppState;
use crate::stream::{Listener, StreamEvent, listen_address};
use crate::trajectory::{Run, RunSource};

impl AppState {
    /// Starts or stops listening for live runs (`address`: as `sigmascope listen --address` takes it).
    pub fn set_listening(&mut self, on: bool, address: Option<&str>) {
        if !on {
            self.live = None;
            self.status = Some("no longer listening for live runs".to_owned());
            return;
        }
        let (events, received) = channel();
        let wake = Arc::clone(&self.wake);
        let started = listen_address(address).and_then(|address| {
            let token = std::env::var("SIGMASCOPE_TOKEN").ok();
            Listener::start(address, token, move |event| {
                events.send(event).ok();
                wake();
            })
        });
        match started {
            Ok(listener) => {
                self.status = Some(format!("listening for live runs on {}", listener.address));
                self.live = Some(LiveRuns {
                    listener,
                    events: received,
                    current: None,
                });
            }
            Err(e) => self.status = Some(e),
        }
    }

    /// Where the window listens, while it does.
    pub fn listening_on(&self) -> Option<std::net::SocketAddr> {
        self.live.as_ref().map(LiveRuns::address)
    }

    /// Takes the live runs' events in; true when something changed.
    pub(super) fn poll_live(&mut self) -> bool {
        let Some(live) = self.live.as_mut() else {
            return false;
        };
        let events: Vec<StreamEvent> = live.events.try_iter().collect();
        let changed = !events.is_empty();
        for event in events {
            self.live_event(event);
        }
        changed
    }

    fn live_event(&mut self, event: StreamEvent) {
        let current = self.live.as_ref().and_then(|l| l.current);
        match event {
            StreamEvent::Started {
                run,
                name,
                structure,
            } => {
                let same_atoms = structure.atom_names == self.structure.atom_names;
                if !same_atoms {
                    self.replace_structure(*structure);
                } else {
                    self.worker.cancel();
                }
                self.run_id += 1;
                self.run = Run::of(
                    Vec::new(),
                    Vec::new(),
                    RunSource::Streamed {
                        name: name.clone(),
                        open: true,
                    },
                );
                self.results.applied_noise = None;
                self.timeline.set_frame_count(0, true);
                self.status = Some(format!("live run {run}: {name}"));
                if let Some(live) = self.live.as_mut() {
                    live.current = Some(run);
                }
            }
            StreamEvent::Frame { run, frame } if current == Some(run) => {
                let (frame, metrics) = *frame;
                self.run.sigmas.push(frame.sigma);
                self.run.push(frame, metrics);
                let follow = self.timeline.current + 2 >= self.run.frames.len();
                self.timeline.set_frame_count(self.run.frames.len(), follow);
            }
            StreamEvent::Closed {
                run,
                dropped,
                remeasured,
            } if current == Some(run) => {
                let remeasured_here = remeasured.is_some();
                if let Some(boxed) = remeasured {
                    let (clean, metrics) = *boxed;
                    let mut structure = (*self.structure).clone();
                    structure.positions = clean;
                    self.structure = Arc::new(structure);
                    self.run.metrics = metrics;
                }
                if let RunSource::Streamed { open, .. } = &mut self.run.source {
                    *open = false;
                }
                let note = if remeasured_here {
                    ", measured against its clean end"
                } else {
                    ""
                };
                self.status = Some(format!(
                    "live run {run} closed: {} frames{note}{}",
                    self.run.frames.len(),
                    if dropped > 0 {
                        format!(", {dropped} dropped by the client")
                    } else {
                        String::new()
                    }
                ));
            }
            StreamEvent::Refused { peer, reason, .. } => {
                self.status = Some(format!("refused {peer}: {reason}"));
            }
            StreamEvent::Frame { .. } | StreamEvent::Closed { .. } => {}
        }
    }
}
