#version 450
layout(local_size_x = 8, local_size_y = 8) in;
layout(binding = 0, rgba16f) uniform image2D fogVolume;
void main() {
    vec4 density = imageLoad(fogVolume, ivec2(gl_GlobalInvocationID.xy));
    imageStore(fogVolume, ivec2(gl_GlobalInvocationID.xy), density * fogFalloff);
}
