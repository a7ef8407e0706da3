/* ramdisk WDK stand-in: an MSVC-shaped setjmp.h for km/crt. mingw-w64's setjmp.h
 * declares _setjmp in a way that clashes with clang's intrin.h in MSVC mode; the
 * real WDK ships the MSVC layout below (x64: 16 x 16-byte slots). */
#pragma once
typedef struct __declspec(align(16)) _SETJMP_FLOAT128 {
    unsigned __int64 Part[2];
} SETJMP_FLOAT128;
#define _JBLEN 16
typedef SETJMP_FLOAT128 _JBTYPE;
typedef _JBTYPE jmp_buf[_JBLEN];
