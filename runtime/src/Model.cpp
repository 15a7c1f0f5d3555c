//===- Model.cpp - load and run quantc artifacts (CPU and Vulkan) ---------===//
//
// A CPU artifact is a shared library exporting two symbols (written by
// backends/common/EmitSharedLibrary.cpp):
//   const char quantc_signature[];  the text of ModelSignature.h
//   void quantc_invoke(void **inputs, void *results);
// `inputs[i]` points to the memref descriptor of input i and `results` to the
// descriptors of all outputs laid end to end. A descriptor of rank R is
//   { void *allocated, *aligned; int64_t offset, sizes[R], strides[R]; }.
// Generated code allocates through `quantc_allocator` ({alloc, free}), which
// the runtime points at its caching allocator; outputs are fresh buffers
// from it that the runtime copies out and frees.
//
// A Vulkan artifact is the same, plus `quantc_kernels` and `quantc_gpu`:
// its buffers then come from device memory (VulkanDevice.h) and its host
// code dispatches kernels through a VulkanProgram.
//
// Threads: these tables are globals of the loaded file, which dlopen shares
// between models loaded from the same path. The allocator table never
// changes after the first load; `quantc_gpu` is pointed at the running
// model's Program under the process-wide Vulkan lock, which serializes
// Vulkan runs; observers find their model through a thread-local set for
// the duration of a run, so CPU runs of one model may overlap.
//
//===----------------------------------------------------------------------===//

#include "runtime/src/Allocator.h"
#include "runtime/src/CpuKernels.h"
#include "runtime/src/Signature.h"
#include "runtime/src/Status.h"
#include "runtime/src/VulkanProgram.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

using quantc::runtime::parseSignature;
using quantc::runtime::TensorInfo;

using InvokeFn = void (*)(void **, void *);
using SetThreadsFn = void (*)(int);
using GetThreadsFn = int (*)();

/// The number of elements, or -1 when it does not fit in 63 bits.
int64_t elementCount(const int64_t *shape, size_t rank) {
  int64_t n = 1;
  for (size_t i = 0; i < rank; ++i)
    if (__builtin_mul_overflow(n, shape[i], &n))
      return -1;
  return n;
}

/// Bytes of `count` elements of `elem` bytes, or SIZE_MAX on overflow.
size_t byteCount(int64_t count, size_t elem) {
  size_t bytes;
  if (count < 0 ||
      __builtin_mul_overflow(static_cast<size_t>(count), elem, &bytes))
    return SIZE_MAX;
  return bytes;
}

std::string shapeString(const int64_t *shape, size_t rank) {
  std::string s = "[";
  for (size_t i = 0; i < rank; ++i)
    s += (i ? ", " : "") +
         (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  return s + "]";
}

/// Copies a strided memref into dense row-major `dst`, one memcpy per
/// contiguous run: the dimensions from the innermost out whose strides are
/// row-major copy as one block (all of a dense result in a single call;
/// per-element copies cost more than the products of a large layer).
void copyStrided(const char *src, const int64_t *sizes, const int64_t *strides,
                 size_t rank, size_t elem, char *&dst) {
  size_t inner = rank; // dims [inner, rank) are one contiguous block
  int64_t block = 1;
  while (inner > 0 && (sizes[inner - 1] == 1 || strides[inner - 1] == block)) {
    block *= sizes[inner - 1];
    --inner;
  }
  size_t blockBytes = static_cast<size_t>(block) * elem;
  // Odometer over the outer dimensions [0, inner).
  std::vector<int64_t> index(inner, 0);
  for (;;) {
    int64_t offset = 0;
    for (size_t d = 0; d < inner; ++d)
      offset += index[d] * strides[d];
    std::memcpy(dst, src + offset * static_cast<int64_t>(elem), blockBytes);
    dst += blockBytes;
    size_t d = inner;
    while (d > 0 && ++index[d - 1] == sizes[d - 1])
      index[--d] = 0;
    if (d == 0)
      return;
  }
}

/// glibc's dlopen trusts the file's ELF headers and can crash on a truncated
/// file (it maps segments past the end). Check that the file is a complete
/// ELF64 shared object for this machine first; returns "" or what is wrong.
std::string checkElf(const std::string &path) {
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return std::strerror(errno);
  std::string problem;
  Elf64_Ehdr eh;
  long size = -1;
  if (std::fseek(f, 0, SEEK_END) == 0)
    size = std::ftell(f);
  std::rewind(f);
  if (size < static_cast<long>(sizeof eh) ||
      std::fread(&eh, sizeof eh, 1, f) != 1 ||
      std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    problem = "not an ELF file";
  else if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
           eh.e_type != ET_DYN)
    problem = "not an x86-64 shared library";
  else if (eh.e_phentsize != sizeof(Elf64_Phdr) ||
           eh.e_phoff + uint64_t(eh.e_phnum) * sizeof(Elf64_Phdr) >
               uint64_t(size) ||
           eh.e_shoff + uint64_t(eh.e_shnum) * eh.e_shentsize > uint64_t(size))
    problem = "truncated or corrupt ELF headers";
  for (unsigned i = 0; problem.empty() && i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (std::fseek(f, static_cast<long>(eh.e_phoff + i * sizeof ph),
                   SEEK_SET) != 0 ||
        std::fread(&ph, sizeof ph, 1, f) != 1)
      problem = "unreadable program header";
    else if (ph.p_offset + ph.p_filesz > uint64_t(size))
      problem = "truncated: a segment runs past the end of the file";
  }
  std::fclose(f);
  return problem;
}

} // namespace

/// `quantc_observer` in a calibration build: what the generated
/// `quantc_observe(id, rank, descriptor)` calls through.
struct ObserverTable {
  void (*fn)(void *context, int64_t id, int64_t rank, void *descriptor);
  void *context;
};

/// `quantc_checks` in an artifact with run-time checks: what the generated
/// `quantc_check_failed(id, lhs, rhs)` calls through.
struct CheckTable {
  void (*fail)(int64_t id, int64_t lhs, int64_t rhs);
};

/// `quantc_allocator`: what generated code allocates its buffers through.
struct AllocatorTable {
  void *(*alloc)(size_t);
  void (*free)(void *);
};

/// The read-only segments of a loaded artifact (its constant weights).
struct ConstantRanges {
  std::vector<std::pair<uintptr_t, uintptr_t>> ranges;

  static bool contains(const void *address, void *self) {
    auto a = reinterpret_cast<uintptr_t>(address);
    for (auto [begin, end] : static_cast<ConstantRanges *>(self)->ranges)
      if (a >= begin && a < end)
        return true;
    return false;
  }

  /// Collects the non-writable loaded segments of the object holding
  /// `symbol`.
  void collect(const void *symbol) {
    Dl_info info;
    if (!dladdr(symbol, &info))
      return;
    struct Query {
      uintptr_t base;
      ConstantRanges *self;
    } query{reinterpret_cast<uintptr_t>(info.dli_fbase), this};
    dl_iterate_phdr(
        [](dl_phdr_info *object, size_t, void *data) {
          auto *q = static_cast<Query *>(data);
          for (int i = 0; i < object->dlpi_phnum; ++i) {
            const ElfW(Phdr) &ph = object->dlpi_phdr[i];
            if (ph.p_type != PT_LOAD ||
                object->dlpi_addr + ph.p_vaddr - ph.p_offset != q->base)
              continue; // not this object (its first segment maps offset 0)
            if (!(ph.p_flags & PF_W))
              q->self->ranges.push_back(
                  {object->dlpi_addr + ph.p_vaddr,
                   object->dlpi_addr + ph.p_vaddr + ph.p_memsz});
          }
          return 0;
        },
        &query);
  }
};

/// `quantc_gpu` in a Vulkan artifact: what its host code calls.
struct GpuTable {
  void *context;
  void (*dispatch)(void *, int64_t, int64_t, int64_t, int64_t, int64_t,
                   int64_t);
  void (*sync)(void *);
  void (*copy)(void *, int64_t, int64_t, int64_t);
};

struct quantc_model {
  void *handle = nullptr;
  // Vulkan artifacts: the kernels, the artifact's table that reaches them,
  // and the allocator's free function for the outputs (device buffers).
  std::unique_ptr<quantc::vulkan::Program> gpu;
  GpuTable *gpuTable = nullptr;
  ConstantRanges constants;
  void (*freeBuffer)(void *) = quantc::deallocate;
  InvokeFn invoke = nullptr;
  // OpenMP's, when the model links it; `threads` is 0 until set.
  SetThreadsFn setThreads = nullptr;
  GetThreadsFn getThreads = nullptr;
  // libomp's spin time before an idle worker sleeps; null when the model
  // links no OpenMP or the user chose a wait policy (see OpenMPScope).
  SetThreadsFn setBlocktime = nullptr;
  GetThreadsFn getBlocktime = nullptr;
  std::atomic<int> threads{0};
  std::vector<TensorInfo> inputs, outputs;
  ObserverTable *observerTable = nullptr;
  const int64_t *weights = nullptr; // quantc_weights, 4 entries
  std::vector<std::string> observers;
  // The run-time checks' messages by id (quantc_check_messages).
  std::vector<std::string> checks;
  // omp_get_level of the OpenMP runtime the model links, or null: how many
  // parallel regions enclose the calling thread.
  GetThreadsFn parallelLevel = nullptr;
  quantc_observer_fn observerFn = nullptr;
  void *observerUser = nullptr;

  ~quantc_model() {
    if (observerTable && observerTable->context == this)
      observerTable->context = nullptr;
    gpu.reset();
    if (handle)
      dlclose(handle);
  }
};

namespace {

using quantc::Error;

/// Serializes Vulkan runs: the device has one queue, and an artifact's
/// `quantc_gpu` table is shared by every model loaded from its file.
std::mutex &vulkanMutex() {
  static auto *m = new std::mutex(); // never destroyed, like the device
  return *m;
}

/// The model whose run is in progress on this thread: where observers go.
thread_local quantc_model *runningModel = nullptr;

Error invalidArgument(std::string message) {
  return {QUANTC_INVALID_ARGUMENT, std::move(message)};
}

/// dlopens `path` into `m` after checking its ELF headers, and finds the
/// entry points every artifact has.
Error openArtifact(const char *path, quantc_model &m) {
  dlerror();
  // dlopen searches the library path for names without a slash; a model
  // path always means a file.
  std::string file = path;
  if (file.find('/') == std::string::npos)
    file = "./" + file;
  std::string elfProblem = checkElf(file);
  if (!elfProblem.empty())
    return {QUANTC_IO_ERROR,
            std::string("cannot load '") + path + "': " + elfProblem};
  m.handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!m.handle) {
    const char *why = dlerror();
    return {QUANTC_IO_ERROR, std::string("cannot load '") + path +
                                 "': " + (why ? why : "unknown error")};
  }
  auto *signature =
      static_cast<const char *>(dlsym(m.handle, "quantc_signature"));
  m.invoke = reinterpret_cast<InvokeFn>(dlsym(m.handle, "quantc_invoke"));
  if (!signature || !m.invoke)
    return {QUANTC_IO_ERROR, std::string("'") + path +
                                 "' is not a quantc model (no "
                                 "quantc_signature or quantc_invoke symbol)"};
  std::string error = parseSignature(signature, m.inputs, m.outputs);
  if (!error.empty())
    return {QUANTC_IO_ERROR, std::string("'") + path + "': " + error};
  return {};
}

/// The run in progress on this thread, while its generated code runs: where
/// a failed run-time check returns to, with its message.
struct CheckedRun {
  const quantc_model *model = nullptr;
  std::jmp_buf env;
  quantc_status_code code = QUANTC_SHAPE_MISMATCH;
  std::string message;
  // The buffers generated code allocated on this thread and has not freed:
  // a run that leaves early frees them (it cannot reach the code's own
  // deallocations). Buffers of parallel loop bodies are allocated and freed
  // on their worker threads, within one iteration, and are not tracked.
  // This relies on bufferization's deallocation freeing a buffer in the
  // region that allocated it: one allocated here and freed on a worker
  // would stay listed and be freed twice after a failed check.
  std::unordered_set<void *> live;
  // The OpenMP nesting level the run started at: a caller may run models
  // from its own parallel region, which a check may leave; only the
  // model's own regions (deeper levels) may not be left.
  int level = 0;
};
thread_local CheckedRun *checkedRun = nullptr;

/// Check `id`'s message with both sizes filled in.
std::string checkMessage(const quantc_model &model, int64_t id, int64_t lhs,
                         int64_t rhs) {
  std::string text = id >= 0 && static_cast<size_t>(id) < model.checks.size()
                         ? model.checks[id]
                         : "run-time check " + std::to_string(id) +
                               ": sizes {0} and {1} differ";
  for (auto [key, value] : {std::pair<std::string, int64_t>{"{0}", lhs},
                            std::pair<std::string, int64_t>{"{1}", rhs}}) {
    size_t at = text.find(key);
    if (at != std::string::npos)
      text.replace(at, key.size(), std::to_string(value));
  }
  return text;
}

/// Back to callChecked with `code` and the message already in `run`
/// (set by a statement of its own, so no temporary is alive across the
/// longjmp). Only from outside the model's OpenMP parallel regions: a
/// longjmp out of a team would leave its workers at the barrier, so there
/// (never the case for the checks, which stand outside loops) the process
/// stops with the message instead of going on to the access the check
/// guards.
[[noreturn]] void leaveRun(CheckedRun *run, quantc_status_code code) {
  if (run->model->parallelLevel && run->model->parallelLevel() > run->level) {
    std::fprintf(stderr, "quantc: %s (in a parallel loop)\n",
                 run->message.c_str());
    std::abort();
  }
  run->code = code;
  std::longjmp(run->env, 1);
}

/// What a failed check in generated code calls (through `quantc_checks`).
/// Generated code keeps no C++ state to unwind; callChecked frees the
/// run's live buffers.
void checkFailed(int64_t id, int64_t lhs, int64_t rhs) {
  CheckedRun *run = checkedRun;
  if (!run)
    std::abort(); // not inside a run: never fall through to the access
  run->message = checkMessage(*run->model, id, lhs, rhs);
  leaveRun(run, QUANTC_SHAPE_MISMATCH);
}

/// Memory ran out for generated code: the run ends with
/// QUANTC_OUT_OF_MEMORY (sizes come from inputs: a ConstantOfShape or
/// Reshape to terabytes must not crash the caller); on a worker thread of
/// a parallel loop, which cannot leave the run, the process stops with a
/// message rather than writing through a null buffer.
void outOfMemory(size_t bytes) {
  CheckedRun *run = checkedRun;
  if (!run) {
    std::fprintf(stderr,
                 "quantc: out of memory: the model asked for %zu bytes (in a "
                 "parallel loop)\n",
                 bytes);
    std::abort();
  }
  run->message =
      "out of memory: the model asked for " + std::to_string(bytes) + " bytes";
  leaveRun(run, QUANTC_OUT_OF_MEMORY);
}

/// The allocators generated code calls through `quantc_allocator`: the
/// runtime's, with the run's live buffers tracked on the calling thread.
void *track(void *p, size_t bytes) {
  if (!p)
    outOfMemory(bytes);
  if (CheckedRun *run = checkedRun)
    run->live.insert(p);
  return p;
}
void untrack(void *p) {
  if (CheckedRun *run = checkedRun)
    run->live.erase(p);
}
void *allocateForCode(size_t bytes) {
  return track(quantc::allocate(bytes), bytes);
}
void freeForCode(void *p) {
  untrack(p);
  quantc::deallocate(p);
}
void *allocateDeviceForCode(size_t bytes) {
  return track(quantc::vulkan::allocate(bytes), bytes);
}
void freeDeviceForCode(void *p) {
  untrack(p);
  quantc::vulkan::deallocate(p);
}

/// Stores `alloc`/`free` in the artifact's allocator table. Other models of
/// the same file may be running: the table is written only while it still
/// holds the artifact's malloc/free defaults, which happens once.
void setAllocator(AllocatorTable &table, void *(*alloc)(size_t),
                  void (*free)(void *)) {
  if (table.alloc != alloc)
    table.alloc = alloc;
  if (table.free != free)
    table.free = free;
}

/// A Vulkan artifact: kernels on the device, buffers from device memory.
Error bindVulkan(const char *path, const unsigned char *kernels,
                 AllocatorTable &allocator, quantc_model &m) {
  m.gpuTable = static_cast<GpuTable *>(dlsym(m.handle, "quantc_gpu"));
  if (!m.gpuTable)
    return {QUANTC_IO_ERROR,
            std::string("'") + path + "' has kernels but no quantc_gpu table"};
  m.constants.collect(kernels);
  Error error;
  m.gpu = quantc::vulkan::Program::create(kernels, ConstantRanges::contains,
                                          &m.constants, error);
  if (!m.gpu)
    return {error.code, std::string("cannot run '") + path +
                            "' on Vulkan: " + error.message};
  std::lock_guard<std::mutex> lock(vulkanMutex());
  m.gpuTable->dispatch = quantc::vulkan::Program::dispatchThunk;
  m.gpuTable->sync = quantc::vulkan::Program::syncThunk;
  m.gpuTable->copy = quantc::vulkan::Program::copyThunk;
  setAllocator(allocator, allocateDeviceForCode, freeDeviceForCode);
  m.freeBuffer = quantc::vulkan::deallocate;
  return {};
}

/// Points the artifact's tables at the runtime and reads its optional
/// symbols.
Error bindTables(const char *path, quantc_model &m) {
  auto *allocator =
      static_cast<AllocatorTable *>(dlsym(m.handle, "quantc_allocator"));
  if (!allocator)
    return {QUANTC_IO_ERROR, std::string("'") + path +
                                 "' is not a quantc model (no "
                                 "quantc_allocator)"};
  if (auto *kernels = static_cast<const unsigned char *>(
          dlsym(m.handle, "quantc_kernels"))) {
    if (Error error = bindVulkan(path, kernels, *allocator, m))
      return error;
  } else {
    setAllocator(*allocator, allocateForCode, freeForCode);
  }
  if (Error error =
          quantc::bindCpuKernels(path, dlsym(m.handle, "quantc_ukernels")))
    return error;
  m.weights = static_cast<const int64_t *>(dlsym(m.handle, "quantc_weights"));
  m.observerTable =
      static_cast<ObserverTable *>(dlsym(m.handle, "quantc_observer"));
  if (auto *names =
          static_cast<const char *>(dlsym(m.handle, "quantc_observer_names")))
    for (const char *n = names; *n; n += std::strlen(n) + 1)
      m.observers.emplace_back(n);
  if (auto *checks =
          static_cast<CheckTable *>(dlsym(m.handle, "quantc_checks")))
    if (checks->fail != checkFailed) // other models of the file may run
      checks->fail = checkFailed;
  if (auto *messages =
          static_cast<const char *>(dlsym(m.handle, "quantc_check_messages")))
    for (const char *n = messages; *n; n += std::strlen(n) + 1)
      m.checks.emplace_back(n);
  // Models with parallel loops link the OpenMP runtime.
  m.setThreads =
      reinterpret_cast<SetThreadsFn>(dlsym(m.handle, "omp_set_num_threads"));
  m.getThreads =
      reinterpret_cast<GetThreadsFn>(dlsym(m.handle, "omp_get_max_threads"));
  m.parallelLevel =
      reinterpret_cast<GetThreadsFn>(dlsym(m.handle, "omp_get_level"));
  if (!std::getenv("KMP_BLOCKTIME") && !std::getenv("OMP_WAIT_POLICY")) {
    m.setBlocktime =
        reinterpret_cast<SetThreadsFn>(dlsym(m.handle, "kmp_set_blocktime"));
    m.getBlocktime =
        reinterpret_cast<GetThreadsFn>(dlsym(m.handle, "kmp_get_blocktime"));
  }
  return {};
}

/// The inputs of one run as the generated code reads them: a memref
/// descriptor per input and a pointer to each.
struct PackedInputs {
  std::vector<std::vector<int64_t>> descriptors;
  std::vector<void *> pointers;
};

/// An index input's `count` values against the range of the table it
/// indexes: one pass over the input before the run, so that the compiled
/// code never reads outside the table (it would clamp silently otherwise).
template <typename T>
Error checkIndexValues(const TensorInfo &t, const std::string &what,
                       const T *values, size_t count) {
  for (size_t k = 0; k < count; ++k)
    if (values[k] < t.lo || values[k] > t.hi)
      return invalidArgument(what + " element " + std::to_string(k) + " is " +
                             std::to_string(values[k]) + ", outside [" +
                             std::to_string(t.lo) + ", " +
                             std::to_string(t.hi) + "] of the table node '" +
                             t.rangeNode + "' indexes with it");
  return {};
}

Error checkIndices(const TensorInfo &t, const std::string &what,
                   const quantc_tensor &x, size_t count) {
  if (t.dtype == QUANTC_DTYPE_INT64)
    return checkIndexValues(t, what, static_cast<const int64_t *>(x.data),
                            count);
  return checkIndexValues(t, what, static_cast<const int32_t *>(x.data), count);
}

/// Checks input `i` against the model's signature; its byte size in `bytes`.
Error checkInput(const quantc_model &model, size_t i, const quantc_tensor &x,
                 size_t &bytes) {
  const TensorInfo &t = model.inputs[i];
  std::string what = "input " + std::to_string(i) + " '" + t.name + "'";
  if (x.dtype != t.dtype)
    return {QUANTC_DTYPE_MISMATCH,
            what + " has dtype " + quantc_dtype_name(x.dtype) + ", expected " +
                quantc_dtype_name(t.dtype)};
  if (x.rank != t.shape.size())
    return {QUANTC_SHAPE_MISMATCH, what + " has rank " +
                                       std::to_string(x.rank) + ", expected " +
                                       std::to_string(t.shape.size())};
  for (size_t d = 0; d < x.rank; ++d)
    if (x.shape[d] < 0 || (t.shape[d] >= 0 && x.shape[d] != t.shape[d]))
      return {QUANTC_SHAPE_MISMATCH,
              what + " has shape " + shapeString(x.shape, x.rank) +
                  ", expected " + shapeString(t.shape.data(), t.shape.size())};
  bytes = byteCount(elementCount(x.shape, x.rank), quantc_dtype_size(t.dtype));
  if (bytes == SIZE_MAX)
    return invalidArgument(what + " has shape " + shapeString(x.shape, x.rank) +
                           ", too large to address");
  if (bytes && !x.data)
    return invalidArgument(what + " has no data");
  if (x.capacity_bytes < bytes)
    return invalidArgument(what + " holds " + std::to_string(x.capacity_bytes) +
                           " bytes, its shape needs " + std::to_string(bytes));
  if (t.hasRange)
    return checkIndices(t, what, x, bytes / quantc_dtype_size(t.dtype));
  return {};
}

Error packInputs(const quantc_model &model, const quantc_tensor *inputs,
                 PackedInputs &packed) {
  size_t n = model.inputs.size();
  packed.descriptors.resize(n);
  packed.pointers.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const quantc_tensor &x = inputs[i];
    size_t bytes = 0;
    if (Error error = checkInput(model, i, x, bytes))
      return error;
    std::vector<int64_t> &desc = packed.descriptors[i];
    desc.resize(3 + 2 * x.rank);
    void *data = x.data;
    std::memcpy(&desc[0], &data, sizeof(void *));
    std::memcpy(&desc[1], &data, sizeof(void *));
    desc[2] = 0;
    int64_t stride = 1;
    for (size_t d = x.rank; d-- > 0;) {
      desc[3 + d] = x.shape[d];
      desc[3 + x.rank + d] = stride;
      stride *= x.shape[d];
    }
    packed.pointers[i] = desc.data();
  }
  return {};
}

/// Applies the model's OpenMP settings to the calling thread for one run and
/// restores the thread's own afterwards (OpenMP keeps them per calling
/// thread, so concurrent runs of different models do not interfere):
/// - the model's thread count, once set;
/// - a spin time of 1 ms before idle workers sleep, unless the user set
///   KMP_BLOCKTIME or OMP_WAIT_POLICY. libomp's default of 200 ms keeps a
///   core busy long after each run: ten stories260k runs 100 ms apart cost
///   1234 ms of CPU for 119 ms of work, 248 ms with 1 ms. Sleeping at once
///   (0 ms) makes every parallel loop wake its workers and took a 2-thread
///   forward from 7.3 to 36 ms; 1 ms keeps the loops of one run warm.
class OpenMPScope {
public:
  explicit OpenMPScope(const quantc_model &model) {
    if (model.setBlocktime && model.getBlocktime) {
      previousBlocktime = model.getBlocktime();
      if (previousBlocktime != kBlocktimeMs) {
        model.setBlocktime(kBlocktimeMs);
        restoreBlocktime = model.setBlocktime;
      }
    }
    int threads = model.threads.load(std::memory_order_relaxed);
    if (threads < 1 || !model.setThreads || !model.getThreads)
      return;
    previousThreads = model.getThreads();
    if (previousThreads == threads)
      return;
    model.setThreads(threads);
    restoreThreads = model.setThreads;
  }
  ~OpenMPScope() {
    if (restoreThreads)
      restoreThreads(previousThreads);
    if (restoreBlocktime)
      restoreBlocktime(previousBlocktime);
  }
  OpenMPScope(const OpenMPScope &) = delete;
  OpenMPScope &operator=(const OpenMPScope &) = delete;

private:
  static constexpr int kBlocktimeMs = 1;
  SetThreadsFn restoreThreads = nullptr, restoreBlocktime = nullptr;
  int previousThreads = 0, previousBlocktime = 0;
};

/// Marks `model` as running on this thread (for its observers).
class RunningScope {
public:
  explicit RunningScope(quantc_model &model) : outer(runningModel) {
    runningModel = &model;
  }
  ~RunningScope() { runningModel = outer; }
  RunningScope(const RunningScope &) = delete;
  RunningScope &operator=(const RunningScope &) = delete;

private:
  quantc_model *outer;
};

/// Calls the generated code under `run`: false when a run-time check
/// failed (`run.message` says which). Nothing here needs unwinding, so the
/// longjmp from checkFailed lands in a frame without destructors.
bool callChecked(quantc_model &model, void **inputs, int64_t *results,
                 CheckedRun &run) {
  CheckedRun *outer = checkedRun;
  checkedRun = &run;
  run.level = model.parallelLevel ? model.parallelLevel() : 0;
  if (setjmp(run.env)) {
    checkedRun = outer;
    return false; // run.live: for releaseLive once nothing uses them
  }
  model.invoke(inputs, results);
  checkedRun = outer;
  run.live.clear(); // the outputs among them are the caller's now
  return true;
}

/// Frees what the code of a failed run allocated and could not free:
/// intermediates, and outputs it had already made. For a Vulkan run only
/// after endRun(), which submits and waits for the kernels recorded so far
/// (they still use these buffers).
void releaseLive(quantc_model &model, CheckedRun &run) {
  for (void *p : run.live)
    model.freeBuffer(p);
  run.live.clear();
}

/// Calls the generated code; `results` receives the output descriptors.
Error invoke(quantc_model &model, void **inputs, int64_t *results) {
  OpenMPScope openmp(model);
  RunningScope running(model);
  CheckedRun run;
  run.model = &model;
  if (!model.gpu) {
    if (callChecked(model, inputs, results, run))
      return {};
    releaseLive(model, run);
    return {run.code, run.message};
  }
  std::lock_guard<std::mutex> lock(vulkanMutex());
  model.gpuTable->context = model.gpu.get();
  model.gpu->beginRun();
  bool ok = callChecked(model, inputs, results, run);
  Error ended = model.gpu->endRun();
  if (ok)
    return ended;
  releaseLive(model, run);
  return {run.code, run.message};
}

/// The model's output buffers of one run, each freed once when it ends (two
/// outputs may share one). Reserved before the run: nothing allocates after.
class OwnedBuffers {
public:
  explicit OwnedBuffers(const quantc_model &model) : model(model) {
    buffers.reserve(model.outputs.size());
  }
  ~OwnedBuffers() {
    std::sort(buffers.begin(), buffers.end());
    auto end = std::unique(buffers.begin(), buffers.end());
    for (auto it = buffers.begin(); it != end; ++it)
      model.freeBuffer(*it);
  }
  OwnedBuffers(const OwnedBuffers &) = delete;
  OwnedBuffers &operator=(const OwnedBuffers &) = delete;
  void add(void *p) { buffers.push_back(p); }

private:
  const quantc_model &model;
  std::vector<void *> buffers;
};

/// Buffers allocated for the caller during one run, released again unless
/// the run succeeds: on failure the caller gets no buffers from the call.
class CallerBuffers {
public:
  CallerBuffers(quantc_tensor *outputs, size_t count) : outputs(outputs) {
    indices.reserve(count);
  }
  ~CallerBuffers() {
    if (kept)
      return;
    for (size_t i : indices) {
      std::free(outputs[i].data);
      outputs[i].data = nullptr;
      outputs[i].capacity_bytes = 0;
    }
  }
  CallerBuffers(const CallerBuffers &) = delete;
  CallerBuffers &operator=(const CallerBuffers &) = delete;
  void add(size_t i) { indices.push_back(i); }
  void keep() { kept = true; }

private:
  quantc_tensor *outputs;
  std::vector<size_t> indices;
  bool kept = false;
};

/// Copies output `i` (its descriptor at `desc`) into the caller's tensor.
Error copyOutput(const quantc_model &model, size_t i, const int64_t *desc,
                 quantc_tensor &y, CallerBuffers &allocated) {
  const TensorInfo &t = model.outputs[i];
  size_t rank = t.shape.size();
  void *aligned;
  std::memcpy(&aligned, &desc[1], sizeof(void *));
  int64_t offset = desc[2];
  const int64_t *sizes = desc + 3, *strides = desc + 3 + rank;
  size_t elem = quantc_dtype_size(t.dtype);
  size_t bytes = byteCount(elementCount(sizes, rank), elem);
  if (y.data && y.capacity_bytes < bytes)
    return invalidArgument("output " + std::to_string(i) + " '" + t.name +
                           "' needs " + std::to_string(bytes) +
                           " bytes, the buffer holds " +
                           std::to_string(y.capacity_bytes));
  if (!y.data) {
    y.data = std::malloc(bytes ? bytes : 1);
    if (!y.data)
      return {QUANTC_OUT_OF_MEMORY,
              "out of memory for output '" + t.name + "'"};
    y.capacity_bytes = bytes;
    allocated.add(i);
  }
  y.dtype = t.dtype;
  y.rank = rank;
  std::memcpy(y.shape, sizes, rank * sizeof(int64_t));
  char *dst = static_cast<char *>(y.data);
  if (bytes)
    copyStrided(static_cast<const char *>(aligned) +
                    offset * static_cast<int64_t>(elem),
                sizes, strides, rank, elem, dst);
  return {};
}

} // namespace

extern "C" {

quantc_status *quantc_model_load(const char *path, quantc_model **model) {
  if (model)
    *model = nullptr;
  return quantc::guard([&]() -> quantc_status * {
    if (!model)
      return quantc::makeStatus(QUANTC_INVALID_ARGUMENT,
                                "quantc_model_load: model is NULL");
    if (!path)
      return quantc::makeStatus(QUANTC_INVALID_ARGUMENT,
                                "quantc_model_load: path is NULL");
    auto m = std::make_unique<quantc_model>();
    if (Error error = openArtifact(path, *m))
      return quantc::makeStatus(error);
    if (Error error = bindTables(path, *m))
      return quantc::makeStatus(error);
    *model = m.release();
    return nullptr;
  });
}

void quantc_model_free(quantc_model *model) { delete model; }

size_t quantc_model_num_inputs(const quantc_model *model) {
  return model ? model->inputs.size() : 0;
}

size_t quantc_model_num_outputs(const quantc_model *model) {
  return model ? model->outputs.size() : 0;
}

static quantc_status *tensorInfo(const quantc_model *model, size_t index,
                                 quantc_tensor_info *info, bool input) {
  return quantc::guard([&]() -> quantc_status * {
    const char *fn =
        input ? "quantc_model_input_info" : "quantc_model_output_info";
    if (!model || !info)
      return quantc::makeStatus(QUANTC_INVALID_ARGUMENT,
                                std::string(fn) + ": model or info is NULL");
    const auto &list = input ? model->inputs : model->outputs;
    if (index >= list.size())
      return quantc::makeStatus(QUANTC_INVALID_ARGUMENT,
                                std::string(fn) + ": index " +
                                    std::to_string(index) + " out of range (" +
                                    std::to_string(list.size()) + ")");
    const TensorInfo &t = list[index];
    *info = {t.name.c_str(), t.dtype, t.shape.size(), t.shape.data()};
    return nullptr;
  });
}

quantc_status *quantc_model_input_info(const quantc_model *model, size_t index,
                                       quantc_tensor_info *info) {
  return tensorInfo(model, index, info, /*input=*/true);
}

quantc_status *quantc_model_output_info(const quantc_model *model, size_t index,
                                        quantc_tensor_info *info) {
  return tensorInfo(model, index, info, /*input=*/false);
}

quantc_status *quantc_model_set_threads(quantc_model *model, int threads) {
  if (!model)
    return quantc::makeStatus(QUANTC_INVALID_ARGUMENT,
                              "quantc_model_set_threads: model is NULL");
  if (threads < 1 || threads > QUANTC_MAX_THREADS)
    return quantc::makeStatus(
        QUANTC_INVALID_ARGUMENT,
        "quantc_model_set_threads: threads must be 1 to " +
            std::to_string(QUANTC_MAX_THREADS) + ", got " +
            std::to_string(threads));
  model->threads.store(threads, std::memory_order_relaxed);
  return nullptr;
}

quantc_status *quantc_model_run(quantc_model *model,
                                const quantc_tensor *inputs, size_t num_inputs,
                                quantc_tensor *outputs, size_t num_outputs) {
  return quantc::guard([&]() -> quantc_status * {
    if (!model)
      return quantc::makeStatus(QUANTC_INVALID_ARGUMENT,
                                "quantc_model_run: model is NULL");
    if (num_inputs != model->inputs.size() ||
        num_outputs != model->outputs.size())
      return quantc::makeStatus(
          QUANTC_INVALID_ARGUMENT,
          "quantc_model_run: the model takes " +
              std::to_string(model->inputs.size()) + " inputs and " +
              std::to_string(model->outputs.size()) + " outputs, got " +
              std::to_string(num_inputs) + " and " +
              std::to_string(num_outputs));
    if ((num_inputs && !inputs) || !outputs)
      return quantc::makeStatus(QUANTC_INVALID_ARGUMENT,
                                "quantc_model_run: inputs or outputs is NULL");
    PackedInputs packed;
    if (Error error = packInputs(*model, inputs, packed))
      return quantc::makeStatus(error);
    size_t resultWords = 0;
    for (const TensorInfo &t : model->outputs)
      resultWords += 3 + 2 * t.shape.size();
    std::vector<int64_t> results(resultWords, 0);
    OwnedBuffers owned(*model);
    CallerBuffers allocated(outputs, num_outputs);

    Error error = invoke(*model, packed.pointers.data(), results.data());
    const int64_t *desc = results.data();
    for (size_t i = 0; i < num_outputs; ++i) {
      void *buffer;
      std::memcpy(&buffer, &desc[0], sizeof(void *));
      owned.add(buffer);
      if (!error)
        error = copyOutput(*model, i, desc, outputs[i], allocated);
      desc += 3 + 2 * model->outputs[i].shape.size();
    }
    if (error)
      return quantc::makeStatus(error);
    allocated.keep();
    return nullptr;
  });
}

void quantc_buffer_free(void *data) { std::free(data); }

} // extern "C"

// ---- calibration ----------------------------------------------------------

/// Decodes the ranked memref descriptor behind an unranked argument:
/// {allocated, aligned, offset, sizes[rank], strides[rank]}. The model is
/// the one running on this thread (the artifact's table is shared by every
/// model loaded from its file); `context` is the last one that set an
/// observer, for calls from threads the model started.
static void observeTrampoline(void *context, int64_t id, int64_t rank,
                              void *descriptor) {
  quantc_model *model =
      runningModel ? runningModel : static_cast<quantc_model *>(context);
  if (!model || !model->observerFn || id < 0 ||
      static_cast<size_t>(id) >= model->observers.size())
    return;
  auto *fields = static_cast<char *>(descriptor);
  const float *aligned;
  std::memcpy(&aligned, fields + sizeof(void *), sizeof(void *));
  const auto *ints =
      reinterpret_cast<const int64_t *>(fields + 2 * sizeof(void *));
  int64_t offset = ints[0];
  model->observerFn(model->observerUser, static_cast<size_t>(id),
                    aligned + offset, static_cast<size_t>(rank), ints + 1,
                    ints + 1 + rank);
}

extern "C" {

const char *quantc_model_target(const quantc_model *model) {
  return model && model->gpu ? "vulkan" : "cpu";
}

quantc_status *quantc_vulkan_device(const char **description) {
  return quantc::guard([&]() -> quantc_status * {
    if (!description)
      return quantc::makeStatus(QUANTC_INVALID_ARGUMENT,
                                "quantc_vulkan_device: description is NULL");
    *description = nullptr;
    std::string error;
    quantc::vulkan::Device *d = quantc::vulkan::getDevice(error);
    if (!d)
      return quantc::makeStatus(QUANTC_DEVICE_ERROR, error);
    static const std::string text = d->description();
    *description = text.c_str();
    return nullptr;
  });
}

quantc_status *quantc_vulkan_device_capabilities(uint32_t *bits) {
  return quantc::guard([&]() -> quantc_status * {
    if (!bits)
      return quantc::makeStatus(
          QUANTC_INVALID_ARGUMENT,
          "quantc_vulkan_device_capabilities: bits is NULL");
    *bits = 0;
    std::string error;
    quantc::vulkan::Device *d = quantc::vulkan::getDevice(error);
    if (!d)
      return quantc::makeStatus(QUANTC_DEVICE_ERROR, error);
    *bits = d->capabilities;
    return nullptr;
  });
}

quantc_status *quantc_model_weight_info(const quantc_model *model,
                                        quantc_weight_info *info) {
  if (!model || !info)
    return quantc::makeStatus(QUANTC_INVALID_ARGUMENT,
                              "quantc_model_weight_info: model or info is "
                              "NULL");
  *info = {};
  if (model->weights)
    *info = {model->weights[0], model->weights[1], model->weights[2],
             model->weights[3]};
  return nullptr;
}

size_t quantc_model_num_observers(const quantc_model *model) {
  return model ? model->observers.size() : 0;
}

const char *quantc_model_observer_name(const quantc_model *model,
                                       size_t index) {
  if (!model || index >= model->observers.size())
    return nullptr;
  return model->observers[index].c_str();
}

quantc_status *quantc_model_set_observer(quantc_model *model,
                                         quantc_observer_fn fn, void *user) {
  if (!model)
    return quantc::makeStatus(QUANTC_INVALID_ARGUMENT,
                              "quantc_model_set_observer: model is NULL");
  if (!model->observerTable || model->observers.empty())
    return quantc::makeStatus(QUANTC_INVALID_ARGUMENT,
                              "quantc_model_set_observer: the model was not "
                              "compiled for calibration (it has no "
                              "observers)");
  model->observerFn = fn;
  model->observerUser = user;
  // The table stays pointed at the trampoline: other models of the same
  // file may still observe (it skips models without an observer).
  model->observerTable->context = model;
  model->observerTable->fn = observeTrampoline;
  return nullptr;
}

} // extern "C"
