// Stage 2 of a two-stage sum: out[e] = sum_chunk part[chunk, e].
__kernel void reduce_partials(__global const float *part, __global float *out,
                              const int n_elems, const int n_chunks)
{
    const int e = get_global_id(0);
    if (e >= n_elems) return;
    float acc = 0.0f;
    for (int c = 0; c < n_chunks; ++c) acc += part[(size_t)c * n_elems + e];
    out[e] = acc;
}
