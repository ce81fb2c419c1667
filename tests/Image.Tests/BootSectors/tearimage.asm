; tearimage.asm - a boot sector that misbehaves on purpose: it copies its own first 16 bytes over
; the start of the boot stage's resident image (memory the E820h map hid from it; the test
; writes the address, which the image reports at boot, into the destination descriptor at
; offset 1D8h) with the BIOS's block move (INT 15h AH=87h, which our INT 15h passes on to the
; firmware), then calls INT 13h AH=41h. The image must
; notice its torn canary on that call and stop with a named panic; if the call returns instead,
; "@survived" and exit status 3 (QEMU 7). A failed move prints "@move-failed", status 4 (QEMU 9).
bits 16
org 0x7C00
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov si, started
    call puts
    mov si, descriptors
    mov cx, 8
    mov ah, 0x87
    int 0x15
    jc .move_failed
    mov si, moved
    call puts
    mov ah, 0x41
    mov bx, 0x55AA
    mov dl, 0x80
    int 0x13
    mov si, survived
    call puts
    mov al, 3
    out 0xF4, al
    hlt
.move_failed:
    mov si, failed
    call puts
    mov al, 4
    out 0xF4, al
    hlt

%include "console.inc"

started: db "@bootsector tearing", 13, 10, 0
moved: db "@moved", 13, 10, 0
survived: db "@survived", 13, 10, 0
failed: db "@move-failed", 13, 10, 0

; The table INT 15h AH=87h takes: dummy, GDT (BIOS fills), source, destination, two for the BIOS.
times 0x1C0 - ($ - $$) db 0
descriptors:
    dq 0
    dq 0
    dw 0xFFFF, 0x7C00           ; source: limit, base 15:0
    db 0x00, 0x93, 0x00, 0x00   ; base 23:16, access, limit 19:16/flags, base 31:24
    dw 0xFFFF, 0x0000           ; destination: base patched by the test
    db 0x00, 0x93, 0x00, 0x00
    dq 0
    dq 0

times 510 - ($ - $$) db 0
dw 0xAA55
