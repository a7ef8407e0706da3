/*
 * Test-bed shim, never shipped: Rust std for Windows (Rust >= 1.78) imports
 * bcryptprimitives.dll!ProcessPrng, which Wine 8.0 does not have, so a Rust .exe
 * fails to start there (c0000135). `cargo xtask test|demo` builds this DLL with
 * x86_64-w64-mingw32-gcc and places it beside ramdiskctl.exe in target/wine/bin only.
 * Real Windows (10 and later) has the genuine DLL.
 */
#include <windows.h>

/* advapi32!SystemFunction036, a.k.a. RtlGenRandom. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
