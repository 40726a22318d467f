// Batched, strided matrix product: c[b, m, n] = sum_k a[b*sab + m*sam + k*sak] * b[b*sbb + k*sbk + n*sbn].
// The strides are arguments so a transposed operand needs no copy on the device.
__kernel void matmul(__global const float *a, __global const float *bm, __global float *c,
                     const int m_n, const int n_n, const int k_n,
                     const int sab, const int sam, const int sak,
                     const int sbb, const int sbk, const int sbn)
{
    const int n = get_global_id(0), m = get_global_id(1), bt = get_global_id(2);
    if (n >= n_n || m >= m_n) return;
    const __global float *pa = a + (size_t)bt * sab + (size_t)m * sam;
    const __global float *pb = bm + (size_t)bt * sbb + (size_t)n * sbn;
    float acc = 0.0f;
    for (int k = 0; k < k_n; ++k) acc += pa[(size_t)k * sak] * pb[(size_t)k * sbk];
    c[((size_t)bt * m_n + m) * n_n + n] = acc;
}
