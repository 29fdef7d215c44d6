// Atom spheres centred where a recorded frame's coordinates lie in burn's buffer (group 1), as rows
// [3, N] or points [N, 3], mapped into the view's frame; the instance buffer gives only radius and color
// (its position is unused).
//!include common/sphere.wgsl

struct AtomRows {
    // Maps the rows' frame (the data frame) into the frame the view shows.
    world_from_rows: mat4x4<f32>,
    // Index of atom 0's x in `rows`; atom i's coordinate k is at first + k axis_stride + i atom_stride.
    first: u32,
    axis_stride: u32,
    atom_stride: u32,
};

@group(1) @binding(0) var<storage, read> rows: array<f32>;
@group(1) @binding(1) var<uniform> atom_rows: AtomRows;

@vertex
fn vs_main(
    @builtin(vertex_index) vertex: u32,
    @builtin(instance_index) atom: u32,
    instance: SphereInstance,
) -> VertexOut {
    let i = atom_rows.first + atom * atom_rows.atom_stride;
    let s = atom_rows.axis_stride;
    let p = atom_rows.world_from_rows * vec4<f32>(rows[i], rows[i + s], rows[i + 2u * s], 1.0);
    return sphere_vertex(vertex, p.xyz, instance.position_and_radius.w, instance.color);
}
