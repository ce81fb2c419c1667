; standin-moved.asm - stand-in kernel that checks boot.asm's move to the top of memory.
;
; Test code only. The image is linked at 1 MiB; with 256 MiB of RAM boot.asm must have moved
; it near the top before KernelEntry (System V AMD64 ABI) runs. So: the code runs above 192 MiB,
; a 64-bit pointer (dq) and a 32-bit pointer (dd) in .data, both patched through the relocation
; table, equal the RIP-relative address of what they name, and so does a pointer in .rodata.
; It prints where it runs, then plug_exit(0) (QEMU status 1) on success, plug_exit(5) (status 11)
; otherwise.

bits 64
default rel

%include "standin-common.inc"

global KernelEntry
extern plug_exit

section .text
KernelEntry:
    sub rsp, 8
    lea rdi, [msg_at]
    lea rsi, [KernelEntry]
    mov edx, 8
    call t_label_hex
    lea rax, [KernelEntry]
    cmp rax, 192 << 20
    jb .bad
    lea rax, [target]
    cmp [wide_pointer], rax
    jne .bad
    mov ecx, [narrow_pointer]
    cmp rcx, rax
    jne .bad
    cmp [readonly_pointer], rax
    jne .bad
    lea rdi, [msg_ok]
    call t_puts
    xor edi, edi
    call plug_exit
.bad:
    lea rdi, [msg_bad]
    call t_puts
    mov edi, 5
    call plug_exit

section .data
target:           dq 0x5EED
wide_pointer:     dq target
narrow_pointer:   dd target

section .rodata
readonly_pointer: dq target
msg_at:           db 10, "standin-moved: KernelEntry at ", 0
msg_ok:           db 10, "standin-moved: OK", 10, 0
msg_bad:          db 10, "standin-moved: a pointer was not moved", 10, 0
