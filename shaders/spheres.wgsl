// Ray-cast impostor spheres on camera-facing quads, one instance each (position, radius, color).
//!include common/sphere.wgsl

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32, instance: SphereInstance) -> VertexOut {
    return sphere_vertex(vertex, instance.position_and_radius.xyz, instance.position_and_radius.w, instance.color);
}
