; standin-sections.asm - stand-in kernel whose sections imitate an ILC object, to check linker.ld.
;
; Test code only. It carries the section kinds NativeAOT's ILC emits into its ELF object
; (__managedcode, __unbox, .text.*, .rodata.*, .dotnet_eh_table, .data.rel.ro, __modules,
; .eh_frame, .tdata/.tbss, .bss.*) plus names linker.ld has never heard of (.weird, _odd,
; .xdata, .lbss), and ones it must discard (.note.*, .comment) or keep out of the image
; (.debug_info). build-native.sh then checks that nothing with file contents lies outside the
; loaded range, and KernelEntry (System V AMD64 ABI) checks at run time that __modules_start/
; __modules_end bracket exactly the two module pointers and that the orphan .weird data was
; loaded. plug_exit(0) (QEMU status 1) on success, plug_exit(5) (status 11) otherwise.

bits 64
default rel

global KernelEntry
extern __modules_start
extern __modules_end
extern plug_exit

section __managedcode progbits alloc exec nowrite align=16
KernelEntry:
    sub rsp, 8
    lea rax, [__modules_start]
    lea rcx, [__modules_end]
    sub rcx, rax
    cmp rcx, 16                             ; two 8-byte pointers
    jne .bad
    mov rdx, [rax]
    cmp qword [rdx], 0x1234                 ; they point at the fake "ReadyToRun header"
    jne .bad
    mov rdx, [rax + 8]
    cmp qword [rdx], 0x1234
    jne .bad
    cmp qword [weird_data], 0x77            ; unknown writable section made it into the image
    jne .bad
    cmp qword [odd_data], 0x2               ; unknown read-only section too
    jne .bad
    xor edi, edi
    call plug_exit
.bad:
    mov edi, 5
    call plug_exit

section __unbox progbits alloc exec nowrite align=16
    ret
section .text.unlikely progbits alloc exec nowrite
    ret
section .rodata.cst8 progbits alloc noexec nowrite align=8
fake_r2r_header: dq 0x1234
section .dotnet_eh_table progbits alloc noexec nowrite
    dq 1
section .data.rel.ro progbits alloc noexec write align=8
    dq fake_r2r_header
section __modules progbits alloc noexec write align=8
    dq fake_r2r_header, fake_r2r_header
section .weird progbits alloc noexec write align=8
weird_data: dq 0x77
section _odd progbits alloc noexec nowrite align=8
odd_data: dq 2
section .tdata progbits alloc noexec write tls
    dq 4
section .tbss nobits alloc noexec write tls
    resq 4
section .bss.big nobits alloc noexec write
    resb 65536
section .lbss nobits alloc noexec write
    resb 16
section .eh_frame progbits alloc noexec nowrite align=8
    dd 0
section .note.fake note
    dd 0
section .comment progbits noalloc
    db "comment", 0
section .debug_info progbits noalloc
    db 1, 2, 3
section .xdata progbits alloc exec write
    ret
