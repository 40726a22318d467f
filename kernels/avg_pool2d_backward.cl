// dx[p, r, c] = sum over the windows that contain (r, c) of dy / (kh*kw): the pooling distribution.
__kernel void avg_pool2d_backward(__global const float *dy, __global float *dx,
                                  const int h, const int w, const int oh_n, const int ow_n,
                                  const int kh, const int kw, const int sh, const int sw,
                                  const int ph, const int pw)
{
    const int c = get_global_id(0), r = get_global_id(1), p = get_global_id(2);
    if (c >= w || r >= h) return;
    const int oh_lo = max(0, (r + ph - kh + sh) / sh), oh_hi = min(oh_n - 1, (r + ph) / sh);
    const int ow_lo = max(0, (c + pw - kw + sw) / sw), ow_hi = min(ow_n - 1, (c + pw) / sw);
    float acc = 0.0f;
    for (int oh = oh_lo; oh <= oh_hi; ++oh)
        for (int ow = ow_lo; ow <= ow_hi; ++ow)
            acc += dy[((size_t)p * oh_n + oh) * ow_n + ow];
    dx[((size_t)p * h + r) * w + c] = acc / (float)(kh * kw);
}
