; seconddrive.asm - the boot sector of the first LUN when a second one is hooked beside it
; (`sanhook=`): it reads block 0 of drive 81h with INT 13h AH=42h and prints its first 16 bytes,
; then the disk count AH=08h reports for 81h, as "@drive81 bytes=<32 hex> disks=<2 hex>", and
; leaves QEMU through isa-debug-exit with status 0 (exit 1). A failed call prints
; "@drive81 failed ah=<hex>" and exits with status 4 (QEMU 9).
bits 16
org 0x7C00
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov si, packet
    mov dl, 0x81
    mov ah, 0x42
    int 0x13
    jc .failed
    mov si, label
    call puts
    mov si, 0x8000
    mov cx, 16
.byte:
    lodsb
    call hex8
    loop .byte
    mov ah, 0x08
    mov dl, 0x81
    int 0x13
    jc .failed
    mov si, disks
    call puts
    mov al, dl
    call hex8
    mov si, newline
    call puts
    mov al, 0
    out 0xF4, al
    hlt
.failed:
    push ax
    mov si, failed
    call puts
    pop ax
    mov al, ah
    call hex8
    mov si, newline
    call puts
    mov al, 4
    out 0xF4, al
    hlt

%include "console.inc"

label: db "@drive81 bytes=", 0
disks: db " disks=", 0
failed: db "@drive81 failed ah=", 0
newline: db 13, 10, 0

align 4
packet:
    db 16, 0        ; size, reserved
    dw 1            ; one block
    dw 0x8000, 0    ; to 0000:8000
    dq 0            ; block 0

times 510 - ($ - $$) db 0
dw 0xAA55
