; standin-sign-extended.asm - stand-in kernel that must not link: it addresses its data with a
; sign-extended 32-bit absolute (R_X86_64_32S), which would break once boot.asm moves the image
; above 2 GiB. build-native.sh (make-reloc-table.pl) must refuse it by name. Test code only.

bits 64

global KernelEntry

section .text
KernelEntry:
    mov rax, [table + rdi * 8]
    ret

section .data
table: dq 0
