@echo off
rem build.cmd - the .NET half of build.sh on Windows: builds the solution and runs the xunit
rem tests that need no Linux tools. The bare-metal image (nasm, ld, xorriso, QEMU) and the tests
rem that need Debian's libslirp0, dnsmasq, tgtd or QEMU (Image, Net.Slirp, Integration, Iscsi) run with
rem build.sh under Linux or WSL.
setlocal
cd /d "%~dp0"
if "%1"=="test" goto test
if "%1"=="build" goto build
echo usage: build.cmd build ^| test
echo   the bare-metal image needs Linux or WSL: wsl ./build.sh image
exit /b 2
:build
dotnet build Cosmos.sln -c Release --nologo || exit /b 1
exit /b 0
:test
dotnet build Cosmos.sln -c Release --nologo || exit /b 1
dotnet test Cosmos.sln -c Release --nologo --no-build --filter "FullyQualifiedName!~Bootstage.Image.Tests&FullyQualifiedName!~Bootstage.Net.Slirp&FullyQualifiedName!~Bootstage.Integration.Tests&FullyQualifiedName!~Bootstage.Iscsi." || exit /b 1
exit /b 0
