// BLAKE3 (filled in with the pipeline work).
