#!/usr/bin/env bash
# fetch-debian-kernel.sh DIR - puts Debian's kernel, the two iBFT modules and the EDD module
# built with it and a static busybox in DIR, for the Linux-on-a-LUN image test. The packages are fetched with
# `apt-get download` and unpacked with `dpkg-deb -x`; nothing is installed. Idempotent: a DIR
# that already holds them (DIR/ready) is left as it is.
#
#   DIR/vmlinuz  DIR/iscsi_boot_sysfs.ko  DIR/iscsi_ibft.ko  DIR/edd.ko  DIR/busybox  DIR/version
set -euo pipefail
dir=${1:?usage: fetch-debian-kernel.sh DIR}
[ -f "$dir/ready" ] && [ -f "$dir/edd.ko" ] && exit 0
mkdir -p "$dir"
work=$(mktemp -d "$dir/fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The kernel package linux-image-amd64 points at today (apt lists are read once if missing).
resolve() { apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\).*/\1/p' | head -n 1; }
package=$(resolve)
if [ -z "$package" ] && [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    package=$(resolve)
fi
[ -n "$package" ] || { echo "fetch-debian-kernel.sh: apt knows no linux-image-amd64 (run apt-get update as root)" >&2; exit 1; }

(cd "$work" && apt-get download -qq "$package" busybox-static 2>&1 | grep -v 'Download is performed unsandboxed' >&2 || true)
for deb in "$work"/*.deb; do
    dpkg-deb -x "$deb" "$work/root"
done

version=${package#linux-image-}
modules=$work/root/lib/modules/$version/kernel
install -m 0644 "$work/root/boot/vmlinuz-$version" "$dir/vmlinuz"
install -m 0644 "$modules/drivers/scsi/iscsi_boot_sysfs.ko" "$dir/iscsi_boot_sysfs.ko"
install -m 0644 "$modules/drivers/firmware/iscsi_ibft.ko" "$dir/iscsi_ibft.ko"
install -m 0644 "$modules/drivers/firmware/edd.ko" "$dir/edd.ko"
install -m 0755 "$work/root/bin/busybox" "$dir/busybox"
echo "$version" >"$dir/version"
touch "$dir/ready"
