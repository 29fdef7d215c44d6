//! Coordinates a recorded frame keeps on a wgpu device, as rows [3, N] (the EDM sampler's state) or
//! points [N, 3] (the other families'), and the wgpu buffer they lie in: the renderer draws a frame
//! from there when it shares the device with burn (no readback, no upload).

use std::any::Any;

use burn::backend::Cube;
use burn::cubecl::wgpu::{AutoCompiler, WgpuServer};
use burn::tensor::Tensor;
use burn::tensor::wgpu::wgpu;

use super::kernels::contiguous_f32;

/// A contiguous f32 tensor of N atoms' coordinates on a wgpu device: rows [3, N] or points [N, 3].
#[derive(Clone)]
pub struct DeviceRows {
    coordinates: Tensor<2>,
    layout: CoordinateLayout,
}

/// How a tensor holds N atoms' coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoordinateLayout {
    /// [3, N]: the x row, then y, then z.
    Rows,
    /// [N, 3]: x, y, z of each atom in turn.
    Points,
}

impl CoordinateLayout {
    /// Elements between one axis and the next, and between one atom and the next, for N atoms.
    pub fn strides(self, atoms: usize) -> [usize; 2] {
        match self {
            Self::Rows => [atoms, 1],
            Self::Points => [1, 3],
        }
    }
}

impl std::fmt::Debug for DeviceRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceRows({:?}, {} atoms)", self.layout, self.atoms())
    }
}

/// A frame's device rows are a copy of coordinates it holds on the host too: frames compare by those.
impl PartialEq for DeviceRows {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl DeviceRows {
    /// Keeps `coordinates` where they are when they are a contiguous f32 tensor on a wgpu device laid
    /// out as `layout` says; none on another backend (burn's CPU backend has nothing to draw from) or
    /// another shape or layout.
    pub fn keep(coordinates: &Tensor<2>, layout: CoordinateLayout) -> Option<Self> {
        let [rows, columns] = coordinates.dims();
        let shaped = match layout {
            CoordinateLayout::Rows => rows == 3,
            CoordinateLayout::Points => columns == 3,
        };
        (shaped && contiguous_f32(coordinates).is_some()).then(|| Self {
            coordinates: coordinates.clone(),
            layout,
        })
    }

    /// Atoms N.
    pub fn atoms(&self) -> usize {
        let [rows, columns] = self.coordinates.dims();
        match self.layout {
            CoordinateLayout::Rows => columns,
            CoordinateLayout::Points => rows,
        }
    }

    /// How the tensor holds the coordinates.
    pub fn layout(&self) -> CoordinateLayout {
        self.layout
    }

    /// Bytes the rows take on the device.
    pub fn bytes(&self) -> u64 {
        12 * self.atoms() as u64
    }

    /// The coordinates as a tensor (still on the device), shaped as `layout` says.
    pub fn tensor(&self) -> &Tensor<2> {
        &self.coordinates
    }

    /// The wgpu buffer and byte offset where the rows lie, with everything queued to write them
    /// submitted to the device's queue: a pass submitted to that queue afterwards reads them written.
    pub fn wgpu_slice(&self) -> Result<RowsSlice, String> {
        let t = self
            .coordinates
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
            layout: self.layout,
            _pinned: Box::new(resource),
        })
    }
}

/// Where device rows lie in a wgpu buffer. While it is held, burn's memory pool neither frees nor
/// moves the allocation.
pub struct RowsSlice {
    /// The buffer (burn's storage buffer, shared with the renderer's device).
    pub buffer: wgpu::Buffer,
    /// Byte offset of atom 0's x.
    pub offset: u64,
    /// Atoms N.
    pub atoms: usize,
    /// How the coordinates follow each other from there.
    pub layout: CoordinateLayout,
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
    fn rows_on_the_cpu_backend_are_not_kept() {
        let rows = Tensor::<2>::zeros([3, 10], &Device::flex());
        assert!(DeviceRows::keep(&rows, CoordinateLayout::Rows).is_none());
        assert_eq!(CoordinateLayout::Rows.strides(10), [10, 1]);
        assert_eq!(CoordinateLayout::Points.strides(10), [1, 3]);
    }
}
