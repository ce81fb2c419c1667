#!/usr/bin/env bash
# run-tests.sh - boots each stand-in kernel of this folder in QEMU (TCG) and checks the serial
# output and the isa-debug-exit status.
#
# Usage: run-tests.sh [outdir]        (default: ${TMPDIR:-/tmp}/kernel-native-tests)
#
# Each stand-in replaces ILC's kernel.o; it is linked by ../build-native.sh (boot, idt and plugs
# only: other .asm files there need the C# side's symbols), started with QEMU's
# Multiboot loader (-kernel) and, for the main stand-in, also from an ISO made by
# ../../Image/make-iso.sh (ISOLINUX + mboot.c32). QEMU's isa-debug-exit device turns a write of
# v to port 0xF4 into exit status 2v+1. Always TCG: /dev/kvm on these machines is a
# paravirtual KVM on which real-mode and SSE code misbehave. Every run has a timeout.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
native=$(dirname "$here")
image_dir=$(cd "$native/../Image" && pwd)
out=${1:-${TMPDIR:-/tmp}/kernel-native-tests}
mkdir -p "$out"

qemu=(timeout 90 qemu-system-x86_64 -accel tcg -m 256 -serial stdio -display none -no-reboot
      -device isa-debug-exit,iobase=0xf4,iosize=0x04)
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# build <name>: assembles test/<name>.asm and links it into $out/<name>/kernel.bin
build() {
    local name=$1
    mkdir -p "$out/$name"
    nasm -f elf64 -i "$here/" -o "$out/$name/$name.o" "$here/$name.asm" &&
        BUILD_NATIVE_CORE_ONLY=1 \
        "$native/build-native.sh" "$out/$name" "$out/$name/$name.o" "$out/$name/kernel.bin" \
            > "$out/$name/build.log" 2>&1 || { cat "$out/$name/build.log"; return 1; }
}

# offset_of <name> <symbol>: the symbol's offset from __image_start as the exception report
# prints it ("image+0x..."): the image moves to the top of memory at boot, so RIP itself varies.
offset_of() {
    local base site
    base=$(nm "$out/$1/bootstage.elf" | awk '$3 == "__image_start" { print $1; exit }')
    site=$(nm "$out/$1/bootstage.elf" | awk -v s="$2" '$3 == s { print $1; exit }')
    printf '%08X' $((16#$site - 16#$base))
}

# run <name> <log> <expected status> <qemu args...> ; then the log is checked by the caller
run() {
    local name=$1 log=$2 want=$3
    shift 3
    "${qemu[@]}" "$@" > "$log" 2>&1 < /dev/null
    local got=$?
    tr -d '\r' < "$log" > "$log.txt"
    if [ "$got" -ne "$want" ]; then
        fail "$name: exit status $got, expected $want (log: $log.txt)"
        sed 's/^/    | /' "$log.txt" | tail -20
        return 1
    fi
    echo "ok: $name: exit status $got"
}

expect() {
    local name=$1 log=$2 pattern=$3
    grep -qF -- "$pattern" "$log.txt" || fail "$name: '$pattern' not in the serial output ($log.txt)"
}

# ---- the main stand-in: plugs, MSR fault recovery, Multiboot info ------------------------------
if build standin; then
    log=$out/standin/kernel.log
    if run standin "$log" 1 -kernel "$out/standin/kernel.bin" -append "alpha beta=1"; then
        expect standin "$log" "standin: ALL OK"
        expect standin "$log" "kernel.bin alpha beta=1'"   # QEMU passes the -kernel path first
        expect standin "$log" "plug_wrmsr(0x6E1, reserved bits) rc=0xFFFFFFFF"
    fi
    # a 32-bit-only CPU: boot.asm must refuse with a message and status 251
    log=$out/standin/no-long-mode.log
    run standin-qemu32 "$log" 251 -cpu qemu32 -kernel "$out/standin/kernel.bin" &&
        expect standin-qemu32 "$log" "does not support 64-bit long mode"
    if "$image_dir/make-iso.sh" "$out/standin/kernel.bin" "$out/standin/standin.iso" \
        alpha beta=1 > "$out/standin/iso-build.log" 2>&1; then
        log=$out/standin/iso.log
        if run standin-iso "$log" 1 -cdrom "$out/standin/standin.iso"; then
            expect standin-iso "$log" "standin: ALL OK"
            expect standin-iso "$log" "cmdline='/bootstage.bin alpha beta=1'"
            expect standin-iso "$log" "boot_loader_name='ISOLINUX"
        fi
    else
        fail "make-iso.sh failed"; cat "$out/standin/iso-build.log"
    fi
else
    fail "standin: build"
fi

# ---- fatal exceptions: vector, RIP and status 255 ---------------------------------------------
check_fault() {
    local name=$1 vector=$2 site=$3
    build "$name" || { fail "$name: build"; return; }
    local log=$out/$name/kernel.log
    run "$name" "$log" 255 -kernel "$out/$name/kernel.bin" || return
    expect "$name" "$log" "!!! CPU EXCEPTION vector=0x$vector "
    if [ -n "$site" ]; then
        expect "$name" "$log" "image+0x$(offset_of "$name" "$site")"
    fi
}
check_fault standin-null 0E null_load
grep -qF "cr2=0x0000000000000000" "$out/standin-null/kernel.log.txt" 2>/dev/null ||
    fail "standin-null: CR2 is not 0"
check_fault standin-ud2 06 ud2_site
check_fault standin-gp 0D ""
check_fault standin-df 08 ""

# ---- KernelEntry returns -----------------------------------------------------------------------
if build standin-return; then
    log=$out/standin-return/kernel.log
    run standin-return "$log" 33 -kernel "$out/standin-return/kernel.bin" &&
        expect standin-return "$log" "kernel returned"
else
    fail "standin-return: build"
fi

# ---- linker script with ILC-like and unknown sections -----------------------------------------
if build standin-sections; then
    run standin-sections "$out/standin-sections/kernel.log" 1 \
        -kernel "$out/standin-sections/kernel.bin"
else
    fail "standin-sections: build"
fi

# ---- the move to the top of memory -------------------------------------------------------------
if build standin-moved; then
    log=$out/standin-moved/kernel.log
    run standin-moved "$log" 1 -kernel "$out/standin-moved/kernel.bin" &&
        expect standin-moved "$log" "standin-moved: OK"
    # mboot.c32 puts its structures elsewhere than QEMU's loader: the move must avoid them too
    if "$image_dir/make-iso.sh" "$out/standin-moved/kernel.bin" "$out/standin-moved/moved.iso" \
        > "$out/standin-moved/iso-build.log" 2>&1; then
        log=$out/standin-moved/iso.log
        run standin-moved-iso "$log" 1 -cdrom "$out/standin-moved/moved.iso" &&
            expect standin-moved-iso "$log" "standin-moved: OK"
    else
        fail "standin-moved: make-iso.sh failed"
    fi
else
    fail "standin-moved: build"
fi

# An absolute sign-extended address would break above 2 GiB: the build must refuse it by name.
if build standin-sign-extended > "$out/sign-extended.log" 2>&1; then
    fail "standin-sign-extended: linked although it uses R_X86_64_32S"
elif grep -qF "R_X86_64_32S" "$out/sign-extended.log"; then
    echo "ok: standin-sign-extended: refused by name"
else
    fail "standin-sign-extended: refused without naming R_X86_64_32S"; cat "$out/sign-extended.log"
fi

if [ "$failures" -ne 0 ]; then
    echo "native tests: $failures failure(s); logs in $out"
    exit 1
fi
echo "native tests: all passed; logs in $out"
