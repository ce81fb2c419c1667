; runtime.asm - the assembly half of the core library's runtime (Kernel/Runtime/Internal/Runtime).
;
; Entry points the NativeAOT code generator or the core library reach by symbol name, which must
; be written in assembly because they run with a non-standard register contract:
;   - interface dispatch stubs (the dispatch cell arrives in r11, arguments are still live);
;   - reverse/forward P/Invoke frame hooks (no-ops: there is no GC to coordinate with);
;   - the bounds of the linker-gathered `__modules` section.
; x86-64 System V ABI; the managed calling convention matches it for the registers used here.

bits 64
default rel

section .text

extern __modules_start
extern __modules_end
extern RhpResolveInterfaceDispatch

global runtime_modules_start
global runtime_modules_end
global RhpReversePInvoke
global RhpReversePInvokeReturn
global RhpPInvoke
global RhpPInvokeReturn
global RhpInitialDynamicInterfaceDispatch
global RhpInterfaceDispatchCached

; void** runtime_modules_start(void) / runtime_modules_end(void)
runtime_modules_start:
    lea rax, [__modules_start]
    ret

runtime_modules_end:
    lea rax, [__modules_end]
    ret

; Transition frames exist for the GC's stack walks; with no GC they have nothing to record.
RhpReversePInvoke:
RhpReversePInvokeReturn:
RhpPInvoke:
RhpPInvokeReturn:
    ret

; Slow path of every interface call: r11 = dispatch cell, rdi = this, other argument registers
; live. Saves the arguments, asks RhpResolveInterfaceDispatch(this, cell) for the target (which
; also primes the cell's cache), restores, and tail-jumps to the target.
RhpInitialDynamicInterfaceDispatch:
    push rdi
    push rsi
    push rdx
    push rcx
    push r8
    push r9
    sub rsp, 136                ; 8 XMM argument registers + 8 to keep rsp 16-byte aligned
    movdqu [rsp + 0], xmm0
    movdqu [rsp + 16], xmm1
    movdqu [rsp + 32], xmm2
    movdqu [rsp + 48], xmm3
    movdqu [rsp + 64], xmm4
    movdqu [rsp + 80], xmm5
    movdqu [rsp + 96], xmm6
    movdqu [rsp + 112], xmm7
    mov rsi, r11
    call RhpResolveInterfaceDispatch
    mov r11, rax
    movdqu xmm0, [rsp + 0]
    movdqu xmm1, [rsp + 16]
    movdqu xmm2, [rsp + 32]
    movdqu xmm3, [rsp + 48]
    movdqu xmm4, [rsp + 64]
    movdqu xmm5, [rsp + 80]
    movdqu xmm6, [rsp + 96]
    movdqu xmm7, [rsp + 112]
    add rsp, 136
    pop r9
    pop r8
    pop rcx
    pop rdx
    pop rsi
    pop rdi
    jmp r11

; Fast path once a cell has been resolved: the cell's second word points at a cache entry
; {MethodTable* type, code* target}. Same type as last time: jump straight to the target.
; Otherwise fall back to the slow path, which re-resolves and refreshes the entry.
RhpInterfaceDispatchCached:
    mov rax, [r11 + 8]
    mov r10, [rdi]
    cmp r10, [rax]
    jne RhpInitialDynamicInterfaceDispatch
    jmp [rax + 8]

global runtime_cached_dispatch_stub
; nint runtime_cached_dispatch_stub(void): the address the resolver stores into resolved cells.
runtime_cached_dispatch_stub:
    lea rax, [RhpInterfaceDispatchCached]
    ret

extern __image_start
extern __heap_start
global runtime_image_start
global runtime_image_end
; ulong runtime_image_start(void) / runtime_image_end(void): the physical span the image
; occupies, bss included (end is page-aligned). Memory above it is free for the page allocator.
runtime_image_start:
    lea rax, [__image_start]
    ret

runtime_image_end:
    lea rax, [__heap_start]
    ret

extern __rodata_end
global runtime_readonly_end
; ulong runtime_readonly_end(void): the end of the image's code and read-only data, which
; nothing writes after the boot (the SAN handoff's canary samples them).
runtime_readonly_end:
    lea rax, [__rodata_end]
    ret
