// y[p, oh, ow] = (1 / (kh*kw)) * sum of the window; padded cells count as zeros
// (PyTorch's count_include_pad=True).
__kernel void avg_pool2d_forward(__global const float *x, __global float *y,
                                 const int h, const int w, const int oh_n, const int ow_n,
                                 const int kh, const int kw, const int sh, const int sw,
                                 const int ph, const int pw)
{
    const int ow = get_global_id(0), oh = get_global_id(1), p = get_global_id(2);
    if (ow >= ow_n || oh >= oh_n) return;
    const __global float *plane = x + (size_t)p * h * w;
    float acc = 0.0f;
    for (int i = 0; i < kh; ++i) {
        const int r = oh * sh - ph + i;
        if (r < 0 || r >= h) continue;
        for (int j = 0; j < kw; ++j) {
            const int c = ow * sw - pw + j;
            if (c >= 0 && c < w) acc += plane[(size_t)r * w + c];
        }
    }
    y[((size_t)p * oh_n + oh) * ow_n + ow] = acc / (float)(kh * kw);
}
