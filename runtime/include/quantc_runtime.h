/*===- quantc_runtime.h - load and run quantc-compiled models -----*- C -*-===*\
|*                                                                            *|
|* The C API of quantc's runtime. A model compiled with                       *|
|*   quantc compile MODEL.onnx --target cpu -o MODEL.so                       *|
|* is loaded, inspected and run on buffers the caller owns:                   *|
|*                                                                            *|
|*   quantc_model *m;                                                         *|
|*   quantc_status *s = quantc_model_load("MODEL.so", &m);                    *|
|*   if (s) { puts(quantc_status_message(s)); quantc_status_free(s); }        *|
|*   quantc_tensor in = {QUANTC_DTYPE_FLOAT, 2, {1, 64}, data, bytes};        *|
|*   quantc_tensor out = {0};            (data NULL: the runtime allocates)   *|
|*   s = quantc_model_run(m, &in, 1, &out, 1);                                *|
|*   ... out.shape, out.data ...; quantc_buffer_free(out.data);               *|
|*   quantc_model_free(m);                                                    *|
|*                                                                            *|
|* Every function that can fail returns a status: NULL on success, otherwise  *|
|* an object holding a code and a message that the caller frees. The runtime  *|
|* never aborts or exits the host process. It has no MLIR or LLVM dependency. *|
|*                                                                            *|
|* Threads. Calls on different models may run concurrently. On one model:     *|
|*  - quantc_model_run may run from several threads at once; each call needs  *|
|*    its own input and output tensors. Runs of Vulkan models are serialized  *|
|*    (one device queue per process): they are safe but do not overlap.       *|
|*  - quantc_model_set_threads may run at any time; a run uses the count set  *|
|*    before it started.                                                      *|
|*  - the inspection calls (num_inputs, input_info, target, weight_info,      *|
|*    observer names, ...) only read and may run alongside anything but       *|
|*    quantc_model_free.                                                      *|
|*  - quantc_model_set_observer must not run while the model runs; the        *|
|*    observer itself is called from every thread that runs the model.        *|
|*  - quantc_model_free must not run alongside any other call on the model.   *|
|* Statuses, buffers and the Vulkan queries are free-threaded.                *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef QUANTC_RUNTIME_H
#define QUANTC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

/* Marks what libquantc_runtime.so exports (it is built with
   -fvisibility=hidden: only quantc_* functions are visible). */
#ifndef QUANTC_API
#if defined(__GNUC__)
#define QUANTC_API __attribute__((visibility("default")))
#else
#define QUANTC_API
#endif
#endif

/* The version of this header. A library built from the same source returns
   QUANTC_RUNTIME_VERSION from quantc_runtime_version(); a program can check
   that the library it runs against is at least as new as its header. */
#define QUANTC_RUNTIME_VERSION_MAJOR 0
#define QUANTC_RUNTIME_VERSION_MINOR 2
#define QUANTC_RUNTIME_VERSION_PATCH 0
#define QUANTC_RUNTIME_VERSION                                                 \
  (QUANTC_RUNTIME_VERSION_MAJOR * 10000 + QUANTC_RUNTIME_VERSION_MINOR * 100 + \
   QUANTC_RUNTIME_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/* The library's QUANTC_RUNTIME_VERSION (major * 10000 + minor * 100 +
   patch). */
QUANTC_API int quantc_runtime_version(void);

/* The instruction set of the CPU microkernels this process uses for int8
   products: "amx", "avx512-vnni", "avx2" or "scalar". Chosen once, at the
   first model load, from CPUID (and, for AMX, the kernel's permission),
   capped by the environment variable QUANTC_ISA (the same names). */
QUANTC_API const char *quantc_cpu_isa(void);

/* The most dimensions a quantc tensor has. */
#define QUANTC_MAX_RANK 16

/* Element types, named as ONNX names them. Booleans take one byte. */
typedef enum quantc_dtype {
  QUANTC_DTYPE_INVALID = 0,
  QUANTC_DTYPE_FLOAT = 1,
  QUANTC_DTYPE_UINT8 = 2,
  QUANTC_DTYPE_INT8 = 3,
  QUANTC_DTYPE_UINT16 = 4,
  QUANTC_DTYPE_INT16 = 5,
  QUANTC_DTYPE_INT32 = 6,
  QUANTC_DTYPE_INT64 = 7,
  QUANTC_DTYPE_BOOL = 9,
  QUANTC_DTYPE_FLOAT16 = 10,
  QUANTC_DTYPE_DOUBLE = 11,
  QUANTC_DTYPE_UINT32 = 12,
  QUANTC_DTYPE_UINT64 = 13,
  QUANTC_DTYPE_BFLOAT16 = 16
} quantc_dtype; /* values match onnx.TensorProto.DataType */

/* Bytes per element (0 for QUANTC_DTYPE_INVALID or an unknown value). */
QUANTC_API size_t quantc_dtype_size(quantc_dtype dtype);
/* "float", "int64", ...; "invalid" for an unknown value. */
QUANTC_API const char *quantc_dtype_name(quantc_dtype dtype);

/* ---- status ----------------------------------------------------------- */

/* What kind of failure a status reports. New codes may be added; treat an
   unknown one like QUANTC_INTERNAL. */
typedef enum quantc_status_code {
  QUANTC_OK = 0,               /* success: only for a NULL status */
  QUANTC_INVALID_ARGUMENT = 1, /* NULL pointer, index out of range, buffer
                                  too small, wrong tensor count, ... */
  QUANTC_SHAPE_MISMATCH = 2,   /* an input's rank or sizes differ from the
                                  model's */
  QUANTC_DTYPE_MISMATCH = 3,   /* an input's dtype differs from the model's */
  QUANTC_OUT_OF_MEMORY = 4,    /* host or device memory ran out */
  QUANTC_DEVICE_ERROR = 5,     /* no Vulkan loader or device, a device that
                                  lacks what a kernel needs, a failed
                                  submission, ... */
  QUANTC_IO_ERROR = 6,         /* the model file cannot be read or loaded,
                                  or is not a model this runtime runs */
  QUANTC_INTERNAL = 7          /* a bug in quantc or in a generated model */
} quantc_status_code;

typedef struct quantc_status quantc_status;
/* QUANTC_OK for NULL, else the failure's code. */
QUANTC_API quantc_status_code
quantc_status_get_code(const quantc_status *status);
/* The message of a failed call; never NULL for a non-NULL status ("ok" for
   NULL). */
QUANTC_API const char *quantc_status_message(const quantc_status *status);
/* Frees a status (NULL is a no-op). When host memory runs out, calls return
   one static QUANTC_OUT_OF_MEMORY status, made without allocating; freeing
   it does nothing, so every status is freed the same way. */
QUANTC_API void quantc_status_free(quantc_status *status);

/* ---- models ----------------------------------------------------------- */

typedef struct quantc_model quantc_model;

/* Loads a compiled model. On failure *model is set to NULL. */
QUANTC_API quantc_status *quantc_model_load(const char *path,
                                            quantc_model **model);
QUANTC_API void quantc_model_free(quantc_model *model);

/* What the model declares for one input or output. `shape[d]` is -1 where
   the size is only known at run time. The strings and arrays live as long as
   the model. */
typedef struct quantc_tensor_info {
  const char *name;
  quantc_dtype dtype;
  size_t rank;
  const int64_t *shape;
} quantc_tensor_info;

QUANTC_API size_t quantc_model_num_inputs(const quantc_model *model);
QUANTC_API size_t quantc_model_num_outputs(const quantc_model *model);
QUANTC_API quantc_status *quantc_model_input_info(const quantc_model *model,
                                                  size_t index,
                                                  quantc_tensor_info *info);
QUANTC_API quantc_status *quantc_model_output_info(const quantc_model *model,
                                                   size_t index,
                                                   quantc_tensor_info *info);

/* Threads the model's parallel loops may use (1 to QUANTC_MAX_THREADS),
   for this model only: each quantc_model_run of it applies the count to the
   OpenMP runtime for the calling thread and restores that thread's previous
   setting when it returns (OpenMP keeps the setting per calling thread). Until
   it is set, a run uses the calling thread's OpenMP default (OMP_NUM_THREADS,
   else the number of cores). Models compiled without threading ignore it. A run
   also sets libomp's spin time (KMP_BLOCKTIME) to 1 ms for its duration, so
   idle workers sleep soon after a run instead of spinning for libomp's default
   200 ms beside other work; the first parallel loop of a run after an idle
   pause then wakes them. Setting KMP_BLOCKTIME or OMP_WAIT_POLICY in the
   environment keeps the user's choice instead. */
QUANTC_API quantc_status *quantc_model_set_threads(quantc_model *model,
                                                   int threads);
/* The most threads quantc_model_set_threads accepts. */
#define QUANTC_MAX_THREADS 4096

/* A dense, row-major tensor in caller memory. */
typedef struct quantc_tensor {
  quantc_dtype dtype;
  size_t rank;
  int64_t shape[QUANTC_MAX_RANK];
  void *data;
  size_t capacity_bytes; /* bytes available at `data` */
} quantc_tensor;

/* Runs the model. Inputs must match the declared dtypes, ranks and static
   sizes; their dynamic sizes are taken from `shape`. For each output the
   runtime writes dtype, rank and shape, and the data either into `data`
   (when non-NULL; `capacity_bytes` must suffice) or into a new buffer it
   stores in `data` and the caller releases with quantc_buffer_free. */
QUANTC_API quantc_status *
quantc_model_run(quantc_model *model, const quantc_tensor *inputs,
                 size_t num_inputs, quantc_tensor *outputs, size_t num_outputs);

QUANTC_API void quantc_buffer_free(void *data);

/* What the model's weights take: quantized matmul weights (codes, scales and
   zero points as stored) and float constants. All zero for a model compiled
   without this information. */
typedef struct quantc_weight_info {
  int64_t quantized_params, quantized_bytes;
  int64_t float_params, float_bytes;
} quantc_weight_info;

QUANTC_API quantc_status *quantc_model_weight_info(const quantc_model *model,
                                                   quantc_weight_info *info);

/* ---- targets ----------------------------------------------------------- */

/* "cpu" or "vulkan": where the model's kernels run. */
QUANTC_API const char *quantc_model_target(const quantc_model *model);

/* The Vulkan device that models compiled with --target vulkan run on, as
   "'NAME' (TYPE)", opening it if needed (QUANTC_VULKAN_DEVICE picks one by
   index or by part of its name). The string lives as long as the process.
   A status says why there is none (no loader, no device, ...). */
QUANTC_API quantc_status *quantc_vulkan_device(const char **description);

/* Optional SPIR-V capabilities of a device, as bits (what `quantc compile
   --target vulkan` tailors kernels to when it runs where they will run; a
   compiled kernel table records the same values). */
#define QUANTC_VULKAN_CAP_INT8 1u                         /* Int8 */
#define QUANTC_VULKAN_CAP_STORAGE_BUFFER_8BIT_ACCESS 2u   /* 8-bit storage */
#define QUANTC_VULKAN_CAP_INT16 4u                        /* Int16 */
#define QUANTC_VULKAN_CAP_FLOAT16 8u                      /* Float16 */
#define QUANTC_VULKAN_CAP_INT64 16u                       /* Int64 */
#define QUANTC_VULKAN_CAP_STORAGE_BUFFER_16BIT_ACCESS 32u /* 16-bit storage */
#define QUANTC_VULKAN_CAP_FLOAT64 64u                     /* Float64 */
#define QUANTC_VULKAN_CAP_ALL 127u

/* The QUANTC_VULKAN_CAP_* bits of the device quantc_vulkan_device names. */
QUANTC_API quantc_status *quantc_vulkan_device_capabilities(uint32_t *bits);

/* ---- calibration ------------------------------------------------------ */

/* Models compiled for calibration (`quantc calibrate` builds them) report
   every observed f32 tensor while they run. The names live as long as the
   model; other models have no observers. */
QUANTC_API size_t quantc_model_num_observers(const quantc_model *model);
QUANTC_API const char *quantc_model_observer_name(const quantc_model *model,
                                                  size_t index);

/* Called during quantc_model_run, on the thread that called it, once per
   observed tensor (concurrent runs call it concurrently): element (i0, ...,
   in-1) is at data[sum of i_d * strides[d]]. */
typedef void (*quantc_observer_fn)(void *user, size_t observer,
                                   const float *data, size_t rank,
                                   const int64_t *shape,
                                   const int64_t *strides);

/* Installs `fn` (NULL removes it). Fails for a model without observers.
   Not while the model runs (see the header's thread rules). */
QUANTC_API quantc_status *quantc_model_set_observer(quantc_model *model,
                                                    quantc_observer_fn fn,
                                                    void *user);

#ifdef __cplusplus
}
#endif

#endif /* QUANTC_RUNTIME_H */
