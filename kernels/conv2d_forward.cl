// Cross-correlation of an already padded input (valid positions only):
// y[n, co, oh, ow] = b[co] + sum_{ci, i, j} xp[n, g*CIN_G + ci, oh*SH + i*DH, ow*SW + j*DW] * w[co, ci, i, j]
// Compile-time: KH KW SH SW DH DW CIN_G COUT_G COB (output channels per work-item).
// Each work-item writes 16 neighbouring outputs of one row for COB channels: PoCL and
// Intel's CPU compiler turn the float16 arithmetic into SIMD instructions directly
// (16 wide measured twice as fast as 8 wide, on AVX-512).
// xp rows are allocated wide enough (slack columns of zeros) that the 16-wide loads of
// the last block never leave the buffer; only the stores are guarded.
#define VW 16
#define CO_BLOCKS ((COUT_G + COB - 1) / COB)

__kernel void conv2d_forward(__global const float *xp, __global const float *w,
                             __global const float *bias, __global float *y,
                             const int hp, const int wp, const int oh_n, const int ow_n,
                             const int groups)
{
    const int ow0 = get_global_id(0) * VW;
    const int oh = get_global_id(1);
    const int z = get_global_id(2);
    const int cb = z % CO_BLOCKS;
    const int g = (z / CO_BLOCKS) % groups;
    const int n = z / (CO_BLOCKS * groups);
    if (ow0 >= ow_n || oh >= oh_n) return;
    const int cog0 = cb * COB;                  // first channel of this block within the group
    const int cin = CIN_G * groups;

    float16 acc[COB];
    for (int k = 0; k < COB; ++k) acc[k] = (float16)(0.0f);

    for (int ci = 0; ci < CIN_G; ++ci) {
        const __global float *plane = xp + (size_t)(n * cin + g * CIN_G + ci) * hp * wp;
        const __global float *wci = w + ((size_t)(g * COUT_G + cog0) * CIN_G + ci) * KH * KW;
        for (int i = 0; i < KH; ++i) {
            const __global float *row = plane + (size_t)(oh * SH + i * DH) * wp + ow0 * SW;
            for (int j = 0; j < KW; ++j) {
                const __global float *q = row + j * DW;
#if SW == 1
                const float16 xv = vload16(0, q);
#else
                const float16 xv = (float16)(q[0], q[SW], q[2 * SW], q[3 * SW], q[4 * SW], q[5 * SW],
                                            q[6 * SW], q[7 * SW], q[8 * SW], q[9 * SW], q[10 * SW], q[11 * SW],
                                            q[12 * SW], q[13 * SW], q[14 * SW], q[15 * SW]);
#endif
                for (int k = 0; k < COB; ++k) {
                    if (COUT_G % COB == 0 || cog0 + k < COUT_G)
                        acc[k] += xv * wci[(size_t)k * CIN_G * KH * KW + i * KW + j];
                }
            }
        }
    }
    for (int k = 0; k < COB; ++k) {
        if (!(COUT_G % COB == 0 || cog0 + k < COUT_G)) continue;
        const int co = g * COUT_G + cog0 + k;
        const float16 out = acc[k] + bias[co];
        __global float *dst = y + ((size_t)(n * COUT_G * groups + co) * oh_n + oh) * ow_n + ow0;
        if (ow0 + VW <= ow_n) {
            vstore16(out, 0, dst);
        } else {
            const float v[VW] = {out.s0, out.s1, out.s2, out.s3, out.s4, out.s5, out.s6, out.s7,
                                 out.s8, out.s9, out.sa, out.sb, out.sc, out.sd, out.se, out.sf};
            for (int t = 0; t < ow_n - ow0; ++t) dst[t] = v[t];
        }
    }
}
