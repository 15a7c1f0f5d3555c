// peak_avx2.cpp - the machine's peaks on a CPU without AVX-512 (bench/gemm.py).
//
// ../shared/bench/peak measures with AVX-512 instructions only (zmm FMAs,
// vpdpbusd, zmm loads) and does not build with -march=native on an
// AVX2-only CPU (e.g. AMD Zen 3). This is the same method, the same JSON
// lines and the same units, with AVX2:
//
//   fma   vfmadd231ps ymm, 12 independent accumulators (GFLOP/s, FMA = 2)
//   int8  the AVX2 int8 dot product as ONNX Runtime's MLAS and quantc's
//         grouped low-bit kernel do it without VNNI: vpmaddubsw (u8 x s8
//         -> pairs in s16), vpmaddwd by ones (-> s32), vpaddd; 32
//         multiply-accumulates per three instructions (GOP/s, MAC = 2).
//         quantc's int8 x int8 kernel widens to s16 and uses vpmaddwd (16
//         per instruction; vpmaddubsw could saturate), so this is an upper
//         bound it can only approach.
//   bw    streaming read rate with ymm loads over 1 MiB .. 2 GiB (GB/s),
//         4 KiB pages ("4k") and transparent huge pages ("thp")
//
// Build: g++ -O2 -std=c++17 -mavx2 -mfma -pthread peak_avx2.cpp -o peak_avx2
// Usage: ./peak_avx2 [fma|int8|bw] [reps]

#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace {

double nowS() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

volatile uint64_t gSink; // defeats dead-code elimination

// fn(thread) on n pinned threads started together; wall seconds.
double runThreads(int n, const std::function<void(int)> &fn) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> ts;
  for (int t = 0; t < n; ++t)
    ts.emplace_back([&, t] {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(t % int(std::thread::hardware_concurrency()), &set);
      pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) {
      }
      fn(t);
    });
  while (ready.load() != n) {
  }
  const double t0 = nowS();
  go.store(true, std::memory_order_release);
  for (auto &th : ts)
    th.join();
  return nowS() - t0;
}

void report(const char *test, const char *variant, int threads,
            const char *unit, std::vector<double> v, const char *extra = "") {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const double med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  printf("{\"test\":\"%s\",\"variant\":\"%s\",\"threads\":%d,\"unit\":\"%s\","
         "\"median\":%.2f,\"min\":%.2f,\"max\":%.2f,\"reps\":%zu%s}\n",
         test, variant, threads, unit, med, v.front(), v.back(), n, extra);
  fflush(stdout);
}

// Runs `kernel(iters, seed)` reps times at 1 and 2 threads; `opsPerIter`
// ops per iteration and thread.
template <typename Kernel>
void throughput(const char *test, const char *variant, const char *unit,
                int reps, uint64_t iters, double opsPerIter, Kernel kernel) {
  for (int nt : {1, 2}) {
    std::vector<double> v;
    for (int r = 0; r < reps; ++r) {
      const double dt =
          runThreads(nt, [&](int t) { gSink += kernel(iters, t + 1); });
      v.push_back(nt * iters * opsPerIter / dt / 1e9);
    }
    report(test, variant, nt, unit, v);
  }
}

// Named registers, not arrays: an asm barrier on an array element makes
// the compiler keep the array in memory.
#define QC_KEEP4(a, b, c, d)                                                   \
  asm volatile("" : "+x"(a), "+x"(b), "+x"(c), "+x"(d))

__attribute__((noinline)) uint64_t fmaKernel(uint64_t iters, int seed) {
  const float f = float(seed);
  __m256 a0 = _mm256_set1_ps(f), a1 = _mm256_set1_ps(f + 1),
         a2 = _mm256_set1_ps(f + 2), a3 = _mm256_set1_ps(f + 3),
         a4 = _mm256_set1_ps(f + 4), a5 = _mm256_set1_ps(f + 5),
         a6 = _mm256_set1_ps(f + 6), a7 = _mm256_set1_ps(f + 7),
         a8 = _mm256_set1_ps(f + 8), a9 = _mm256_set1_ps(f + 9),
         a10 = _mm256_set1_ps(f + 10), a11 = _mm256_set1_ps(f + 11);
  const __m256 b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (uint64_t it = 0; it < iters; ++it) {
    a0 = _mm256_fmadd_ps(a0, b, c), a1 = _mm256_fmadd_ps(a1, b, c);
    a2 = _mm256_fmadd_ps(a2, b, c), a3 = _mm256_fmadd_ps(a3, b, c);
    a4 = _mm256_fmadd_ps(a4, b, c), a5 = _mm256_fmadd_ps(a5, b, c);
    a6 = _mm256_fmadd_ps(a6, b, c), a7 = _mm256_fmadd_ps(a7, b, c);
    a8 = _mm256_fmadd_ps(a8, b, c), a9 = _mm256_fmadd_ps(a9, b, c);
    a10 = _mm256_fmadd_ps(a10, b, c), a11 = _mm256_fmadd_ps(a11, b, c);
    QC_KEEP4(a0, a1, a2, a3);
    QC_KEEP4(a4, a5, a6, a7);
    QC_KEEP4(a8, a9, a10, a11);
  }
  const __m256 s = _mm256_add_ps(
      _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
      _mm256_add_ps(
          _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)),
          _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11))));
  return uint64_t(_mm256_cvtss_f32(s));
}

__attribute__((noinline)) uint64_t int8Kernel(uint64_t iters, int seed) {
  // Four independent products per iteration: each multiplies its own u
  // operand, which the compiler must assume changes every iteration.
  __m256i a0 = _mm256_set1_epi32(seed), a1 = a0, a2 = a0, a3 = a0;
  __m256i u0 = _mm256_set1_epi8(3), u1 = _mm256_set1_epi8(4),
          u2 = _mm256_set1_epi8(5), u3 = _mm256_set1_epi8(6);
  const __m256i s = _mm256_set1_epi8(-2), ones = _mm256_set1_epi16(1);
  auto dot = [&](__m256i acc, __m256i u) {
    return _mm256_add_epi32(
        acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), ones));
  };
  for (uint64_t it = 0; it < iters; ++it) {
    a0 = dot(a0, u0), a1 = dot(a1, u1), a2 = dot(a2, u2), a3 = dot(a3, u3);
    QC_KEEP4(a0, a1, a2, a3);
    QC_KEEP4(u0, u1, u2, u3);
  }
  const __m256i r =
      _mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3));
  return uint64_t(_mm256_extract_epi32(r, 0));
}

__attribute__((noinline)) uint64_t readKernel(const uint8_t *p, size_t bytes) {
  __m256i s[8];
  for (auto &v : s)
    v = _mm256_setzero_si256();
  for (size_t off = 0; off < bytes; off += 256)
    for (int i = 0; i < 8; ++i)
      s[i] = _mm256_xor_si256(
          s[i], _mm256_load_si256((const __m256i *)(p + off + 32 * i)));
  for (int i = 1; i < 8; ++i)
    s[0] = _mm256_xor_si256(s[0], s[i]);
  return uint64_t(_mm256_extract_epi64(s[0], 0));
}

void bandwidth(int reps, bool thp) {
  const size_t sizes[] = {1ull << 20,   16ull << 20, 64ull << 20, 128ull << 20,
                          256ull << 20, 1ull << 30,  2ull << 30};
  const size_t maxSize = 2ull << 30;
  auto *buf = static_cast<uint8_t *>(aligned_alloc(2u << 20, maxSize));
  if (!buf) {
    fprintf(stderr, "alloc failed\n");
    exit(1);
  }
  if (thp)
    madvise(buf, maxSize, MADV_HUGEPAGE);
  runThreads(
      2, [&](int t) { memset(buf + t * (maxSize / 2), 1 + t, maxSize / 2); });
  for (size_t size : sizes)
    for (int nt : {1, 2}) {
      const int passes = int(std::max<size_t>(1, maxSize / size));
      std::vector<double> v;
      for (int r = 0; r < reps; ++r) {
        auto pass = [&](int t) {
          gSink += readKernel(buf + t * (size / nt), size / nt);
        };
        runThreads(nt, pass);
        const double dt = runThreads(nt, [&](int t) {
          for (int p = 0; p < passes; ++p)
            pass(t);
        });
        v.push_back(double(size) * passes / dt / 1e9);
      }
      char variant[64], extra[64];
      snprintf(variant, sizeof variant, "read-%zuMiB-%s", size >> 20,
               thp ? "thp" : "4k");
      snprintf(extra, sizeof extra, ",\"bytes\":%zu", size);
      report("mem_read_bw", variant, nt, "GB/s", v, extra);
    }
  free(buf);
}

} // namespace

int main(int argc, char **argv) {
  const std::string what = argc > 1 ? argv[1] : "all";
  const int reps = argc > 2 ? atoi(argv[2]) : 5;
  const bool all = what == "all";
  if (all || what == "fma")
    throughput("fp32_fma", "avx2-ymm", "GFLOP/s", reps, 40'000'000,
               12 * 8 * 2.0, fmaKernel);
  if (all || what == "int8")
    throughput("int8_dot", "avx2-maddubs-maddwd-add", "GOP/s", reps, 40'000'000,
               4 * 32 * 2.0, int8Kernel);
  if (all || what == "bw") {
    bandwidth(reps, false);
    bandwidth(reps, true);
  }
  return 0;
}
