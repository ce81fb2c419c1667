; standin.asm - stand-in for ILC's kernel.o that exercises the native boot stage and the plugs.
;
; Test code only. It defines KernelEntry with the contract boot.asm calls (System V AMD64 ABI:
; RDI = Multiboot info physical address, ESI = loader magic 0x2BADB002) and checks, printing to
; COM1: the entry stack alignment, the Multiboot v1 information block (Multiboot Specification
; 0.6.96, section 3.3: flags, memory sizes, command line, memory map, loader name), plug_cpuid,
; plug_rdmsr on 0x40000000 (-1 where it faults), on the TSC MSR 0x10 and on EFER (must
; succeed), plug_wrmsr with and without a #GP, the fixup table, plug_rdtsc, plug_hlt,
; memmove with overlap, the write barriers and callee-saved register preservation.
; QEMU's TCG raises no #GP for unknown MSRs (it reads them as 0), so the #GP recovery is proved
; with a WRMSR that TCG does refuse: IA32_PKRS (0x6E1) with reserved upper bits set.
; It ends with "standin: ALL OK" and plug_exit(0) (QEMU status 1), or plug_exit(3) (status 7)
; after printing each failed check.

bits 64
default rel

%include "standin-common.inc"

extern plug_cpuid
extern plug_rdmsr
extern plug_wrmsr
extern plug_rdtsc
extern plug_hlt
extern plug_exit
extern plug_read_cr3
extern RhpAssignRef
extern RhpByRefAssignRef
extern memmove
extern memset
extern memcpy
extern __security_cookie
extern __heap_start
extern __bss_end
extern __fault_fixups_start
extern __fault_fixups_end

global KernelEntry

; Prints "<label><hex value>\n" - label is a string literal.
%macro SHOW 3
section .rodata
%%s: db %1, 0
section .text
    lea rdi, [%%s]
    mov rsi, %2
    mov edx, %3
    call t_label_hex
    mov edi, 10
    call t_putc
%endmacro

; Prints a literal string.
%macro SAY 1
section .rodata
%%s: db %1, 0
section .text
    lea rdi, [%%s]
    call t_puts
%endmacro

; Counts and reports a failed check.
%macro FAIL 1
    inc r15d
    SAY {"standin: FAIL: ", %1, 10}
%endmacro

section .text

KernelEntry:
    ; Stack alignment as seen by a SysV callee: RSP + 8 must be a multiple of 16.
    lea rax, [rsp + 8]
    and eax, 15
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    sub rsp, 56                             ; locals; keeps RSP 16-aligned for calls
    mov r12, rdi                            ; Multiboot info
    mov r13d, esi                           ; magic
    mov r14, rax                            ; entry misalignment
    xor r15d, r15d                          ; failure count

    SAY {10, "standin: KernelEntry reached", 10}
    SHOW "standin: magic=", r13, 8
    cmp r13d, 0x2BADB002
    je .magic_ok
    FAIL "magic is not 0x2BADB002"
.magic_ok:
    SHOW "standin: rsp+8 mod 16 at entry=", r14, 1
    test r14, r14
    jz .align_ok
    FAIL "stack misaligned at KernelEntry"
.align_ok:
    lea rax, [__bss_end]
    SHOW "standin: __bss_end=", rax, 8
    lea rax, [__heap_start]
    SHOW "standin: __heap_start=", rax, 8
    call plug_read_cr3
    SHOW "standin: cr3=", rax, 8
    mov rax, [__security_cookie]
    SHOW "standin: __security_cookie=", rax, 16

    call show_multiboot_info

    ; ---- CPUID leaf 0: vendor string, and RBX/RBP/R12-R15 survive the plug ----
    mov rbx, 0x1122334455667788
    mov rbp, 0x0102030405060708
    mov r14, 0x1111111111111111
    lea rdx, [rsp]                          ; out4 at [rsp .. rsp+15]
    xor edi, edi
    xor esi, esi
    call plug_cpuid
    mov rcx, 0x1122334455667788
    cmp rbx, rcx
    jne .cpuid_clobber
    mov rcx, 0x0102030405060708
    cmp rbp, rcx
    jne .cpuid_clobber
    mov rcx, 0x1111111111111111
    cmp r14, rcx
    je .cpuid_regs_ok
.cpuid_clobber:
    FAIL "plug_cpuid clobbered a callee-saved register"
.cpuid_regs_ok:
    SHOW "standin: plug_cpuid(0) rc=", rax, 1
    mov eax, [rsp + 4]                      ; vendor is EBX, EDX, ECX
    mov [rsp + 32], eax
    mov eax, [rsp + 12]
    mov [rsp + 36], eax
    mov eax, [rsp + 8]
    mov [rsp + 40], eax
    mov byte [rsp + 44], 0
    SAY "standin: cpu vendor="
    lea rdi, [rsp + 32]
    call t_puts
    mov edi, 10
    call t_putc
    mov eax, [rsp]
    SHOW "standin: max basic leaf=", rax, 8

    mov edi, 1
    xor esi, esi
    lea rdx, [rsp]
    call plug_cpuid
    mov eax, [rsp]
    SHOW "standin: cpuid(1).eax=", rax, 8
    mov eax, [rsp + 12]
    SHOW "standin: cpuid(1).edx=", rax, 8
    mov eax, [rsp + 8]
    SHOW "standin: cpuid(1).ecx=", rax, 8

    ; ---- SSE must work (boot.asm set CR4.OSFXSR); AVX too when the CPU has XSAVE+AVX,
    ;      which boot.asm then enables (CPUID.1:ECX.OSXSAVE, bit 27, mirrors CR4.OSXSAVE) ----
    xorps xmm0, xmm0
    addps xmm0, xmm0
    mov eax, [rsp + 8]
    and eax, (1 << 26) | (1 << 28)
    cmp eax, (1 << 26) | (1 << 28)
    jne .no_avx
    test dword [rsp + 8], 1 << 27
    jnz .avx_enabled
    FAIL "CPU has XSAVE+AVX but OSXSAVE is not enabled"
    jmp .no_avx
.avx_enabled:
    vxorps ymm1, ymm1, ymm1                 ; #UD here would mean XCR0 lacks AVX state
    vzeroupper
    SAY {"standin: AVX enabled and usable", 10}
.no_avx:
    SAY {"standin: SSE usable", 10}

    ; ---- RDMSR on 0x40000000 (Hyper-V range). A real CPU or KVM without Hyper-V
    ;      enlightenments raises #GP, which must come back as -1 with the value untouched.
    ;      QEMU's TCG (7.2) raises nothing for unknown MSRs and returns 0, so rc 0 is accepted
    ;      here as long as the value matches that.
    mov rax, 0x5A5A5A5A5A5A5A5A
    mov [rsp + 16], rax
    mov edi, 0x40000000
    lea rsi, [rsp + 16]
    call plug_rdmsr
    movsxd rbx, eax
    SHOW "standin: plug_rdmsr(0x40000000) rc=", rbx, 8
    SHOW "standin: plug_rdmsr(0x40000000) value=", [rsp + 16], 16
    cmp ebx, -1
    jne .absent_no_fault
    mov rax, 0x5A5A5A5A5A5A5A5A
    cmp [rsp + 16], rax
    je .absent_done
    FAIL "plug_rdmsr(0x40000000) returned -1 but wrote the value"
    jmp .absent_done
.absent_no_fault:
    test ebx, ebx
    jz .absent_done
    FAIL "plug_rdmsr(0x40000000) returned neither 0 nor -1"
.absent_done:

    ; ---- RDMSR on the TSC MSR 0x10: must succeed (TCG reads it as 0) ----
    mov qword [rsp + 16], -1
    mov edi, 0x10
    lea rsi, [rsp + 16]
    call plug_rdmsr
    movsxd rbx, eax
    SHOW "standin: plug_rdmsr(0x10) rc=", rbx, 8
    SHOW "standin: plug_rdmsr(0x10) value=", [rsp + 16], 16
    test ebx, ebx
    jz .tsc_rc_ok
    FAIL "plug_rdmsr(0x10) failed"
.tsc_rc_ok:

    ; ---- RDMSR on EFER: must succeed with LME (bit 8) and LMA (bit 10) set ----
    mov qword [rsp + 16], 0
    mov edi, 0xC0000080
    lea rsi, [rsp + 16]
    call plug_rdmsr
    movsxd rbx, eax
    SHOW "standin: plug_rdmsr(EFER) rc=", rbx, 8
    SHOW "standin: plug_rdmsr(EFER) value=", [rsp + 16], 16
    test ebx, ebx
    jnz .efer_bad
    mov rax, [rsp + 16]
    and eax, (1 << 8) | (1 << 10)
    cmp eax, (1 << 8) | (1 << 10)
    je .efer_ok
.efer_bad:
    FAIL "plug_rdmsr(EFER) did not show LME|LMA"
.efer_ok:

    ; ---- WRMSR that faults even under TCG: IA32_PKRS (0x6E1) with reserved upper bits set
    ;      raises #GP; the fixup must turn it into -1 and execution must continue here.
    mov edi, 0x6E1
    mov rsi, 0xFFFFFFFF00000000
    call plug_wrmsr
    movsxd rbx, eax
    SHOW "standin: plug_wrmsr(0x6E1, reserved bits) rc=", rbx, 8
    cmp ebx, -1
    je .wrmsr_fault_ok
    FAIL "plug_wrmsr(0x6E1, reserved bits) did not return -1"
.wrmsr_fault_ok:
    ; and again, to show the recovery path can be taken repeatedly
    mov edi, 0x6E1
    mov rsi, 0x8000000000000000
    call plug_wrmsr
    movsxd rbx, eax
    SHOW "standin: plug_wrmsr(0x6E1, reserved bits) again rc=", rbx, 8
    cmp ebx, -1
    je .wrmsr_fault2_ok
    FAIL "second plug_wrmsr(0x6E1, reserved bits) did not return -1"
.wrmsr_fault2_ok:

    ; ---- WRMSR that succeeds: IA32_TSC_AUX (0xC0000103) round trip ----
    mov edi, 0xC0000103
    mov esi, 0x1234
    call plug_wrmsr
    movsxd rbx, eax
    mov qword [rsp + 16], 0
    mov edi, 0xC0000103
    lea rsi, [rsp + 16]
    call plug_rdmsr
    SHOW "standin: plug_wrmsr(TSC_AUX, 0x1234) rc=", rbx, 8
    SHOW "standin: plug_rdmsr(TSC_AUX) value=", [rsp + 16], 8
    test ebx, ebx
    jnz .aux_bad
    cmp qword [rsp + 16], 0x1234
    je .aux_ok
.aux_bad:
    FAIL "TSC_AUX write/read back"
.aux_ok:

    ; ---- the fixup table: every entry must point at an RDMSR (0F 32) or WRMSR (0F 30) ----
    call check_fixup_table

    ; ---- TSC advances; HLT wakes up (PIT IRQ0) ----
    call plug_rdtsc
    mov rbx, rax
    call plug_hlt
    call plug_hlt
    call plug_hlt
    call plug_rdtsc
    sub rax, rbx
    SHOW "standin: plug_hlt x3 returned, tsc delta=", rax, 16
    test rax, rax
    jnz .tsc_ok
    FAIL "TSC did not advance"
.tsc_ok:

    ; ---- memmove with overlap both ways, memset, memcpy ----
    call check_memory_routines

    ; ---- write barriers ----
    call check_write_barriers

    test r15d, r15d
    jnz .failed
    SAY {"standin: ALL OK", 10}
    xor edi, edi
    call plug_exit
.failed:
    SHOW "standin: failures=", r15, 4
    mov edi, 3
    call plug_exit

; Prints the Multiboot information block at R12 field by field, as far as its flags say present.
show_multiboot_info:
    push rbx
    push rbp
    mov ebx, [r12]
    SHOW "standin: mbi=", r12, 8
    SHOW "standin: mbi.flags=", rbx, 8
    test ebx, 1 << 0
    jz .no_mem
    mov eax, [r12 + 4]
    SHOW "standin:   mem_lower KiB=", rax, 8
    mov eax, [r12 + 8]
    SHOW "standin:   mem_upper KiB=", rax, 8
.no_mem:
    test ebx, 1 << 1
    jz .no_bootdev
    mov eax, [r12 + 12]
    SHOW "standin:   boot_device=", rax, 8
.no_bootdev:
    test ebx, 1 << 2
    jz .no_cmdline
    mov eax, [r12 + 16]
    SHOW "standin:   cmdline at ", rax, 8
    SAY "standin:   cmdline='"
    mov edi, [r12 + 16]
    call t_puts
    SAY {"'", 10}
.no_cmdline:
    test ebx, 1 << 3
    jz .no_mods
    mov eax, [r12 + 20]
    SHOW "standin:   mods_count=", rax, 8
.no_mods:
    test ebx, 1 << 6
    jz .no_mmap
    mov eax, [r12 + 48]
    SHOW "standin:   mmap_addr=", rax, 8
    mov eax, [r12 + 44]
    SHOW "standin:   mmap_length=", rax, 8
    mov ebp, [r12 + 48]                     ; entry pointer
    mov eax, [r12 + 44]
    add rax, rbp
    push rax                                ; end pointer
.mmap_loop:
    cmp rbp, [rsp]
    jae .mmap_done
    SAY "standin:     base="
    mov rdi, [rbp + 4]
    mov esi, 16
    call t_hex
    SAY " len="
    mov rdi, [rbp + 12]
    mov esi, 16
    call t_hex
    SAY " type="
    mov edi, [rbp + 20]
    mov esi, 1
    call t_hex
    mov edi, 10
    call t_putc
    mov eax, [rbp]                          ; size excludes the size field itself
    lea rbp, [rbp + rax + 4]
    jmp .mmap_loop
.mmap_done:
    pop rax
.no_mmap:
    test ebx, 1 << 7
    jz .no_drives
    mov eax, [r12 + 52]
    SHOW "standin:   drives_length=", rax, 8
.no_drives:
    test ebx, 1 << 8
    jz .no_config
    mov eax, [r12 + 60]
    SHOW "standin:   config_table=", rax, 8
.no_config:
    test ebx, 1 << 9
    jz .no_name
    SAY "standin:   boot_loader_name='"
    mov edi, [r12 + 64]
    call t_puts
    SAY {"'", 10}
.no_name:
    test ebx, 1 << 10
    jz .no_apm
    mov eax, [r12 + 68]
    SHOW "standin:   apm_table=", rax, 8
.no_apm:
    test ebx, 1 << 11
    jz .no_vbe
    mov eax, [r12 + 76]
    SHOW "standin:   vbe_mode_info=", rax, 8
.no_vbe:
    test ebx, 1 << 12
    jz .no_fb
    mov rax, [r12 + 88]
    SHOW "standin:   framebuffer_addr=", rax, 16
.no_fb:
    pop rbp
    pop rbx
    ret

check_fixup_table:
    push rbx
    push rbp
    lea rbx, [__fault_fixups_start]
    lea rbp, [__fault_fixups_end]
    mov rax, rbp
    sub rax, rbx
    shr rax, 4
    SHOW "standin: fault fixup entries=", rax, 2
.next:
    cmp rbx, rbp
    jae .done
    mov rax, [rbx]
    SHOW "standin:   fault at ", rax, 8
    mov rax, [rbx]
    cmp byte [rax], 0x0F
    jne .bad
    cmp byte [rax + 1], 0x32
    je .good
    cmp byte [rax + 1], 0x30
    je .good
.bad:
    FAIL "fixup entry does not point at RDMSR/WRMSR"
.good:
    add rbx, 16
    jmp .next
.done:
    pop rbp
    pop rbx
    ret

check_memory_routines:
    push rbx
    ; "0123456789" -> memmove(buf+2, buf, 8) -> "0101234567" (dst above src, overlapping)
    lea rdi, [mm_buf]
    lea rsi, [mm_init]
    mov edx, 11
    call memcpy
    lea rdi, [mm_buf + 2]
    lea rsi, [mm_buf]
    mov edx, 8
    call memmove
    lea rbx, [mm_buf + 2]
    cmp rax, rbx
    jne .bad_up
    lea rdi, [mm_buf]
    lea rsi, [mm_expect_up]
    call strings_equal
    test eax, eax
    jnz .up_ok
.bad_up:
    FAIL "memmove with dst above src"
.up_ok:
    ; "0123456789" -> memmove(buf, buf+2, 8) -> "2345678989" (dst below src)
    lea rdi, [mm_buf]
    lea rsi, [mm_init]
    mov edx, 11
    call memcpy
    lea rdi, [mm_buf]
    lea rsi, [mm_buf + 2]
    mov edx, 8
    call memmove
    lea rdi, [mm_buf]
    lea rsi, [mm_expect_down]
    call strings_equal
    test eax, eax
    jnz .down_ok
    FAIL "memmove with dst below src"
.down_ok:
    ; memset 3 bytes of 'x' at buf+1
    lea rdi, [mm_buf + 1]
    mov esi, 'x'
    mov edx, 3
    call memset
    lea rdi, [mm_buf]
    lea rsi, [mm_expect_set]
    call strings_equal
    test eax, eax
    jnz .set_ok
    FAIL "memset"
.set_ok:
    lea rdi, [mm_buf + 1]
    lea rsi, [mm_buf]
    mov edx, 4
    call memmove                            ; backward copy: DF must be clear after it
    pushfq
    pop rax
    test eax, 1 << 10
    jz .df_ok
    FAIL "memmove left DF set"
.df_ok:
    SAY "standin: memmove/memset/memcpy buffer='"
    lea rdi, [mm_buf]
    call t_puts
    SAY {"'", 10}
    pop rbx
    ret

; int strings_equal(RDI, RSI) -> 1 if equal NUL-terminated strings.
strings_equal:
.loop:
    mov al, [rdi]
    cmp al, [rsi]
    jne .no
    test al, al
    jz .yes
    inc rdi
    inc rsi
    jmp .loop
.yes:
    mov eax, 1
    ret
.no:
    xor eax, eax
    ret

check_write_barriers:
    push rbx
    lea rdi, [wb_dst]
    mov rsi, 0xABCDEF0123456789
    call RhpAssignRef
    mov rax, 0xABCDEF0123456789
    cmp [wb_dst], rax
    je .assign_ok
    FAIL "RhpAssignRef"
.assign_ok:
    ; copy two references; RDI/RSI must advance by 8 per call
    lea rdi, [wb_dst]
    lea rsi, [wb_src]
    call RhpByRefAssignRef
    call RhpByRefAssignRef
    lea rax, [wb_dst + 16]
    cmp rdi, rax
    jne .byref_bad
    lea rax, [wb_src + 16]
    cmp rsi, rax
    jne .byref_bad
    mov rax, [wb_src]
    cmp [wb_dst], rax
    jne .byref_bad
    mov rax, [wb_src + 8]
    cmp [wb_dst + 8], rax
    je .byref_ok
.byref_bad:
    FAIL "RhpByRefAssignRef"
.byref_ok:
    SAY {"standin: write barriers checked", 10}
    pop rbx
    ret

section .rodata
mm_init:        db "0123456789", 0
mm_expect_up:   db "0101234567", 0
mm_expect_down: db "2345678989", 0
mm_expect_set:  db "2xxx678989", 0

section .data
align 8
wb_src:  dq 0x1111222233334444, 0x5555666677778888
wb_dst:  dq 0, 0
mm_buf:  times 16 db 0
