// The scatter form of dX ("scope of impact", seed 001): every dY cell stamps dY * W onto
// its receptive field. Written as a gather so no two work-items write the same cell:
// dxp[n, c, y, x] = sum over (co, i, j) with y = oh*SH + i*DH, x = ow*SW + j*DW of
//                   dy[n, co, oh, ow] * w[co, c % CIN_G, i, j],
// counting only the first `upto` stamps in row-major (n, co, oh, ow) order.
// The result is in padded coordinates (X_pad); pad_backward folds it onto X.
__kernel void conv2d_dx_scatter(__global const float *dy, __global const float *w, __global float *dxp,
                                const int hp, const int wp, const int oh_n, const int ow_n,
                                const int kh, const int kw, const int sh, const int sw,
                                const int dh, const int dw, const int cin_g, const int cout_g,
                                const int groups, const long upto)
{
    const int x = get_global_id(0), y = get_global_id(1), nc = get_global_id(2);
    if (x >= wp || y >= hp) return;
    const int cin = cin_g * groups, cout = cout_g * groups;
    const int n = nc / cin, c = nc % cin, g = c / cin_g, ci = c % cin_g;
    float acc = 0.0f;
    for (int cog = 0; cog < cout_g; ++cog) {
        const int co = g * cout_g + cog;
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
                const long flat = (((long)n * cout + co) * oh_n + oh) * ow_n + ow;
                if (flat < upto)
                    acc += dy[flat] * w[(((size_t)co * cin_g + ci) * kh + i) * kw + j];
            }
        }
    }
    dxp[((size_t)nc * hp + y) * wp + x] = acc;
}
