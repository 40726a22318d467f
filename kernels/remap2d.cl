// dst[p, r, c] = src[p, rows[r], cols[c]], or 0 where either index is -1.
// One kernel for padding in every mode, cropping, zero insertion, kernel dilation and
// rotation by 180°: each is a pair of 1-D index maps computed on the host.
// One work-item per destination row: the row index is read once and the columns are
// walked in order (on a CPU device this runs near memory speed; one work-item per cell
// made the runtime's scheduling cost more than the copy itself).
__kernel void remap2d(__global const float *src, __global float *dst,
                      __global const int *rows, __global const int *cols,
                      const int src_h, const int src_w, const int dst_h, const int dst_w)
{
    const int r = get_global_id(0), p = get_global_id(1);
    if (r >= dst_h) return;
    __global float *d = dst + ((size_t)p * dst_h + r) * dst_w;
    const int sr = rows[r];
    if (sr < 0) {
        for (int c = 0; c < dst_w; ++c) d[c] = 0.0f;
        return;
    }
    const __global float *s = src + ((size_t)p * src_h + sr) * src_w;
    for (int c = 0; c < dst_w; ++c) {
        const int sc = cols[c];
        d[c] = sc >= 0 ? s[sc] : 0.0f;
    }
}
