#!/usr/bin/env bash
# build-native.sh - assembles the native part of the boot stage, links it with ILC's object and
# produces the flat Multiboot image.
#
# Usage: build-native.sh <objdir> <kernel.o> <out.bin>
#
# Steps: nasm -f elf64 for boot.asm, idt.asm, plugs.asm and any other *.asm in this folder (not
# test/); GNU ld with linker.ld (image linked at 1 MiB, see there) into <objdir>/bootstage.elf
# (+ bootstage.map); objcopy -O binary into <out.bin>; the relocation table boot.asm moves the
# image with, written into it by make-reloc-table.pl. Then it checks what a Multiboot v1 loader (Multiboot Specification 0.6.96, section
# 3.1) will check or assume: the header lies 4-byte aligned within the first 8192 bytes with a
# valid checksum, its a.out-kludge addresses match the file, and no section with file contents
# lies outside [load_addr, load_end_addr). Any failure exits non-zero with a message.
set -euo pipefail

die() { echo "build-native: error: $*" >&2; exit 1; }

[ $# -eq 3 ] || die "usage: $0 <objdir> <kernel.o> <out.bin>"
objdir=$1
kernel_obj=$2
out_bin=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

[ -f "$kernel_obj" ] || die "kernel object '$kernel_obj' not found"
for tool in nasm ld objcopy readelf nm od; do
    command -v "$tool" >/dev/null || die "'$tool' is not installed"
done
mkdir -p "$objdir" "$(dirname "$out_bin")"

# boot, idt and plugs always; then every other .asm beside them (runtime helpers, thunks), so a
# new file is linked without editing this script. BUILD_NATIVE_CORE_ONLY=1 leaves those out:
# the stand-in kernels in test/ use it, because such files reference symbols of the C# side.
sources=(boot idt plugs)
if [ "${BUILD_NATIVE_CORE_ONLY:-0}" != 1 ]; then
    for f in "$here"/*.asm; do
        name=$(basename "$f" .asm)
        case " ${sources[*]} " in *" $name "*) ;; *) sources+=("$name") ;; esac
    done
fi
objects=()
for src in "${sources[@]}"; do
    nasm -f elf64 -o "$objdir/$src.o" "$here/$src.asm" || die "nasm failed on $src.asm"
    objects+=("$objdir/$src.o")
done

elf=$objdir/bootstage.elf
# -z noexecstack / --no-warn-rwx-segments: this image has one flat RWX mapping by design; the
# warnings that newer ld prints about it are noise here. --emit-relocs keeps the relocations
# make-reloc-table.pl turns into the table boot.asm moves the image with.
link() {
    ld -nostdlib -static -T "$here/linker.ld" -z max-page-size=0x1000 -z noexecstack \
       --no-warn-rwx-segments --emit-relocs --defsym RELOC_TABLE_BYTES="$2" \
       -Map "$objdir/bootstage.map" -o "$1" "${objects[@]}" "$kernel_obj" || die "link failed"
}

# Twice: first to count the sites, then with that much room for the table. The room sits after
# the code and data, so the second link moves no site.
link "$elf" 0
reloc_bytes=$(perl "$here/make-reloc-table.pl" "$elf") || die "relocation table failed"
link "$elf" "$reloc_bytes"
objcopy -O binary "$elf" "$out_bin" || die "objcopy failed"
perl "$here/make-reloc-table.pl" "$elf" "$out_bin" || die "relocation table failed"

# ---- checks -----------------------------------------------------------------------------------
sym() {
    local v
    v=$(nm -P "$elf" | awk -v s="$1" '$1 == s { print $3; exit }')
    [ -n "$v" ] || die "symbol $1 missing from $elf"
    echo $((16#$v))
}
image_start=$(sym __image_start)
load_end=$(sym __load_end)
bss_start=$(sym __bss_start)
bss_end=$(sym __bss_end)
entry=$(sym _start)
size=$(stat -c %s "$out_bin")

[ "$image_start" -eq $((0x100000)) ] || die "__image_start is not 0x100000 (1 MiB)"
[ "$size" -eq $((load_end - image_start)) ] ||
    die "flat image is $size bytes but __load_end - __image_start is $((load_end - image_start))"
[ "$bss_start" -ge "$load_end" ] || die "__bss_start lies below __load_end"

# Multiboot header: first 4-byte aligned magic in the first 8 KiB, checksum and addresses.
mapfile -t words < <(od -An -v -tu4 -w4 -N 8192 "$out_bin" | tr -d ' ')
hdr=-1
for ((i = 0; i + 7 < ${#words[@]}; i++)); do
    if [ "${words[i]}" = "$((0x1BADB002))" ]; then hdr=$i; break; fi
done
[ "$hdr" -ge 0 ] || die "Multiboot header not found in the first 8192 bytes of $out_bin"
magic=${words[hdr]} flags=${words[hdr+1]} checksum=${words[hdr+2]}
[ $(((magic + flags + checksum) & 0xFFFFFFFF)) -eq 0 ] || die "Multiboot checksum is wrong"
[ $((flags & 0x10000)) -ne 0 ] || die "Multiboot a.out kludge flag (bit 16) not set"
header_addr=${words[hdr+3]} load_addr=${words[hdr+4]} load_end_addr=${words[hdr+5]}
bss_end_addr=${words[hdr+6]} entry_addr=${words[hdr+7]}
[ $((header_addr - load_addr)) -eq $((hdr * 4)) ] ||
    die "header_addr - load_addr does not equal the header's file offset $((hdr * 4))"
[ "$load_addr" -eq "$image_start" ] || die "load_addr != __image_start"
[ "$load_end_addr" -eq "$load_end" ] || die "load_end_addr != __load_end"
[ "$bss_end_addr" -eq "$bss_end" ] || die "bss_end_addr != __bss_end"
[ "$entry_addr" -eq "$entry" ] || die "entry_addr != _start"
[ "$bss_end" -lt $((0x100000000)) ] || die "image does not fit below 4 GiB"

# Every allocated section with file contents must lie inside the loaded range; one after .bss
# would be silently dropped by the loader (or bloat the image with the .bss gap).
while read -r name type addr _off sz _es flg _rest; do
    [ "$type" = NOBITS ] && continue
    case "$flg" in *A*) ;; *) continue ;; esac
    a=$((16#$addr)) s=$((16#$sz))
    [ "$s" -eq 0 ] && continue
    if [ "$a" -lt "$image_start" ] || [ $((a + s)) -gt "$load_end" ]; then
        die "section $name ($type at 0x$addr, 0x$sz bytes) lies outside the loaded image"
    fi
done < <(readelf -SW "$elf" | sed -n 's/^ *\[ *[0-9]*\] //p')

printf 'build-native: %s: %d bytes, header at offset %d, load 0x%x-0x%x, bss end 0x%x, entry 0x%x\n' \
    "$out_bin" "$size" $((hdr * 4)) "$load_addr" "$load_end_addr" "$bss_end_addr" "$entry_addr"
