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

/// Ends the process quietly when its reader has gone (`sigmascope analyze RUN | head`): `println!`
/// panics on a closed pipe, and a backtrace for output nobody reads is noise. Any other panic goes to
/// the default hook.
pub fn quiet_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}
