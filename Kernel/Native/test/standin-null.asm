; standin-null.asm - stand-in kernel that reads address 0, to prove page 0 is not mapped.
;
; Test code only. KernelEntry (System V AMD64 ABI, as called by boot.asm) announces itself on
; COM1 and loads a qword from linear address 0. boot.asm maps 0x0-0xFFF not-present, so the CPU
; raises #PF (vector 0x0E, Intel SDM vol. 3A "Page-Fault Exceptions") with CR2 = 0, and idt.asm
; must report it and exit QEMU with status 255. Reaching the line after the load is a failure
; (status 7).

bits 64
default rel

%include "standin-common.inc"

extern plug_exit
global KernelEntry

section .text
KernelEntry:
    sub rsp, 8
    lea rdi, [msg]
    call t_puts
    mov rbx, 0xB0B0B0B0B0B0B0B0             ; recognisable value for the register dump
    xor eax, eax
null_load:
    mov rax, [rax]                          ; expected to fault here
    lea rdi, [msg_survived]
    call t_puts
    mov edi, 3
    call plug_exit

section .rodata
msg:          db 10, "standin-null: reading address 0", 10, 0
msg_survived: db "standin-null: FAIL: read of address 0 did not fault", 10, 0
