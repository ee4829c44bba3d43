// Placeholder: filled in with the BLAKE3 SIMD kernel.
public enum BLAKE3Lanes {}
