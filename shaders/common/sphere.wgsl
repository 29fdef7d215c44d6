// What both sphere pipelines share: the instance's radius and color, the camera-facing quad and the
// ray-cast fragment with correct depth (frag_depth).
//!include common/camera.wgsl

struct SphereInstance {
    @location(0) position_and_radius: vec4<f32>,
    @location(1) color: vec4<f32>,
};

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) point_in_view: vec3<f32>,
    @location(1) center_in_view: vec3<f32>,
    @location(2) radius: f32,
    @location(3) color: vec4<f32>,
};

// Corner `vertex` of the quad of a sphere at `center_in_world`.
fn sphere_vertex(vertex: u32, center_in_world: vec3<f32>, radius: f32, color: vec4<f32>) -> VertexOut {
    // Triangle strip corners (-1,-1), (1,-1), (-1,1), (1,1).
    let corner = vec2<f32>(f32(vertex & 1u) * 2.0 - 1.0, f32((vertex >> 1u) & 1u) * 2.0 - 1.0);
    let center = (camera.view_from_world * vec4<f32>(center_in_world, 1.0)).xyz;
    // A quad of half-size r on the sphere's front plane (z + r) always covers its silhouette.
    let point = vec3<f32>(center.xy + corner * radius, center.z + radius);
    var out: VertexOut;
    out.clip = camera.clip_from_view * vec4<f32>(point, 1.0);
    out.point_in_view = point;
    out.center_in_view = center;
    out.radius = radius;
    out.color = color;
    return out;
}

struct FragmentOut {
    @location(0) color: vec4<f32>,
    @builtin(frag_depth) depth: f32,
};

@fragment
fn fs_main(in: VertexOut) -> FragmentOut {
    let direction = normalize(in.point_in_view);
    let b = dot(direction, in.center_in_view);
    let c = dot(in.center_in_view, in.center_in_view) - in.radius * in.radius;
    let discriminant = b * b - c;
    if (discriminant < 0.0) {
        discard;
    }
    let hit = direction * (b - sqrt(discriminant));
    let normal = (hit - in.center_in_view) / in.radius;
    let clip = camera.clip_from_view * vec4<f32>(hit, 1.0);
    var out: FragmentOut;
    out.color = vec4<f32>(shade(in.color.rgb, normal), in.color.a);
    out.depth = clip.z / clip.w;
    return out;
}
