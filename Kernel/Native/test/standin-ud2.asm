; standin-ud2.asm - stand-in kernel that executes UD2, to prove the #UD report.
;
; Test code only. KernelEntry (System V AMD64 ABI, as called by boot.asm) announces itself on
; COM1 and executes UD2, which always raises #UD (vector 0x06, Intel SDM vol. 2B "UD"). idt.asm
; must report it and exit QEMU with status 255.

bits 64
default rel

%include "standin-common.inc"

global KernelEntry

section .text
KernelEntry:
    sub rsp, 8
    lea rdi, [msg]
    call t_puts
    mov r15, 0xF15F15F15F15F15F             ; recognisable value for the register dump
ud2_site:
    ud2

section .rodata
msg: db 10, "standin-ud2: executing ud2", 10, 0
