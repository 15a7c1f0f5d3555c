//===- Model.cpp - load and run quantc artifacts (CPU and Vulkan) ---------===//
//
// A CPU artifact is a shared library exporting two symbols (written by
// backends/cpu/EmitSharedLibrary.cpp):
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
//===----------------------------------------------------------------------===//

#include "runtime/src/Allocator.h"
#include "runtime/src/Status.h"
#include "runtime/src/VulkanProgram.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#include <cerrno>
#include <cstdio>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct TensorInfo {
  std::string name;
  quantc_dtype dtype = QUANTC_DTYPE_INVALID;
  std::vector<int64_t> shape;
};

using InvokeFn = void (*)(void **, void *);
using SetThreadsFn = void (*)(int);

quantc_dtype dtypeFromName(const std::string &name) {
  for (int v = 1; v <= 16; ++v) {
    auto d = static_cast<quantc_dtype>(v);
    if (quantc_dtype_size(d) && name == quantc_dtype_name(d))
      return d;
  }
  return QUANTC_DTYPE_INVALID;
}

bool isHex(const std::string &s, size_t i) {
  return i + 1 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i])) &&
         std::isxdigit(static_cast<unsigned char>(s[i + 1]));
}

/// Undoes ModelSignature.cpp's percentEncode ("%" alone is the empty name).
std::string percentDecode(const std::string &s) {
  if (s == "%")
    return "";
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && isHex(s, i + 1)) {
      out.push_back(static_cast<char>(
          std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

/// Parses the embedded signature; returns an error message or "".
std::string parseSignature(const char *text, std::vector<TensorInfo> &inputs,
                           std::vector<TensorInfo> &outputs) {
  std::istringstream in(text);
  std::string magic;
  int version = 0;
  if (!(in >> magic >> version) || magic != "quantc-signature" || version != 1)
    return "unsupported signature format";
  std::string kind;
  while (in >> kind) {
    if (kind != "input" && kind != "output")
      return "bad signature entry '" + kind + "'";
    TensorInfo t;
    std::string name, dtype;
    size_t rank = 0;
    if (!(in >> name >> dtype >> rank) || rank > QUANTC_MAX_RANK)
      return "bad signature entry for an " + kind;
    for (size_t i = 0; i < name.size(); ++i)
      if (name[i] == '%' && name != "%" && !isHex(name, i + 1))
        return "bad name in the signature";
    t.name = percentDecode(name);
    t.dtype = dtypeFromName(dtype);
    if (t.dtype == QUANTC_DTYPE_INVALID)
      return "unknown dtype '" + dtype + "' in the signature";
    t.shape.resize(rank);
    for (int64_t &d : t.shape)
      if (!(in >> d) || d < -1)
        return "bad shape in the signature";
    (kind == "input" ? inputs : outputs).push_back(std::move(t));
  }
  if (outputs.empty())
    return "the signature names no outputs";
  return "";
}

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

/// Copies a strided memref into dense row-major `dst`.
void copyStrided(const char *src, const int64_t *sizes, const int64_t *strides,
                 size_t rank, size_t elem, char *&dst) {
  if (rank == 0) {
    std::memcpy(dst, src, elem);
    dst += elem;
    return;
  }
  for (int64_t i = 0; i < sizes[0]; ++i)
    copyStrided(src + i * strides[0] * static_cast<int64_t>(elem), sizes + 1,
                strides + 1, rank - 1, elem, dst);
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
  // Vulkan artifacts: the kernels, and the allocator's free function for
  // the outputs (device buffers).
  std::unique_ptr<quantc::vulkan::Program> gpu;
  ConstantRanges constants;
  void (*freeBuffer)(void *) = quantc::deallocate;
  InvokeFn invoke = nullptr;
  SetThreadsFn setThreads = nullptr;
  std::vector<TensorInfo> inputs, outputs;
  ObserverTable *observerTable = nullptr;
  const int64_t *weights = nullptr; // quantc_weights, 4 entries
  std::vector<std::string> observers;
  quantc_observer_fn observerFn = nullptr;
  void *observerUser = nullptr;

  ~quantc_model() {
    gpu.reset();
    if (handle)
      dlclose(handle);
  }
};

extern "C" {

quantc_status *quantc_model_load(const char *path, quantc_model **model) {
  if (!model)
    return quantc::makeStatus("quantc_model_load: model is NULL");
  *model = nullptr;
  if (!path)
    return quantc::makeStatus("quantc_model_load: path is NULL");
  auto m = std::make_unique<quantc_model>();
  dlerror();
  // dlopen searches the library path for names without a slash; a model
  // path always means a file.
  std::string file = path;
  if (file.find('/') == std::string::npos)
    file = "./" + file;
  std::string elfProblem = checkElf(file);
  if (!elfProblem.empty())
    return quantc::makeStatus(std::string("cannot load '") + path +
                              "': " + elfProblem);
  m->handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!m->handle) {
    const char *why = dlerror();
    return quantc::makeStatus(std::string("cannot load '") + path +
                              "': " + (why ? why : "unknown error"));
  }
  auto *signature =
      static_cast<const char *>(dlsym(m->handle, "quantc_signature"));
  m->invoke = reinterpret_cast<InvokeFn>(dlsym(m->handle, "quantc_invoke"));
  if (!signature || !m->invoke)
    return quantc::makeStatus(std::string("'") + path +
                              "' is not a quantc model (no quantc_signature "
                              "or quantc_invoke symbol)");
  std::string error = parseSignature(signature, m->inputs, m->outputs);
  if (!error.empty())
    return quantc::makeStatus(std::string("'") + path + "': " + error);
  struct AllocatorTable {
    void *(*alloc)(size_t);
    void (*free)(void *);
  };
  auto *table =
      static_cast<AllocatorTable *>(dlsym(m->handle, "quantc_allocator"));
  if (!table)
    return quantc::makeStatus(std::string("'") + path +
                              "' is not a quantc model (no quantc_allocator)");
  table->alloc = quantc::allocate;
  table->free = quantc::deallocate;
  // A Vulkan artifact: kernels on the device, buffers from device memory.
  if (auto *kernels = static_cast<const unsigned char *>(
          dlsym(m->handle, "quantc_kernels"))) {
    auto *gpuTable = static_cast<GpuTable *>(dlsym(m->handle, "quantc_gpu"));
    if (!gpuTable)
      return quantc::makeStatus(std::string("'") + path +
                                "' has kernels but no quantc_gpu table");
    m->constants.collect(kernels);
    std::string why;
    m->gpu = quantc::vulkan::Program::create(kernels, ConstantRanges::contains,
                                             &m->constants, why);
    if (!m->gpu)
      return quantc::makeStatus(std::string("cannot run '") + path +
                                "' on Vulkan: " + why);
    gpuTable->context = m->gpu.get();
    gpuTable->dispatch = quantc::vulkan::Program::dispatchThunk;
    gpuTable->sync = quantc::vulkan::Program::syncThunk;
    gpuTable->copy = quantc::vulkan::Program::copyThunk;
    table->alloc = quantc::vulkan::allocate;
    table->free = quantc::vulkan::deallocate;
    m->freeBuffer = quantc::vulkan::deallocate;
  }
  m->weights = static_cast<const int64_t *>(dlsym(m->handle, "quantc_weights"));
  m->observerTable =
      static_cast<ObserverTable *>(dlsym(m->handle, "quantc_observer"));
  if (auto *names =
          static_cast<const char *>(dlsym(m->handle, "quantc_observer_names")))
    for (const char *n = names; *n; n += std::strlen(n) + 1)
      m->observers.emplace_back(n);
  // Models with parallel loops link the OpenMP runtime.
  m->setThreads =
      reinterpret_cast<SetThreadsFn>(dlsym(m->handle, "omp_set_num_threads"));
  *model = m.release();
  return nullptr;
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
  const char *fn =
      input ? "quantc_model_input_info" : "quantc_model_output_info";
  if (!model || !info)
    return quantc::makeStatus(std::string(fn) + ": model or info is NULL");
  const auto &list = input ? model->inputs : model->outputs;
  if (index >= list.size())
    return quantc::makeStatus(std::string(fn) + ": index " +
                              std::to_string(index) + " out of range (" +
                              std::to_string(list.size()) + ")");
  const TensorInfo &t = list[index];
  *info = {t.name.c_str(), t.dtype, t.shape.size(), t.shape.data()};
  return nullptr;
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
    return quantc::makeStatus("quantc_model_set_threads: model is NULL");
  if (threads < 1)
    return quantc::makeStatus("quantc_model_set_threads: threads must be >= 1");
  if (model->setThreads)
    model->setThreads(threads);
  return nullptr;
}

quantc_status *quantc_model_run(quantc_model *model,
                                const quantc_tensor *inputs, size_t num_inputs,
                                quantc_tensor *outputs, size_t num_outputs) {
  if (!model)
    return quantc::makeStatus("quantc_model_run: model is NULL");
  if (num_inputs != model->inputs.size() ||
      num_outputs != model->outputs.size())
    return quantc::makeStatus(
        "quantc_model_run: the model takes " +
        std::to_string(model->inputs.size()) + " inputs and " +
        std::to_string(model->outputs.size()) + " outputs, got " +
        std::to_string(num_inputs) + " and " + std::to_string(num_outputs));
  if ((num_inputs && !inputs) || !outputs)
    return quantc::makeStatus("quantc_model_run: inputs or outputs is NULL");

  // Input descriptors, packed as the generated code reads them.
  std::vector<std::vector<int64_t>> descriptors(num_inputs);
  std::vector<void *> inputPtrs(num_inputs);
  for (size_t i = 0; i < num_inputs; ++i) {
    const TensorInfo &t = model->inputs[i];
    const quantc_tensor &x = inputs[i];
    std::string what = "input " + std::to_string(i) + " '" + t.name + "'";
    if (x.dtype != t.dtype)
      return quantc::makeStatus(what + " has dtype " +
                                quantc_dtype_name(x.dtype) + ", expected " +
                                quantc_dtype_name(t.dtype));
    if (x.rank != t.shape.size())
      return quantc::makeStatus(what + " has rank " + std::to_string(x.rank) +
                                ", expected " + std::to_string(t.shape.size()));
    for (size_t d = 0; d < x.rank; ++d)
      if (x.shape[d] < 0 || (t.shape[d] >= 0 && x.shape[d] != t.shape[d]))
        return quantc::makeStatus(what + " has shape " +
                                  shapeString(x.shape, x.rank) + ", expected " +
                                  shapeString(t.shape.data(), t.shape.size()));
    size_t bytes =
        byteCount(elementCount(x.shape, x.rank), quantc_dtype_size(t.dtype));
    if (bytes == SIZE_MAX)
      return quantc::makeStatus(what + " has shape " +
                                shapeString(x.shape, x.rank) +
                                ", too large to address");
    if (bytes && !x.data)
      return quantc::makeStatus(what + " has no data");
    if (x.capacity_bytes < bytes)
      return quantc::makeStatus(
          what + " holds " + std::to_string(x.capacity_bytes) +
          " bytes, its shape needs " + std::to_string(bytes));
    std::vector<int64_t> &desc = descriptors[i];
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
    inputPtrs[i] = desc.data();
  }

  size_t resultWords = 0;
  for (const TensorInfo &t : model->outputs)
    resultWords += 3 + 2 * t.shape.size();
  std::vector<int64_t> results(resultWords, 0);
  if (model->gpu)
    model->gpu->beginRun();
  model->invoke(inputPtrs.data(), results.data());
  std::string error;
  if (model->gpu)
    error = model->gpu->endRun();

  // Copy every output out, then free the model's buffers once each (two
  // outputs may share one).
  std::set<void *> owned;
  std::vector<size_t> allocatedHere;
  const int64_t *desc = results.data();
  for (size_t i = 0; i < num_outputs; ++i) {
    const TensorInfo &t = model->outputs[i];
    size_t rank = t.shape.size();
    void *allocated, *aligned;
    std::memcpy(&allocated, &desc[0], sizeof(void *));
    std::memcpy(&aligned, &desc[1], sizeof(void *));
    int64_t offset = desc[2];
    const int64_t *sizes = desc + 3, *strides = desc + 3 + rank;
    desc += 3 + 2 * rank;
    owned.insert(allocated);
    if (!error.empty())
      continue;
    quantc_tensor &y = outputs[i];
    size_t elem = quantc_dtype_size(t.dtype);
    size_t bytes = byteCount(elementCount(sizes, rank), elem);
    if (y.data && y.capacity_bytes < bytes) {
      error = "output " + std::to_string(i) + " '" + t.name + "' needs " +
              std::to_string(bytes) + " bytes, the buffer holds " +
              std::to_string(y.capacity_bytes);
      continue;
    }
    if (!y.data) {
      y.data = std::malloc(bytes ? bytes : 1);
      if (!y.data) {
        error = "out of memory for output '" + t.name + "'";
        continue;
      }
      y.capacity_bytes = bytes;
      allocatedHere.push_back(i);
    }
    y.dtype = t.dtype;
    y.rank = rank;
    std::memcpy(y.shape, sizes, rank * sizeof(int64_t));
    char *dst = static_cast<char *>(y.data);
    if (bytes)
      copyStrided(static_cast<const char *>(aligned) +
                      offset * static_cast<int64_t>(elem),
                  sizes, strides, rank, elem, dst);
  }
  for (void *p : owned)
    model->freeBuffer(p);
  if (error.empty())
    return nullptr;
  // On failure the caller gets no buffers from this call.
  for (size_t i : allocatedHere) {
    std::free(outputs[i].data);
    outputs[i].data = nullptr;
    outputs[i].capacity_bytes = 0;
  }
  return quantc::makeStatus(error);
}

void quantc_buffer_free(void *data) { std::free(data); }

} // extern "C"

// ---- calibration ----------------------------------------------------------

/// Decodes the ranked memref descriptor behind an unranked argument:
/// {allocated, aligned, offset, sizes[rank], strides[rank]}.
static void observeTrampoline(void *context, int64_t id, int64_t rank,
                              void *descriptor) {
  auto *model = static_cast<quantc_model *>(context);
  if (!model->observerFn || id < 0 ||
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
  if (!description)
    return quantc::makeStatus("quantc_vulkan_device: description is NULL");
  *description = nullptr;
  std::string error;
  quantc::vulkan::Device *d = quantc::vulkan::getDevice(error);
  if (!d)
    return quantc::makeStatus(error);
  static const std::string text = d->description();
  *description = text.c_str();
  return nullptr;
}

quantc_status *quantc_vulkan_device_capabilities(uint32_t *bits) {
  if (!bits)
    return quantc::makeStatus(
        "quantc_vulkan_device_capabilities: bits is NULL");
  *bits = 0;
  std::string error;
  quantc::vulkan::Device *d = quantc::vulkan::getDevice(error);
  if (!d)
    return quantc::makeStatus(error);
  *bits = d->capabilities;
  return nullptr;
}

quantc_status *quantc_model_weight_info(const quantc_model *model,
                                        quantc_weight_info *info) {
  if (!model || !info)
    return quantc::makeStatus("quantc_model_weight_info: model or info is "
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
    return quantc::makeStatus("quantc_model_set_observer: model is NULL");
  if (!model->observerTable || model->observers.empty())
    return quantc::makeStatus("quantc_model_set_observer: the model was not "
                              "compiled for calibration (it has no "
                              "observers)");
  model->observerFn = fn;
  model->observerUser = user;
  model->observerTable->context = model;
  model->observerTable->fn = fn ? observeTrampoline : nullptr;
  return nullptr;
}

} // extern "C"
