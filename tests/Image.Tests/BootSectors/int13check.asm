; int13check.asm - a boot sector that checks the INT 13h disk it was booted from, for the image
; tests (SAN boot through our INT 13h service). It runs at 0000:7C00 with DL = the drive, as any
; boot sector, and reports on COM1 (already set up by whoever ran before it):
;   AH=41h   extensions present (BX=AA55h back)
;   AH=08h   geometry: last head and sectors per track
;   AH=02h   CHS 0/0/1 into 0500:0000: block 0 again, ending in 55 AA
;   AH=42h   CHECK_SECTORS sectors from LBA 1, 64 at a time into 1000:0000, summed as 32-bit words
; then prints "@bootsector ok drive=DD heads=HH spt=SS sum=XXXXXXXX" and leaves QEMU through the
; isa-debug-exit port (status 0 -> QEMU exit 1), or "@bootsector fail at=F ah=XX" (status 1 -> 3).

bits 16
org 0x7C00

CHECK_SECTORS   equ 2048
CHUNK           equ 64

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7C00
    sti
    mov [drive], dl

    mov byte [step], '1'
    mov ah, 0x41
    mov bx, 0x55AA
    mov dl, [drive]
    int 0x13
    jc fail
    cmp bx, 0xAA55
    jne fail

    mov byte [step], '2'
    mov ah, 0x08
    mov dl, [drive]
    int 0x13
    jc fail
    mov [heads], dh
    and cl, 0x3F
    mov [spt], cl

    mov byte [step], '3'
    mov ax, 0x0500
    mov es, ax
    xor bx, bx
    mov ax, 0x0201
    mov cx, 0x0001
    xor dh, dh
    mov dl, [drive]
    int 0x13
    jc fail
    cmp word [es:510], 0xAA55
    jne fail

    mov byte [step], '4'
    xor eax, eax
    mov [sum], eax
    mov dword [dap_lba], 1
.chunk:
    mov ah, 0x42
    mov dl, [drive]
    mov si, dap
    int 0x13
    jc fail
    mov ax, 0x1000
    mov fs, ax
    xor bx, bx
    mov cx, CHUNK * 512 / 4
    mov eax, [sum]
.add:
    add eax, [fs:bx]
    add bx, 4
    loop .add
    mov [sum], eax
    add dword [dap_lba], CHUNK
    cmp dword [dap_lba], CHECK_SECTORS + 1
    jb .chunk

    mov si, msg_ok
    call puts
    mov al, [drive]
    call hex8
    mov si, msg_heads
    call puts
    mov al, [heads]
    call hex8
    mov si, msg_spt
    call puts
    mov al, [spt]
    call hex8
    mov si, msg_sum
    call puts
    mov eax, [sum]
    call hex32
    mov si, msg_end
    call puts
    xor al, al
    out 0xF4, al
.halt:
    hlt
    jmp .halt

fail:
    push ax
    mov si, msg_fail
    call puts
    mov al, [step]
    call putc
    mov si, msg_ah
    call puts
    pop ax
    mov al, ah
    call hex8
    mov si, msg_end
    call puts
    mov al, 1
    out 0xF4, al
    jmp start.halt

%include "console.inc"

msg_ok:   db "@bootsector ok drive=", 0
msg_heads: db " heads=", 0
msg_spt:  db " spt=", 0
msg_sum:  db " sum=", 0
msg_fail: db "@bootsector fail at=", 0
msg_ah:   db " ah=", 0
msg_end:  db 13, 10, 0

align 4
dap:      db 16, 0, CHUNK, 0
          dw 0, 0x1000
dap_lba:  dd 1, 0
sum:      dd 0
drive:    db 0
heads:    db 0
spt:      db 0
step:     db 0

times 510 - ($ - $$) db 0
dw 0xAA55
