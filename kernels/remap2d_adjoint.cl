// The adjoint of remap2d: dst[p, r, c] = sum of src[p, pr, pc] over every pr with
// rows[pr] == r and every pc with cols[pc] == c. The inverse maps come in CSR form
// (row_ptr[r]..row_ptr[r+1] index row_idx), so each cell visits only its own copies.
// This is pad_backward: a reflected or replicated cell sends its gradient home.
__kernel void remap2d_adjoint(__global const float *src, __global float *dst,
                              __global const int *row_ptr, __global const int *row_idx,
                              __global const int *col_ptr, __global const int *col_idx,
                              const int src_h, const int src_w, const int dst_h, const int dst_w)
{
    const int c = get_global_id(0), r = get_global_id(1), p = get_global_id(2);
    if (c >= dst_w || r >= dst_h) return;
    const __global float *plane = src + (size_t)p * src_h * src_w;
    float acc = 0.0f;
    for (int a = row_ptr[r]; a < row_ptr[r + 1]; ++a) {
        const __global float *row = plane + (size_t)row_idx[a] * src_w;
        for (int b = col_ptr[c]; b < col_ptr[c + 1]; ++b)
            acc += row[col_idx[b]];
    }
    dst[((size_t)p * dst_h + r) * dst_w + c] = acc;
}
