//! Atom spheres drawn from a recorded frame's coordinate rows where burn keeps them
//! (`shaders/spheres_from_rows.wgsl`): scrubbing to a frame binds its rows instead of uploading N
//! sphere instances. The instance buffer still gives each atom's radius and color, so a frame that
//! only moves atoms writes nothing but a 80-byte uniform.

use burn::tensor::wgpu::wgpu;
use glam::Mat4;
use wgpu::util::DeviceExt as _;

use super::error::RenderError;
use super::pipeline::{ScenePipelineSpec, scene_pipeline, shader_module, stride_of};
use super::scene::SphereInstance;
use crate::compute::RowsSlice;
use crate::geometry::RigidTransform;

/// A frame's rows on the renderer's device and the map from their frame into the view's.
#[derive(Debug)]
pub struct AtomRows {
    /// Where the rows lie.
    pub slice: RowsSlice,
    /// Maps the rows' frame into the frame the scene is drawn in.
    pub world_from_rows: Mat4,
}

impl AtomRows {
    /// Rows drawn after `transform` (row-vector convention, y = x R + t).
    pub fn mapped(slice: RowsSlice, transform: &RigidTransform) -> Self {
        Self {
            slice,
            world_from_rows: column_matrix(transform),
        }
    }
}

/// `transform` as a column-vector matrix: y = M x, so M's column i is row i of R, and t its last column.
pub fn column_matrix(transform: &RigidTransform) -> Mat4 {
    let r = transform.rotation.map(|row| row.map(|v| v as f32));
    let t = transform.translation.map(|v| v as f32);
    Mat4::from_cols_array_2d(&[
        [r[0][0], r[0][1], r[0][2], 0.0],
        [r[1][0], r[1][1], r[1][2], 0.0],
        [r[2][0], r[2][1], r[2][2], 0.0],
        [t[0], t[1], t[2], 1.0],
    ])
}

#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct AtomRowsUniform {
    world_from_rows: [[f32; 4]; 4],
    first: u32,
    axis_stride: u32,
    atom_stride: u32,
    _pad: u32,
}

/// The pipeline of atom spheres drawn from rows, and the rows bound now.
pub(super) struct AtomRowsPipeline {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    uniform: wgpu::Buffer,
    /// The bound rows: kept so their allocation stays in place while the view draws them.
    bound: Option<(AtomRows, wgpu::BindGroup)>,
}

impl AtomRowsPipeline {
    pub fn new(
        device: &wgpu::Device,
        camera_layout: &wgpu::BindGroupLayout,
    ) -> Result<Self, RenderError> {
        let module = shader_module(device, "spheres_from_rows.wgsl")?;
        let entry = |binding, ty| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::VERTEX,
            ty: wgpu::BindingType::Buffer {
                ty,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("atom rows"),
            entries: &[
                entry(0, wgpu::BufferBindingType::Storage { read_only: true }),
                entry(1, wgpu::BufferBindingType::Uniform),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("spheres from rows"),
            bind_group_layouts: &[Some(camera_layout), Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = scene_pipeline(
            device,
            &pipeline_layout,
            &ScenePipelineSpec {
                label: "spheres from rows",
                module: &module,
                stride: stride_of::<SphereInstance>(),
                step: wgpu::VertexStepMode::Instance,
                topology: wgpu::PrimitiveTopology::TriangleStrip,
                depth_write: true,
                depth_compare: wgpu::CompareFunction::LessEqual,
                blend: None,
            },
        );
        let uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("atom rows"),
            contents: bytemuck::bytes_of(&<AtomRowsUniform as bytemuck::Zeroable>::zeroed()),
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        });
        Ok(Self {
            pipeline,
            layout,
            uniform,
            bound: None,
        })
    }

    /// Binds `rows` (none unbinds). The binding starts at the largest offset the device's alignment
    /// allows at or before the rows; the shader skips the rest (`first`).
    pub fn bind(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        rows: Option<AtomRows>,
    ) -> Result<(), RenderError> {
        let Some(rows) = rows else {
            self.bound = None;
            return Ok(());
        };
        let limits = device.limits();
        let alignment = u64::from(limits.min_storage_buffer_offset_alignment.max(4));
        let offset = rows.slice.offset;
        let start = offset - offset % alignment;
        let size = offset - start + 12 * rows.slice.atoms as u64;
        if size > limits.max_storage_buffer_binding_size {
            return Err(RenderError::Rows(format!(
                "{size} bytes of rows exceed the device's storage binding limit of {}",
                limits.max_storage_buffer_binding_size
            )));
        }
        let [axis_stride, atom_stride] = rows.slice.layout.strides(rows.slice.atoms);
        let (Ok(first), Ok(axis_stride), Ok(atom_stride)) = (
            u32::try_from((offset - start) / 4),
            u32::try_from(axis_stride),
            u32::try_from(atom_stride),
        ) else {
            return Err(RenderError::Rows("too many atoms".to_owned()));
        };
        let uniform = AtomRowsUniform {
            world_from_rows: rows.world_from_rows.to_cols_array_2d(),
            first,
            axis_stride,
            atom_stride,
            _pad: 0,
        };
        queue.write_buffer(&self.uniform, 0, bytemuck::bytes_of(&uniform));
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("atom rows"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &rows.slice.buffer,
                        offset: start,
                        size: wgpu::BufferSize::new(size),
                    }),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: self.uniform.as_entire_binding(),
                },
            ],
        });
        self.bound = Some((rows, bind_group));
        Ok(())
    }

    /// Atoms of the bound rows, if any.
    pub fn bound_atoms(&self) -> Option<usize> {
        self.bound.as_ref().map(|(rows, _)| rows.slice.atoms)
    }

    /// Draws `count` atom spheres (radius and color from `instances`) at the bound rows.
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>, instances: &wgpu::Buffer, count: u32) {
        if let (Some((_, bind_group)), true) = (&self.bound, count > 0) {
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(1, bind_group, &[]);
            pass.set_vertex_buffer(0, instances.slice(..));
            pass.draw(0..4, 0..count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_matrix_maps_points_as_the_transform_does() {
        let transform = RigidTransform {
            rotation: crate::geometry::random_rotation(&mut crate::rng::SplitMix64::new(7, 0)),
            translation: [1.5, -2.0, 0.25],
        };
        let m = column_matrix(&transform);
        for p in [[0.0f32, 0.0, 0.0], [1.0, 2.0, 3.0], [-4.5, 0.5, 9.0]] {
            let got = m.transform_point3(glam::Vec3::from(p));
            let want = transform.apply(p);
            for k in 0..3 {
                assert!((got[k] - want[k]).abs() < 1e-5, "{got:?} vs {want:?}");
            }
        }
    }
}
