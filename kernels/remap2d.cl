// dst[p, r, c] = src[p, rows[r], cols[c]], or 0 where either index is -1.
// One kernel for padding in every mode, cropping, zero insertion, kernel dilation and
// rotation by 180°: each is a pair of 1-D index maps computed on the host.
__kernel void remap2d(__global const float *src, __global float *dst,
                      __global const int *rows, __global const int *cols,
                      const int src_h, const int src_w, const int dst_h, const int dst_w)
{
    const int c = get_global_id(0), r = get_global_id(1), p = get_global_id(2);
    if (c >= dst_w || r >= dst_h) return;
    const int sr = rows[r], sc = cols[c];
    dst[((size_t)p * dst_h + r) * dst_w + c] =
        (sr >= 0 && sc >= 0) ? src[((size_t)p * src_h + sr) * src_w + sc] : 0.0f;
}
