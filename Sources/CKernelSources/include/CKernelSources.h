// The OpenCL C sources of Kernels/*.cl, embedded into the binary at build time (C23 #embed),
// so that a copied release binary needs no files beside it.
#ifndef CKERNELSOURCES_H
#define CKERNELSOURCES_H

/// The NUL-terminated source of Kernels/NAME.cl, or NULL if no kernel has that name.
const char *sluice_kernel_source(const char *name);

#endif
