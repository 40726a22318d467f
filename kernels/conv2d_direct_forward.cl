// The forward convolution of a small problem in one launch, padding included:
// y[n, co, oh, ow] = b[co] + sum_{ci, i, j} x[n, g*CIN_G + ci, rows[oh*SH + i*DH], cols[ow*SW + j*DW]] * w[co, ci, i, j]
// rows and cols map each padded position to its source row or column (-1: a zero), so
// every padding mode is the same code. One work-item per output cell; the CPU runtime
// packs neighbouring cells of a row into SIMD lanes. On small images a separate pad
// launch and its copy cost more than the arithmetic, which is why this exists beside
// conv2d_forward. x, w and b come in one buffer (one copy instead of three):
// packed = [x | w | b], w at w_at and b at b_at. The geometry (kernel, stride, dilation, channels per group) is a run-time argument.
__kernel void conv2d_direct_forward(__global const float *packed, __global const int *rows,
                                    __global const int *cols, __global float *y,
                                    const int w_at, const int b_at,
                                    const int h, const int wd, const int oh_n, const int ow_n,
                                    const int groups, const int KH, const int KW, const int SH, const int SW,
                                    const int DH, const int DW, const int CIN_G, const int COUT_G)
{
    const __global float *x = packed, *w = packed + w_at, *bias = packed + b_at;
    const int ow = get_global_id(0), oh = get_global_id(1), z = get_global_id(2);
    if (ow >= ow_n) return;
    const int cout = COUT_G * groups;
    const int co = z % cout, n = z / cout, g = co / COUT_G;
    float acc = 0.0f;
    for (int ci = 0; ci < CIN_G; ++ci) {
        const __global float *plane = x + (size_t)(n * CIN_G * groups + g * CIN_G + ci) * h * wd;
        const __global float *wk = w + (size_t)(co * CIN_G + ci) * KH * KW;
        for (int i = 0; i < KH; ++i) {
            const int r = rows[oh * SH + i * DH];
            if (r < 0) continue;
            for (int j = 0; j < KW; ++j) {
                const int c = cols[ow * SW + j * DW];
                if (c >= 0) acc += plane[(size_t)r * wd + c] * wk[i * KW + j];
            }
        }
    }
    y[((size_t)z * oh_n + oh) * ow_n + ow] = acc + bias[co];
}
