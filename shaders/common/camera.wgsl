// Per-view uniforms shared by every pipeline (group 0, binding 0).
struct Camera {
    clip_from_world: mat4x4<f32>,
    view_from_world: mat4x4<f32>,
    clip_from_view: mat4x4<f32>,
    // Direction towards the light, in view space (w unused).
    light_in_view: vec4<f32>,
};

@group(0) @binding(0) var<uniform> camera: Camera;

// Lambert + ambient + a little specular, in gamma space (the offscreen target is not sRGB).
fn shade(color: vec3<f32>, normal_in_view: vec3<f32>) -> vec3<f32> {
    let l = normalize(camera.light_in_view.xyz);
    let diffuse = max(dot(normal_in_view, l), 0.0);
    let h = normalize(l + vec3<f32>(0.0, 0.0, 1.0));
    let specular = pow(max(dot(normal_in_view, h), 0.0), 32.0) * 0.25;
    return color * (0.35 + 0.65 * diffuse) + vec3<f32>(specular);
}
