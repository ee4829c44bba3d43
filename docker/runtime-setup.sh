#!/bin/bash
# Turns a Debian 12 (bookworm) root file system into sluice's runtime. Run as root INSIDE that
# root file system: by the Dockerfile's runtime stage (RUN) and by scripts/container-smoke
# (chroot), so the image and the engine-free smoke test get the same packages, user and files.
#
#   runtime-setup.sh [PACKAGES_FILE]    (default: runtime-packages.txt next to this script)
#
# - installs exactly the packages listed in PACKAGES_FILE, --no-install-recommends, apt lists
#   cleaned afterwards;
# - creates the unprivileged user `sluice` (uid/gid 10001; the Dockerfile's USER must match);
# - registers NVIDIA's OpenCL driver with the ICD loader: the NVIDIA container toolkit mounts
#   libnvidia-opencl.so.1 into the container but no vendor file. ocl-icd skips a vendor
#   library it cannot dlopen, so the file is harmless on machines without an NVIDIA GPU;
# - creates the PoCL kernel cache directory (POCL_CACHE_DIR), owned by `sluice`, and /data.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
packages_file=${1:-$here/runtime-packages.txt}
user=sluice
uid=10001
pocl_cache=/var/cache/pocl

mapfile -t packages < <(awk '{ sub(/#.*/, ""); for (i = 1; i <= NF; i++) print $i }' "$packages_file")
if [[ ${#packages[@]} -eq 0 ]]; then
    echo "runtime-setup: no packages in $packages_file" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"
apt-get clean
rm -rf /var/lib/apt/lists/*

if ! getent passwd "$user" >/dev/null; then
    groupadd --gid "$uid" "$user"
    useradd --uid "$uid" --gid "$uid" --create-home --home-dir "/home/$user" \
        --shell /usr/sbin/nologin "$user"
fi

install -d -m 0755 /etc/OpenCL/vendors
printf '%s\n' libnvidia-opencl.so.1 > /etc/OpenCL/vendors/nvidia.icd

install -d -m 0755 -o "$user" -g "$user" "$pocl_cache"
install -d -m 0755 /data
