; boot.asm - entry of the boot stage image: Multiboot header, 32-bit entry, switch to 64-bit.
;
; The image is a flat binary linked at 1 MiB (see linker.ld) and started by a Multiboot v1
; loader (QEMU -kernel, GRUB, syslinux mboot.c32). It follows the Multiboot Specification
; 0.6.96 (header layout, a.out-kludge address fields, machine state at entry: EAX = 0x2BADB002,
; EBX = physical address of the info block, protected mode, paging off, interrupts off, GDTR
; undefined) and the Intel SDM vol. 3A sections "Initializing IA-32e Mode" and "4-Level
; Paging". First it moves itself to the top of memory (move_to_top_of_memory). On success it
; calls the C# entry point
;     void KernelEntry(ulong multibootInfo, uint magic)        (System V AMD64 ABI)
; with RDI = info block address (zero-extended) and RSI = loader magic, on a 256 KiB stack.
;
; Exit statuses written to the isa-debug-exit port 0xF4 (QEMU exits with 2*value+1):
;     0x10 -> 33   KernelEntry returned
;     0x7D -> 251  the CPU cannot run 64-bit code (no long mode)
;     (0x7E -> 253 is left to the managed panic in Kernel/Runtime)
;     0x7F -> 255  fatal CPU exception (idt.asm)

MB_HEADER_MAGIC     equ 0x1BADB002
MB_FLAG_PAGE_ALIGN  equ 1 << 0              ; modules on 4 KiB boundaries
MB_FLAG_MEMORY_INFO equ 1 << 1              ; ask for mem_lower/upper and the memory map
MB_FLAG_AOUT_KLUDGE equ 1 << 16             ; the address fields below are valid (we are not ELF)
MB_HEADER_FLAGS     equ MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_AOUT_KLUDGE

SEL_CODE64          equ 0x08
SEL_DATA            equ 0x10
SEL_TSS             equ 0x18

DEBUG_EXIT_PORT     equ 0xF4

KERNEL_STACK_SIZE   equ 256 * 1024
IST_STACK_SIZE      equ 16 * 1024

extern __image_start
extern __load_end
extern __bss_start
extern __bss_end
extern __heap_start
extern __reloc_start
extern __reloc_end
extern KernelEntry
extern native_idt_install
extern native_com1_init
extern native_com1_puts

global _start
global __security_cookie
global native_boot_multiboot_magic
global native_boot_multiboot_info
global native_boot_pml4
global native_bios_pic_masks
global native_boot_low_page_table

; ---------------------------------------------------------------------------------------------
; Multiboot header. It gets its own section so linker.ld can put it first: loaders scan only
; the first 8 KiB of the file. header_addr equals load_addr because the header is at offset 0.
; ---------------------------------------------------------------------------------------------
section .multiboot progbits alloc noexec nowrite align=4
multiboot_header:
    dd MB_HEADER_MAGIC
    dd MB_HEADER_FLAGS
    dd (-(MB_HEADER_MAGIC + MB_HEADER_FLAGS)) & 0xFFFFFFFF
    dd multiboot_header                     ; header_addr
    dd __image_start                        ; load_addr: file offset 0 goes here
    dd __load_end                           ; load_end_addr: end of .data (file length)
    dd __bss_end                            ; bss_end_addr: loader zeroes up to here
    dd _start                               ; entry_addr

; ---------------------------------------------------------------------------------------------
; 32-bit protected-mode entry.
; ---------------------------------------------------------------------------------------------
section .text.boot progbits alloc exec nowrite align=16
bits 32

_start:
    cli
    cld
    ; The loader reserved .bss, so its stack can serve the move (which comes back only if the
    ; image stays where it is; otherwise the copy starts at relocated_start).
    mov esp, boot_stack_top
    call move_to_top_of_memory
relocated_start:
    ; .data is loaded from the file and never zeroed, so the loader's registers can be parked
    ; there before anything else runs (the zeroing below would wipe .bss copies).
    mov [native_boot_multiboot_magic], eax
    mov [native_boot_multiboot_info], ebx

    ; The Multiboot spec leaves GDTR undefined, so install our own table before touching any
    ; segment register. Its data descriptor is flat and writable in 32-bit mode too.
    lgdt [gdt_pointer]
    mov ax, SEL_DATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax

    ; Zero .bss ourselves: not every loader honours bss_end_addr, and the page tables and the
    ; stacks live there. No stack is used until this is done because the stack is in .bss.
    mov edi, __bss_start
    mov ecx, __bss_end
    sub ecx, edi
    xor eax, eax
    rep stosb

    mov esp, boot_stack_top

    call check_long_mode
    call build_page_tables

    ; CR4: PAE is required for IA-32e paging; OSFXSR/OSXMMEXCPT let SSE instructions and SIMD
    ; exceptions work, which the RyuJIT code generator relies on (it always emits SSE2).
    mov eax, cr4
    or eax, (1 << 5) | (1 << 9) | (1 << 10)
    mov cr4, eax

    mov eax, pml4_table
    mov cr3, eax

    ; EFER.LME: long mode becomes active as soon as paging is switched on.
    mov ecx, 0xC0000080
    rdmsr
    or eax, 1 << 8
    wrmsr

    ; CR0: PG turns on paging (and with LME, IA-32e mode); WP makes ring 0 honour read-only
    ; pages; MP with EM clear lets SSE/x87 run natively; TS clear avoids #NM on first use;
    ; CD/NW cleared in case the firmware left caching off.
    mov eax, cr0
    and eax, ~((1 << 2) | (1 << 3) | (1 << 29) | (1 << 30))
    or eax, (1 << 31) | (1 << 16) | (1 << 1) | (1 << 0)
    mov cr0, eax

    ; We are now in compatibility mode; the far jump loads the 64-bit code descriptor.
    jmp dword SEL_CODE64:long_mode_entry

;; ---- The move to the top of memory --------------------------------------------------------
; The image is linked at 1 MiB, but an OS loader we SAN-boot would take that memory whatever the
; E820h map says. So before anything else the image moves itself to the highest place in usable
; memory (Multiboot memory map, type 1) below 4 GiB that holds it and its .bss, 64 KiB aligned
; and clear of what the loader handed over (information block, command line, memory map,
; modules, loader name) and of the image itself: it copies the file part there, adds the
; distance to every site of the relocation table (.reloc, built by make-reloc-table.pl) in the
; copy, and jumps to relocated_start in the copy with EAX and EBX as the loader gave them.
; Returns (everything preserved) when there is no map or no higher place.
MOVE_ALIGN          equ 0x10000
FIRST_MEGABYTE      equ 0x100000

move_to_top_of_memory:
    pushad
    cmp eax, 0x2BADB002
    jne .stay
    test dword [ebx], 1 << 6
    jz .stay
    mov [move_info], ebx
    mov ecx, __heap_start                   ; the image with its .bss, page-aligned
    sub ecx, __image_start
    add ecx, MOVE_ALIGN - 1
    and ecx, ~(MOVE_ALIGN - 1)
    mov [move_size], ecx
    mov dword [move_best], 0
    mov esi, [ebx + 48]                     ; mmap_addr: entries of size (4), base, length, type
    mov edx, esi
    add edx, [ebx + 44]
.entry:
    cmp esi, edx
    jae .chosen
    cmp dword [esi + 20], 1
    jne .next
    cmp dword [esi + 8], 0
    jne .next                               ; starts above 4 GiB
    mov eax, [esi + 4]
    mov edi, eax
    add edi, [esi + 12]
    jc .clip
    cmp dword [esi + 16], 0
    je .bounded
.clip:
    mov edi, 0 - MOVE_ALIGN                 ; as close to 4 GiB as an aligned start gets
.bounded:
    cmp eax, FIRST_MEGABYTE
    jae .placed
    mov eax, FIRST_MEGABYTE
.placed:
    push edx
    push esi
    call place_in_range
    pop esi
    pop edx
.next:
    add esi, [esi]
    add esi, 4
    jmp .entry

.chosen:
    mov edi, [move_best]
    cmp edi, __image_start
    jbe .stay
    mov esi, __image_start
    mov ecx, __load_end
    sub ecx, esi
    rep movsb
    mov edx, [move_best]
    sub edx, __image_start                  ; the distance, below 4 GiB
    mov esi, __reloc_start
.site:
    cmp esi, __reloc_end
    jae .enter
    lodsd
    mov edi, eax
    and edi, 0x7FFFFFFF
    add edi, [move_best]
    test eax, eax
    js .wide
    add [edi], edx
    jmp .site
.wide:
    add [edi], edx
    adc dword [edi + 4], 0
    jmp .site
.enter:
    mov eax, relocated_start
    add eax, edx
    mov [move_entry], eax
    popad
    jmp [move_entry]
.stay:
    popad
    ret

; EAX = start, EDI = end of a usable range: the highest aligned place in it that collides with
; nothing becomes move_best if it beats it. A collision lowers the end to below what was hit.
place_in_range:
.try:
    mov ecx, edi
    sub ecx, [move_size]
    jb .done
    and ecx, ~(MOVE_ALIGN - 1)
    cmp ecx, eax
    jb .done
    call find_collision
    jnc .fits
    mov edi, ebp
    jmp .try
.fits:
    cmp ecx, [move_best]
    jbe .done
    mov [move_best], ecx
.done:
    ret

; In find_collision: the string at info offset %2, if info flag bit %1 says it is there, taken
; as %3 bytes long (its real length does not matter: a little margin costs nothing).
%macro overlaps_info_string 3
    test dword [ebx], 1 << %1
    jz %%absent
    mov esi, [ebx + %2]
    lea edx, [esi + %3]
    call overlaps
    jc .out
%%absent:
%endmacro

; ECX = candidate start (move_size long). CF set, EBP = the start of what it overlaps, if it
; overlaps the image or anything of the loader's; EAX, ECX, EDI preserved.
find_collision:
    push eax
    push edi
    mov ebx, [move_info]
    mov esi, __image_start
    mov edx, __heap_start
    call overlaps
    jc .out
    mov esi, ebx
    lea edx, [ebx + 128]
    call overlaps
    jc .out
    overlaps_info_string 2, 16, 4096       ; the command line
    mov esi, [ebx + 48]
    mov edx, esi
    add edx, [ebx + 44]
    call overlaps
    jc .out
    overlaps_info_string 9, 64, 256        ; the loader name
    test dword [ebx], 1 << 3
    jz .clear
    mov edi, [ebx + 20]                     ; mods_count
    mov ebx, [ebx + 24]                     ; mods_addr: entries of start, end, string, reserved
    mov esi, ebx
    mov eax, edi
    shl eax, 4
    lea edx, [ebx + eax]
    call overlaps
    jc .out
.module:
    test edi, edi
    jz .clear
    mov esi, [ebx]
    mov edx, [ebx + 4]
    call overlaps
    jc .out
    add ebx, 16
    dec edi
    jmp .module
.clear:
    clc
.out:
    pop edi
    pop eax
    ret

; [ECX, ECX + move_size) against [ESI, EDX): CF and EBP = ESI when they overlap.
overlaps:
    cmp esi, edx
    jae .apart
    mov ebp, ecx
    add ebp, [move_size]
    cmp esi, ebp
    jae .apart
    cmp edx, ecx
    jbe .apart
    mov ebp, esi
    stc
    ret
.apart:
    clc
    ret

; Halts with a message when CPUID does not report long mode (extended leaf 0x80000001,
; EDX bit 29). Every x86-64 CPU has CPUID, so its presence is not tested separately.
check_long_mode:
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .no_long_mode
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 29
    jz .no_long_mode
    ret
.no_long_mode:
    mov esi, msg_no_long_mode
    call com1_puts32
    mov al, 0x7D
    out DEBUG_EXIT_PORT, al
.halt:
    cli
    hlt
    jmp .halt

; Minimal COM1 writer for the one 32-bit failure message: programs 115200 8N1 and writes the
; NUL-terminated string at ESI. Polling is bounded so a missing UART cannot hang us.
com1_puts32:
    mov dx, 0x3F9
    xor al, al
    out dx, al                              ; IER: no interrupts
    mov dx, 0x3FB
    mov al, 0x80
    out dx, al                              ; LCR: divisor latch access
    mov dx, 0x3F8
    mov al, 1
    out dx, al                              ; divisor low: 115200 baud
    mov dx, 0x3F9
    xor al, al
    out dx, al                              ; divisor high
    mov dx, 0x3FB
    mov al, 0x03
    out dx, al                              ; LCR: 8 data bits, no parity, 1 stop bit
.next:
    lodsb
    test al, al
    jz .done
    mov ah, al
    mov ecx, 100000
.wait:
    mov dx, 0x3FD
    in al, dx
    test al, 0x20                           ; LSR: transmit holding register empty
    jnz .send
    loop .wait
.send:
    mov dx, 0x3F8
    mov al, ah
    out dx, al
    jmp .next
.done:
    ret

; Identity map of the first 4 GiB: PML4[0] -> one PDPT whose first four entries point to four
; page directories of 2 MiB pages. The first 2 MiB instead goes through a 4 KiB page table so
; that page 0 can be left not-present: a null dereference then faults instead of reading the
; real-mode interrupt vector table. Everything is supervisor, read/write, write-back (MMIO
; ranges get uncached through the firmware's MTRRs). The tables were zeroed with .bss, so only
; present entries are written.
build_page_tables:
    mov eax, pdpt_table
    or eax, 0x3                             ; present | writable
    mov [pml4_table], eax

    mov edi, pdpt_table
    mov eax, pd_tables
    or eax, 0x3
    mov ecx, 4
.pdpt_loop:
    mov [edi], eax
    add eax, 0x1000
    add edi, 8
    loop .pdpt_loop

    mov edi, pd_tables
    mov eax, 0x83                           ; present | writable | 2 MiB page, address 0
    mov ecx, 4 * 512
.pd_loop:
    mov [edi], eax
    add eax, 0x200000
    add edi, 8
    loop .pd_loop

    mov eax, low_page_table
    or eax, 0x3
    mov [pd_tables], eax                    ; first 2 MiB: 4 KiB granularity

    mov edi, low_page_table + 8             ; entry 0 (0x0-0xFFF) stays not present
    mov eax, 0x1000 | 0x3
    mov ecx, 511
.pt_loop:
    mov [edi], eax
    add eax, 0x1000
    add edi, 8
    loop .pt_loop
    ret

; ---------------------------------------------------------------------------------------------
; 64-bit entry.
; ---------------------------------------------------------------------------------------------
bits 64
default rel

long_mode_entry:
    mov ax, SEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax

    ; The stack top is 16-byte aligned, so RSP is aligned at the call below as the SysV ABI
    ; requires. RBP = 0 terminates frame-pointer walks.
    lea rsp, [boot_stack_top]
    xor ebp, ebp

    fninit                                  ; defined x87 state (control word 0x37F)
    call enable_avx_if_present
    call load_tss
    call native_com1_init
    ; Keep the firmware's interrupt masks: the real-mode thunk (realmode.asm) gives the BIOS its
    ; own PIC layout back while it runs.
    in al, 0x21
    mov [native_bios_pic_masks], al
    in al, 0xA1
    mov [native_bios_pic_masks + 1], al
    call remap_legacy_pic
    call native_idt_install

    mov edi, [native_boot_multiboot_info]   ; 32-bit moves zero-extend into RDI/RSI
    mov esi, [native_boot_multiboot_magic]
    call KernelEntry

    lea rsi, [msg_kernel_returned]
    call native_com1_puts
    mov al, 0x10
    out DEBUG_EXIT_PORT, al
.halt:
    cli
    hlt
    jmp .halt

; If the CPU and firmware allow XSAVE and AVX, enable them (CR4.OSXSAVE, XCR0 = x87|SSE|AVX)
; so code compiled with AVX instruction sets does not die with #UD. Harmless otherwise.
enable_avx_if_present:
    push rbx
    mov eax, 1
    cpuid
    mov eax, ecx
    and eax, (1 << 26) | (1 << 28)          ; XSAVE and AVX
    cmp eax, (1 << 26) | (1 << 28)
    jne .done
    mov rax, cr4
    or rax, 1 << 18
    mov cr4, rax
    xor ecx, ecx
    xgetbv
    or eax, 0x7
    xsetbv
.done:
    pop rbx
    ret

; Fills in the TSS descriptor (its base is only known after linking) and loads TR. The TSS is
; needed only for IST1: the double fault, NMI and machine check handlers switch to a stack of
; their own so they can still report when the kernel stack is unusable.
load_tss:
    lea rax, [ist1_stack_top]
    mov [tss + 0x24], rax                   ; IST1
    mov word [tss + 0x66], 104              ; I/O map base beyond the limit: no bitmap

    lea rax, [tss]
    mov rdx, rax
    mov rcx, 103                            ; limit (size - 1)
    ; descriptor low qword: limit 15:0 | base 23:0 << 16 | type 0x89 << 40 | base 31:24 << 56
    mov r8, rcx
    mov r9, rax
    and r9, 0xFFFFFF
    shl r9, 16
    or r8, r9
    mov r9, 0x89
    shl r9, 40
    or r8, r9
    mov r9, rax
    shr r9, 24
    and r9, 0xFF
    shl r9, 56
    or r8, r9
    mov [gdt_table + SEL_TSS], r8
    shr rdx, 32
    mov [gdt_table + SEL_TSS + 8], rdx      ; base 63:32
    mov ax, SEL_TSS
    ltr ax
    ret

; The BIOS leaves the 8259 PICs delivering IRQ 0-7 on vectors 8-15, which collide with CPU
; exceptions (the timer would look like a double fault whenever interrupts are enabled, e.g.
; in plug_hlt). Move them to 0x20-0x2F and mask everything except IRQ0 (PIT), so a halted CPU
; is woken at the BIOS tick rate (~18.2 Hz); idt.asm acknowledges those interrupts.
remap_legacy_pic:
    mov al, 0x11                            ; ICW1: edge triggered, cascade, ICW4 follows
    out 0x20, al
    out 0x80, al                            ; port 0x80 write: short I/O delay for old PICs
    out 0xA0, al
    out 0x80, al
    mov al, 0x20                            ; ICW2: master vector base
    out 0x21, al
    out 0x80, al
    mov al, 0x28                            ; ICW2: slave vector base
    out 0xA1, al
    out 0x80, al
    mov al, 0x04                            ; ICW3: slave on IRQ2
    out 0x21, al
    out 0x80, al
    mov al, 0x02                            ; ICW3: slave identity 2
    out 0xA1, al
    out 0x80, al
    mov al, 0x01                            ; ICW4: 8086 mode
    out 0x21, al
    out 0x80, al
    out 0xA1, al
    out 0x80, al
    mov al, 0xFE                            ; master: only IRQ0 enabled
    out 0x21, al
    mov al, 0xFF                            ; slave: all masked
    out 0xA1, al
    ret

; ---------------------------------------------------------------------------------------------
; Data. The GDT is in writable memory because the CPU sets the TSS busy bit on LTR.
; ---------------------------------------------------------------------------------------------
section .data
align 16
gdt_table:
    dq 0                                    ; null descriptor
    dq 0x00AF9B000000FFFF                   ; 0x08: 64-bit code, DPL 0, accessed
    dq 0x00CF93000000FFFF                   ; 0x10: flat data, writable, accessed
    dq 0, 0                                 ; 0x18: 64-bit TSS (16 bytes), filled by load_tss
gdt_end:

; One pseudo-descriptor serves both modes: LGDT in 32-bit mode reads limit + 4-byte base,
; in 64-bit mode limit + 8-byte base; the table is below 4 GiB so both read the same value.
align 8
    dw 0, 0, 0                              ; pad so the base field is 8-byte aligned
gdt_pointer:
    dw gdt_end - gdt_table - 1
    dq gdt_table

align 4
move_info:      dd 0
move_size:      dd 0
move_best:      dd 0
move_entry:     dd 0
native_boot_multiboot_magic:
    dd 0
native_boot_multiboot_info:
    dd 0
native_bios_pic_masks:
    db 0, 0

; Stack-protector cookie referenced by ILC's code for stackalloc checks. Any non-zero value
; works; nothing in this image ever calls a failure routine.
align 8
__security_cookie:
    dq 0x2F6A9C41D8B5E073

align 16
tss:
    times 104 db 0

section .rodata
msg_no_long_mode:
    db "boot: this CPU does not support 64-bit long mode", 13, 10, 0
msg_kernel_returned:
    db "kernel returned", 10, 0

; ---------------------------------------------------------------------------------------------
; Zero-initialised memory: page tables (4 KiB aligned) and stacks.
; ---------------------------------------------------------------------------------------------
section .bss.pagetables nobits alloc noexec write align=4096
native_boot_pml4:
pml4_table:
    resb 4096
pdpt_table:
    resb 4096
pd_tables:
    resb 4 * 4096
native_boot_low_page_table:
low_page_table:
    resb 4096

section .bss nobits alloc noexec write align=16
alignb 16
boot_stack:
    resb KERNEL_STACK_SIZE
boot_stack_top:

alignb 16
ist1_stack:
    resb IST_STACK_SIZE
ist1_stack_top:
