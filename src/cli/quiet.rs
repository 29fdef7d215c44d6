//! Keeps a headless machine's Vulkan stack quiet. Mesa's device-select layer (an implicit Vulkan layer)
//! probes the Wayland display to pick the default GPU whenever an instance is created, and libwayland
//! prints "error: XDG_RUNTIME_DIR is invalid or not set in the environment." where there is no session
//! although nothing failed. Without a usable XDG_RUNTIME_DIR the probe cannot succeed, so the layer is
//! turned off there (its own switch, `NODEVICE_SELECT=1`); with a session nothing changes.

/// Turns the device-select layer off when no session directory exists and the user has not chosen.
/// Call first thing in `main`, before any thread starts.
pub fn quiet_vulkan_layers() {
    let session =
        std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|dir| std::path::Path::new(&dir).is_dir());
    if !session && std::env::var_os("NODEVICE_SELECT").is_none() {
        // SAFETY: called at the start of `main`, before this process starts any thread, so nothing
        // reads the environment concurrently.
        unsafe { std::env::set_var("NODEVICE_SELECT", "1") };
    }
}
