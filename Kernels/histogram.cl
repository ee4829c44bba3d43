// Byte histogram (filled in by the OpenCL layer work).
