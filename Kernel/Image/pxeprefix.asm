; pxeprefix.asm - the real-mode front of out/bootstage.pxe, the image a PXE ROM loads over TFTP.
;
; A PXE ROM (Preboot Execution Environment Specification 2.1, §4.4.5 "Network Bootstrap Program
; loading") puts the NBP at 0000:7C00 and far-calls it in real mode with ES:BX = the PXENV+
; structure and the !PXE structure's far address at SS:[SP+4]. This prefix is a small Multiboot
; loader (Multiboot Specification 0.6.96 §3.2, machine state at entry; a.out-kludge header
; fields) for the flat image that follows it, 8 KiB into the file (so that a ROM able to boot
; Multiboot images itself, such as iPXE, does not find the header in the first 8 KiB and runs
; this prefix as a plain NBP):
;   1. keeps the ROM's DHCPACK (PXENV_GET_CACHED_INFO, packet type 2) for the kernel, which uses
;      it instead of asking again when it boots from the same NIC;
;   2. shuts the PXE stack down so nothing of the ROM's touches the NIC or memory any more:
;      PXENV_UNDI_SHUTDOWN, PXENV_UNLOAD_STACK, PXENV_STOP_UNDI (PXE 2.1 §3.3, §3.2.3, §3.2.4),
;      through the !PXE entry (§3.2.1, "EntryPointSP") or, on an old ROM, PXENV+'s RMEntry;
;   3. reads the BIOS memory map (INT 15h E820h, E801h) and base memory size (INT 12h);
;   4. builds a Multiboot information block (memory, command line, the DHCPACK as a module
;      named "pxe-dhcp-ack", memory map, loader name), enables A20, enters 32-bit protected mode,
;      copies the image to its load address, clears its bss and jumps to its entry with
;      EAX = 2BADB002h and EBX = the information block.
; It reports each step on COM1 ("pxe: ..."). The kernel command line is the NUL-terminated text
; after the marker "BOOTSTAGE-PXE-CMDLINE:" (1 KiB, empty as built): a copy of the file with
; other words written there boots with them.

bits 16
org 0x7C00

PAYLOAD_OFFSET      equ 0x2000
PAYLOAD             equ 0x7C00 + PAYLOAD_OFFSET
MB_HEADER_MAGIC     equ 0x1BADB002
MB_LOADER_MAGIC     equ 0x2BADB002
MB_INFO_FLAGS       equ (1 << 0) | (1 << 2) | (1 << 3) | (1 << 6) | (1 << 9)
PXENV_UNDI_SHUTDOWN equ 0x0005
PXENV_STOP_UNDI     equ 0x0015
PXENV_UNLOAD_STACK  equ 0x0070
PXENV_GET_CACHED    equ 0x0071
PACKET_DHCP_ACK     equ 2
DHCP_MAX            equ 2048
MMAP_MAX            equ 32

start:
    jmp 0x0000:main                         ; CS = 0, whatever segment the ROM called with

align 16
    db "BOOTSTAGE-PXE-CMDLINE:"
cmdline:
    times 1024 db 0

main:
    cli
    push cs
    pop ds
    mov [pxenv_pointer], bx
    mov [pxenv_pointer + 2], es
    mov bp, sp
    mov eax, [ss:bp + 4]
    mov [bang_pxe_pointer], eax
    xor ax, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7C00
    cld
    sti                                     ; the ROM's UNDI may wait on the timer
    call com1_init
    mov si, msg_start
    call puts

    call find_pxe_api
    call keep_dhcp_ack
    call unload_pxe
    call read_memory
    call build_info

    mov si, msg_jump
    call puts
    cli
    in al, 0x92                             ; A20 through the system control port
    or al, 0x02
    and al, 0xFE
    out 0x92, al
    lgdt [gdt_pointer]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp dword 0x08:protected

; ---- the PXE API -----------------------------------------------------------------------------

; !PXE (signature, then EntryPointSP at +10h) if valid, else PXENV+ (RMEntry at +0Ah).
find_pxe_api:
    les di, [bang_pxe_pointer]
    cmp dword [es:di], '!PXE'
    jne .pxenv
    mov eax, [es:di + 0x10]
    mov [api_entry], eax
    mov byte [api_kind], 1
    jmp .done
.pxenv:
    les di, [pxenv_pointer]
    cmp dword [es:di], 'PXEN'
    jne .none
    cmp word [es:di + 4], 'V+'
    jne .none
    mov eax, [es:di + 0x0A]
    mov [api_entry], eax
    mov byte [api_kind], 2
    jmp .done
.none:
    mov si, msg_no_api
    call puts
.done:
    xor ax, ax
    mov es, ax
    ret

; BX = opcode, DI = parameter block (segment 0). Returns AX = the call's status word (FFFFh
; when there is no API).
pxe_call:
    mov ax, 0xFFFF
    cmp byte [api_kind], 0
    je .out
    mov [call_block], di                    ; the ROM need not keep DI
    cmp byte [api_kind], 2
    je .pxenv
    push ds
    push di
    push bx
    call far [api_entry]
    add sp, 6
    jmp .restore
.pxenv:
    push ds
    pop es
    call far [api_entry]
.restore:
    xor ax, ax
    mov ds, ax
    mov es, ax
    cld
    mov di, [call_block]
    mov ax, [di]                            ; every parameter block starts with its status
.out:
    ret

; The ROM returns a pointer to its own copy; ours must outlive the unloaded stack.
keep_dhcp_ack:
    mov di, cached_info
    mov word [di + 2], PACKET_DHCP_ACK
    mov bx, PXENV_GET_CACHED
    call pxe_call
    mov [status_cached], ax
    test ax, ax
    jnz .done
    movzx ecx, word [cached_info + 4]
    cmp cx, DHCP_MAX
    jbe .fits
    mov cx, DHCP_MAX
.fits:
    mov [dhcp_length], ecx
    push ds
    lds si, [cached_info + 6]
    mov di, dhcp_buffer
    rep movsb
    pop ds
.done:
    mov si, msg_cached
    call puts
    mov ax, [status_cached]
    call hex16
    mov si, msg_bytes
    call puts
    mov ax, [dhcp_length]
    call hex16
    mov si, newline
    jmp puts

unload_pxe:
    mov si, msg_unload
    call puts
    mov di, status_block
    mov bx, PXENV_UNDI_SHUTDOWN
    call pxe_call
    call hex16
    mov si, msg_unload_stack
    call puts
    mov di, status_block
    mov bx, PXENV_UNLOAD_STACK
    call pxe_call
    call hex16
    mov si, msg_stop_undi
    call puts
    mov di, status_block
    mov bx, PXENV_STOP_UNDI
    call pxe_call
    call hex16
    mov si, newline
    jmp puts

; ---- memory ----------------------------------------------------------------------------------

; E820h entries straight into Multiboot's layout (a size word, then base, length, type).
read_memory:
    int 0x12
    movzx eax, ax
    mov [mb_info + 4], eax                  ; mem_lower
    mov ax, 0xE801
    int 0x15
    jc .e88
    test ax, ax                             ; some BIOSes answer in CX/DX instead
    jnz .e801
    mov ax, cx
    mov bx, dx
.e801:
    movzx eax, ax
    movzx ebx, bx
    shl ebx, 6
    add eax, ebx
    jmp .upper
.e88:
    mov ah, 0x88
    int 0x15
    movzx eax, ax
.upper:
    mov [mb_info + 8], eax                  ; mem_upper
    xor ebx, ebx
    mov di, mmap
.next:
    mov eax, 0xE820
    mov edx, 0x534D4150
    mov ecx, 20
    lea di, [di + 4]
    int 0x15
    lea di, [di - 4]
    jc .done
    cmp eax, 0x534D4150
    jne .done
    mov dword [di], 20
    add di, 24
    inc word [mmap_count]
    cmp word [mmap_count], MMAP_MAX
    je .done
    test ebx, ebx
    jnz .next
.done:
    mov ax, di
    sub ax, mmap
    movzx eax, ax
    mov [mb_info + 44], eax                 ; mmap_length
    mov si, msg_memory
    call puts
    mov ax, [mb_info + 4]
    call hex16
    mov si, msg_entries
    call puts
    mov ax, [mmap_count]
    call hex16
    mov si, newline
    jmp puts

build_info:
    mov dword [mb_info + 0], MB_INFO_FLAGS
    mov dword [mb_info + 16], cmdline
    mov dword [mb_info + 48], mmap
    mov dword [mb_info + 64], loader_name
    mov dword [mb_info + 20], 0             ; mods_count
    mov dword [mb_info + 24], module
    cmp dword [dhcp_length], 0
    je .done
    mov dword [mb_info + 20], 1
    mov eax, dhcp_buffer
    mov [module + 0], eax
    add eax, [dhcp_length]
    mov [module + 4], eax
    mov dword [module + 8], module_name
.done:
    ret

; ---- COM1 ------------------------------------------------------------------------------------

com1_init:
    mov dx, 0x3F9
    xor al, al
    out dx, al                              ; no interrupts
    mov dx, 0x3FB
    mov al, 0x80
    out dx, al                              ; DLAB
    mov dx, 0x3F8
    mov al, 1
    out dx, al                              ; divisor 1: 115200 baud
    inc dx
    xor al, al
    out dx, al
    mov dx, 0x3FB
    mov al, 0x03
    out dx, al                              ; 8N1
    ret

puts:
    lodsb
    test al, al
    jz .done
    call putc
    jmp puts
.done:
    ret

putc:
    push dx
    push ax
    mov dx, 0x3FD
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop ax
    mov dx, 0x3F8
    out dx, al
    pop dx
    ret

hex16:
    push ax
    mov al, ah
    call hex8
    pop ax
hex8:
    push ax
    shr al, 4
    call .digit
    pop ax
.digit:
    and al, 0x0F
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '0' - 10
.out:
    jmp putc

; ---- 32-bit: load the image and enter it -----------------------------------------------------

bits 32
protected:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x7C00

    ; The header: 4-byte aligned within the image's first 8 KiB.
    mov esi, PAYLOAD
.scan:
    cmp dword [esi], MB_HEADER_MAGIC
    jne .step
    mov eax, [esi]
    add eax, [esi + 4]
    add eax, [esi + 8]
    jz .found
.step:
    add esi, 4
    cmp esi, PAYLOAD + 8192
    jb .scan
    mov al, 0x7C                            ; no Multiboot header: isa-debug-exit 7Ch (QEMU 249)
    out 0xF4, al
    hlt

.found:
    ; File offset of load_addr = header offset - (header_addr - load_addr).
    mov ebx, esi
    sub ebx, [esi + 12]
    add ebx, [esi + 16]                     ; ebx = where load_addr's byte lies in memory now
    mov edi, [esi + 16]
    mov ecx, [esi + 20]
    sub ecx, edi
    mov edx, [esi + 24]
    mov ebp, [esi + 28]
    mov esi, ebx
    rep movsb
    mov ecx, edx                            ; bss: load_end .. bss_end
    sub ecx, edi
    jbe .enter
    xor eax, eax
    rep stosb
.enter:
    mov eax, MB_LOADER_MAGIC
    mov ebx, mb_info
    jmp ebp

; ---- data ------------------------------------------------------------------------------------

align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF                   ; 08h: flat 32-bit code
    dq 0x00CF92000000FFFF                   ; 10h: flat data
gdt_end:
gdt_pointer:
    dw gdt_end - gdt - 1
    dd gdt

msg_start:        db "pxe: bootstage prefix", 13, 10, 0
msg_no_api:       db "pxe: no !PXE or PXENV+ structure", 13, 10, 0
msg_cached:       db "pxe: cached-dhcp-ack status=", 0
msg_bytes:        db " bytes=", 0
msg_unload:       db "pxe: unload undi-shutdown=", 0
msg_unload_stack: db " unload-stack=", 0
msg_stop_undi:    db " stop-undi=", 0
msg_memory:       db "pxe: base-kib=", 0
msg_entries:      db " e820-entries=", 0
msg_jump:         db "pxe: entering the image", 13, 10, 0
newline:          db 13, 10, 0
loader_name:      db "bootstage-pxe", 0
module_name:      db "pxe-dhcp-ack", 0

align 4
pxenv_pointer:    dd 0
bang_pxe_pointer: dd 0
api_entry:        dd 0
api_kind:         db 0
align 2
status_cached:    dw 0
call_block:       dw 0
mmap_count:       dw 0
status_block:     times 16 db 0
; s_PXENV_GET_CACHED_INFO: Status, PacketType, BufferSize, Buffer (offset, segment), BufferLimit
cached_info:      times 16 db 0
align 4
dhcp_length:      dd 0
module:           times 16 db 0
mb_info:          times 96 db 0
mmap:             times MMAP_MAX * 24 db 0
dhcp_buffer:      times DHCP_MAX db 0

times PAYLOAD_OFFSET - ($ - $$) db 0
