//! Choosing the burn device every tensor computation runs on: a real GPU through wgpu when there is
//! one, else a wgpu software adapter (Mesa lavapipe), else burn's pure-Rust CPU backend.

use burn::tensor::wgpu::{WgpuSetup, wgpu};
use burn::tensor::{Device, Tensor, TensorData};

/// What the user asked for (`--device`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DevicePreference {
    /// Best available: GPU, then software Vulkan, then CPU.
    #[default]
    Auto,
    /// A wgpu adapter (hardware or software); fail when there is none.
    Gpu,
    /// burn's pure-Rust CPU backend.
    Cpu,
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
    /// Why a preferred device was not used, if it was not.
    pub fallback_reason: Option<String>,
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
            fallback_reason: None,
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
            fallback_reason: None,
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

/// The device descriptor both egui and burn can live with: what cubecl asks for when it creates
/// a device itself (all adapter features but mappable primary buffers, the adapter's limits).
pub fn shared_device_descriptor(adapter: &wgpu::Adapter) -> wgpu::DeviceDescriptor<'static> {
    wgpu::DeviceDescriptor {
        label: Some("sigmascope render + compute"),
        required_features: adapter
            .features()
            .difference(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS),
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

/// Picks the compute device for a preference. `Auto` never fails: it falls back to the CPU and says why.
pub fn select_device(preference: DevicePreference) -> Result<ComputeDevice, DeviceError> {
    match preference {
        DevicePreference::Cpu => Ok(ComputeDevice::cpu()),
        DevicePreference::Gpu => open_wgpu(),
        DevicePreference::Auto => Ok(open_wgpu().unwrap_or_else(|e| ComputeDevice {
            fallback_reason: Some(e.to_string()),
            ..ComputeDevice::cpu()
        })),
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
    fn cpu_backend_computes_correctly() {
        let cpu = ComputeDevice::cpu();
        assert_eq!(cpu.describe(), "cpu (burn flex)");
        smoke_test(&cpu.device).unwrap();
    }
}
