; standin-return.asm - stand-in kernel whose KernelEntry returns.
;
; Test code only. boot.asm must then print "kernel returned" on COM1 and write 0x10 to the
; isa-debug-exit port (QEMU status 33). Follows the System V AMD64 ABI like the real entry.

bits 64
default rel

%include "standin-common.inc"

global KernelEntry

section .text
KernelEntry:
    sub rsp, 8
    lea rdi, [msg]
    call t_puts
    add rsp, 8
    ret

section .rodata
msg: db 10, "standin-return: returning from KernelEntry", 10, 0
