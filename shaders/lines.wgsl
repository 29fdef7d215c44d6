// Line segments (backbone trace, displacement arrows), depth-tested, one pixel wide.
//!include common/camera.wgsl

struct LineVertex {
    @location(0) position: vec4<f32>,
    @location(1) color: vec4<f32>,
};

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) color: vec4<f32>,
};

@vertex
fn vs_main(v: LineVertex) -> VertexOut {
    var out: VertexOut;
    out.clip = camera.clip_from_world * vec4<f32>(v.position.xyz, 1.0);
    out.color = v.color;
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    return in.color;
}
