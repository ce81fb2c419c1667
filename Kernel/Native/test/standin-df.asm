; standin-df.asm - stand-in kernel that makes the stack unusable, to prove the IST1 double-fault
; report.
;
; Test code only. KernelEntry (System V AMD64 ABI, as called by boot.asm) points RSP into page 0,
; which boot.asm leaves not-present, and pushes. The push raises #PF; delivering the #PF needs
; the same broken stack and faults again, which the CPU turns into #DF (Intel SDM vol. 3A,
; "Interrupt 8 - Double Fault Exception"). The #DF gate uses IST1, so idt.asm must still
; report vector 0x08 and exit QEMU with status 255 instead of triple-faulting.

bits 64
default rel

%include "standin-common.inc"

global KernelEntry

section .text
KernelEntry:
    sub rsp, 8
    lea rdi, [msg]
    call t_puts
    mov rsp, 0x1000
    push rax                                ; faults, and so does the #PF delivery
    ud2                                     ; not reached

section .rodata
msg: db 10, "standin-df: pushing onto a stack in unmapped page 0", 10, 0
