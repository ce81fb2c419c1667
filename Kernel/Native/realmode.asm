; realmode.asm - calls a BIOS interrupt from long mode (the "thunk down"), for the memory map at
; start (INT 15h E820h) and, later, INT 18h and the natural INT 13h drives.
;
; Intel SDM vol. 3A: "Switching Back to Real-Address Mode" (9.9.2) and "Leaving IA-32e Mode"
; (10.8.5 in older editions): from 64-bit code a far return to a 32-bit code segment enters
; compatibility mode; clearing CR0.PG leaves IA-32e mode, then EFER.LME is cleared; a far jump to
; a 16-bit segment with a 64 KiB limit, then clearing CR0.PE and a far jump to a real-mode segment
; give real mode, with the IVT (IDTR base 0, limit 3FFh) for interrupts. The way back reverses it.
;
; The real-mode part must run below 1 MiB, so it is a blob copied to a low address chosen by the
; kernel (native_realmode_install): its own GDT there has 32- and 16-bit segments whose base is
; the blob, so the blob's code is written with offsets from its start. The PIC gets the
; firmware's layout back (vectors 08h/70h and its masks) for the duration of the call.
;
;   void native_realmode_install(ulong base)             base: 16-byte aligned, blob fits below 1 MiB
;   void native_realmode_call(uint vector, void* regs)   regs: the 34-byte register image of
;                                                         Boot/Int13/Int13Registers.cs
;   ulong native_realmode_blob_size()
;   void native_realmode_hook(uint vector)                IVT[13h] or IVT[15h] -> the blob's entry (old
;                                                         vector kept), page 0 mapped for good (IVT and BDA)
;   void native_realmode_unhook(uint vector)              IVT[13h] or IVT[15h] back to the vector it replaced
;   void native_realmode_boot(uint drive, uint entry)     real mode, DL = drive, call entry (segment << 16
;                                                         | offset: 0000:7C00 for a boot sector); returns if
;                                                         the boot sector returns (RETF) or gives up with
;                                                         INT 18h or INT 19h, which are ours while it runs
;
; The way up (an INT 13h or INT 15h call from the OS loader): the blob's real-mode entry stores
; the caller's registers in its image, enters long mode on a stack of its own, saves the SSE
; state, gives the PIC our layout, and calls the C# export KernelBiosUpcall(vector, image); its
; answer (0 served, 1 chain) decides on the way back down whether the caller gets the image back
; with CF in its FLAGS, or the previous handler of that vector gets the call.

bits 64
default rel

SEL_CODE64      equ 0x08
SEL_DATA64      equ 0x10
SEL_CODE32      equ 0x18
SEL_DATA32      equ 0x20
SEL_CODE16      equ 0x28
SEL_DATA16      equ 0x30

REGS_SIZE       equ 34
EFER            equ 0xC0000080

extern native_bios_pic_masks
extern native_boot_low_page_table
extern KernelBiosUpcall

global native_realmode_install
global native_realmode_call
global native_realmode_blob_size
global native_realmode_hook
global native_realmode_boot
global native_realmode_unhook

; Gives the PIC the firmware's layout with the masks at [%1] and leaves long mode for the blob's
; compatibility-mode entry (r13 = the blob), which goes on down to real mode.
%macro descend_to_real_mode 1
    mov al, 0x08
    mov ah, 0x70
    mov bx, [%1]
    call program_pic
    lgdt [r13 + (rm_gdt_pointer - rm_blob)]
    push SEL_CODE32
    push rm_entry32 - rm_blob
    retfq
%endmacro

; Back in 64-bit mode on the blob's GDT: takes the kernel's segments and descriptor tables again.
%macro reenter_kernel_tables 0
    mov ax, SEL_DATA64
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    lgdt [saved_gdtr]
    lidt [saved_idtr]
%endmacro

; Our PIC layout: IRQs at 20h-2Fh, only the timer (IRQ0) unmasked.
%macro program_kernel_pic 0
    mov al, 0x20
    mov ah, 0x28
    mov bx, 0xFFFE
    call program_pic
%endmacro

; A call that goes down to real mode keeps the registers the System V ABI says it keeps, and the
; flags (IF included), on the kernel's stack until it comes back up; interrupts stay off between.
%macro save_kernel_registers 0
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    pushfq
    cli
%endmacro

%macro restore_kernel_registers 0
    popfq
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret
%endmacro

section .text

native_realmode_blob_size:
    mov eax, rm_blob_end - rm_blob
    ret

native_realmode_install:
    mov [rm_base], rdi
    mov rdx, rdi
    lea rsi, [rm_blob]
    mov ecx, rm_blob_end - rm_blob
    rep movsb

    ; The blob's own segments start at the blob.
    mov rax, rdx
    lea rdi, [rdx + (rm_gdt - rm_blob) + SEL_CODE32]
    call set_descriptor_base
    lea rdi, [rdx + (rm_gdt - rm_blob) + SEL_DATA32]
    call set_descriptor_base
    lea rdi, [rdx + (rm_gdt - rm_blob) + SEL_CODE16]
    call set_descriptor_base
    lea rdi, [rdx + (rm_gdt - rm_blob) + SEL_DATA16]
    call set_descriptor_base

    ; The GDT pseudo-descriptor names the copy's linear address; the real-mode segment is base/16.
    lea rax, [rdx + (rm_gdt - rm_blob)]
    mov [rdx + (rm_gdt_pointer - rm_blob) + 2], rax
    mov rax, rdx
    shr rax, 4
    mov [rdx + (rm_real_jump - rm_blob) + 3], ax
    ret

; rdi = descriptor, rax = base (below 4 GiB): bits 15:0 -> bytes 2-3, 23:16 -> byte 4, 31:24 -> byte 7.
set_descriptor_base:
    mov [rdi + 2], ax
    mov rcx, rax
    shr rcx, 16
    mov [rdi + 4], cl
    mov [rdi + 7], ch
    ret

native_realmode_hook:
    ; The IVT and the BDA are in page 0, which the boot stub leaves unmapped to catch null
    ; pointers; from the handoff on they are the loader's interface, so page 0 is mapped.
    mov qword [native_boot_low_page_table], 0x3
    invlpg [abs 0]
    mov rdx, [rm_base]
    mov ecx, edi
    shl ecx, 2
    mov eax, [rcx]
    mov r8, rdx
    shr r8, 4
    shl r8d, 16
    cmp edi, 0x15
    je .int15
    mov [rdx + (rm_old13 - rm_blob)], eax
    mov r8w, rm_int13_entry - rm_blob
    jmp .store
.int15:
    mov [rdx + (rm_old15 - rm_blob)], eax
    mov r8w, rm_int15_entry - rm_blob
.store:
    mov [rcx], r8d
    call record_long_mode_state
    ret

native_realmode_unhook:
    mov rdx, [rm_base]
    mov eax, [rdx + (rm_old13 - rm_blob)]
    cmp edi, 0x15
    jne .store
    mov eax, [rdx + (rm_old15 - rm_blob)]
.store:
    test eax, eax                           ; never hooked: leave the vector alone
    jz .done
    shl edi, 2
    mov [rdi], eax
.done:
    ret

; The state the way up restores: CR3, CR4, the kernel's GDT/IDT pseudo-descriptors, and where
; the 64-bit upcall code is.
record_long_mode_state:
    mov rdx, [rm_base]
    mov rax, cr3
    mov [rdx + (rm_cr3 - rm_blob)], eax
    mov rax, cr4
    mov [rdx + (rm_cr4 - rm_blob)], eax
    lea rax, [upcall64]
    mov [rdx + (rm_up64 - rm_blob)], eax
    mov word [rdx + (rm_up64 - rm_blob) + 4], SEL_CODE64
    sgdt [saved_gdtr]
    sidt [saved_idtr]
    ret

; Like a BIOS call whose "interrupt" is the boot sector: the kernel's registers and stack wait
; (the loader's INT 13h calls come up on the upcall stack meanwhile) until it comes back.
native_realmode_boot:
    save_kernel_registers
    mov r13, [rm_base]
    mov [r13 + (rm_vector - rm_blob)], dil
    mov [r13 + (rm_boot_target - rm_blob)], esi
    mov byte [r13 + (rm_mode - rm_blob)], 1
    sgdt [saved_gdtr]
    sidt [saved_idtr]
    mov rax, cr3
    mov [r13 + (rm_cr3 - rm_blob)], eax
    lea rax, [.back64]
    mov [r13 + (rm_return64 - rm_blob)], eax
    mov word [r13 + (rm_return64 - rm_blob) + 4], SEL_CODE64
    mov [saved_boot_rsp], rsp
    descend_to_real_mode native_bios_pic_masks

.back64:
    reenter_kernel_tables
    mov rsp, [saved_boot_rsp]
    program_kernel_pic
    restore_kernel_registers

; Reached from the blob in 64-bit mode (blob GDT, CS 0x08) for an INT 13h call.
upcall64:
    reenter_kernel_tables
    lea rsp, [upcall_stack_top]
    fxsave [upcall_fx_area]

    ; Our PIC layout while we serve (a Halt must see the timer at vector 20h), the caller's after.
    in al, 0x21
    mov [upcall_pic_masks], al
    in al, 0xA1
    mov [upcall_pic_masks + 1], al
    program_kernel_pic

    mov r13, [rm_base]
    movzx edi, byte [r13 + (rm_vector - rm_blob)]
    lea rsi, [r13 + (rm_regs - rm_blob)]
    call KernelBiosUpcall
    mov r13, [rm_base]
    mov [r13 + (rm_disposition - rm_blob)], al
    mov byte [r13 + (rm_mode - rm_blob)], 2
    fxrstor [upcall_fx_area]
    descend_to_real_mode upcall_pic_masks

native_realmode_call:
    save_kernel_registers
    mov r12, rsi
    mov r13, [rm_base]
    mov ebx, edi

    lea rdi, [r13 + (rm_regs - rm_blob)]
    mov ecx, REGS_SIZE
    rep movsb
    mov [r13 + (rm_vector - rm_blob)], bl
    mov byte [r13 + (rm_mode - rm_blob)], 0

    sgdt [saved_gdtr]
    sidt [saved_idtr]
    mov rax, cr3
    mov [r13 + (rm_cr3 - rm_blob)], eax
    lea rax, [.back64]
    mov [r13 + (rm_return64 - rm_blob)], eax
    mov word [r13 + (rm_return64 - rm_blob) + 4], SEL_CODE64
    mov [saved_rsp], rsp

    ; The firmware's PIC layout while it runs.
    descend_to_real_mode native_bios_pic_masks

.back64:
    reenter_kernel_tables
    mov rsp, [saved_rsp]

    program_kernel_pic

    mov r13, [rm_base]
    lea rsi, [r13 + (rm_regs - rm_blob)]
    mov rdi, r12
    mov ecx, REGS_SIZE
    rep movsb

    restore_kernel_registers

; al = master vector base, ah = slave vector base, bl = master mask, bh = slave mask.
program_pic:
    mov dl, al
    mov al, 0x11                            ; ICW1: edge, cascade, ICW4 follows
    out 0x20, al
    out 0x80, al
    out 0xA0, al
    out 0x80, al
    mov al, dl
    out 0x21, al                            ; ICW2
    out 0x80, al
    mov al, ah
    out 0xA1, al
    out 0x80, al
    mov al, 0x04                            ; ICW3: slave on IRQ2
    out 0x21, al
    out 0x80, al
    mov al, 0x02
    out 0xA1, al
    out 0x80, al
    mov al, 0x01                            ; ICW4: 8086 mode
    out 0x21, al
    out 0x80, al
    out 0xA1, al
    out 0x80, al
    mov al, bl
    out 0x21, al
    mov al, bh
    out 0xA1, al
    ret

section .bss
alignb 16
upcall_fx_area: resb 512
upcall_stack:   resb 64 * 1024
upcall_stack_top:
alignb 8
upcall_pic_masks: resw 1
rm_base:    resq 1
saved_rsp:  resq 1
saved_boot_rsp: resq 1
saved_gdtr: resb 10
saved_idtr: resb 10

; ---------------------------------------------------------------------------------------------
; The blob: copied below 1 MiB; every address inside it is an offset from its start.
; ---------------------------------------------------------------------------------------------
section .data
align 16
rm_blob:

bits 32
rm_entry32:                                 ; compatibility mode, CS base = blob
    mov ax, SEL_DATA32
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr0
    and eax, 0x7FFFFFFF                     ; paging off: IA-32e mode ends
    mov cr0, eax
    mov ecx, EFER
    rdmsr
    and eax, ~(1 << 8)
    wrmsr
    jmp SEL_CODE16:(rm_entry16 - rm_blob)

bits 16
rm_entry16:                                 ; 16-bit protected mode, 64 KiB segments at the blob
    mov ax, SEL_DATA16
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    mov eax, cr0
    and eax, ~1
    mov cr0, eax
rm_real_jump:
    jmp 0x0000:(rm_real - rm_blob)          ; segment patched by native_realmode_install

rm_real:
    mov ax, cs
    mov ds, ax
    lidt [rm_ivt_pointer - rm_blob]
    cmp byte [rm_mode - rm_blob], 1
    je rm_boot
    cmp byte [rm_mode - rm_blob], 2
    je rm_up_return
    mov ss, ax
    mov sp, rm_stack_top - rm_blob

    xor ax, ax
    mov es, ax
    movzx bx, byte [rm_vector - rm_blob]
    shl bx, 2
    mov eax, [es:bx]
    mov [rm_target - rm_blob], eax

    push word [rm_regs - rm_blob + 28]      ; caller's DS, loaded last
    mov es, [rm_regs - rm_blob + 30]
    mov eax, [rm_regs - rm_blob + 0]
    mov ebx, [rm_regs - rm_blob + 4]
    mov ecx, [rm_regs - rm_blob + 8]
    mov edx, [rm_regs - rm_blob + 12]
    mov esi, [rm_regs - rm_blob + 16]
    mov edi, [rm_regs - rm_blob + 20]
    mov ebp, [rm_regs - rm_blob + 24]
    pop ds

    pushf                                   ; INT n: flags, then a far call the IRET returns from
    call far [cs:rm_target - rm_blob]

    pushf
    push ds
    push es
    push eax
    mov ax, cs
    mov ds, ax
    pop dword [rm_regs - rm_blob + 0]
    pop word [rm_regs - rm_blob + 30]
    pop word [rm_regs - rm_blob + 28]
    pop word [rm_regs - rm_blob + 32]
    mov [rm_regs - rm_blob + 4], ebx
    mov [rm_regs - rm_blob + 8], ecx
    mov [rm_regs - rm_blob + 12], edx
    mov [rm_regs - rm_blob + 16], esi
    mov [rm_regs - rm_blob + 20], edi
    mov [rm_regs - rm_blob + 24], ebp

    cli
    o32 lgdt [rm_gdt_pointer - rm_blob]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp dword SEL_CODE32:(rm_back32 - rm_blob)

; The handoff: real mode, DL = the SAN drive, DS = ES = SS = 0, the stack below the boot
; sector, interrupts on, as a BIOS starts a boot sector.
; A far return address to rm_boot_return is on its stack, and INT 18h/19h lead there too while
; it runs (the old vectors are kept), so a boot sector that gives up comes back to us.
rm_boot:
    xor ax, ax
    mov es, ax
    mov eax, [es:0x18 * 4]
    mov [rm_old18 - rm_blob], eax
    mov eax, [es:0x19 * 4]
    mov [rm_old19 - rm_blob], eax
    mov ax, cs
    shl eax, 16
    mov ax, rm_boot_return - rm_blob
    mov [es:0x18 * 4], eax
    mov [es:0x19 * 4], eax
    movzx dx, byte [rm_vector - rm_blob]
    xor ax, ax
    mov ss, ax
    mov sp, 0x7C00
    push cs
    push word rm_boot_return - rm_blob
    mov ds, ax
    xor bx, bx
    xor cx, cx
    xor si, si
    xor di, di
    xor bp, bp
    sti
    jmp far [cs:rm_boot_target - rm_blob]

; The boot sector came back (RETF, INT 18h or INT 19h): the BIOS gets its vectors back and the
; kernel its stack, through the same way up as the end of a BIOS call.
rm_boot_return:
    cli
    mov ax, cs
    mov ds, ax
    mov ss, ax
    mov sp, rm_stack_top - rm_blob
    xor ax, ax
    mov es, ax
    mov eax, [rm_old18 - rm_blob]
    mov [es:0x18 * 4], eax
    mov eax, [rm_old19 - rm_blob]
    mov [es:0x19 * 4], eax
    o32 lgdt [rm_gdt_pointer - rm_blob]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp dword SEL_CODE32:(rm_back32 - rm_blob)

; An INT 13h or INT 15h call from the loader: keep its registers and stack, go up to long mode.
rm_int13_entry:
    push ds
    push eax
    mov ax, cs
    mov ds, ax
    mov byte [rm_vector - rm_blob], 0x13
    jmp rm_bios_entry

rm_int15_entry:
    push ds
    push eax
    mov ax, cs
    mov ds, ax
    mov byte [rm_vector - rm_blob], 0x15

rm_bios_entry:
    mov [rm_caller_fs - rm_blob], fs
    mov [rm_caller_gs - rm_blob], gs
    pop dword [rm_regs - rm_blob + 0]
    pop word [rm_regs - rm_blob + 28]
    mov [rm_regs - rm_blob + 4], ebx
    mov [rm_regs - rm_blob + 8], ecx
    mov [rm_regs - rm_blob + 12], edx
    mov [rm_regs - rm_blob + 16], esi
    mov [rm_regs - rm_blob + 20], edi
    mov [rm_regs - rm_blob + 24], ebp
    mov [rm_regs - rm_blob + 30], es
    mov [rm_caller_ss - rm_blob], ss
    mov [rm_caller_sp - rm_blob], esp
    mov bp, sp
    mov ax, [ss:bp + 4]                     ; the caller's FLAGS (IP, CS, FLAGS on its stack)
    mov [rm_regs - rm_blob + 32], ax
    cli
    o32 lgdt [rm_gdt_pointer - rm_blob]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp dword SEL_CODE32:(rm_up32 - rm_blob)

; Back from the upcall: serve the answer or chain to the previous handler.
rm_up_return:
    mov ss, [rm_caller_ss - rm_blob]
    mov esp, [rm_caller_sp - rm_blob]
    cmp byte [rm_disposition - rm_blob], 0
    jne .chain
    mov bp, sp
    mov ax, [ss:bp + 4]
    and ax, 0xFFFE
    mov bx, [rm_regs - rm_blob + 32]
    and bx, 1
    or ax, bx
    mov [ss:bp + 4], ax                     ; the caller's FLAGS with our CF
    call rm_load_registers
    iret
.chain:
    cmp byte [rm_vector - rm_blob], 0x15
    je .chain15
    call rm_load_registers
    jmp far [cs:rm_old13 - rm_blob]
.chain15:
    call rm_load_registers
    jmp far [cs:rm_old15 - rm_blob]

; Loads the caller's registers from the image (FS and GS as they came: the transitions used
; them); DS last.
rm_load_registers:
    mov fs, [rm_caller_fs - rm_blob]
    mov gs, [rm_caller_gs - rm_blob]
    push word [rm_regs - rm_blob + 28]
    mov es, [rm_regs - rm_blob + 30]
    mov eax, [rm_regs - rm_blob + 0]
    mov ebx, [rm_regs - rm_blob + 4]
    mov ecx, [rm_regs - rm_blob + 8]
    mov edx, [rm_regs - rm_blob + 12]
    mov esi, [rm_regs - rm_blob + 16]
    mov edi, [rm_regs - rm_blob + 20]
    mov ebp, [rm_regs - rm_blob + 24]
    pop ds
    ret

bits 32
rm_up32:
    mov ax, SEL_DATA32
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, [rm_cr4 - rm_blob]
    mov cr4, eax
    mov eax, [rm_cr3 - rm_blob]
    mov cr3, eax
    mov ecx, EFER
    rdmsr
    or eax, 1 << 8
    wrmsr
    mov eax, cr0
    or eax, 0x80000001
    and eax, ~((1 << 2) | (1 << 3))         ; EM and TS off: SSE must run
    mov cr0, eax
    jmp far [rm_up64 - rm_blob]

bits 32
rm_back32:
    mov ax, SEL_DATA32
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, [rm_cr3 - rm_blob]
    mov cr3, eax
    mov ecx, EFER
    rdmsr
    or eax, 1 << 8
    wrmsr
    mov eax, cr0
    or eax, 0x80000000                      ; paging on: IA-32e mode again (compatibility)
    and eax, ~((1 << 2) | (1 << 3))         ; EM and TS off, whatever ran down there
    mov cr0, eax
    jmp far [rm_return64 - rm_blob]         ; to the 64-bit code segment

align 8
rm_gdt:
    dq 0
    dq 0x00AF9B000000FFFF                   ; 0x08: 64-bit code (as the kernel's)
    dq 0x00CF93000000FFFF                   ; 0x10: flat data (as the kernel's)
    dq 0x00CF9B000000FFFF                   ; 0x18: 32-bit code, base patched
    dq 0x00CF93000000FFFF                   ; 0x20: 32-bit data, base patched
    dq 0x00009B000000FFFF                   ; 0x28: 16-bit code, 64 KiB, base patched
    dq 0x000093000000FFFF                   ; 0x30: 16-bit data, 64 KiB, base patched
rm_gdt_end:

align 8
    dw 0, 0, 0
rm_gdt_pointer:
    dw rm_gdt_end - rm_gdt - 1
    dq 0                                    ; linear address of the copy's GDT, patched

align 8
    dw 0, 0, 0
rm_ivt_pointer:
    dw 0x3FF
    dq 0

align 4
rm_cr3:         dd 0
rm_cr4:         dd 0
rm_up64:        dd 0
                dw 0
rm_old13:       dd 0
rm_old15:       dd 0
rm_boot_target: dd 0
rm_old18:       dd 0
rm_old19:       dd 0
rm_caller_sp:   dd 0
rm_caller_ss:   dw 0
rm_caller_fs:   dw 0
rm_caller_gs:   dw 0
rm_mode:        db 0
rm_disposition: db 0
rm_target:      dd 0
rm_return64:    dd 0
                dw 0
rm_vector:      db 0
align 4
rm_regs:        times REGS_SIZE db 0

align 16
rm_stack:       times 2048 db 0
rm_stack_top:
rm_blob_end:
