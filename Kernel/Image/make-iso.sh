#!/usr/bin/env bash
# make-iso.sh - wraps the flat Multiboot image in a BIOS-bootable ISO 9660 image.
#
# Usage: make-iso.sh <bootstage.bin> <out.iso> [cmdline words...]
#
# Boot chain: El Torito "no emulation" boot (El Torito Bootable CD-ROM Format Specification 1.0)
# of ISOLINUX, which runs syslinux's mboot.c32 COM32 module; mboot.c32 loads bootstage.bin as a
# Multiboot v1 kernel (Multiboot Specification 0.6.96, a.out kludge) and passes the command
# line "bootstage.bin <cmdline words...>". The ISOLINUX config (syslinux config file format)
# boots at once: no prompt, no timeout, console mirrored to COM1 at 115200. The ISO also gets
# an isohybrid MBR so the same file can be written to a USB stick.
#
# Syslinux files come from the Debian packages isolinux and syslinux-common; set ISOLINUX_BIN
# or SYSLINUX_MODULES to use other locations.
set -euo pipefail

die() { echo "make-iso: error: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: $0 <bootstage.bin> <out.iso> [cmdline words...]"
image=$1
out_iso=$2
shift 2
cmdline="$*"

isolinux_bin=${ISOLINUX_BIN:-/usr/lib/ISOLINUX/isolinux.bin}
isohybrid_mbr=${ISOHYBRID_MBR:-/usr/lib/ISOLINUX/isohdpfx.bin}
modules=${SYSLINUX_MODULES:-/usr/lib/syslinux/modules/bios}

[ -f "$image" ] || die "image '$image' not found"
command -v xorriso >/dev/null || die "xorriso is not installed (apt-get install xorriso)"
[ -f "$isolinux_bin" ] || die "$isolinux_bin not found (apt-get install isolinux)"
for m in ldlinux.c32 mboot.c32 libcom32.c32; do
    [ -f "$modules/$m" ] || die "$modules/$m not found (apt-get install syslinux-common)"
done
case "$cmdline" in *$'\n'*) die "the command line must be a single line" ;; esac

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging/isolinux"
cp "$isolinux_bin" "$staging/isolinux/isolinux.bin"
# ldlinux.c32 is ISOLINUX's second stage; mboot.c32 needs libcom32.c32 (its only DT_NEEDED).
for m in ldlinux.c32 mboot.c32 libcom32.c32; do
    cp "$modules/$m" "$staging/isolinux/$m"
done
cp "$image" "$staging/bootstage.bin"

# SERIAL must be the first line for syslinux to set the port up before it prints anything.
# PROMPT 0 + TIMEOUT 0: boot DEFAULT immediately (TIMEOUT 0 means "no timeout", which without a
# prompt never waits). The kernel path is absolute so it does not depend on the config folder.
cat > "$staging/isolinux/isolinux.cfg" <<EOF
SERIAL 0 115200
PROMPT 0
TIMEOUT 0
DEFAULT bootstage
LABEL bootstage
    KERNEL mboot.c32
    APPEND /bootstage.bin${cmdline:+ $cmdline}
EOF

mkdir -p "$(dirname "$out_iso")"
rm -f "$out_iso"
xorriso -as mkisofs \
    -quiet \
    -o "$out_iso" \
    -V BOOTSTAGE \
    -J -R \
    -isohybrid-mbr "$isohybrid_mbr" \
    -b isolinux/isolinux.bin \
    -c isolinux/boot.cat \
    -no-emul-boot -boot-load-size 4 -boot-info-table \
    "$staging" || die "xorriso failed"

echo "make-iso: $out_iso ($(stat -c %s "$out_iso") bytes), cmdline: /bootstage.bin${cmdline:+ $cmdline}"
