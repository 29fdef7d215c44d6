//! Opening the window: its options (the wgpu renderer on a device burn can share) and the start-up on a
//! file (read on the worker once the window is up), the bundled structure or a run of another tool.

use std::path::Path;
use std::sync::Arc;

use eframe::egui;
use eframe::egui_wgpu;

use super::{AppCommand, SigmascopeApp};
use crate::compute::{DevicePreference, shared_device_descriptor};
use crate::structure::{LoadOptions, default_structure};

/// Window options: wgpu renderer on a device that burn can share.
pub fn native_options() -> eframe::NativeOptions {
    eframe::NativeOptions {
        renderer: eframe::Renderer::Wgpu,
        viewport: egui::ViewportBuilder::default()
            .with_title("sigmascope")
            .with_inner_size([1440.0, 900.0]),
        wgpu_options: egui_wgpu::WgpuConfiguration {
            wgpu_setup: egui_wgpu::WgpuSetup::CreateNew(egui_wgpu::WgpuSetupCreateNew {
                device_descriptor: Arc::new(shared_device_descriptor),
                ..egui_wgpu::WgpuSetupCreateNew::without_display_handle()
            }),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// What the window opens on: a structure file (or the bundled default), a run of another tool, and
/// whether to listen for live runs (`Some("")` for the default address).
pub struct Opening<'a> {
    /// The structure file.
    pub file: Option<&'a Path>,
    /// A run to open against it (or alone).
    pub trajectory: Option<&'a Path>,
    /// Listen for live runs on this address (empty: the default).
    pub listen: Option<&'a str>,
}

/// Opens the window as `open` says and runs until it is closed.
/// The device choice is `with_preference`'s.
pub fn run(
    open: &Opening<'_>,
    options: &LoadOptions,
    device: DevicePreference,
) -> anyhow::Result<()> {
    let trajectory = open.trajectory.map(Path::to_path_buf);
    let file = open.file.map(Path::to_path_buf);
    let listen = open.listen.map(str::to_owned);
    let options = *options;
    // The window opens on the bundled structure at once; FILE is read on the worker and replaces it
    // (a file that cannot be read leaves the bundled structure, with the reason).
    let structure = default_structure().load(&options)?;
    eframe::run_native(
        "sigmascope",
        native_options(),
        Box::new(move |cc| {
            let mut app = SigmascopeApp::with_preference(cc, structure, device);
            match (file, trajectory) {
                (Some(path), run) => app.apply(AppCommand::OpenAtStart { path, options, run }),
                (None, Some(run)) => app.apply(AppCommand::OpenRun(run)),
                (None, None) => {}
            }
            if let Some(address) = listen {
                let address = (!address.is_empty()).then_some(address);
                app.apply(AppCommand::Listen(true, address));
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
