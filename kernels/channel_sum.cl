// Stage 1 of db: part[chunk, c] = sum over the chunk's (n, row) pairs of one row of dy[n, c].
#define VW 8
__kernel void channel_sum(__global const float *dy, __global float *part,
                          const int channels, const int oh_n, const int ow_n,
                          const int rows_total, const int rows_per_chunk)
{
    const int c = get_global_id(0), chunk = get_global_id(1);
    float8 acc = (float8)(0.0f);
    float tail = 0.0f;
    const int r_end = min(rows_total, (chunk + 1) * rows_per_chunk);
    for (int r = chunk * rows_per_chunk; r < r_end; ++r) {
        const int n = r / oh_n, oh = r % oh_n;
        const __global float *row = dy + ((size_t)(n * channels + c) * oh_n + oh) * ow_n;
        int x = 0;
        for (; x + VW <= ow_n; x += VW) acc += vload8(0, row + x);
        for (; x < ow_n; ++x) tail += row[x];
    }
    part[(size_t)chunk * channels + c] =
        ((acc.s0 + acc.s1) + (acc.s2 + acc.s3)) + ((acc.s4 + acc.s5) + (acc.s6 + acc.s7)) + tail;
}
