// W': every kernel rotated by 180 degrees with Cin and Cout swapped inside each group.
// w is (Cout, Cin_g, KH, KW); wf is (Cin, Cout_g, KH, KW) with Cin = Cin_g * groups.
// wf[g*Cin_g + ci, co, i, j] = w[g*Cout_g + co, ci, KH-1-i, KW-1-j]
__kernel void flip_kernel(__global const float *w, __global float *wf,
                          const int cin_g, const int cout_g, const int kh, const int kw)
{
    const int e = get_global_id(0);             // flat index into wf
    const int j = e % kw, i = (e / kw) % kh;
    const int co = (e / (kw * kh)) % cout_g;
    const int cin = e / (kw * kh * cout_g);     // g*Cin_g + ci
    const int g = cin / cin_g, ci = cin % cin_g;
    wf[e] = w[(((size_t)(g * cout_g + co) * cin_g + ci) * kh + (kh - 1 - i)) * kw + (kw - 1 - j)];
}
