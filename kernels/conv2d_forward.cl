// Cross-correlation of an already padded input (valid positions only):
// y[n, co, oh, ow] = b[co] + sum_{ci, i, j} xp[n, g*cin_g + ci, oh*sh + i*dh, ow*sw + j*dw] * w[co, ci, i, j]
// Each work-item writes VW neighbouring outputs of one row for COB channels; PoCL and
// Intel's CPU compiler turn the vector arithmetic into SIMD instructions directly.
// Compile-time: VW (vectors.clh), COB (output channels per work-item) and, optionally, KS
// (a square kernel size known in advance, for the common 3×3: its loops unroll).
// Everything else is an argument. xp rows are allocated wide enough (slack columns of zeros) that
// the VW-wide loads of the last block never leave the buffer; only the stores are guarded.

#ifdef KS
#define KH_ KS
#define KW_ KS
#else
#define KH_ kh
#define KW_ kw
#endif

__kernel void conv2d_forward(__global const float *xp, __global const float *w,
                             __global const float *bias, __global float *y,
                             const int hp, const int wp, const int oh_n, const int ow_n,
                             const int groups, const int kh, const int kw, const int sh, const int sw,
                             const int dh, const int dw, const int cin_g, const int cout_g)
{
    const int co_blocks = (cout_g + COB - 1) / COB;
    const int ow0 = get_global_id(0) * VW;
    const int oh = get_global_id(1);
    const int z = get_global_id(2);
    const int cb = z % co_blocks;
    const int g = (z / co_blocks) % groups;
    const int n = z / (co_blocks * groups);
    if (ow0 >= ow_n || oh >= oh_n) return;
    const int cog0 = cb * COB;                  // first channel of this block within the group
    const int cin = cin_g * groups;

    floatv acc[COB];
    for (int k = 0; k < COB; ++k) acc[k] = (floatv)(0.0f);

    const size_t w_step = (size_t)cin_g * KH_ * KW_;      // to the next output channel's weights
#define FORWARD_TAPS(LOAD, KEEP)                                                            \
    for (int ci = 0; ci < cin_g; ++ci) {                                                    \
        const __global float *plane = xp + (size_t)(n * cin + g * cin_g + ci) * hp * wp;     \
        const __global float *wci = w + (size_t)(g * cout_g + cog0) * w_step + ci * KH_ * KW_; \
        for (int i = 0; i < KH_; ++i) {                                                     \
            const __global float *row = plane + (size_t)(oh * sh + i * dh) * wp + ow0 * sw;  \
            for (int j = 0; j < KW_; ++j) {                                                 \
                const __global float *q = row + j * dw;                                     \
                const floatv xv = LOAD;                                                     \
                for (int k = 0; k < COB; ++k)                                               \
                    if (KEEP) acc[k] += xv * wci[k * w_step + i * KW_ + j];                 \
            }                                                                               \
        }                                                                                   \
    }
    // the tests hoisted out of the loops: contiguous loads, and a whole block of channels
    const bool whole = cog0 + COB <= cout_g;
    if (sw == 1 && whole) {
        FORWARD_TAPS(VLOAD(q), true)
    } else if (sw == 1) {
        FORWARD_TAPS(VLOAD(q), cog0 + k < cout_g)
    } else if (whole) {
        FORWARD_TAPS(LOAD_STRIDED(q, sw), true)
    } else {
        FORWARD_TAPS(LOAD_STRIDED(q, sw), cog0 + k < cout_g)
    }
    for (int k = 0; k < COB; ++k) {
        if (cog0 + k >= cout_g) continue;
        const int co = g * cout_g + cog0 + k;
        const floatv out = acc[k] + bias[co];
        __global float *dst = y + ((size_t)(n * cout_g * groups + co) * oh_n + oh) * ow_n + ow0;
        if (ow0 + VW <= ow_n)
            VSTORE(out, dst);
        else
            store_first(out, dst, ow_n - ow0);
    }
}
