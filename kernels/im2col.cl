// X_col[g, (ci*kh + i)*kw + j, (n*OH + oh)*OW + ow] = xp[n, g*cin_g + ci, oh*sh + i*dh, ow*sw + j*dw]
__kernel void im2col(__global const float *xp, __global float *cols,
                     const int n_batch, const int hp, const int wp, const int oh_n, const int ow_n,
                     const int kh, const int kw, const int sh, const int sw, const int dh, const int dw,
                     const int cin_g, const int groups)
{
    const int col = get_global_id(0), row = get_global_id(1), g = get_global_id(2);
    const int ncols = n_batch * oh_n * ow_n, nrows = cin_g * kh * kw;
    if (col >= ncols || row >= nrows) return;
    const int ow = col % ow_n, oh = (col / ow_n) % oh_n, n = col / (ow_n * oh_n);
    const int j = row % kw, i = (row / kw) % kh, ci = row / (kw * kh);
    cols[((size_t)g * nrows + row) * ncols + col] =
        xp[(((size_t)n * cin_g * groups + g * cin_g + ci) * hp + oh * sh + i * dh) * wp + ow * sw + j * dw];
}
