/* PLACEHOLDER until the SIMD kernels land: every entry null, so the dispatcher uses the scalar reference. */
#include "../internal.h"
extern "C" const b4j_kernels b4j_kernels_avx512_vnni = {0, 0, 0};
