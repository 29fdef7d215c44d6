//! Choosing files: the system dialog (rfd, through the XDG desktop portal on Linux) where one answers,
//! else an in-window dialog (egui_file). rfd returns nothing, with no message, when no portal runs (a
//! plain X server, a container), so the portal is looked for before it is used.

use std::path::{Path, PathBuf};

use eframe::egui;

use super::command::{AppCommand, DialogPurpose};
use super::export::ExportKind;

/// Overrides the choice: `in-window` or `system`.
pub const FILE_DIALOG_ENV: &str = "SIGMASCOPE_FILE_DIALOG";

/// Which dialog is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogBackend {
    /// The desktop's dialog (rfd).
    System,
    /// egui_file's dialog inside the window.
    InWindow,
}

/// True when a D-Bus session bus is reachable and the desktop portal service is installed on it.
fn portal_installed() -> bool {
    let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
        || std::env::var_os("XDG_RUNTIME_DIR")
            .is_some_and(|dir| Path::new(&dir).join("bus").exists());
    if !bus {
        return false;
    }
    let data_dirs = std::env::var("XDG_DATA_DIRS")
        .ok()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/usr/local/share:/usr/share".to_owned());
    let home_data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")));
    data_dirs
        .split(':')
        .map(PathBuf::from)
        .chain(home_data)
        .any(|dir| {
            dir.join("dbus-1/services/org.freedesktop.portal.Desktop.service")
                .exists()
        })
}

/// The dialog to use here, and why.
pub fn detect_backend() -> (DialogBackend, &'static str) {
    match std::env::var(FILE_DIALOG_ENV).as_deref() {
        Ok("in-window") => return (DialogBackend::InWindow, "SIGMASCOPE_FILE_DIALOG=in-window"),
        Ok("system") => return (DialogBackend::System, "SIGMASCOPE_FILE_DIALOG=system"),
        _ => {}
    }
    if cfg!(target_os = "linux") && !portal_installed() {
        (DialogBackend::InWindow, "no XDG desktop portal")
    } else {
        (DialogBackend::System, "XDG desktop portal")
    }
}

/// The window's file dialogs.
pub struct FileDialogs {
    backend: DialogBackend,
    reason: &'static str,
    open: Option<(DialogPurpose, egui_file::FileDialog)>,
}

impl FileDialogs {
    /// Dialogs of `backend` (`reason` is shown in the status line).
    pub fn new(backend: DialogBackend, reason: &'static str) -> Self {
        Self {
            backend,
            reason,
            open: None,
        }
    }

    /// The dialogs this desktop supports.
    pub fn detect() -> Self {
        let (backend, reason) = detect_backend();
        Self::new(backend, reason)
    }

    /// For the status line.
    pub fn describe(&self) -> String {
        match self.backend {
            DialogBackend::System => format!("file dialog: system ({})", self.reason),
            DialogBackend::InWindow => format!("file dialog: in-window ({})", self.reason),
        }
    }

    /// True while an in-window dialog is shown.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Asks for a file for `purpose`, starting in `directory` (an export suggests its file name for
    /// `structure_name`). The system dialog answers at once; the in-window one opens and answers
    /// through `show`.
    pub fn request(
        &mut self,
        purpose: DialogPurpose,
        structure_name: &str,
        directory: Option<&Path>,
    ) -> Option<AppCommand> {
        let directory = directory
            .map(Path::to_path_buf)
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default();
        match self.backend {
            DialogBackend::System => {
                let dialog = rfd::FileDialog::new().set_directory(&directory);
                let path = match purpose {
                    DialogPurpose::Open => dialog
                        .add_filter("structures", &["pdb", "ent", "cif", "mmcif", "gz"])
                        .pick_file(),
                    DialogPurpose::OpenRun => dialog
                        .add_filter("runs", &["npz", "npy", "pdb", "cif", "mmcif", "gz"])
                        .pick_file(),
                    DialogPurpose::OpenRunFolder => dialog.pick_folder(),
                    // Tracks are PDB, or mmCIF when the name ends in .cif.
                    DialogPurpose::Export(
                        kind @ (ExportKind::StateTrack | ExportKind::PredictionTrack),
                    ) => dialog
                        .set_file_name(kind.file_name(structure_name))
                        .add_filter("PDB", &["pdb"])
                        .add_filter("mmCIF", &["cif"])
                        .save_file(),
                    DialogPurpose::Export(kind) => dialog
                        .set_file_name(kind.file_name(structure_name))
                        .add_filter(kind.extension(), &[kind.extension()])
                        .save_file(),
                };
                path.map(|p| purpose.command(p))
            }
            DialogBackend::InWindow => {
                // Plain titles: egui's fonts have no glyph for egui_file's emoji ones.
                let mut dialog = match purpose {
                    DialogPurpose::Open => {
                        egui_file::FileDialog::open_file().title("Open a structure")
                    }
                    DialogPurpose::OpenRun => {
                        egui_file::FileDialog::open_file().title("Open a run")
                    }
                    DialogPurpose::OpenRunFolder => {
                        egui_file::FileDialog::select_folder().title("Open a folder of steps")
                    }
                    DialogPurpose::Export(kind) => egui_file::FileDialog::save_file()
                        .title("Export")
                        .default_filename(kind.file_name(structure_name)),
                }
                .initial_path(directory)
                .id(egui::Id::unique("sigmascope file dialog"));
                dialog.open();
                self.open = Some((purpose, dialog));
                None
            }
        }
    }

    /// Shows the in-window dialog while it is open; the chosen file's command once it is chosen.
    pub fn show(&mut self, ctx: &egui::Context) -> Option<AppCommand> {
        let (purpose, dialog) = self.open.as_mut()?;
        match dialog.show(ctx).state() {
            egui_file::State::Open => None,
            egui_file::State::Selected => {
                let command = dialog.path().map(|p| purpose.command(p.to_path_buf()));
                self.open = None;
                command
            }
            egui_file::State::Cancelled | egui_file::State::Closed => {
                self.open = None;
                None
            }
        }
    }
}
