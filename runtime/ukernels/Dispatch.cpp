//===- Dispatch.cpp - choose the GEMM variants for this CPU ---------------===//
//
// CPUID tells what the core implements, XGETBV what the OS saves on a context
// switch (a feature is only usable when both agree), and on Linux AMX's tile
// data additionally needs a per-process permission (arch_prctl). The choice
// is made once per process and can be capped with QUANTC_ISA, e.g. to compare
// variants or to work around a suspected kernel bug.
//
//===----------------------------------------------------------------------===//

#include "runtime/ukernels/QGemm.h"
#include "runtime/ukernels/SGemm.h"

#include <cstdlib>
#include <cstring>
#include <initializer_list>

#if defined(__x86_64__)
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#endif

namespace quantc::ukernels {

namespace {

#if defined(__x86_64__)
uint64_t readXcr0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (uint64_t(edx) << 32) | eax;
}

bool bit(uint32_t reg, int i) { return (reg >> i) & 1; }

// Asks Linux for the right to use AMX tile data (XFEATURE_XTILEDATA); the
// grant is process-wide, so it is requested once.
bool requestAmxPermission() {
#if defined(__linux__)
  constexpr long kArchReqXcompPerm = 0x1023;
  constexpr long kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

Isa detect() {
  uint32_t eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
    return Isa::Scalar;
  const bool osxsave = bit(ecx, 27), avx = bit(ecx, 28), fma = bit(ecx, 12),
             f16c = bit(ecx, 29);
  if (!osxsave || !avx)
    return Isa::Scalar;
  const uint64_t xcr0 = readXcr0();
  // XCR0 bits 1, 2: SSE and YMM state.
  if ((xcr0 & 0x6) != 0x6)
    return Isa::Scalar;
  if (__get_cpuid_max(0, nullptr) < 7)
    return Isa::Scalar;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  // AVX2, FMA (qgemmAvx2, sgemmAvx2) and F16C (the AVX2 decoders' f16
  // scales); every AVX2 CPU has the last two, a VM may hide them.
  if (!bit(ebx, 5) || !fma || !f16c)
    return Isa::Scalar;
  // XCR0 bits 5, 6, 7: opmask, upper halves of ZMM0-15, ZMM16-31.
  const bool zmmState = (xcr0 & 0xe0) == 0xe0;
  const bool avx512 = bit(ebx, 16) && bit(ebx, 30) && bit(ebx, 31) &&
                      bit(ecx, 11); // avx512f, bw, vl, vnni
  if (!zmmState || !avx512)
    return Isa::Avx2;
  // XCR0 bits 17, 18: XTILECFG, XTILEDATA; CPUID amx-tile, amx-int8.
  const bool tileState = ((xcr0 >> 17) & 3) == 3;
  if (!tileState || !bit(edx, 24) || !bit(edx, 25))
    return Isa::Avx512Vnni;
  return requestAmxPermission() ? Isa::Amx : Isa::Avx512Vnni;
}
#else
Isa detect() { return Isa::Scalar; }
#endif

} // namespace

QGemmFn qgemmFor(Isa isa) {
  switch (isa) {
  case Isa::Scalar:
    return qgemmScalar;
#if defined(__x86_64__)
  case Isa::Avx2:
    return qgemmAvx2;
  case Isa::Avx512Vnni:
    return qgemmAvx512Vnni;
  case Isa::Amx:
    return qgemmAmx;
#else
  default:
    return nullptr;
#endif
  }
  return nullptr;
}

SGemmFn sgemmFor(Isa isa) {
  switch (isa) {
  case Isa::Scalar:
    return sgemmScalar;
#if defined(__x86_64__)
  case Isa::Avx2:
    return sgemmAvx2;
  case Isa::Avx512Vnni:
  case Isa::Amx:
    return sgemmAvx512;
#else
  default:
    return nullptr;
#endif
  }
  return nullptr;
}

Isa detectIsa() {
  static const Isa isa = detect();
  return isa;
}

Isa capIsa(Isa detected, const char *cap) {
  if (!cap)
    return detected;
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512Vnni, Isa::Amx})
    if (std::strcmp(cap, isaName(isa)) == 0)
      return isa < detected ? isa : detected;
  return detected;
}

Isa selectedIsa() {
  static const Isa isa = capIsa(detectIsa(), std::getenv("QUANTC_ISA"));
  return isa;
}

const char *isaName(Isa isa) {
  switch (isa) {
  case Isa::Scalar:
    return "scalar";
  case Isa::Avx2:
    return "avx2";
  case Isa::Avx512Vnni:
    return "avx512-vnni";
  case Isa::Amx:
    return "amx";
  }
  return "unknown";
}

} // namespace quantc::ukernels
