// Each Kernels/NAME.cl is embedded with #embed; clang records the files in its dependency
// output, so editing a .cl file rebuilds this target.
#include "CKernelSources.h"

#include <string.h>

static const char histogram_cl[] = {
#embed "../../Kernels/histogram.cl"
    , 0};

static const char stats_cl[] = {
#embed "../../Kernels/stats.cl"
    , 0};

static const char blake3_cl[] = {
#embed "../../Kernels/blake3.cl"
    , 0};

const char *sluice_kernel_source(const char *name) {
    if (strcmp(name, "histogram") == 0) return histogram_cl;
    if (strcmp(name, "blake3") == 0) return blake3_cl;
    if (strcmp(name, "stats") == 0) return stats_cl;
    return NULL;
}
