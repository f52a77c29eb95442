#version 450
#extension GL_EXT_unknown_feature : warn
layout(location = 0) in vec2 uv;
layout(location = 0) out vec4 color;
layout(binding = 0) uniform sampler2D waves;
void main() {
    float foam = texture(waves, uv).r * foamScale;
    color = vec4(foam);
}
