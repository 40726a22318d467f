// dX, dW and db of a small problem in one launch, written into one buffer
// out = [dx (N, Cin, H, W) | dw (Cout, CIN_G, KH, KW) | db (Cout)]: one item per value.
//   dx[n, ci, y, x] = sum over the padded rows pr that read row y (row_ptr/row_idx, the
//       inverse of the pad map: one for zeros, more where reflect, replicate or circular
//       copy a cell) and likewise the padded columns pc, over the taps (i, j) with
//       pr − i·DH = oh·SH and pc − j·DW = ow·SW inside dY, of dy[n, co, oh, ow] · w[co, ci, i, j]
//       (the direct form of the gather path: no zeros inserted, no kernel flipped);
//   dw[co, ci, i, j] = sum_{n, oh, ow} dy[n, co, oh, ow] · x[n, g*CIN_G + ci, rows[oh*SH + i*DH], cols[ow*SW + j*DW]];
//   db[co] = sum_{n, oh, ow} dy[n, co, oh, ow].
// Used only where one work-item per dW value is few enough terms (the host decides).
// x, w and dy come in one buffer: packed = [x | w | dy], w at w_at and dy at dy_at.
// The geometry (kernel, stride, dilation, channels per group) is a run-time argument.
__kernel void conv2d_direct_backward(__global const float *packed, const int w_at, const int dy_at,
                                     __global const int *rows, __global const int *cols,
                                     __global const int *row_ptr, __global const int *row_idx,
                                     __global const int *col_ptr, __global const int *col_idx,
                                     __global float *out,
                                     const int n_n, const int h, const int wd,
                                     const int oh_n, const int ow_n, const int groups, const int KH, const int KW, const int SH, const int SW,
                                    const int DH, const int DW, const int CIN_G, const int COUT_G)
{
    const __global float *x = packed, *w = packed + w_at, *dy = packed + dy_at;
    const int cout = COUT_G * groups, cin = CIN_G * groups;
    const int dx_n = n_n * cin * h * wd, dw_n = cout * CIN_G * KH * KW;
    int e = get_global_id(0);
    if (e < dx_n) {
        const int x0 = e % wd, y0 = (e / wd) % h, c = (e / (wd * h)) % cin, n = e / (wd * h * cin);
        const int g = c / CIN_G, cig = c % CIN_G;
        float acc = 0.0f;
        for (int a = row_ptr[y0]; a < row_ptr[y0 + 1]; ++a) {
            const int pr = row_idx[a];
            for (int i = 0; i < KH; ++i) {
                const int t = pr - i * DH;
                if (t < 0 || t % SH != 0 || t / SH >= oh_n) continue;
                const int oh = t / SH;
                for (int b = col_ptr[x0]; b < col_ptr[x0 + 1]; ++b) {
                    const int pc = col_idx[b];
                    for (int j = 0; j < KW; ++j) {
                        const int u = pc - j * DW;
                        if (u < 0 || u % SW != 0 || u / SW >= ow_n) continue;
                        const int ow = u / SW;
                        for (int k = 0; k < COUT_G; ++k) {
                            const int co = g * COUT_G + k;
                            acc += dy[((size_t)(n * cout + co) * oh_n + oh) * ow_n + ow]
                                 * w[((co * CIN_G + cig) * KH + i) * KW + j];
                        }
                    }
                }
            }
        }
        out[e] = acc;
        return;
    }
    e -= dx_n;
    if (e < dw_n) {
        const int j = e % KW, i = (e / KW) % KH, cig = (e / (KW * KH)) % CIN_G, co = e / (KW * KH * CIN_G);
        const int c = (co / COUT_G) * CIN_G + cig;
        float acc = 0.0f;
        for (int n = 0; n < n_n; ++n) {
            const __global float *plane = x + (size_t)(n * cin + c) * h * wd;
            const __global float *d = dy + (size_t)(n * cout + co) * oh_n * ow_n;
            for (int oh = 0; oh < oh_n; ++oh) {
                const int r = rows[oh * SH + i * DH];
                if (r < 0) continue;
                for (int ow = 0; ow < ow_n; ++ow) {
                    const int cc = cols[ow * SW + j * DW];
                    if (cc >= 0) acc += d[oh * ow_n + ow] * plane[(size_t)r * wd + cc];
                }
            }
        }
        out[dx_n + e] = acc;
        return;
    }
    e -= dw_n;
    if (e < cout) {
        float acc = 0.0f;
        for (int n = 0; n < n_n; ++n) {
            const __global float *d = dy + (size_t)(n * cout + e) * oh_n * ow_n;
            for (int p = 0; p < oh_n * ow_n; ++p) acc += d[p];
        }
        out[dx_n + dw_n + e] = acc;
    }
}
