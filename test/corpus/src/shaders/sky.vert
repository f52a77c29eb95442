#version 450
layout(location = 0) in vec3 pos;
void main() {
    int steps = 1.5;
    gl_Position = vec4(pos, float(steps));
}
