; ibftdump.asm - a boot sector that finds the iSCSI Boot Firmware Table the way an OS does on a
; BIOS machine (the "iBFT" signature on a 16-byte boundary between 512 KiB and 640 KiB) and
; prints it on COM1 as hex, for the image tests to parse with their own iBFT reader:
;   "@ibft-found seg=SSSS" then "@ibft-bytes HH HH ..." (the table's length bytes), or
;   "@ibft-missing". It then leaves QEMU through isa-debug-exit (0 found, 1 missing).

bits 16
org 0x7C00

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7C00
    sti
    mov bx, 0x8000
.scan:
    mov es, bx
    cmp dword [es:0], 0x54464269            ; "iBFT"
    je .found
    inc bx
    cmp bx, 0xA000
    jb .scan
    mov si, msg_missing
    call puts
    mov al, 1
    out 0xF4, al
    jmp .halt

.found:
    mov si, msg_found
    call puts
    mov ax, bx
    call hex16
    mov si, msg_bytes
    call puts
    mov cx, [es:4]                          ; tables are far shorter than 64 KiB
    xor di, di
.byte:
    mov al, [es:di]
    call hex8
    mov al, ' '
    call putc
    inc di
    loop .byte
    mov si, msg_end
    call puts
    xor al, al
    out 0xF4, al
.halt:
    hlt
    jmp .halt

%include "console.inc"

msg_found:   db "@ibft-found seg=", 0
msg_bytes:   db 13, 10, "@ibft-bytes ", 0
msg_missing: db "@ibft-missing", 13, 10, 0
msg_end:     db 13, 10, 0

times 510 - ($ - $$) db 0
dw 0xAA55
