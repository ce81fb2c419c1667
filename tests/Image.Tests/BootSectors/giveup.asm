; giveup.asm - a boot sector that gives up, the way real ones do when they find nothing to
; load: it prints "@bootsector giving-up" and returns to whoever called it with RETF, or calls
; INT 18h ("boot failed, try the next device") or INT 19h ("bootstrap"), as the byte at `how`
; (offset 1F0h, patched by the test) says: 0 RETF, 1 INT 18h, 2 INT 19h. If any of them comes
; back, "@giveup-returned" and isa-debug-exit status 6 (QEMU 13).
bits 16
org 0x7C00
    xor ax, ax
    mov ds, ax
    mov si, message
    call puts
    mov al, [how]
    cmp al, 1
    je .int18
    cmp al, 2
    je .int19
    retf
.int18:
    int 0x18
    jmp .back
.int19:
    int 0x19
.back:
    mov si, returned
    call puts
    mov al, 6
    out 0xF4, al
    hlt

%include "console.inc"

message: db "@bootsector giving-up", 13, 10, 0
returned: db "@giveup-returned", 13, 10, 0

times 0x1F0 - ($ - $$) db 0
how: db 0
times 510 - ($ - $$) db 0
dw 0xAA55
