# syntax=docker/dockerfile:1
#
# sluice with PoCL (OpenCL on the CPU) inside; NVIDIA GPUs via the NVIDIA container toolkit.
#   docker build -t sluice .
#   docker run --rm -v "$PWD/data:/data:ro" sluice run --device opencl /data
# See docs/container.md. scripts/container-smoke builds the same runtime root file system
# without a container engine (debootstrap + chroot) and tests it.

# Same Swift release as the project's toolchain (6.3.1), Debian 12 so that the binary links
# against the glibc/libstdc++ of the runtime stage.
ARG SWIFT_IMAGE=swift:6.3.1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------------------------
FROM ${SWIFT_IMAGE} AS builder
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# OpenCL headers and the loader's pkg-config file (the COpenCL system library target), and
# SQLite's headers (the results store, through GRDB).
# Versions are not pinned: bookworm is a stable release and only takes security/point fixes.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ocl-icd-opencl-dev opencl-headers pkg-config libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Dependencies first, so that a source change does not fetch them again.
COPY Package.swift Package.resolved* ./
RUN swift package resolve
# Tests/ is needed: SwiftPM validates every target of the manifest, the test target included.
COPY Sources ./Sources
COPY Kernels ./Kernels
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product sluice \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/sluice" /out/sluice \
    && ldd /out/sluice

# ---------------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

ARG SLUICE_VERSION=dev
ARG SLUICE_REVISION=unknown
ARG SLUICE_SOURCE=unknown
LABEL org.opencontainers.image.title="sluice" \
      org.opencontainers.image.description="Streams batches of files through a compute kernel (BLAKE3) on OpenCL (GPU, or PoCL on the CPU) or CPU SIMD" \
      org.opencontainers.image.version="${SLUICE_VERSION}" \
      org.opencontainers.image.revision="${SLUICE_REVISION}" \
      org.opencontainers.image.source="${SLUICE_SOURCE}" \
      org.opencontainers.image.base.name="debian:bookworm-slim"

# Packages from docker/runtime-packages.txt (--no-install-recommends, apt lists removed), the
# user sluice (10001:10001), /etc/OpenCL/vendors/nvidia.icd, /var/cache/pocl and /data.
# The same script builds scripts/container-smoke's root file system.
COPY docker/runtime-packages.txt docker/runtime-setup.sh /tmp/sluice-setup/
RUN /tmp/sluice-setup/runtime-setup.sh /tmp/sluice-setup/runtime-packages.txt \
    && rm -rf /tmp/sluice-setup

COPY --from=builder /out/sluice /usr/local/bin/sluice

# One ENV per line: scripts/container-smoke reads these lines and runs with the same values.
# PoCL keeps compiled kernels here (writable by sluice; mount a volume to keep them).
ENV POCL_CACHE_DIR=/var/cache/pocl
# What the NVIDIA container toolkit mounts when run with --gpus: compute gives
# libnvidia-opencl.so.1 (and CUDA), utility gives nvidia-smi.
ENV NVIDIA_DRIVER_CAPABILITIES=compute,utility

USER 10001:10001
WORKDIR /data
ENTRYPOINT ["sluice"]
CMD ["devices"]
