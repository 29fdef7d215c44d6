//! The one bridge between egui and the renderer: a paint callback that draws the scene offscreen in
//! `prepare` and composites it in `paint`, plus orbit / pan / zoom / pick input.

use std::sync::Arc;

use eframe::egui;
use eframe::egui_wgpu::{self, wgpu};

use crate::compute::DeviceRows;
use crate::geometry::RigidTransform;
use crate::render::{AtomRows, OrbitCamera, RenderError, Scene, SceneRenderer, pick_atom};

/// One view's renderer and what it last uploaded.
struct Slot {
    renderer: SceneRenderer,
    uploaded: Option<(u64, OrbitCamera)>,
    /// The atom style (radii, colors) of the atom instances last uploaded.
    atom_style: Option<u64>,
}

impl Slot {
    fn new(device: &wgpu::Device, format: wgpu::TextureFormat) -> Result<Self, RenderError> {
        Ok(Self {
            renderer: SceneRenderer::new(device, Some(format))?,
            uploaded: None,
            atom_style: None,
        })
    }
}

/// The views' renderers (the split view's second made when first asked for), kept in egui_wgpu's
/// callback resources.
pub struct ViewportResources {
    slots: Vec<Slot>,
    format: wgpu::TextureFormat,
}

impl ViewportResources {
    /// Pipelines for egui's target format.
    pub fn new(render_state: &egui_wgpu::RenderState) -> Result<Self, RenderError> {
        let format = render_state.target_format;
        Ok(Self {
            slots: vec![Slot::new(&render_state.device, format)?],
            format,
        })
    }
}

/// One frame's request: the scene (shared, rebuilt only when it changes), its version and the camera.
pub struct ViewportCallback {
    /// The scene.
    pub scene: Arc<Scene>,
    /// Changes whenever the scene does.
    pub version: u64,
    /// Camera.
    pub camera: OrbitCamera,
    /// Size in physical pixels.
    pub size_px: [u32; 2],
    /// The frame's rows on this device and their map into the scene's frame, to draw the atoms from.
    pub atom_rows: Option<(DeviceRows, RigidTransform)>,
    /// Version of the atoms' radii and colors.
    pub atom_style: u64,
    /// Which view: 0 the main one, 1 the split view's right half.
    pub slot: usize,
}

impl egui_wgpu::CallbackTrait for ViewportCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &egui_wgpu::ScreenDescriptor,
        encoder: &mut wgpu::CommandEncoder,
        resources: &mut egui_wgpu::CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        let Some(all) = resources.get_mut::<ViewportResources>() else {
            return Vec::new();
        };
        while all.slots.len() <= self.slot {
            match Slot::new(device, all.format) {
                Ok(slot) => all.slots.push(slot),
                Err(_) => return Vec::new(),
            }
        }
        let r = &mut all.slots[self.slot];
        r.renderer.ensure_target(device, self.size_px);
        // A new frame only writes instance data; an unchanged scene and camera write nothing. A frame
        // whose rows lie on this device binds them instead of writing its atoms, unless their radii
        // or colors changed too. Rows that cannot be bound leave the atoms to the upload.
        if r.uploaded != Some((self.version, self.camera)) {
            let rows = self.atom_rows.as_ref().and_then(|(rows, map)| {
                let slice = rows.wgpu_slice().ok()?;
                Some(AtomRows::mapped(slice, map))
            });
            let from_rows =
                rows.is_some() && r.renderer.select_atom_rows(device, queue, rows).is_ok();
            if !from_rows {
                r.renderer.select_atom_rows(device, queue, None).ok();
            }
            if from_rows && r.atom_style == Some(self.atom_style) {
                r.renderer
                    .upload_keeping_atoms(device, queue, &self.scene, &self.camera);
            } else {
                r.renderer.upload(device, queue, &self.scene, &self.camera);
                r.atom_style = Some(self.atom_style);
            }
            r.uploaded = Some((self.version, self.camera));
        }
        r.renderer.draw(encoder);
        Vec::new()
    }

    fn paint(
        &self,
        info: egui::PaintCallbackInfo,
        pass: &mut wgpu::RenderPass<'static>,
        resources: &egui_wgpu::CallbackResources,
    ) {
        let Some(r) = resources
            .get::<ViewportResources>()
            .and_then(|all| all.slots.get(self.slot))
        else {
            return;
        };
        // egui clamps the viewport to the window; set the full rect so a clipped view keeps its aspect.
        let rect = info.viewport_in_pixels();
        pass.set_viewport(
            rect.left_px as f32,
            rect.top_px as f32,
            rect.width_px as f32,
            rect.height_px as f32,
            0.0,
            1.0,
        );
        r.renderer.composite(pass);
    }
}

/// Input on the viewport: what changed.
#[derive(Debug, Default)]
pub struct ViewportInput {
    /// Atom under the pointer.
    pub hovered_atom: Option<usize>,
    /// Atom double-clicked.
    pub centered_atom: Option<usize>,
}

/// One view of the viewport: its scene and version, the frame's device rows and atom style, its label.
pub struct ViewSpec<'a> {
    /// The scene and its version.
    pub scene: (&'a Arc<Scene>, u64),
    /// The frame's rows on the device and the atoms' style version.
    pub atoms: (Option<&'a (DeviceRows, RigidTransform)>, u64),
    /// Written in its top left corner (the split view's halves).
    pub label: Option<String>,
}

/// Draws the viewport, one view or two side by side under one camera, and applies orbit (left drag),
/// pan (right/middle drag) and zoom (wheel) on either.
pub fn viewport_ui(
    ui: &mut egui::Ui,
    views: &[ViewSpec<'_>],
    camera: &mut OrbitCamera,
) -> ViewportInput {
    let (rect, response) =
        ui.allocate_exact_size(ui.available_size(), egui::Sense::click_and_drag());
    if response.dragged_by(egui::PointerButton::Primary) {
        let d = response.drag_delta();
        camera.orbit(-d.x * 0.01, d.y * 0.01);
    }
    if response.dragged_by(egui::PointerButton::Secondary)
        || response.dragged_by(egui::PointerButton::Middle)
    {
        let d = response.drag_delta();
        let scale = camera.distance * 0.002;
        camera.pan(-d.x * scale, d.y * scale);
    }
    if response.hovered() {
        let scroll = ui.input(|i| i.smooth_scroll_delta.y);
        if scroll != 0.0 {
            camera.zoom((-scroll * 0.002).exp());
        }
    }
    let ppp = ui.ctx().pixels_per_point();
    let width = rect.width() / views.len().max(1) as f32;
    let mut input = ViewportInput::default();
    for (slot, view) in views.iter().enumerate() {
        let half = egui::Rect::from_min_size(
            rect.min + egui::vec2(width * slot as f32, 0.0),
            egui::vec2(width, rect.height()),
        );
        let size_px = [
            (half.width() * ppp).round().max(1.0) as u32,
            (half.height() * ppp).round().max(1.0) as u32,
        ];
        ui.painter().add(egui_wgpu::Callback::new_paint_callback(
            half,
            ViewportCallback {
                scene: Arc::clone(view.scene.0),
                version: view.scene.1,
                camera: *camera,
                size_px,
                atom_rows: view.atoms.0.cloned(),
                atom_style: view.atoms.1,
                slot,
            },
        ));
        if let Some(label) = &view.label {
            let at = egui::Rect::from_min_size(
                half.min + egui::vec2(6.0, 6.0),
                egui::vec2((half.width() - 12.0).max(1.0), 18.0),
            );
            let text = egui::RichText::new(label).color(egui::Color32::WHITE);
            ui.put(at, egui::Label::new(text).selectable(false));
        }
        let Some(pointer) = response.hover_pos().filter(|p| half.contains(*p)) else {
            continue;
        };
        let local = pointer - half.min;
        input.hovered_atom = pick_atom(
            view.scene.0,
            camera,
            [local.x, local.y],
            half.width(),
            half.height(),
        );
        if response.double_clicked() {
            input.centered_atom = input.hovered_atom;
        }
    }
    input
}
