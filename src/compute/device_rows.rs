//! Coordinate rows [3, N] a recorded frame keeps on a wgpu device, and the wgpu buffer they lie in:
//! the renderer draws a frame from there when it shares the device with burn (no readback, no upload).

use std::any::Any;

use burn::backend::Cube;
use burn::cubecl::wgpu::{AutoCompiler, WgpuServer};
use burn::tensor::wgpu::wgpu;
use burn::tensor::{DType, Tensor};

/// A contiguous f32 tensor [3, N] on a wgpu device (x, y and z rows of N atoms).
#[derive(Clone)]
pub struct DeviceRows {
    rows: Tensor<2>,
}

impl std::fmt::Debug for DeviceRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceRows([3, {}])", self.atoms())
    }
}

/// A frame's device rows are a copy of coordinates it holds on the host too: frames compare by those.
impl PartialEq for DeviceRows {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl DeviceRows {
    /// Keeps `rows` where they are when they are contiguous f32 rows [3, N] on a wgpu device; none
    /// on another backend (burn's CPU backend has nothing to draw from) or another layout.
    pub fn keep(rows: &Tensor<2>) -> Option<Self> {
        let t = rows.clone().try_into_primitive::<Cube>().ok()?;
        let shape = rows.dims();
        (shape[0] == 3 && t.is_contiguous() && t.dtype == DType::F32)
            .then(|| Self { rows: rows.clone() })
    }

    /// Atoms N.
    pub fn atoms(&self) -> usize {
        self.rows.dims()[1]
    }

    /// Bytes the rows take on the device.
    pub fn bytes(&self) -> u64 {
        12 * self.atoms() as u64
    }

    /// The rows as a tensor (still on the device).
    pub fn tensor(&self) -> &Tensor<2> {
        &self.rows
    }

    /// The wgpu buffer and byte offset where the rows lie, with everything queued to write them
    /// submitted to the device's queue: a pass submitted to that queue afterwards reads them written.
    pub fn wgpu_slice(&self) -> Result<RowsSlice, String> {
        let t = self
            .rows
            .clone()
            .try_into_primitive::<Cube>()
            .map_err(|_| "the rows are not on a wgpu device".to_owned())?;
        let resource = t
            .client
            .get_resource::<WgpuServer<AutoCompiler>>(t.handle.clone())
            .map_err(|e| format!("cannot reach the rows' buffer: {e:?}"))?;
        t.client
            .flush()
            .map_err(|e| format!("cannot submit the rows' kernels: {e:?}"))?;
        let r = resource.resource();
        if r.size < self.bytes() {
            return Err(format!(
                "the rows' buffer holds {} bytes, not {}",
                r.size,
                self.bytes()
            ));
        }
        Ok(RowsSlice {
            buffer: r.buffer.clone(),
            offset: r.offset,
            atoms: self.atoms(),
            _pinned: Box::new(resource),
        })
    }
}

/// Where device rows lie in a wgpu buffer. While it is held, burn's memory pool neither frees nor
/// moves the allocation.
pub struct RowsSlice {
    /// The buffer (burn's storage buffer, shared with the renderer's device).
    pub buffer: wgpu::Buffer,
    /// Byte offset of atom 0's x; y starts `4 N` bytes later and z `8 N`.
    pub offset: u64,
    /// Atoms N.
    pub atoms: usize,
    _pinned: Box<dyn Any + Send + Sync>,
}

impl std::fmt::Debug for RowsSlice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RowsSlice(offset {}, {} atoms)", self.offset, self.atoms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    #[test]
    fn rows_on_the_cpu_backend_or_in_another_shape_are_not_kept() {
        let rows = Tensor::<2>::zeros([3, 10], &Device::flex());
        assert!(DeviceRows::keep(&rows).is_none());
    }
}
