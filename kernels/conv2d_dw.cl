// Stage 1 of dW: partial sums over a chunk of (n, oh) rows.
// part[chunk, co, ci, i, j] = sum_{(n,oh) in chunk} sum_ow dy[n, co, oh, ow] *
//                             xp[n, g*CIN_G + ci, oh*SH + i*DH, ow*SW + j*DW]
// Each dY row is read once for all KH*KW taps ("dY shifted over X", seed 000/002), and
// each X load serves COB output channels (COB divides COUT_G). Launched with
// one-item work-groups: packing work-items into SIMD lanes on top of the vector code
// spilled the accumulators (measured 2.3x slower). VW is 8 or 16 lanes along a row
// (16 measured 1.3-1.5x faster with two or more output channels, slower with one).
// Compile-time: KH KW SH SW DH DW CIN_G COUT_G COB VW. Stage 2 is reduce_partials.
#if VW == 16
#define floatv float16
#define vloadv vload16
#define STRIDED(q) (float16)(q[0], q[SW], q[2 * SW], q[3 * SW], q[4 * SW], q[5 * SW], q[6 * SW], q[7 * SW], \
                             q[8 * SW], q[9 * SW], q[10 * SW], q[11 * SW], q[12 * SW], q[13 * SW], q[14 * SW], q[15 * SW])
#define LANE_SUM(a) lane_sum8((a).lo + (a).hi)
#else
#define floatv float8
#define vloadv vload8
#define STRIDED(q) (float8)(q[0], q[SW], q[2 * SW], q[3 * SW], q[4 * SW], q[5 * SW], q[6 * SW], q[7 * SW])
#define LANE_SUM(a) lane_sum8(a)
#endif
#define CO_BLOCKS ((COUT_G + COB - 1) / COB)
#define TAPS (KH * KW)

float lane_sum8(const float8 a)
{
    return ((a.s0 + a.s1) + (a.s2 + a.s3)) + ((a.s4 + a.s5) + (a.s6 + a.s7));
}

__kernel void conv2d_dw(__global const float *xp, __global const float *dy, __global float *part,
                        const int hp, const int wp, const int oh_n, const int ow_n,
                        const int rows_total, const int rows_per_chunk, const int groups)
{
    const int ci = get_global_id(0), zb = get_global_id(1), chunk = get_global_id(2);
    const int cb = zb % CO_BLOCKS, g = zb / CO_BLOCKS;
    const int cout = COUT_G * groups, cin = CIN_G * groups;
    const int co0 = g * COUT_G + cb * COB;
    floatv acc[COB * TAPS];
    float tail[COB * TAPS];
    for (int t = 0; t < COB * TAPS; ++t) { acc[t] = (floatv)(0.0f); tail[t] = 0.0f; }
    const int r_end = min(rows_total, (chunk + 1) * rows_per_chunk);
    for (int r = chunk * rows_per_chunk; r < r_end; ++r) {
        const int n = r / oh_n, oh = r % oh_n;
        const __global float *drow = dy + ((size_t)(n * cout + co0) * oh_n + oh) * ow_n;
        const size_t dstep = (size_t)oh_n * ow_n;          // to the next output channel
        const __global float *xbase = xp + ((size_t)(n * cin + g * CIN_G + ci) * hp + oh * SH) * wp;
        int ow0 = 0;
        for (; ow0 + VW <= ow_n; ow0 += VW) {
            floatv d[COB];
            for (int k = 0; k < COB; ++k) d[k] = vloadv(0, drow + k * dstep + ow0);
            for (int i = 0; i < KH; ++i) {
                const __global float *xrow = xbase + (size_t)i * DH * wp + ow0 * SW;
                for (int j = 0; j < KW; ++j) {
                    const __global float *q = xrow + j * DW;
#if SW == 1
                    const floatv xv = vloadv(0, q);
#else
                    const floatv xv = STRIDED(q);
#endif
                    for (int k = 0; k < COB; ++k) acc[k * TAPS + i * KW + j] += d[k] * xv;
                }
            }
        }
        for (; ow0 < ow_n; ++ow0) {
            for (int k = 0; k < COB; ++k) {
                const float dv = drow[k * dstep + ow0];
                for (int i = 0; i < KH; ++i)
                    for (int j = 0; j < KW; ++j)
                        tail[k * TAPS + i * KW + j] += dv * xbase[(size_t)i * DH * wp + ow0 * SW + j * DW];
            }
        }
    }
    for (int k = 0; k < COB; ++k) {
        __global float *dst = part + ((size_t)(chunk * cout + co0 + k) * CIN_G + ci) * TAPS;
        for (int t = 0; t < TAPS; ++t) {
            dst[t] = LANE_SUM(acc[k * TAPS + t]) + tail[k * TAPS + t];
        }
    }
}
