#!/usr/bin/env bash
# build.sh - builds, boots and tests the boot stage on Debian.
#
#   ./build.sh image   build out/bootstage.bin (multiboot), out/bootstage.iso (El Torito) and
#                      out/bootstage.pxe (PXE network bootstrap program)
#   ./build.sh run     build everything and boot the ISO in QEMU (TCG), serial console on this terminal
#   ./build.sh hyperv [--profile NAME] [-- WORDS]  boot out/bootstage.bin in the emulated Hyper-V machine
#                      (our host model on Unicorn, NIC bridged to slirp); its exit code is the image's
#   ./build.sh test    build, run every test (native stand-ins, xunit, QEMU boots); ends with
#                      one line "N passed, N failed[, N skipped]"
#   ./build.sh deps    install (as root) or name the Debian packages the others need
#
# As root, missing Debian packages are installed with apt-get; otherwise the exact command is
# printed and the build stops.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
root=$(pwd)
out=$root/out

# Debian packages and a file each one provides (checked instead of asking dpkg, which is slower).
packages=(
    "nasm:/usr/bin/nasm"
    "qemu-system-x86:/usr/bin/qemu-system-x86_64"
    "ipxe-qemu:/usr/lib/ipxe/qemu/efi-virtio.rom"
    "xorriso:/usr/bin/xorriso"
    "isolinux:/usr/lib/ISOLINUX/isolinux.bin"
    "syslinux-common:/usr/lib/syslinux/modules/bios/mboot.c32"
    "binutils:/usr/bin/ld"
    "libslirp0:/usr/lib/x86_64-linux-gnu/libslirp.so.0"
    "dnsmasq-base:/usr/sbin/dnsmasq"
    "tgt:/usr/sbin/tgtd"
    "libiscsi-bin:/usr/bin/iscsi-perf"
    "syslinux:/usr/bin/syslinux"
    "mtools:/usr/bin/mcopy"
    "dosfstools:/usr/sbin/mkfs.fat"
    "libunicorn2:/usr/lib/x86_64-linux-gnu/libunicorn.so.2"
    "ipxe:/usr/lib/ipxe/ipxe.lkrn"
)

log() { printf 'build.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

deps() {
    local missing=() entry
    for entry in "${packages[@]}"; do
        [ -e "${entry#*:}" ] || missing+=("${entry%%:*}")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" -eq 0 ]; then
            log "installing ${missing[*]}"
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        else
            die "missing Debian packages; run: sudo apt-get install -y ${missing[*]}"
        fi
    fi
    command -v dotnet >/dev/null || die "the .NET 10 SDK is needed (dotnet on PATH)"
}

image() {
    deps
    mkdir -p "$out"
    log "compiling the kernel with NativeAOT (ILC)"
    dotnet publish Kernel/Kernel.csproj -c Release --nologo -v quiet -o "$out/ilc" >"$out/ilc.log" 2>&1 ||
        { cat "$out/ilc.log"; die "kernel compilation failed"; }
    local object=Kernel/obj/Release/net10.0/linux-x64/native/Kernel.o
    [ -f "$object" ] || die "ILC wrote no $object"
    Kernel/Native/build-native.sh "$out/native" "$object" "$out/bootstage.bin" >&2
    Kernel/Image/make-iso.sh "$out/bootstage.bin" "$out/bootstage.iso" >&2
    Kernel/Image/make-pxe.sh "$out/bootstage.bin" "$out/bootstage.pxe" >&2
}

run() {
    image
    log "booting out/bootstage.iso in QEMU (TCG); the kernel powers off when done (Ctrl-A X quits)"
    exec qemu-system-x86_64 -machine pc -accel tcg -m 256 -cdrom "$out/bootstage.iso" -boot d \
        -netdev user,id=n0 -device virtio-net-pci,netdev=n0 \
        -nographic -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 || true
}

# Boots the image in the emulated Hyper-V Gen1 machine (tests/HyperV.Machine, docs/hyperv-machine.md):
# COM1 on stdout, the image's isa-debug-exit code as the status (124: deadline, 125: machine fault).
hyperv() {
    image
    log "building the emulated Hyper-V machine (tests/HyperV.Machine)"
    dotnet build tests/HyperV.Machine/HyperV.Machine.csproj -c Release --nologo -v quiet >"$out/hyperv-build.log" 2>&1 ||
        { cat "$out/hyperv-build.log"; die "the emulated machine does not build"; }
    exec dotnet tests/HyperV.Machine/bin/Release/net10.0/HyperV.Machine.dll --out "$out" "$@"
}

# Tallies a `dotnet test` (VSTest) log and prints "passed failed skipped". The per-assembly summary
# lines ("Passed!  - Failed: N, Passed: N, Skipped: N, Total: N, Duration: .. - X.dll (net10.0)")
# give the counts. A test host that crashes prints "Test Run Aborted." and, depending on when it
# died, the summary of the tests it finished or none at all, so on top of the summaries every
# "Test Run Aborted" counts as one failure, and so does every assembly announced ("Test run for
# /../X.dll (...)") that printed no summary: an aborted or silent assembly is never "0 failed" (one
# that crashed before its summary counts twice). A log with no result at all is one failure too.
tally_test_log() {
    local test_log=$1 passed=0 failed=0 skipped=0 line p f s
    local summary='^ *(Passed|Failed)! +- Failed: +[0-9]'
    while IFS= read -r line; do
        f=$(sed -nE 's/.*Failed: *([0-9]+).*/\1/p' <<<"$line")
        p=$(sed -nE 's/.*Passed: *([0-9]+).*/\1/p' <<<"$line")
        s=$(sed -nE 's/.*Skipped: *([0-9]+).*/\1/p' <<<"$line")
        passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
    done < <(grep -E "$summary" "$test_log" || true)

    # Announced assemblies without a summary (a multiset difference: comm pairs equal lines off).
    local missing aborted
    missing=$(LC_ALL=C comm -23 \
        <(sed -nE 's#^ *Test run for (.*/)?([^/]+\.dll) \(.*#\2#p' "$test_log" | LC_ALL=C sort) \
        <(grep -E "$summary" "$test_log" | sed -nE 's/.* - ([^ ]+\.dll) \(.*/\1/p' | LC_ALL=C sort) || true)
    if [ -n "$missing" ]; then
        log "no test summary from: $(paste -sd ' ' - <<<"$missing")"
        failed=$((failed + $(wc -l <<<"$missing")))
    fi
    aborted=$(grep -c 'Test Run Aborted' "$test_log" || true)
    if [ "$aborted" -gt 0 ]; then
        log "$aborted test run(s) aborted"
        failed=$((failed + aborted))
    fi
    if ! grep -qE "$summary" "$test_log" && [ -z "$missing" ] && [ "$aborted" -eq 0 ]; then
        log "dotnet test reported no results"
        failed=$((failed + 1))
    fi
    echo "$passed $failed $skipped"
}

test_all() {
    image
    local passed=0 failed=0 skipped=0 status=0

    log "native boot-stub tests (nasm stand-ins in QEMU)"
    local native_log=$out/native-tests.log
    local native_rc=0
    Kernel/Native/test/run-tests.sh "$out/native-tests" >"$native_log" 2>&1 || native_rc=$?
    cat "$native_log"
    passed=$((passed + $(grep -c '^ok: ' "$native_log" || true)))
    local native_failed
    native_failed=$(grep -c '^FAIL: ' "$native_log" || true)
    if [ "$native_rc" -ne 0 ]; then
        status=1
        if [ "$native_failed" -eq 0 ]; then
            # It stopped without naming a failure (a crash of the script itself): still a failure.
            log "the native tests exited with $native_rc but reported no FAIL line"
            native_failed=1
        fi
    fi
    failed=$((failed + native_failed))

    log "building the solution"
    if ! dotnet build Cosmos.sln --nologo -c Release -v quiet >"$out/dotnet-build.log" 2>&1; then
        grep -E 'error' "$out/dotnet-build.log" | sort -u >&2 || cat "$out/dotnet-build.log" >&2
        log "the solution does not build: no xunit test ran"
        echo "$passed passed, $((failed + 1)) failed"
        return 1
    fi

    log "xunit test projects (including QEMU boots of out/bootstage.bin and out/bootstage.iso)"
    local test_log=$out/dotnet-test.log
    local test_rc=0
    dotnet test Cosmos.sln --nologo -c Release --no-build 2>&1 | tee "$test_log" || test_rc=$?
    local p f s
    read -r p f s < <(tally_test_log "$test_log") || true
    p=${p:-0}; f=${f:-1}; s=${s:-0}
    if [ "$test_rc" -ne 0 ]; then
        status=1
        if [ "$f" -eq 0 ]; then
            log "dotnet test exited with $test_rc but reported no failure"
            f=1
        fi
    fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))

    if [ "$failed" -gt 0 ]; then
        status=1
    fi
    if [ "$skipped" -gt 0 ]; then
        echo "$passed passed, $failed failed, $skipped skipped"
    else
        echo "$passed passed, $failed failed"
    fi
    return $status
}

case "${1:-}" in
    image) image ;;
    run) run ;;
    hyperv) shift; hyperv "$@" ;;
    test) test_all ;;
    deps) deps ;;
    *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
