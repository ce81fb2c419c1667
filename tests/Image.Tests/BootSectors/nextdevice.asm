; nextdevice.asm - the boot sector of a second, local disk in the image tests: when the SAN boot
; gives up and the image hands the machine back with INT 18h, the BIOS boots this disk next. It
; prints "@next-boot-device" on COM1 and leaves QEMU through isa-debug-exit with status 2 (exit 5).
bits 16
org 0x7C00
    xor ax, ax
    mov ds, ax
    mov si, msg
.next:
    lodsb
    test al, al
    jz .done
    mov ah, al
    mov dx, 0x3FD
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov al, ah
    mov dx, 0x3F8
    out dx, al
    jmp .next
.done:
    mov al, 2
    out 0xF4, al
    hlt
msg: db "@next-boot-device", 13, 10, 0
times 510 - ($ - $$) db 0
dw 0xAA55
