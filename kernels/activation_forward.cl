// a = sigma(z). act: 0 identity, 1 ReLU, 2 leaky ReLU (slope), 3 sigmoid, 4 tanh.
__kernel void activation_forward(__global const float *z, __global float *a,
                                 const int act, const float slope, const int n)
{
    const int e = get_global_id(0);
    if (e >= n) return;
    const float v = z[e];
    float r;
    switch (act) {
        case 1: r = v > 0.0f ? v : 0.0f; break;
        case 2: r = v > 0.0f ? v : slope * v; break;
        case 3: r = 1.0f / (1.0f + exp(-v)); break;
        case 4: r = tanh(v); break;
        default: r = v;
    }
    a[e] = r;
}
