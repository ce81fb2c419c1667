#!/usr/bin/env bash
# make-pxe.sh - builds the PXE network bootstrap program: the real-mode prefix (pxeprefix.asm,
# exactly 8 KiB) followed by the flat Multiboot image, which the prefix loads and enters.
#
# Usage: make-pxe.sh <bootstage.bin> <out.pxe>
set -euo pipefail

die() { echo "make-pxe: error: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 <bootstage.bin> <out.pxe>"
image=$1
out=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ -f "$image" ] || die "image '$image' not found"

prefix=$(mktemp)
trap 'rm -f "$prefix"' EXIT
nasm -f bin -o "$prefix" "$here/pxeprefix.asm" || die "nasm failed on pxeprefix.asm"
[ "$(stat -c %s "$prefix")" -eq 8192 ] || die "the prefix must be exactly 8192 bytes"
cat "$prefix" "$image" >"$out"

# A PXE ROM loads the NBP at 0000:7C00 and it must fit below the EBDA (about 0x9F000).
size=$(stat -c %s "$out")
[ $((0x7C00 + size)) -le $((0x9F000)) ] || die "$out ($size bytes) does not fit in base memory"
echo "make-pxe: $out ($size bytes)"
