; idt.asm - 64-bit interrupt descriptor table, CPU exception reporting and COM1 output.
;
; Follows the Intel SDM vol. 3A chapter "Interrupt and Exception Handling" (64-bit IDT gate
; format, which vectors push an error code, the interrupt stack frame, IST) and the 16550 UART
; register layout for COM1 (I/O base 0x3F8). Interrupts stay disabled in this kernel except
; inside plug_hlt; the IDT exists so that faults are reported instead of triple-faulting, and so
; that the one recoverable fault we use on purpose, #GP from RDMSR/WRMSR on an absent MSR, can
; be resumed. None of these paths touches XMM registers, so no SIMD state needs saving.
;
; Vectors:
;   0x00-0x1F  CPU exceptions: print one report to COM1, write 0x7F to port 0xF4 (QEMU exits
;              with status 255), then halt forever. #GP whose RIP is in the fault-fixup table
;              (section .fault_fixups, see plugs.asm) is resumed at the fixup address instead.
;              NMI, #DF and #MC run on IST1 (boot.asm) so they report even with a bad stack.
;   0x20-0x2F  legacy PIC IRQs (remapped by boot.asm): acknowledged with EOI and ignored.
;   0x30-0xFF  anything else (e.g. APIC spurious): plain IRETQ.
;
; Report format (first line is stable for log scrapers):
;   !!! CPU EXCEPTION vector=0x0D error=0x0000000000000000 rip=0x... image+0x... cr2=0x... rsp=0x...
;   followed by lines with the mnemonic, CS/SS/RFLAGS/CR3 and all general registers.

bits 64
default rel

SEL_CODE64      equ 0x08
DEBUG_EXIT_PORT equ 0xF4
COM1            equ 0x3F8

extern __fault_fixups_start
extern __fault_fixups_end
extern __image_start

global native_idt_install
global native_idt
global native_com1_init
global native_com1_putc
global native_com1_puts
global native_com1_hex

; Offsets into the frame built by exception_common: 15 saved registers, then the vector and
; error code pushed by the stub, then the CPU's frame (RIP, CS, RFLAGS, RSP, SS).
FR_R15    equ 0
FR_R14    equ 8
FR_R13    equ 16
FR_R12    equ 24
FR_R11    equ 32
FR_R10    equ 40
FR_R9     equ 48
FR_R8     equ 56
FR_RBP    equ 64
FR_RDI    equ 72
FR_RSI    equ 80
FR_RDX    equ 88
FR_RCX    equ 96
FR_RBX    equ 104
FR_RAX    equ 112
FR_VECTOR equ 120
FR_ERROR  equ 128
FR_RIP    equ 136
FR_CS     equ 144
FR_RFLAGS equ 152
FR_RSP    equ 160
FR_SS     equ 168

section .text

; Builds all 256 gates and loads IDTR. Called once from boot.asm with interrupts disabled.
; Clobbers RAX, RCX, RDX, RDI, R8-R10.
native_idt_install:
    lea rdi, [native_idt]
    xor ecx, ecx
.next_vector:
    cmp ecx, 32
    jae .not_exception
    lea rax, [exception_stub_table]
    mov rax, [rax + rcx * 8]
    xor edx, edx
    cmp ecx, 2                              ; NMI
    je .use_ist
    cmp ecx, 8                              ; double fault
    je .use_ist
    cmp ecx, 18                             ; machine check
    jne .write
.use_ist:
    mov edx, 1
    jmp .write
.not_exception:
    xor edx, edx
    lea rax, [pic_master_irq]
    cmp ecx, 0x28
    jb .write
    lea rax, [pic_slave_irq]
    cmp ecx, 0x30
    jb .write
    lea rax, [ignored_interrupt]
.write:
    call write_gate
    add rdi, 16
    inc ecx
    cmp ecx, 256
    jb .next_vector
    lidt [idt_pointer]
    ret

; Writes the 16-byte interrupt gate at RDI for handler RAX with IST index EDX: present, DPL 0,
; type 0xE (interrupt gate, so IF is cleared on entry), selector SEL_CODE64.
write_gate:
    movzx r8d, ax                           ; offset 15:0
    mov r9d, SEL_CODE64
    shl r9, 16
    or r8, r9
    mov r9d, edx                            ; IST index 2:0
    shl r9, 32
    or r8, r9
    mov r9, 0x8E
    shl r9, 40
    or r8, r9
    mov r9, rax
    shr r9, 16
    and r9, 0xFFFF                          ; offset 31:16
    shl r9, 48
    or r8, r9
    mov [rdi], r8
    mov r9, rax
    shr r9, 32                              ; offset 63:32, upper dword reserved zero
    mov [rdi + 8], r9
    ret

; One stub per exception vector. The CPU pushes an error code only for some vectors; the stub
; pushes a zero for the others so the frame layout is the same for all.
%assign vec 0
%rep 32
exception_stub_%[vec]:
; vectors with a CPU error code: #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX
%if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) \
    || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
%else
    push 0
%endif
    push vec
    jmp exception_common
%assign vec vec + 1
%endrep

exception_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    cld                                     ; the interrupted code may have had DF set

    ; Recoverable #GP: if RIP is a registered faulting instruction, resume at its fixup.
    cmp qword [rsp + FR_VECTOR], 13
    jne .fatal
    mov rax, [rsp + FR_RIP]
    lea rbx, [__fault_fixups_start]
    lea rcx, [__fault_fixups_end]
.scan:
    cmp rbx, rcx
    jae .fatal
    cmp [rbx], rax
    je .fixup
    add rbx, 16
    jmp .scan
.fixup:
    mov rax, [rbx + 8]
    mov [rsp + FR_RIP], rax
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16                             ; vector and error code
    iretq

.fatal:
    ; A fault inside the report itself must not recurse forever: second time, just exit.
    lock bts qword [in_fatal_report], 0
    jc .exit

    call com1_init_if_needed
    mov rbx, rsp                            ; RBX = frame for the rest of the report

    lea rsi, [s_banner]
    call native_com1_puts
    mov rax, [rbx + FR_VECTOR]
    mov ecx, 2
    call native_com1_hex
    lea rsi, [s_error]
    call native_com1_puts
    mov rax, [rbx + FR_ERROR]
    call print_hex16
    lea rsi, [s_rip]
    call native_com1_puts
    mov rax, [rbx + FR_RIP]
    call print_hex16
    ; The image moves to the top of memory at boot: the offset is what the link map names.
    lea rsi, [s_image]
    call native_com1_puts
    mov rax, [rbx + FR_RIP]
    lea rcx, [__image_start]
    sub rax, rcx
    mov ecx, 8
    call native_com1_hex
    lea rsi, [s_cr2]
    call native_com1_puts
    mov rax, cr2
    call print_hex16
    lea rsi, [s_rsp]
    call native_com1_puts
    mov rax, [rbx + FR_RSP]
    call print_hex16
    mov al, 10
    call native_com1_putc

    lea rsi, [s_indent]
    call native_com1_puts
    mov rax, [rbx + FR_VECTOR]
    lea rsi, [exception_names]
    mov rsi, [rsi + rax * 8]
    call native_com1_puts
    lea rsi, [s_cs]
    call native_com1_puts
    mov rax, [rbx + FR_CS]
    mov ecx, 4
    call native_com1_hex
    lea rsi, [s_ss]
    call native_com1_puts
    mov rax, [rbx + FR_SS]
    mov ecx, 4
    call native_com1_hex
    lea rsi, [s_rflags]
    call native_com1_puts
    mov rax, [rbx + FR_RFLAGS]
    call print_hex16
    lea rsi, [s_cr3]
    call native_com1_puts
    mov rax, cr3
    call print_hex16
    mov al, 10
    call native_com1_putc

    ; General registers, four per line, driven by a table of (name, frame offset).
    lea r12, [register_table]
    xor r13d, r13d
.reg_loop:
    test r13d, 3
    jnz .same_line
    lea rsi, [s_indent]
    call native_com1_puts
.same_line:
    mov rsi, [r12]
    call native_com1_puts
    mov rax, [r12 + 8]
    mov rax, [rbx + rax]
    call print_hex16
    inc r13d
    add r12, 16
    test r13d, 3
    jz .end_line
    cmp r13d, 15
    je .end_line
    mov al, ' '
    call native_com1_putc
    jmp .reg_next
.end_line:
    mov al, 10
    call native_com1_putc
.reg_next:
    cmp r13d, 15
    jb .reg_loop

.exit:
    ; isa-debug-exit: QEMU ends with status (0x7F << 1) | 1 = 255. On real hardware or
    ; Hyper-V the port does nothing and we stay halted with interrupts off.
    mov al, 0x7F
    out DEBUG_EXIT_PORT, al
.halt:
    cli
    hlt
    jmp .halt

; Legacy PIC interrupts (only IRQ0, the PIT, is unmasked by boot.asm; it can only arrive inside
; plug_hlt). A non-specific EOI re-arms the line; slave IRQs need one at both controllers.
pic_slave_irq:
    push rax
    mov al, 0x20
    out 0xA0, al
    out 0x20, al
    pop rax
    iretq

pic_master_irq:
    push rax
    mov al, 0x20
    out 0x20, al
    pop rax
    iretq

ignored_interrupt:
    iretq

; ---------------------------------------------------------------------------------------------
; COM1 (16550) output. These routines preserve every register except flags, so exception code
; can call them freely. Polling is bounded: with no UART present the bytes are simply dropped.
; ---------------------------------------------------------------------------------------------

; Programs COM1 for 115200 baud, 8 data bits, no parity, 1 stop bit, FIFOs on, no interrupts.
native_com1_init:
    push rax
    push rdx
    mov dx, COM1 + 1
    xor al, al
    out dx, al                              ; IER: no interrupts
    mov dx, COM1 + 3
    mov al, 0x80
    out dx, al                              ; LCR: divisor latch access
    mov dx, COM1 + 0
    mov al, 1
    out dx, al                              ; divisor 1 = 115200 baud
    mov dx, COM1 + 1
    xor al, al
    out dx, al
    mov dx, COM1 + 3
    mov al, 0x03
    out dx, al                              ; LCR: 8N1, divisor latch off
    mov dx, COM1 + 2
    mov al, 0xC7
    out dx, al                              ; FCR: enable and clear FIFOs
    mov dx, COM1 + 4
    mov al, 0x03
    out dx, al                              ; MCR: DTR and RTS
    pop rdx
    pop rax
    ret

; Re-programs COM1 only if its line control register is not already 8N1 with the divisor latch
; closed, so a port the C# side configured (possibly at another speed) is left as it is.
com1_init_if_needed:
    push rax
    push rdx
    mov dx, COM1 + 3
    in al, dx
    cmp al, 0x03
    je .done
    call native_com1_init
.done:
    pop rdx
    pop rax
    ret

; Writes the byte in AL; a line feed is sent as CR LF for terminals.
native_com1_putc:
    cmp al, 10
    jne com1_put_raw
    push rax
    mov al, 13
    call com1_put_raw
    pop rax
com1_put_raw:
    push rcx
    push rdx
    push rax
    mov ecx, 100000
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20                           ; LSR: transmit holding register empty
    jnz .ready
    pause
    dec ecx
    jnz .wait
.ready:
    pop rax
    mov dx, COM1
    out dx, al
    pop rdx
    pop rcx
    ret

; Writes the NUL-terminated string at RSI.
native_com1_puts:
    push rax
    push rsi
.next:
    mov al, [rsi]
    test al, al
    jz .done
    call native_com1_putc
    inc rsi
    jmp .next
.done:
    pop rsi
    pop rax
    ret

; Writes the low ECX hex digits (1-16) of RAX, most significant first, upper case.
native_com1_hex:
    push rax
    push rcx
    push rdx
    mov rdx, rax
.digit:
    mov eax, ecx
    dec eax
    shl eax, 2                              ; bit position of this digit
    push rcx
    mov ecx, eax
    mov rax, rdx
    shr rax, cl
    pop rcx
    and eax, 0xF
    push rbx
    lea rbx, [hex_digits]                   ; RIP-relative: the image moves (boot.asm)
    mov al, [rbx + rax]
    pop rbx
    call native_com1_putc
    dec ecx
    jnz .digit
    pop rdx
    pop rcx
    pop rax
    ret

print_hex16:
    push rcx
    mov ecx, 16
    call native_com1_hex
    pop rcx
    ret

section .rodata
hex_digits:     db "0123456789ABCDEF"
s_banner:       db "!!! CPU EXCEPTION vector=0x", 0
s_error:        db " error=0x", 0
s_rip:          db " rip=0x", 0
s_image:        db " image+0x", 0
s_cr2:          db " cr2=0x", 0
s_rsp:          db " rsp=0x", 0
s_indent:       db "    ", 0
s_cs:           db " cs=0x", 0
s_ss:           db " ss=0x", 0
s_rflags:       db " rflags=0x", 0
s_cr3:          db " cr3=0x", 0

n_de:   db "#DE divide error", 0
n_db:   db "#DB debug", 0
n_nmi:  db "NMI non-maskable interrupt", 0
n_bp:   db "#BP breakpoint", 0
n_of:   db "#OF overflow", 0
n_br:   db "#BR bound range", 0
n_ud:   db "#UD invalid opcode", 0
n_nm:   db "#NM device not available", 0
n_df:   db "#DF double fault", 0
n_cso:  db "coprocessor segment overrun", 0
n_ts:   db "#TS invalid TSS", 0
n_np:   db "#NP segment not present", 0
n_ss:   db "#SS stack fault", 0
n_gp:   db "#GP general protection", 0
n_pf:   db "#PF page fault", 0
n_res:  db "reserved vector", 0
n_mf:   db "#MF x87 floating point", 0
n_ac:   db "#AC alignment check", 0
n_mc:   db "#MC machine check", 0
n_xm:   db "#XM SIMD floating point", 0
n_ve:   db "#VE virtualization", 0
n_cp:   db "#CP control protection", 0
n_hv:   db "#HV hypervisor injection", 0
n_vc:   db "#VC VMM communication", 0
n_sx:   db "#SX security", 0

reg_rax: db "rax=", 0
reg_rbx: db "rbx=", 0
reg_rcx: db "rcx=", 0
reg_rdx: db "rdx=", 0
reg_rsi: db "rsi=", 0
reg_rdi: db "rdi=", 0
reg_rbp: db "rbp=", 0
reg_r8:  db "r8 =", 0
reg_r9:  db "r9 =", 0
reg_r10: db "r10=", 0
reg_r11: db "r11=", 0
reg_r12: db "r12=", 0
reg_r13: db "r13=", 0
reg_r14: db "r14=", 0
reg_r15: db "r15=", 0

; Pointer tables hold absolute addresses, so they belong with relocated data, not code.
section .data
align 8
exception_stub_table:
%assign vec 0
%rep 32
    dq exception_stub_%[vec]
%assign vec vec + 1
%endrep

exception_names:
    dq n_de, n_db, n_nmi, n_bp, n_of, n_br, n_ud, n_nm
    dq n_df, n_cso, n_ts, n_np, n_ss, n_gp, n_pf, n_res
    dq n_mf, n_ac, n_mc, n_xm, n_ve, n_cp, n_res, n_res
    dq n_res, n_res, n_res, n_res, n_hv, n_vc, n_sx, n_res

register_table:
    dq reg_rax, FR_RAX, reg_rbx, FR_RBX, reg_rcx, FR_RCX, reg_rdx, FR_RDX
    dq reg_rsi, FR_RSI, reg_rdi, FR_RDI, reg_rbp, FR_RBP, reg_r8,  FR_R8
    dq reg_r9,  FR_R9,  reg_r10, FR_R10, reg_r11, FR_R11, reg_r12, FR_R12
    dq reg_r13, FR_R13, reg_r14, FR_R14, reg_r15, FR_R15

idt_pointer:
    dw 256 * 16 - 1
    dq native_idt

in_fatal_report:
    dq 0

section .bss nobits alloc noexec write align=16
alignb 16
native_idt:
    resb 256 * 16
