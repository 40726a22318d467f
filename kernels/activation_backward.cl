// The activation gate: dz = da * sigma'(z). Codes as in activation_forward.
__kernel void activation_backward(__global const float *z, __global const float *da, __global float *dz,
                                  const int act, const float slope, const int n)
{
    const int e = get_global_id(0);
    if (e >= n) return;
    const float v = z[e];
    float d;
    switch (act) {
        case 1: d = v > 0.0f ? 1.0f : 0.0f; break;
        case 2: d = v > 0.0f ? 1.0f : slope; break;
        case 3: { const float s = 1.0f / (1.0f + exp(-v)); d = s * (1.0f - s); break; }
        case 4: { const float t = tanh(v); d = 1.0f - t * t; break; }
        default: d = 1.0f;
    }
    dz[e] = da[e] * d;
}
