; standin-gp.asm - stand-in kernel whose #GP is not in the fault-fixup table, so it is fatal.
;
; Test code only. KernelEntry (System V AMD64 ABI, as called by boot.asm) loads from a
; non-canonical address, which raises #GP(0) (Intel SDM vol. 3A, "Canonical Addressing").
; Only #GPs at registered RDMSR/WRMSR sites are recovered; this one must be reported (vector
; 0x0D) and QEMU must exit with status 255.

bits 64
default rel

%include "standin-common.inc"

global KernelEntry

section .text
KernelEntry:
    sub rsp, 8
    lea rdi, [msg]
    call t_puts
    mov rax, 0x8000000000000000             ; non-canonical
    mov rax, [rax]
    ud2                                     ; not reached

section .rodata
msg: db 10, "standin-gp: loading from a non-canonical address", 10, 0
