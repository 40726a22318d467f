// Stage 1 of dW: partial sums over a chunk of (n, oh) rows.
// part[chunk, co, ci, i, j] = sum_{(n,oh) in chunk} sum_ow dy[n, co, oh, ow] *
//                             xp[n, g*CIN_G + ci, oh*SH + i*DH, ow*SW + j*DW]
// Each dY row is read once for all KH*KW taps ("dY shifted over X", seed 000/002).
// Compile-time: KH KW SH SW DH DW CIN_G COUT_G. Stage 2 is reduce_partials.
#define VW 8
__kernel void conv2d_dw(__global const float *xp, __global const float *dy, __global float *part,
                        const int hp, const int wp, const int oh_n, const int ow_n,
                        const int rows_total, const int rows_per_chunk, const int groups)
{
    const int ci = get_global_id(0), co = get_global_id(1), chunk = get_global_id(2);
    const int cout = COUT_G * groups, cin = CIN_G * groups;
    const int g = co / COUT_G;
    float8 acc[KH * KW];
    float tail[KH * KW];
    for (int t = 0; t < KH * KW; ++t) { acc[t] = (float8)(0.0f); tail[t] = 0.0f; }
    const int r_end = min(rows_total, (chunk + 1) * rows_per_chunk);
    for (int r = chunk * rows_per_chunk; r < r_end; ++r) {
        const int n = r / oh_n, oh = r % oh_n;
        const __global float *drow = dy + ((size_t)(n * cout + co) * oh_n + oh) * ow_n;
        const __global float *xbase = xp + ((size_t)(n * cin + g * CIN_G + ci) * hp + oh * SH) * wp;
        int ow0 = 0;
        for (; ow0 + VW <= ow_n; ow0 += VW) {
            const float8 d = vload8(0, drow + ow0);
            for (int i = 0; i < KH; ++i) {
                const __global float *xrow = xbase + (size_t)i * DH * wp + ow0 * SW;
                for (int j = 0; j < KW; ++j) {
                    const __global float *q = xrow + j * DW;
#if SW == 1
                    const float8 xv = vload8(0, q);
#else
                    const float8 xv = (float8)(q[0], q[SW], q[2 * SW], q[3 * SW],
                                               q[4 * SW], q[5 * SW], q[6 * SW], q[7 * SW]);
#endif
                    acc[i * KW + j] += d * xv;
                }
            }
        }
        for (; ow0 < ow_n; ++ow0) {
            const float d = drow[ow0];
            for (int i = 0; i < KH; ++i)
                for (int j = 0; j < KW; ++j)
                    tail[i * KW + j] += d * xbase[(size_t)i * DH * wp + ow0 * SW + j * DW];
        }
    }
    __global float *dst = part + ((size_t)(chunk * cout + co) * CIN_G + ci) * KH * KW;
    for (int t = 0; t < KH * KW; ++t) {
        const float8 a = acc[t];
        dst[t] = ((a.s0 + a.s1) + (a.s2 + a.s3)) + ((a.s4 + a.s5) + (a.s6 + a.s7)) + tail[t];
    }
}
