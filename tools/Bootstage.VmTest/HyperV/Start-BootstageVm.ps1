<#
.SYNOPSIS
    Boots the boot stage in a Hyper-V Generation 1 VM and copies its COM1 console to standard output.

.DESCRIPTION
    The Hyper-V backend of bootstage-vmtest runs this script (docs/hyperv-recipe.md); it can also be
    run by hand. It creates a Generation 1 VM named -Name with a synthetic NIC on -SwitchName, boots
    the ISO (-IsoPath) or PXE through a legacy NIC (-Pxe), points COM1 at the named pipe
    \\.\pipe\<Name>-com1, starts the VM and writes every console line to standard output until the
    image prints "@milestone name=done", the VM turns off, or -TimeoutSeconds pass. The VM is then
    turned off and removed. -Remove only turns off and removes a VM of that name (the runner's clean-up
    after it killed this script). Needs Windows with the Hyper-V PowerShell module, run as a member
    of "Hyper-V Administrators" or elevated.

    Exit status: the image's status from its done milestone, 124 on timeout, 125 when the VM
    stopped or the pipe closed without a done milestone.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string] $Name,
    [string] $IsoPath,
    [switch] $Pxe,
    [string] $SwitchName = 'Default Switch',
    [int] $MemoryMiB = 256,
    [int] $TimeoutSeconds = 600,
    [switch] $Remove,
    [switch] $Keep
)

$ErrorActionPreference = 'Stop'
Import-Module Hyper-V

function Remove-BootstageVm([string] $VmName) {
    $vm = Get-VM -Name $VmName -ErrorAction SilentlyContinue
    if ($null -ne $vm) {
        if ($vm.State -ne 'Off') { Stop-VM -VM $vm -TurnOff -Force }
        Remove-VM -VM $vm -Force
    }
}

if ($Remove) {
    Remove-BootstageVm $Name
    exit 0
}

if (-not $Pxe -and -not $IsoPath) { throw 'Give -IsoPath (boot the ISO) or -Pxe (boot from the network).' }
if ($IsoPath -and -not (Test-Path -LiteralPath $IsoPath)) { throw "ISO not found: $IsoPath" }

# A VM of this name left behind by a killed run would make New-VM fail.
Remove-BootstageVm $Name

$pipeName = "$Name-com1"
$exitCode = 125
try {
    # Generation 1 = BIOS firmware, the machine the boot stage is written for. -SwitchName gives it a
    # synthetic (VMBus) NIC: the one the image drives after boot.
    $vm = New-VM -Name $Name -Generation 1 -MemoryStartupBytes ([int64]$MemoryMiB * 1MB) -NoVHD -SwitchName $SwitchName
    Set-VMMemory -VM $vm -DynamicMemoryEnabled $false
    Set-VM -VM $vm -CheckpointType Disabled -AutomaticStopAction TurnOff

    if ($IsoPath) {
        $dvd = Get-VMDvdDrive -VM $vm
        if ($null -eq $dvd) { Add-VMDvdDrive -VM $vm -ControllerNumber 1 -ControllerLocation 0 -Path $IsoPath }
        else { Set-VMDvdDrive -VMDvdDrive $dvd -Path $IsoPath }
    }

    if ($Pxe) {
        # Only the emulated (legacy) NIC has a PXE ROM in a Generation 1 VM; the image, once loaded,
        # boots from the synthetic NIC all the same.
        Add-VMNetworkAdapter -VM $vm -IsLegacy $true -SwitchName $SwitchName -Name 'PXE'
        Set-VMBios -VM $vm -StartupOrder @('LegacyNetworkAdapter', 'CD', 'IDE', 'Floppy')
    }
    else {
        Set-VMBios -VM $vm -StartupOrder @('CD', 'IDE', 'LegacyNetworkAdapter', 'Floppy')
    }

    Set-VMComPort -VM $vm -Number 1 -Path "\\.\pipe\$pipeName"
    Start-VM -VM $vm

    # The VM's worker process is the pipe's server once the VM runs; connect at once, since COM1
    # output with no client connected is dropped (the firmware's first lines may be lost, the
    # image's milestones come later).
    $pipe = New-Object System.IO.Pipes.NamedPipeClientStream('.', $pipeName, [System.IO.Pipes.PipeDirection]::InOut)
    $pipe.Connect(30000)
    $reader = New-Object System.IO.StreamReader($pipe, [System.Text.Encoding]::ASCII)
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $exitCode = 124
    $pending = $reader.ReadLineAsync()
    while ($clock.Elapsed.TotalSeconds -lt $TimeoutSeconds) {
        if (-not $pending.Wait(1000)) {
            if ((Get-VM -Name $Name).State -eq 'Off') { $exitCode = 125; break }
            continue
        }

        $line = $pending.Result
        if ($null -eq $line) { $exitCode = 125; break }
        [Console]::Out.WriteLine($line)
        [Console]::Out.Flush()
        if ($line -match '@milestone name=done status=(\d+)') { $exitCode = [int]$Matches[1]; break }
        $pending = $reader.ReadLineAsync()
    }
}
finally {
    if ($null -ne $reader) { $reader.Dispose() }
    if ($null -ne $pipe) { $pipe.Dispose() }
    if (-not $Keep) { Remove-BootstageVm $Name }
}

exit $exitCode
