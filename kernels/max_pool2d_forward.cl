// y = the window maximum; arg = where it is (r*w + c in the input plane). The first
// maximum in row-major window order wins, as in PyTorch. Padded cells never win.
__kernel void max_pool2d_forward(__global const float *x, __global float *y, __global int *arg,
                                 const int h, const int w, const int oh_n, const int ow_n,
                                 const int kh, const int kw, const int sh, const int sw,
                                 const int ph, const int pw)
{
    const int ow = get_global_id(0), oh = get_global_id(1), p = get_global_id(2);
    if (ow >= ow_n || oh >= oh_n) return;
    const __global float *plane = x + (size_t)p * h * w;
    float best = -INFINITY;
    int where = -1;
    for (int i = 0; i < kh; ++i) {
        const int r = oh * sh - ph + i;
        if (r < 0 || r >= h) continue;
        for (int j = 0; j < kw; ++j) {
            const int c = ow * sw - pw + j;
            if (c < 0 || c >= w) continue;
            const float v = plane[(size_t)r * w + c];
            if (v > best || where < 0) { best = v; where = r * w + c; }
        }
    }
    const size_t o = ((size_t)p * oh_n + oh) * ow_n + ow;
    y[o] = best;
    arg[o] = where;
}
