// The adjoint of im2col, as a gather: every X_pad cell adds up the column entries copied from it.
// xpg[n, c, y, x] = sum over (i, j) with y = oh*sh + i*dh, x = ow*sw + j*dw of
//                   cols[g, (ci*kh + i)*kw + j, (n*OH + oh)*OW + ow]
__kernel void col2im(__global const float *cols, __global float *xpg,
                     const int n_batch, const int hp, const int wp, const int oh_n, const int ow_n,
                     const int kh, const int kw, const int sh, const int sw, const int dh, const int dw,
                     const int cin_g, const int groups)
{
    const int x = get_global_id(0), y = get_global_id(1), nc = get_global_id(2);
    if (x >= wp || y >= hp) return;
    const int cin = cin_g * groups;
    const int n = nc / cin, c = nc % cin, g = c / cin_g, ci = c % cin_g;
    const int ncols = n_batch * oh_n * ow_n, nrows = cin_g * kh * kw;
    float acc = 0.0f;
    for (int i = 0; i < kh; ++i) {
        const int yy = y - i * dh;
        if (yy < 0 || yy % sh) continue;
        const int oh = yy / sh;
        if (oh >= oh_n) continue;
        for (int j = 0; j < kw; ++j) {
            const int xx = x - j * dw;
            if (xx < 0 || xx % sw) continue;
            const int ow = xx / sw;
            if (ow >= ow_n) continue;
            acc += cols[((size_t)g * nrows + (ci * kh + i) * kw + j) * ncols + ((size_t)n * oh_n + oh) * ow_n + ow];
        }
    }
    xpg[((size_t)nc * hp + y) * wp + x] = acc;
}
