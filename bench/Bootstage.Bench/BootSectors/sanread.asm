; sanread.asm - the boot program of `bench -- sanread`, four blocks long (LBA 0-3 of a LUN).
; Started by whatever SAN-boots the LUN (our image, iPXE's sanboot) at 0000:7C00 with DL = the
; drive, block 0 announces itself and loads blocks 1-3 behind itself, as a two-stage loader does;
; the program then reads READ_MIB MiB from LBA 4 on with INT 13h AH=42h the way a loader does (127
; sectors a call, the largest count every EDD BIOS takes, into one 64 KiB buffer) and reports on
; COM1:
;   @sanread start drive=DD        as soon as block 0 runs (the bench times QEMU start -> this)
;   @sanread done drive=DD bytes=N sum=AAAAAAAA:BBBBBBBB io-us=N all-us=N tsc-per-pit=N calls=N
; then leaves QEMU through isa-debug-exit (status 0: QEMU exits 1). A failed call prints
; "@sanread fail lba=N ah=XX" and writes 1 (QEMU exits 3).
; sum is a Fletcher-style pair over the little-endian 32-bit words (a += w; b += a, mod 2^32), so
; blocks in the wrong order show too, not only wrong bytes. io-us is the time spent inside INT 13h
; alone (RDTSC before and after each call), so the checksum is not charged to the SAN read;
; all-us is the whole loop. The TSC is calibrated against PIT channel 2 (65535 counts = 54925 us)
; polled through port 61h: no interrupt has to arrive while a SAN stack may own the machine.

bits 16
cpu 586
org 0x7C00

%ifndef READ_MIB
%define READ_MIB 16
%endif

TOTAL_SECTORS   equ READ_MIB * 2048
PROGRAM_SECTORS equ 4
CHUNK           equ 127
BUFFER_SEGMENT  equ 0x1000
PIT_WINDOW_US   equ 54925

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7C00
    sti
    cld
    mov [drive], dl
    call serial_init
    mov si, msg_start
    call puts
    call put_drive
    call crlf

    mov word [dap_count], PROGRAM_SECTORS - 1
    mov word [dap_offset], 0x7E00
    mov word [dap_segment], 0
    mov dword [dap_lba], 1
    mov ah, 0x42
    mov dl, [drive]
    mov si, dap
    int 0x13
    jc fail
    jmp main

fail:
    push ax
    mov si, msg_fail
    call puts
    mov eax, [dap_lba]
    call decimal
    mov si, msg_ah
    call puts
    pop ax
    mov al, ah
    call hex8
    call crlf
    mov al, 1
exit:
    out 0xF4, al
.halt:
    cli
    hlt
    jmp .halt

; Prints EAX in decimal.
decimal:
    mov ecx, 10
    xor di, di
.digit:
    xor edx, edx
    div ecx
    push dx
    inc di
    test eax, eax
    jnz .digit
.out:
    pop ax
    add al, '0'
    call putc
    dec di
    jnz .out
    ret

put_drive:
    mov al, [drive]
    jmp hex8

crlf:
    mov si, msg_crlf
puts:
    lodsb
    test al, al
    jz .done
    call putc
    jmp puts
.done:
    ret

hex32:
    push eax
    shr eax, 16
    call hex16
    pop eax
hex16:
    push ax
    mov al, ah
    call hex8
    pop ax
hex8:
    push ax
    shr al, 4
    call .nibble
    pop ax
.nibble:
    and al, 0x0F
    add al, '0'
    cmp al, '9'
    jbe putc
    add al, 'a' - '0' - 10
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

; 115200 8N1: whoever ran before (our kernel, iPXE) may have left COM1 in any state.
serial_init:
    mov dx, 0x3FB
    mov al, 0x80
    out dx, al
    mov dx, 0x3F8
    mov al, 1
    out dx, al
    inc dx
    xor al, al
    out dx, al
    mov dx, 0x3FB
    mov al, 0x03
    out dx, al
    ret

msg_start: db "@sanread start drive=", 0
msg_fail:  db "@sanread fail lba=", 0
msg_ah:    db " ah=", 0
msg_crlf:  db 13, 10, 0

align 4
dap:         db 16, 0
dap_count:   dw 0
dap_offset:  dw 0
dap_segment: dw 0
dap_lba:     dd 0, 0
drive:       db 0

times 510 - ($ - $$) db 0
dw 0xAA55

main:
    ; TSC ticks per PIT window: channel 2 in mode 0, gate on, speaker off, until its OUT goes high.
    in al, 0x61
    and al, 0xFC
    or al, 0x01
    out 0x61, al
    mov al, 0xB0
    out 0x43, al
    mov al, 0xFF
    out 0x42, al
    out 0x42, al
    rdtsc
    mov ebx, eax
.pit:
    in al, 0x61
    test al, 0x20
    jz .pit
    rdtsc
    sub eax, ebx
    mov [tsc_per_pit], eax

    rdtsc
    mov [loop_start], eax
    mov [loop_start + 4], edx
.next:
    mov eax, [left]
    cmp eax, CHUNK
    jbe .count
    mov eax, CHUNK
.count:
    mov [count], ax
    ; The whole DAP again each time: a BIOS may write back the count it transferred.
    mov [dap_count], ax
    mov word [dap_offset], 0
    mov word [dap_segment], BUFFER_SEGMENT
    mov eax, [lba]
    mov [dap_lba], eax
    rdtsc
    mov [call_start], eax
    mov [call_start + 4], edx
    mov ah, 0x42
    mov dl, [drive]
    mov si, dap
    int 0x13
    jc fail
    rdtsc
    sub eax, [call_start]
    sbb edx, [call_start + 4]
    add [io_tsc], eax
    adc [io_tsc + 4], edx
    inc dword [calls]

    mov ax, BUFFER_SEGMENT
    mov fs, ax
    xor bx, bx
    mov cx, [count]
    shl cx, 7
    mov esi, [sum_a]
    mov edi, [sum_b]
.add:
    add esi, [fs:bx]
    add edi, esi
    add bx, 4
    dec cx
    jnz .add
    mov [sum_a], esi
    mov [sum_b], edi

    movzx eax, word [count]
    add [lba], eax
    sub [left], eax
    jnz .next

    rdtsc
    sub eax, [loop_start]
    sbb edx, [loop_start + 4]
    mov [all_tsc], eax
    mov [all_tsc + 4], edx

    mov si, msg_done
    call puts
    call put_drive
    mov si, msg_bytes
    call puts
    mov eax, [lba]
    sub eax, PROGRAM_SECTORS
    shl eax, 9
    call decimal
    mov si, msg_sum
    call puts
    mov eax, [sum_a]
    call hex32
    mov al, ':'
    call putc
    mov eax, [sum_b]
    call hex32
    mov si, msg_io
    call puts
    mov bx, io_tsc
    call microseconds
    mov si, msg_all
    call puts
    mov bx, all_tsc
    call microseconds
    mov si, msg_tsc
    call puts
    mov eax, [tsc_per_pit]
    call decimal
    mov si, msg_calls
    call puts
    mov eax, [calls]
    call decimal
    call crlf
    xor al, al
    jmp exit

; Prints the TSC interval at [BX] in microseconds: ticks / (ticks per microsecond).
microseconds:
    mov eax, [tsc_per_pit]
    xor edx, edx
    mov ecx, PIT_WINDOW_US
    div ecx
    mov ecx, eax
    mov eax, [bx]
    mov edx, [bx + 4]
    div ecx
    jmp decimal

msg_done:  db "@sanread done drive=", 0
msg_bytes: db " bytes=", 0
msg_sum:   db " sum=", 0
msg_io:    db " io-us=", 0
msg_all:   db " all-us=", 0
msg_tsc:   db " tsc-per-pit=", 0
msg_calls: db " calls=", 0

align 4
lba:         dd PROGRAM_SECTORS
left:        dd TOTAL_SECTORS
sum_a:       dd 0
sum_b:       dd 0
calls:       dd 0
io_tsc:      dd 0, 0
tsc_per_pit: dd 0
loop_start:  dd 0, 0
call_start:  dd 0, 0
all_tsc:     dd 0, 0
count:       dw 0

times PROGRAM_SECTORS * 512 - ($ - $$) db 0
