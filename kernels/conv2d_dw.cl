// Stage 1 of dW: partial sums over a chunk of (n, oh) rows, one work-item per
// (input channel, tap, block of COB output channels, chunk):
// part[chunk, co, ci, i, j] = sum_{(n,oh) in chunk} sum_ow dy[n, co, oh, ow] *
//                             xp[n, g*cin_g + ci, oh*sh + i*dh, ow*sw + j*dw]
// ("dY shifted over X", seed 000/002): each X vector serves COB output channels.
// Compile-time: VW (vectors.clh), COB, and either KS (a square KS×KS kernel: one work-item
// computes every tap, the common 3×3) or JB (taps along a kernel row per work-item).
// Everything else is an argument.
// Stage 2 is reduce_partials.

#ifdef KS
#define TAPS (KS * KS)
__kernel void conv2d_dw(__global const float *xp, __global const float *dy, __global float *part,
                        const int hp, const int wp, const int oh_n, const int ow_n,
                        const int rows_total, const int rows_per_chunk, const int groups,
                        const int kh, const int kw, const int sh, const int sw, const int dh, const int dw,
                        const int cin_g, const int cout_g)
{
    const int ci = get_global_id(0);
    if (ci >= cin_g) return;
    const int zb = get_global_id(1), chunk = get_global_id(2);
    const int co_blocks = (cout_g + COB - 1) / COB;
    const int cb = zb % co_blocks, g = zb / co_blocks;
    const int cout = cout_g * groups, cin = cin_g * groups;
    const int co0 = g * cout_g + cb * COB;
    const size_t dstep = (size_t)oh_n * ow_n;
    floatv acc[COB * TAPS];
    float tail[COB * TAPS];
    for (int t = 0; t < COB * TAPS; ++t) { acc[t] = (floatv)(0.0f); tail[t] = 0.0f; }
    const int r_end = min(rows_total, (chunk + 1) * rows_per_chunk);
    for (int r = chunk * rows_per_chunk; r < r_end; ++r) {
        const int n = r / oh_n, oh = r % oh_n;
        const __global float *drow = dy + ((size_t)(n * cout + co0) * oh_n + oh) * ow_n;
        const __global float *xbase = xp + ((size_t)(n * cin + g * cin_g + ci) * hp + oh * sh) * wp;
        int ow0 = 0;
#define DW_TAPS(LOAD)                                                                       \
        for (; ow0 + VW <= ow_n; ow0 += VW) {                                               \
            floatv d[COB];                                                                  \
            for (int k = 0; k < COB; ++k)                                                   \
                d[k] = cb * COB + k < cout_g ? VLOAD(drow + k * dstep + ow0) : (floatv)(0.0f); \
            for (int i = 0; i < KS; ++i) {                                                  \
                const __global float *xrow = xbase + (size_t)i * dh * wp + ow0 * sw;         \
                for (int j = 0; j < KS; ++j) {                                              \
                    const __global float *q = xrow + j * dw;                                \
                    const floatv xv = LOAD;                                                 \
                    for (int k = 0; k < COB; ++k) acc[k * TAPS + i * KS + j] += d[k] * xv;  \
                }                                                                           \
            }                                                                               \
        }
        if (sw == 1) {
            DW_TAPS(VLOAD(q))
        } else {
            DW_TAPS(LOAD_STRIDED(q, sw))
        }
        for (; ow0 < ow_n; ++ow0) {
            for (int k = 0; k < COB; ++k) {
                if (cb * COB + k >= cout_g) continue;
                const float dv = drow[k * dstep + ow0];
                for (int i = 0; i < KS; ++i)
                    for (int j = 0; j < KS; ++j)
                        tail[k * TAPS + i * KS + j] += dv * xbase[(size_t)i * dh * wp + ow0 * sw + j * dw];
            }
        }
    }
    for (int k = 0; k < COB; ++k) {
        if (cb * COB + k >= cout_g) continue;
        __global float *dst = part + ((size_t)(chunk * cout + co0 + k) * cin_g + ci) * TAPS;
        for (int t = 0; t < TAPS; ++t) dst[t] = lane_sum(acc[k * TAPS + t]) + tail[k * TAPS + t];
    }
}
#else
// Without KS: one work-item per (input channel, kernel row, block of JB taps along the row,
// block of COB output channels, chunk): each dY vector serves JB taps, each X vector COB
// channels (a 7×7 kernel reads dY 7 times, not 49).
__kernel void conv2d_dw(__global const float *xp, __global const float *dy, __global float *part,
                        const int hp, const int wp, const int oh_n, const int ow_n,
                        const int rows_total, const int rows_per_chunk, const int groups,
                        const int kh, const int kw, const int sh, const int sw, const int dh, const int dw,
                        const int cin_g, const int cout_g)
{
    const int taps = kh * kw, jblocks = (kw + JB - 1) / JB;
    const int e = get_global_id(0);
    if (e >= cin_g * kh * jblocks) return;
    const int jb = e % jblocks, i = (e / jblocks) % kh, ci = e / (jblocks * kh);
    const int j0 = jb * JB;
    const int zb = get_global_id(1), chunk = get_global_id(2);
    const int co_blocks = (cout_g + COB - 1) / COB;
    const int cb = zb % co_blocks, g = zb / co_blocks;
    const int cout = cout_g * groups, cin = cin_g * groups;
    const int co0 = g * cout_g + cb * COB;
    const size_t dstep = (size_t)oh_n * ow_n;          // to the next output channel
    floatv acc[COB * JB];
    float tail[COB * JB];
    for (int t = 0; t < COB * JB; ++t) { acc[t] = (floatv)(0.0f); tail[t] = 0.0f; }
    const int r_end = min(rows_total, (chunk + 1) * rows_per_chunk);
    for (int r = chunk * rows_per_chunk; r < r_end; ++r) {
        const int n = r / oh_n, oh = r % oh_n;
        const __global float *drow = dy + ((size_t)(n * cout + co0) * oh_n + oh) * ow_n;
        const __global float *xrow = xp + ((size_t)(n * cin + g * cin_g + ci) * hp + oh * sh + i * dh) * wp + j0 * dw;
        int ow0 = 0;
#define DW_ROW(LOAD)                                                                        \
        for (; ow0 + VW <= ow_n; ow0 += VW) {                                               \
            floatv d[COB];                                                                  \
            for (int k = 0; k < COB; ++k)                                                   \
                d[k] = cb * COB + k < cout_g ? VLOAD(drow + k * dstep + ow0) : (floatv)(0.0f); \
            for (int jj = 0; jj < JB; ++jj) {                                               \
                if (j0 + jj >= kw) break;                                                   \
                const __global float *q = xrow + ow0 * sw + jj * dw;                        \
                const floatv xv = LOAD;                                                     \
                for (int k = 0; k < COB; ++k) acc[k * JB + jj] += d[k] * xv;                \
            }                                                                               \
        }
        if (sw == 1) {      // the test hoisted out of the loop: contiguous loads
            DW_ROW(VLOAD(q))
        } else {
            DW_ROW(LOAD_STRIDED(q, sw))
        }
        for (; ow0 < ow_n; ++ow0) {
            for (int k = 0; k < COB; ++k) {
                if (cb * COB + k >= cout_g) continue;
                const float dv = drow[k * dstep + ow0];
                for (int jj = 0; jj < JB && j0 + jj < kw; ++jj)
                    tail[k * JB + jj] += dv * xrow[ow0 * sw + jj * dw];
            }
        }
    }
    for (int k = 0; k < COB; ++k) {
        if (cb * COB + k >= cout_g) continue;
        __global float *dst = part + ((size_t)(chunk * cout + co0 + k) * cin_g + ci) * taps + i * kw + j0;
        for (int jj = 0; jj < JB && j0 + jj < kw; ++jj) dst[jj] = lane_sum(acc[k * JB + jj]) + tail[k * JB + jj];
    }
}
#endif
