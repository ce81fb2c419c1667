#!/usr/bin/perl
# make-reloc-table.pl - the table boot.asm applies when it moves the image to the top of memory.
#
# Usage: make-reloc-table.pl <linked.elf> [<flat.bin>]
#
# The ELF must be linked with --emit-relocs, so it keeps every input relocation with its final
# values (GNU ld manual, "--emit-relocs"; ELF x86-64 psABI, "Relocation Types"). A site needs
# patching when the image moves if it holds an absolute address inside the image: R_X86_64_64
# (a 64-bit field) or R_X86_64_32 (a zero-extended 32-bit field, so the image must stay below
# 4 GiB) whose symbol value plus addend lies in [__image_start, __heap_start]. PC-relative
# kinds (PC32, PLT32) move with their target and are skipped, as is anything outside allocated
# sections (debug information). Kinds the move could not handle are an error: R_X86_64_32S
# (sign-extended, wrong above 2 GiB) and GOT-based ones when a GOT exists (its slots hold
# absolute addresses no relocation record names).
#
# Without <flat.bin> it prints the table's size in bytes. With it, it writes the table into the
# flat image at __reloc_start: one little-endian 32-bit word per site, its offset from
# __image_start, bit 31 set for a 64-bit field; the space must be exactly that size.
use strict;
use warnings;

my ($elf, $bin) = @ARGV;
die "usage: make-reloc-table.pl <linked.elf> [<flat.bin>]\n" unless defined $elf;

my %symbols;
for (`nm -P "$elf"`) {
    my ($name, undef, $value) = split;
    $symbols{$name} = hex($value) if defined $value;
}
for my $name (qw(__image_start __heap_start __reloc_start __reloc_end)) {
    die "make-reloc-table: symbol $name missing from $elf\n" unless exists $symbols{$name};
}
my ($start, $end) = ($symbols{__image_start}, $symbols{__heap_start});

# Allocated sections (flag A), by name, and whether a GOT has any size.
my %allocated;
my $got = 0;
for (`readelf -SW "$elf"`) {
    next unless /^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+(\S*)/;
    my ($name, $size, $flags) = ($1, hex($2), $3);
    $allocated{$name} = 1 if $flags =~ /A/;
    $got = 1 if $name =~ /^\.got/ && $size > 0;
}

my @words;
my $section = '';
for (`readelf -rW "$elf"`) {
    if (/^Relocation section '\.rela(\S+)'/) {
        $section = $1;
        next;
    }
    next unless $allocated{$section};
    next unless /^([0-9a-f]+)\s+[0-9a-f]+\s+(R_X86_64_\w+)\s*([0-9a-f]*)\s*(?:\S+)?\s*([+-])?\s*([0-9a-f]*)/;
    my ($offset, $type, $value, $sign, $addend) = (hex($1), $2, $3 eq '' ? 0 : hex($3), $4 // '+', $5 eq '' ? 0 : hex($5));
    next if $type =~ /^R_X86_64_(PC32|PLT32|PC64|NONE)$/;
    if ($type =~ /GOT/) {
        die "make-reloc-table: $type in $section but the image has a GOT, whose slots the move cannot patch\n" if $got;
        next;
    }
    die "make-reloc-table: R_X86_64_32S at 0x" . sprintf('%x', $offset) . " in $section: a sign-extended absolute address breaks above 2 GiB; use RIP-relative addressing\n"
        if $type eq 'R_X86_64_32S';
    die "make-reloc-table: unsupported relocation $type in $section\n" unless $type eq 'R_X86_64_64' || $type eq 'R_X86_64_32';
    my $target = $sign eq '-' ? $value - $addend : $value + $addend;
    next if $target < $start || $target > $end;
    die "make-reloc-table: a site at 0x" . sprintf('%x', $offset) . " lies outside the image\n" if $offset < $start || $offset >= $end;
    push @words, ($offset - $start) | ($type eq 'R_X86_64_64' ? 0x80000000 : 0);
}

my $bytes = 4 * scalar(@words);
unless (defined $bin) {
    print "$bytes\n";
    exit 0;
}

my $space = $symbols{__reloc_end} - $symbols{__reloc_start};
die "make-reloc-table: the table needs $bytes bytes but the image reserves $space\n" unless $space == $bytes;
open(my $fh, '+<:raw', $bin) or die "make-reloc-table: $bin: $!\n";
seek($fh, $symbols{__reloc_start} - $start, 0) or die "make-reloc-table: seek: $!\n";
print $fh pack('V*', @words);
close($fh) or die "make-reloc-table: $bin: $!\n";
printf "make-reloc-table: %d sites (%d bytes) at image+0x%x\n", scalar(@words), $bytes, $symbols{__reloc_start} - $start;
