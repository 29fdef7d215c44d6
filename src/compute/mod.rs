//! Choosing the burn device every tensor computation runs on: a real GPU through wgpu when there is
//! one, else burn's pure-Rust CPU backend; a wgpu software adapter (Mesa lavapipe) only when asked for
//! (`--device gpu`), since it computes slower than the CPU backend.

mod cores;
mod device_rows;
pub mod kernels;
mod layout;
mod reduce;

pub use cores::cores;
pub use device_rows::{CoordinateLayout, DeviceRows, RowsSlice};
pub use layout::{contiguous, is_contiguous, with_host_values};
pub use reduce::{mean_last_axis, sum_last_axis};

use burn::tensor::wgpu::{WgpuSetup, wgpu};
use burn::tensor::{Device, Tensor, TensorData};

crate::choice::choices! {
    /// What the user asked for (`--device`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum DevicePreference {
        /// A hardware GPU when one opens, else burn's CPU backend (faster than a software adapter).
        Auto = "auto",
        /// A wgpu adapter (hardware or software); fail when there is none.
        Gpu = "gpu",
        /// burn's pure-Rust CPU backend.
        Cpu = "cpu",
    }
}

#[expect(
    clippy::derivable_impls,
    reason = "choices! declares the variants, so none can carry #[default]"
)]
impl Default for DevicePreference {
    fn default() -> Self {
        Self::Auto
    }
}

/// Which kind of device was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComputeKind {
    /// A hardware GPU through wgpu.
    Gpu,
    /// A CPU rasterizer exposed as a wgpu adapter (Mesa lavapipe).
    SoftwareGpu,
    /// burn's CPU backend, no wgpu.
    Cpu,
}

/// A burn device together with what it is, for the one-line report.
#[derive(Debug, Clone)]
pub struct ComputeDevice {
    /// The burn device tensors are created on.
    pub device: Device,
    /// Kind of device.
    pub kind: ComputeKind,
    /// Adapter or backend name (`llvmpipe (LLVM 15.0.6, 256 bits)`).
    pub name: String,
    /// Graphics API (`Vulkan`) or `cpu`.
    pub api: String,
    /// Why `auto` did not compute on a GPU, if it did not.
    pub fallback: Option<Fallback>,
}

/// Why `--device auto` computes on the CPU backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallback {
    /// The only adapter is a software rasterizer (named), which computes slower than the CPU backend.
    SoftwareAdapterOnly(String),
    /// No GPU could be found or opened; the reason.
    GpuUnavailable(String),
}

impl Fallback {
    /// The reason in words.
    pub fn reason(&self) -> String {
        match self {
            Self::SoftwareAdapterOnly(name) => format!(
                "only a software adapter ({}): the CPU backend computes faster",
                short_name(name)
            ),
            Self::GpuUnavailable(reason) => reason.clone(),
        }
    }

    /// Whether a GPU was wanted but failed (worth a line on stderr), rather than passed over.
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::GpuUnavailable(_))
    }
}

/// Why no device could be chosen.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// `--device gpu` but no wgpu adapter exists.
    #[error(
        "no GPU adapter found (install mesa-vulkan-drivers for a software Vulkan adapter, or use --device cpu)"
    )]
    NoAdapter,
    /// wgpu found an adapter but could not open it.
    #[error("cannot open the GPU adapter {name}: {reason}")]
    OpenFailed {
        /// Adapter name.
        name: String,
        /// wgpu's or burn's reason.
        reason: String,
    },
}

impl ComputeDevice {
    /// The one-line report, e.g. `llvmpipe (software Vulkan)` or `cpu (burn flex)`.
    pub fn describe(&self) -> String {
        match self.kind {
            ComputeKind::Gpu => format!("{} ({})", self.name, self.api),
            ComputeKind::SoftwareGpu => {
                format!("{} (software {})", short_name(&self.name), self.api)
            }
            ComputeKind::Cpu => "cpu (burn flex)".to_owned(),
        }
    }

    /// burn's pure-Rust CPU device.
    pub fn cpu() -> Self {
        Self {
            device: Device::flex(),
            kind: ComputeKind::Cpu,
            name: "cpu".to_owned(),
            api: "cpu".to_owned(),
            fallback: None,
        }
    }

    /// burn's CPU device, chosen by `auto` for `fallback`.
    pub fn cpu_because(fallback: Fallback) -> Self {
        Self {
            fallback: Some(fallback),
            ..Self::cpu()
        }
    }

    /// The device and, where `auto` passed over a GPU, why: `cpu (burn flex); GPU not used: …`.
    pub fn describe_choice(&self) -> String {
        match &self.fallback {
            Some(f) => format!("{}; GPU not used: {}", self.describe(), f.reason()),
            None => self.describe(),
        }
    }

    /// Registers an existing wgpu device (egui's, say) with burn, so rendering and compute share it.
    /// Call once per wgpu device: each call makes a new burn runtime.
    pub fn from_wgpu(
        instance: wgpu::Instance,
        adapter: wgpu::Adapter,
        device: wgpu::Device,
        queue: wgpu::Queue,
    ) -> Result<Self, DeviceError> {
        let info = adapter.get_info();
        let setup = WgpuSetup {
            instance,
            adapter,
            device,
            queue,
            backend: info.backend,
        };
        let device =
            Device::wgpu_options()
                .setup(setup)
                .init()
                .map_err(|e| DeviceError::OpenFailed {
                    name: info.name.clone(),
                    reason: e.to_string(),
                })?;
        Ok(Self {
            device,
            kind: kind_of(&info),
            name: info.name.clone(),
            api: backend_name(info.backend).to_owned(),
            fallback: None,
        })
    }
}

fn short_name(name: &str) -> &str {
    name.split(" (").next().unwrap_or(name)
}

fn backend_name(backend: wgpu::Backend) -> &'static str {
    match backend {
        wgpu::Backend::Vulkan => "Vulkan",
        wgpu::Backend::Metal => "Metal",
        wgpu::Backend::Dx12 => "DirectX 12",
        wgpu::Backend::Gl => "OpenGL",
        _ => "wgpu",
    }
}

fn kind_of(info: &wgpu::AdapterInfo) -> ComputeKind {
    if info.device_type == wgpu::DeviceType::Cpu {
        ComputeKind::SoftwareGpu
    } else {
        ComputeKind::Gpu
    }
}

/// The device features sigmascope's compute and render paths can use, enabled where the adapter has them.
/// cubecl decides what its kernels use from the *adapter's* features (cubecl-wgpu `runtime.rs`,
/// `try_create_server`: timestamps and subgroups; `backend/wgsl.rs`, `register_wgsl_features`: 64-bit
/// integers and floats, f16, f32 atomics), so each of those is enabled on the device too. The renderer
/// needs none beyond the defaults; the timestamp variants serve per-kernel timing.
const USED_FEATURES: wgpu::Features = wgpu::Features::TIMESTAMP_QUERY
    .union(wgpu::Features::TIMESTAMP_QUERY_INSIDE_ENCODERS)
    .union(wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES)
    .union(wgpu::Features::SUBGROUP)
    .union(wgpu::Features::SHADER_INT64)
    .union(wgpu::Features::SHADER_F64)
    .union(wgpu::Features::SHADER_F16)
    .union(wgpu::Features::SHADER_FLOAT32_ATOMIC);

/// The features to request from an adapter that offers `adapter_features`: the used ones it has, never an
/// experimental one (a real driver lists those, and requesting them without opting in fails the device).
pub fn device_features(adapter_features: wgpu::Features) -> wgpu::Features {
    adapter_features
        .intersection(USED_FEATURES)
        .difference(wgpu::Features::all_experimental_mask())
}

/// The device descriptor both egui and burn can live with: the features of [`device_features`] and the
/// adapter's limits (cubecl sizes its workgroups from the adapter's limits).
pub fn shared_device_descriptor(adapter: &wgpu::Adapter) -> wgpu::DeviceDescriptor<'static> {
    wgpu::DeviceDescriptor {
        label: Some("sigmascope render + compute"),
        required_features: device_features(adapter.features()),
        required_limits: adapter.limits(),
        memory_hints: wgpu::MemoryHints::MemoryUsage,
        ..Default::default()
    }
}

/// A new wgpu instance for compute and offscreen rendering (Vulkan, Metal, DirectX 12; no GL).
pub fn new_instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12,
        ..wgpu::InstanceDescriptor::new_without_display_handle_from_env()
    })
}

/// The best wgpu adapter: discrete, integrated, virtual, other, then CPU (software).
pub fn best_adapter(instance: &wgpu::Instance) -> Option<wgpu::Adapter> {
    let mut adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    adapters.sort_by_key(|a| match a.get_info().device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    });
    adapters.into_iter().next()
}

/// An opened wgpu device with the handles that made it (for headless rendering and for burn).
pub struct WgpuHandles {
    /// The instance.
    pub instance: wgpu::Instance,
    /// The adapter (physical device).
    pub adapter: wgpu::Adapter,
    /// The logical device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
}

/// Opens the best wgpu adapter with the shared device descriptor.
pub fn open_wgpu_device() -> Result<WgpuHandles, DeviceError> {
    let instance = new_instance();
    let adapter = best_adapter(&instance).ok_or(DeviceError::NoAdapter)?;
    open_adapter(instance, adapter)
}

fn open_adapter(
    instance: wgpu::Instance,
    adapter: wgpu::Adapter,
) -> Result<WgpuHandles, DeviceError> {
    let name = adapter.get_info().name;
    let (device, queue) = pollster::block_on(
        adapter.request_device(&shared_device_descriptor(&adapter)),
    )
    .map_err(|e| DeviceError::OpenFailed {
        name: name.clone(),
        reason: e.to_string(),
    })?;
    Ok(WgpuHandles {
        instance,
        adapter,
        device,
        queue,
    })
}

/// Opens the best wgpu adapter and registers it with burn.
pub fn open_wgpu() -> Result<ComputeDevice, DeviceError> {
    let h = open_wgpu_device()?;
    ComputeDevice::from_wgpu(h.instance, h.adapter, h.device, h.queue)
}

/// Picks the compute device for a preference. `Auto` never fails: a hardware GPU when one opens; else
/// burn's CPU backend, which computes faster than a software adapter (README, benchmarks), with the reason
/// in `fallback_reason`.
pub fn select_device(preference: DevicePreference) -> Result<ComputeDevice, DeviceError> {
    match preference {
        DevicePreference::Cpu => Ok(ComputeDevice::cpu()),
        DevicePreference::Gpu => open_wgpu(),
        DevicePreference::Auto => Ok(auto_device()),
    }
}

fn auto_device() -> ComputeDevice {
    let instance = new_instance();
    let Some(adapter) = best_adapter(&instance) else {
        return ComputeDevice::cpu_because(Fallback::GpuUnavailable(
            DeviceError::NoAdapter.to_string(),
        ));
    };
    let info = adapter.get_info();
    if kind_of(&info) == ComputeKind::SoftwareGpu {
        return ComputeDevice::cpu_because(Fallback::SoftwareAdapterOnly(info.name));
    }
    match open_adapter(instance, adapter)
        .and_then(|h| ComputeDevice::from_wgpu(h.instance, h.adapter, h.device, h.queue))
    {
        Ok(device) => device,
        Err(e) => ComputeDevice::cpu_because(Fallback::GpuUnavailable(e.to_string())),
    }
}

/// Runs a small tensor computation and checks it: sum over i of (2 i + 1) for i < n is n².
pub fn smoke_test(device: &Device) -> Result<(), String> {
    let n = 1000usize;
    let values: Vec<f32> = (0..n).map(|i| i as f32).collect();
    let x = Tensor::<1>::from_data(TensorData::new(values, [n]), device);
    let total = (x * 2.0 + 1.0).sum();
    let got = total
        .into_data()
        .try_into_vec::<f32>()
        .map_err(|e| format!("readback failed: {e:?}"))?;
    let expected = (n * n) as f32;
    match got.first() {
        Some(v) if (v - expected).abs() <= 1e-3 * expected => Ok(()),
        other => Err(format!("expected {expected}, got {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_features_never_include_experimental_ones() {
        let offered = wgpu::Features::all();
        assert!(offered.intersects(wgpu::Features::all_experimental_mask()));
        let requested = device_features(offered);
        assert!(
            !requested.intersects(wgpu::Features::all_experimental_mask()),
            "{requested:?}"
        );
        // What cubecl keys its kernels on is still enabled when offered.
        for f in [
            wgpu::Features::SUBGROUP,
            wgpu::Features::SHADER_F16,
            wgpu::Features::TIMESTAMP_QUERY,
        ] {
            assert!(requested.contains(f), "{f:?}");
        }
        // Nothing the adapter lacks is requested.
        assert_eq!(
            device_features(wgpu::Features::empty()),
            wgpu::Features::empty()
        );
        assert!(!requested.contains(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS));
    }

    #[test]
    fn auto_reason_names_the_software_adapter() {
        let cpu = ComputeDevice::cpu_because(Fallback::SoftwareAdapterOnly(
            "llvmpipe (LLVM 15.0.6, 256 bits)".to_owned(),
        ));
        assert!(!cpu.fallback.as_ref().unwrap().is_failure());
        assert_eq!(
            cpu.describe_choice(),
            "cpu (burn flex); GPU not used: only a software adapter (llvmpipe): the CPU backend computes faster"
        );
        assert_eq!(ComputeDevice::cpu().describe_choice(), "cpu (burn flex)");
    }

    #[test]
    fn cpu_backend_computes_correctly() {
        let cpu = ComputeDevice::cpu();
        assert_eq!(cpu.describe(), "cpu (burn flex)");
        smoke_test(&cpu.device).unwrap();
    }
}
