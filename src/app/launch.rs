//! Opening the window: its options (the wgpu renderer on a device burn can share) and the start-up on a
//! file, the bundled structure or a run of another tool.

use std::path::Path;
use std::sync::Arc;

use eframe::egui;
use eframe::egui_wgpu;

use super::{AppCommand, SigmascopeApp};
use crate::compute::{DevicePreference, shared_device_descriptor};
use crate::structure::{LoadOptions, default_structure, load_file_or_bundled};

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

/// Opens the window on `file` (or the bundled default structure), with the run `trajectory` of another
/// tool when given, and runs until it is closed.
/// The device choice is `with_preference`'s.
pub fn run(
    file: Option<&Path>,
    trajectory: Option<&Path>,
    options: &LoadOptions,
    device: DevicePreference,
) -> anyhow::Result<()> {
    let trajectory = trajectory.map(Path::to_path_buf);
    // A file that cannot be opened still opens the window, on the bundled structure, with the reason.
    let (structure, startup_error) = match file.map(|path| load_file_or_bundled(path, options)) {
        Some(Ok(s)) => (s, None),
        Some(Err(e)) => {
            let message = e.to_string();
            eprintln!("error: {message}; opening the bundled structure instead");
            (default_structure().load(options)?, Some(message))
        }
        None => (default_structure().load(options)?, None),
    };
    eframe::run_native(
        "sigmascope",
        native_options(),
        Box::new(move |cc| {
            let mut app = SigmascopeApp::with_preference(cc, structure, device);
            if let Some(message) = startup_error {
                app.apply(AppCommand::ShowLoadError(message));
            } else if let Some(path) = trajectory {
                app.apply(AppCommand::OpenRun(path));
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
