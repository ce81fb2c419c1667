; plugs.asm - the "plugs": small native functions the C# kernel binds to by symbol name through
; [RuntimeImport], plus the helpers that ILC-generated code calls directly (write barriers,
; memset/memcpy/memmove).
;
; Every function follows the System V AMD64 ABI (arguments in RDI, RSI, RDX, RCX, R8, R9; result
; in RAX; RBX, RBP, R12-R15 preserved; DF clear on entry and exit). None of them uses the red
; zone or needs an aligned stack. Instruction semantics are from the Intel SDM vol. 2 (CPUID,
; RDMSR/WRMSR, IN/OUT, RDTSC, HLT) and the Hyper-V TLFS for the hypercall calling convention.
;
; RDMSR/WRMSR on an MSR the (virtual) CPU does not implement raises #GP. Each such instruction is
; registered in section .fault_fixups as a pair of 8-byte addresses (faulting instruction,
; resume address); the #GP handler in idt.asm resumes there and the plug returns -1.

bits 64
default rel

DEBUG_EXIT_PORT equ 0xF4

global plug_cpuid
global plug_rdmsr
global plug_wrmsr
global plug_inb
global plug_inw
global plug_inl
global plug_outb
global plug_outw
global plug_outl
global plug_rdtsc
global plug_pause
global plug_mfence
global plug_hlt
global plug_exit
global plug_hypercall
global plug_read_cr2
global plug_read_cr3
global RhpAssignRef
global RhpCheckedAssignRef
global RhpByRefAssignRef
global memset
global memcpy
global memmove

; Registers "if the instruction at label %1 faults, continue at label %2".
%macro FAULT_FIXUP 2
section .fault_fixups progbits alloc noexec nowrite align=8
    dq %1, %2
section .text
%endmacro

section .text

; int plug_cpuid(uint leaf /*EDI*/, uint subleaf /*ESI*/, uint* out4 /*RDX*/)
; Stores EAX, EBX, ECX, EDX of CPUID(leaf, subleaf) to out4[0..3]; returns 0.
plug_cpuid:
    push rbx                                ; CPUID overwrites RBX, which is callee-saved
    mov r8, rdx
    mov eax, edi
    mov ecx, esi
    cpuid
    mov [r8], eax
    mov [r8 + 4], ebx
    mov [r8 + 8], ecx
    mov [r8 + 12], edx
    pop rbx
    xor eax, eax
    ret

; int plug_rdmsr(uint msr /*EDI*/, ulong* value /*RSI*/)
; Returns 0 and stores the 64-bit MSR value, or -1 if the MSR does not exist (#GP); then
; *value is left untouched.
plug_rdmsr:
    mov ecx, edi
.access:
    rdmsr                                   ; EDX:EAX, upper halves of RAX/RDX cleared
    shl rdx, 32
    or rax, rdx
    mov [rsi], rax
    xor eax, eax
    ret
.faulted:
    mov eax, -1
    ret
FAULT_FIXUP plug_rdmsr.access, plug_rdmsr.faulted

; int plug_wrmsr(uint msr /*EDI*/, ulong value /*RSI*/)
; Returns 0, or -1 if the write raised #GP (absent MSR or a value the MSR refuses).
plug_wrmsr:
    mov ecx, edi
    mov eax, esi
    mov rdx, rsi
    shr rdx, 32
.access:
    wrmsr
    xor eax, eax
    ret
.faulted:
    mov eax, -1
    ret
FAULT_FIXUP plug_wrmsr.access, plug_wrmsr.faulted

; byte plug_inb(ushort port /*DI*/)  - result zero-extended in EAX
plug_inb:
    mov edx, edi
    in al, dx
    movzx eax, al
    ret

; ushort plug_inw(ushort port /*DI*/) - result zero-extended in EAX
plug_inw:
    mov edx, edi
    in ax, dx
    movzx eax, ax
    ret

; uint plug_inl(ushort port /*DI*/)
plug_inl:
    mov edx, edi
    in eax, dx
    ret

; void plug_outb(ushort port /*DI*/, byte value /*SIL*/)
plug_outb:
    mov edx, edi
    mov eax, esi
    out dx, al
    ret

; void plug_outw(ushort port /*DI*/, ushort value /*SI*/)
plug_outw:
    mov edx, edi
    mov eax, esi
    out dx, ax
    ret

; void plug_outl(ushort port /*DI*/, uint value /*ESI*/)
plug_outl:
    mov edx, edi
    mov eax, esi
    out dx, eax
    ret

; ulong plug_rdtsc() - the 64-bit time-stamp counter (not serialising).
plug_rdtsc:
    rdtsc
    shl rdx, 32
    or rax, rdx
    ret

; void plug_mfence() - full memory barrier: stores before it are visible before loads after it
; (the ring-buffer and SynIC handshakes with the hypervisor need exactly that ordering).
plug_mfence:
    mfence
    ret

; void plug_pause() - spin-wait hint.
plug_pause:
    pause
    ret

; void plug_hlt() - waits for the next interrupt with interrupts briefly enabled. STI delays
; interrupt recognition by one instruction, so an interrupt that is already pending wakes the
; HLT instead of slipping in before it. boot.asm leaves the PIT (IRQ0, ~18.2 Hz) unmasked, so
; this normally returns within ~55 ms; interrupts are disabled again on return.
plug_hlt:
    sti
    hlt
    cli
    ret

; void plug_exit(uint code /*EDI*/) - writes the low byte to the isa-debug-exit port (QEMU then
; exits with status 2*code+1); where no such device exists it halts forever. Does not return.
plug_exit:
    mov eax, edi
    out DEBUG_EXIT_PORT, al
.halt:
    cli
    hlt
    jmp .halt

; ulong plug_hypercall(ulong control /*RDI*/, ulong inputGpa /*RSI*/, ulong outputGpa /*RDX*/,
;                      void* hypercallPage /*RCX*/)
; Hyper-V x64 convention: RCX = hypercall input value, RDX = input page GPA, R8 = output page
; GPA, result value in RAX. The hypercall page is code the hypervisor wrote; it is called like a
; Microsoft x64 function, so give it the 32-byte home area and a 16-byte aligned stack. The
; registers SysV needs preserved (RBX, RBP, R12-R15) are preserved by that convention too.
plug_hypercall:
    sub rsp, 40                             ; 32 home area + 8: RSP is 16-aligned at the call
    mov r11, rcx
    mov rcx, rdi
    mov r8, rdx
    mov rdx, rsi
    call r11
    add rsp, 40
    ret

; ulong plug_read_cr2() - last page-fault linear address (diagnostics).
plug_read_cr2:
    mov rax, cr2
    ret

; ulong plug_read_cr3() - page-table root (diagnostics).
plug_read_cr3:
    mov rax, cr3
    ret

; ---------------------------------------------------------------------------------------------
; Write barriers. ILC emits calls to these for every store of an object reference into the heap.
; This kernel has no garbage collector, so there is no card table to mark: each one is the
; plain store, with the register contract of the real runtime's barriers kept exactly.
; ---------------------------------------------------------------------------------------------

; RDI = address of the reference field, RSI = reference to store. Clobbers nothing.
RhpAssignRef:
    mov [rdi], rsi
    ret

; Same contract; the real runtime first checks that RDI points into the GC heap.
RhpCheckedAssignRef:
    mov [rdi], rsi
    ret

; Copies the reference at [RSI] to [RDI], then advances RDI and RSI by 8 (used for copying
; structs that contain references). Only RCX is clobbered (the contract allows RCX and RAX).
RhpByRefAssignRef:
    mov rcx, [rsi]
    mov [rdi], rcx
    add rdi, 8
    add rsi, 8
    ret

; ---------------------------------------------------------------------------------------------
; C memory routines called by ILC-generated code (block init/copy of large structs).
; ---------------------------------------------------------------------------------------------

; void* memset(void* dst /*RDI*/, int c /*ESI*/, ulong n /*RDX*/) - returns dst.
memset:
    mov r8, rdi
    mov eax, esi
    mov rcx, rdx
    rep stosb
    mov rax, r8
    ret

; void* memcpy(void* dst /*RDI*/, const void* src /*RSI*/, ulong n /*RDX*/) - returns dst.
; The regions must not overlap (memmove handles overlap).
; void* memmove(void* dst /*RDI*/, const void* src /*RSI*/, ulong n /*RDX*/) - returns dst.
; Every received byte passes through here at least once (NIC buffer -> TCP ring -> caller), so it
; moves 64 bytes per loop round in four SSE registers, then 8, then 1. Not REP MOVSB: QEMU's TCG
; runs a REP string instruction one element per translated-block execution, so byte moves cost
; about eight times what quadword moves do, and the 64-byte loop fewer still (bench sanprofile);
; on real CPUs the unrolled loop is close to REP MOVSB for the packet-sized moves made here.
; Forward copies are also right when dst lies below an overlapping src: each round loads its
; whole block before storing it. When dst lies inside (src, src+n) a forward copy would overwrite
; source bytes before reading them, so the copy runs backward from the end, 8 bytes then 1.
; XMM0-XMM3 are caller-saved in this ABI; the interrupt and real-mode entries save the SSE state.
memcpy:
memmove:
    mov rax, rdi
    mov r8, rdi
    sub r8, rsi                             ; dst - src (unsigned)
    cmp r8, rdx
    jb .backward                            ; 0 <= dst - src < n: overlapping with dst at or above src
    cmp rdx, 64
    jb .forward8
.forward64:
    movdqu xmm0, [rsi]
    movdqu xmm1, [rsi + 16]
    movdqu xmm2, [rsi + 32]
    movdqu xmm3, [rsi + 48]
    movdqu [rdi], xmm0
    movdqu [rdi + 16], xmm1
    movdqu [rdi + 32], xmm2
    movdqu [rdi + 48], xmm3
    add rsi, 64
    add rdi, 64
    sub rdx, 64
    cmp rdx, 64
    jae .forward64
.forward8:
    cmp rdx, 8
    jb .forward1
    mov rcx, [rsi]
    mov [rdi], rcx
    add rsi, 8
    add rdi, 8
    sub rdx, 8
    jmp .forward8
.forward1:
    test rdx, rdx
    jz .done
    mov cl, [rsi]
    mov [rdi], cl
    inc rsi
    inc rdi
    dec rdx
    jmp .forward1
.backward:
    test r8, r8
    jz .done                                ; dst == src: nothing to do
    add rsi, rdx
    add rdi, rdx
.backward8:
    cmp rdx, 8
    jb .backward1
    sub rsi, 8
    sub rdi, 8
    mov rcx, [rsi]
    mov [rdi], rcx
    sub rdx, 8
    jmp .backward8
.backward1:
    test rdx, rdx
    jz .done
    dec rsi
    dec rdi
    mov cl, [rsi]
    mov [rdi], cl
    dec rdx
    jmp .backward1
.done:
    ret
