; nextdevice.asm - the boot sector of a second, local disk in the image tests: when the SAN boot
; gives up and the image hands the machine back with INT 18h, the BIOS boots this disk next. It
; reads block 0 of drive 80h through INT 13h AH=02h (whoever answers for 80h now: the BIOS's
; disk, or a SAN drive left hooked by keep-san) and prints "@next-boot-device disk80=<first 4
; bytes in hex>" on COM1, then leaves QEMU through isa-debug-exit with status 2 (exit 5).
bits 16
org 0x7C00
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7C00
    mov si, message
    call puts
    mov ax, 0x0201                          ; read one sector
    mov cx, 0x0001                          ; cylinder 0, sector 1
    mov dx, 0x0080                          ; head 0, drive 80h
    mov bx, 0x8000
    int 0x13
    jc .failed
    mov si, 0x8000
    mov cx, 4
.byte:
    lodsb
    call hex8
    loop .byte
    jmp .done
.failed:
    mov si, failed
    call puts
.done:
    mov si, newline
    call puts
    mov al, 2
    out 0xF4, al
    hlt

%include "console.inc"

message: db "@next-boot-device disk80=", 0
failed: db "failed", 0
newline: db 13, 10, 0

times 510 - ($ - $$) db 0
dw 0xAA55
