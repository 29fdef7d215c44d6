//! WGSL sources from `shaders/`, compiled in, with a tiny `//!include path` resolver for shared snippets.

/// Every shader file, by path relative to `shaders/`.
pub const SHADER_FILES: [(&str, &str); 6] = [
    (
        "common/camera.wgsl",
        include_str!("../../shaders/common/camera.wgsl"),
    ),
    (
        "common/sphere.wgsl",
        include_str!("../../shaders/common/sphere.wgsl"),
    ),
    ("spheres.wgsl", include_str!("../../shaders/spheres.wgsl")),
    (
        "spheres_from_rows.wgsl",
        include_str!("../../shaders/spheres_from_rows.wgsl"),
    ),
    ("lines.wgsl", include_str!("../../shaders/lines.wgsl")),
    (
        "composite.wgsl",
        include_str!("../../shaders/composite.wgsl"),
    ),
];

/// The source of `path` with its `//!include` lines replaced by the included files (each once).
pub fn shader_source(path: &str) -> Option<String> {
    let mut included = Vec::new();
    resolve(path, &mut included)
}

fn resolve(path: &str, included: &mut Vec<String>) -> Option<String> {
    if included.iter().any(|p| p == path) {
        return Some(String::new());
    }
    included.push(path.to_owned());
    let (_, text) = SHADER_FILES.iter().find(|(p, _)| *p == path)?;
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        match line.trim().strip_prefix("//!include ") {
            Some(inner) => out.push_str(&resolve(inner.trim(), included)?),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    Some(out)
}
