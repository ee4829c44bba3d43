// The OpenCL API level sluice is written against. Fixing it here silences the headers'
// "defaulting to 3.0" message and keeps deprecated 1.2 entry points (clCreateCommandQueue) visible.
#ifndef SLUICE_COPENCL_SHIM_H
#define SLUICE_COPENCL_SHIM_H
#define CL_TARGET_OPENCL_VERSION 300
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>
#endif
