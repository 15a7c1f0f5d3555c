//===- RuntimeTest.cpp - the runtime's C API, uses and misuses ------------===//
//
// Runs against add.so, compiled at build time from
// test/e2e/cpu/Inputs/add.mlir: sum = x + y, all float [?, 3].
//
//===----------------------------------------------------------------------===//

#include "quantc_runtime.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace {

const char *kAddModel = QUANTC_TEST_ADD_MODEL;
const char *kAddVulkanModel = QUANTC_TEST_ADD_VULKAN_MODEL;

/// The message of `s` (freed), or "" for success.
std::string message(quantc_status *s) {
  std::string m = s ? quantc_status_message(s) : "";
  quantc_status_free(s);
  return m;
}

/// The code of `s` (freed).
quantc_status_code code(quantc_status *s) {
  quantc_status_code c = quantc_status_get_code(s);
  quantc_status_free(s);
  return c;
}

quantc_tensor tensor(std::vector<float> &data, std::vector<int64_t> shape) {
  quantc_tensor t{};
  t.dtype = QUANTC_DTYPE_FLOAT;
  t.rank = shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    t.shape[i] = shape[i];
  t.data = data.data();
  t.capacity_bytes = data.size() * sizeof(float);
  return t;
}

class AddModel : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(message(quantc_model_load(kAddModel, &model)), "");
    ASSERT_NE(model, nullptr);
  }
  void TearDown() override { quantc_model_free(model); }
  quantc_model *model = nullptr;
};

TEST_F(AddModel, DescribesInputsAndOutputs) {
  ASSERT_EQ(quantc_model_num_inputs(model), 2u);
  ASSERT_EQ(quantc_model_num_outputs(model), 1u);
  quantc_tensor_info info;
  ASSERT_EQ(message(quantc_model_input_info(model, 1, &info)), "");
  EXPECT_STREQ(info.name, "y");
  EXPECT_EQ(info.dtype, QUANTC_DTYPE_FLOAT);
  ASSERT_EQ(info.rank, 2u);
  EXPECT_EQ(info.shape[0], -1); // dynamic
  EXPECT_EQ(info.shape[1], 3);
  ASSERT_EQ(message(quantc_model_output_info(model, 0, &info)), "");
  EXPECT_STREQ(info.name, "sum");
  EXPECT_EQ(message(quantc_model_input_info(model, 2, &info)),
            "quantc_model_input_info: index 2 out of range (2)");
}

TEST_F(AddModel, RunsIntoCallerBuffers) {
  std::vector<float> x{1, 2, 3, 4, 5, 6}, y{10, 20, 30, 40, 50, 60}, z(6, -1);
  quantc_tensor in[2] = {tensor(x, {2, 3}), tensor(y, {2, 3})};
  quantc_tensor out = tensor(z, {});
  ASSERT_EQ(message(quantc_model_run(model, in, 2, &out, 1)), "");
  EXPECT_EQ(out.data, z.data()); // written in place
  ASSERT_EQ(out.rank, 2u);
  EXPECT_EQ(out.shape[0], 2);
  EXPECT_EQ(out.shape[1], 3);
  EXPECT_EQ(z, (std::vector<float>{11, 22, 33, 44, 55, 66}));
}

TEST_F(AddModel, AllocatesOutputsWhenAskedTo) {
  std::vector<float> x(3 * 5, 1.5f);
  quantc_tensor in[2] = {tensor(x, {5, 3}), tensor(x, {5, 3})};
  quantc_tensor out{};
  ASSERT_EQ(message(quantc_model_run(model, in, 2, &out, 1)), "");
  ASSERT_NE(out.data, nullptr);
  EXPECT_EQ(out.shape[0], 5);
  EXPECT_EQ(out.capacity_bytes, 15 * sizeof(float));
  EXPECT_EQ(static_cast<float *>(out.data)[14], 3.0f);
  quantc_buffer_free(out.data);
}

TEST_F(AddModel, AcceptsEmptyTensors) {
  std::vector<float> none;
  quantc_tensor in[2] = {tensor(none, {0, 3}), tensor(none, {0, 3})};
  in[0].data = in[1].data = nullptr;
  quantc_tensor out{};
  ASSERT_EQ(message(quantc_model_run(model, in, 2, &out, 1)), "");
  EXPECT_EQ(out.shape[0], 0);
  quantc_buffer_free(out.data);
}

TEST_F(AddModel, RejectsMismatchedInputs) {
  std::vector<float> x(6), z(6);
  quantc_tensor out = tensor(z, {});
  quantc_tensor in[2] = {tensor(x, {2, 3}), tensor(x, {2, 3})};

  in[1].dtype = QUANTC_DTYPE_INT32;
  EXPECT_EQ(message(quantc_model_run(model, in, 2, &out, 1)),
            "input 1 'y' has dtype int32, expected float");
  EXPECT_EQ(code(quantc_model_run(model, in, 2, &out, 1)),
            QUANTC_DTYPE_MISMATCH);
  in[1] = tensor(x, {6});
  EXPECT_EQ(message(quantc_model_run(model, in, 2, &out, 1)),
            "input 1 'y' has rank 1, expected 2");
  EXPECT_EQ(code(quantc_model_run(model, in, 2, &out, 1)),
            QUANTC_SHAPE_MISMATCH);
  in[1] = tensor(x, {3, 2});
  EXPECT_EQ(message(quantc_model_run(model, in, 2, &out, 1)),
            "input 1 'y' has shape [3, 2], expected [?, 3]");
  EXPECT_EQ(code(quantc_model_run(model, in, 2, &out, 1)),
            QUANTC_SHAPE_MISMATCH);
  in[1] = tensor(x, {-2, 3});
  EXPECT_EQ(message(quantc_model_run(model, in, 2, &out, 1)),
            "input 1 'y' has shape [?, 3], expected [?, 3]");
  in[1] = tensor(x, {int64_t(1) << 62, 3}); // the byte count overflows
  EXPECT_EQ(message(quantc_model_run(model, in, 2, &out, 1)),
            "input 1 'y' has shape [4611686018427387904, 3], too large to "
            "address");
  in[1] = tensor(x, {4, 3}); // 48 bytes needed, 24 given
  EXPECT_EQ(message(quantc_model_run(model, in, 2, &out, 1)),
            "input 1 'y' holds 24 bytes, its shape needs 48");
  EXPECT_EQ(code(quantc_model_run(model, in, 2, &out, 1)),
            QUANTC_INVALID_ARGUMENT);
  in[1] = tensor(x, {2, 3});
  in[1].data = nullptr;
  EXPECT_EQ(message(quantc_model_run(model, in, 2, &out, 1)),
            "input 1 'y' has no data");
  EXPECT_EQ(message(quantc_model_run(model, in, 1, &out, 1)),
            "quantc_model_run: the model takes 2 inputs and 1 outputs, got 1 "
            "and 1");
}

TEST_F(AddModel, RejectsTooSmallOutputBuffers) {
  std::vector<float> x(6), z(2, 7);
  quantc_tensor in[2] = {tensor(x, {2, 3}), tensor(x, {2, 3})};
  quantc_tensor out = tensor(z, {});
  EXPECT_EQ(message(quantc_model_run(model, in, 2, &out, 1)),
            "output 0 'sum' needs 24 bytes, the buffer holds 8");
  EXPECT_EQ(z, (std::vector<float>{7, 7})); // untouched
  EXPECT_EQ(code(quantc_model_run(model, in, 2, &out, 1)),
            QUANTC_INVALID_ARGUMENT);
}

TEST_F(AddModel, SetsThreads) {
  EXPECT_EQ(message(quantc_model_set_threads(model, 1)), "");
  EXPECT_EQ(message(quantc_model_set_threads(model, 0)),
            "quantc_model_set_threads: threads must be 1 to 4096, got 0");
  EXPECT_EQ(code(quantc_model_set_threads(model, -3)), QUANTC_INVALID_ARGUMENT);
  // OpenMP aborts the process on an absurd count: refused before it.
  EXPECT_EQ(code(quantc_model_set_threads(model, QUANTC_MAX_THREADS + 1)),
            QUANTC_INVALID_ARGUMENT);
  EXPECT_EQ(message(quantc_model_set_threads(model, QUANTC_MAX_THREADS)), "");
}

/// x + y for the add model, as rows x 3 floats whose values depend on
/// `seed`; checks the sum exactly (float adds of small integers are exact).
::testing::AssertionResult runAdd(quantc_model *m, int seed, int64_t rows) {
  std::vector<float> x(rows * 3), y(rows * 3);
  for (int64_t i = 0; i < rows * 3; ++i) {
    x[i] = static_cast<float>(seed * 1000 + i);
    y[i] = static_cast<float>(-7 * i + seed);
  }
  quantc_tensor in[2] = {tensor(x, {rows, 3}), tensor(y, {rows, 3})};
  quantc_tensor out{};
  if (quantc_status *s = quantc_model_run(m, in, 2, &out, 1))
    return ::testing::AssertionFailure() << message(s);
  const float *z = static_cast<const float *>(out.data);
  for (int64_t i = 0; i < rows * 3; ++i)
    if (out.shape[0] != rows || z[i] != x[i] + y[i]) {
      quantc_buffer_free(out.data);
      return ::testing::AssertionFailure()
             << "seed " << seed << " element " << i << ": " << z[i];
    }
  quantc_buffer_free(out.data);
  return ::testing::AssertionSuccess();
}

TEST_F(AddModel, RunsFromSeveralThreadsAtOnce) {
  constexpr int kThreads = 4, kRuns = 50;
  std::atomic<int> failures{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      while (!go.load())
        std::this_thread::yield();
      for (int r = 0; r < kRuns; ++r)
        // Distinct inputs and sizes per thread and run: buffers from the
        // shared allocator cache must not cross over.
        if (!runAdd(model, t * kRuns + r, 1 + (t + r) % 7))
          ++failures;
    });
  go = true;
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(Runtime, ThreadCountsArePerModel) {
  quantc_model *one = nullptr, *two = nullptr;
  ASSERT_EQ(message(quantc_model_load(kAddModel, &one)), "");
  ASSERT_EQ(message(quantc_model_load(kAddModel, &two)), "");
  ASSERT_EQ(message(quantc_model_set_threads(one, 1)), "");
  ASSERT_EQ(message(quantc_model_set_threads(two, 3)), "");
  // A run applies its model's count and its 1 ms spin time only for its
  // own duration: the calling thread's OpenMP settings (when OpenMP is
  // loaded at all) are unchanged.
  using GetFn = int (*)();
  GetFn ompGet = nullptr, blocktimeGet = nullptr;
  void *omp = dlopen("libomp.so.5", RTLD_LAZY | RTLD_NOLOAD);
  if (!omp)
    omp = dlopen("libomp.so", RTLD_LAZY | RTLD_NOLOAD);
  if (omp) {
    ompGet = reinterpret_cast<GetFn>(dlsym(omp, "omp_get_max_threads"));
    blocktimeGet = reinterpret_cast<GetFn>(dlsym(omp, "kmp_get_blocktime"));
  }
  int before = ompGet ? ompGet() : 0;
  int blocktimeBefore = blocktimeGet ? blocktimeGet() : 0;
  std::thread other([&] {
    for (int r = 0; r < 20; ++r)
      EXPECT_TRUE(runAdd(two, r, 64));
  });
  for (int r = 0; r < 20; ++r)
    EXPECT_TRUE(runAdd(one, r, 64));
  other.join();
  if (ompGet)
    EXPECT_EQ(ompGet(), before);
  if (blocktimeGet)
    EXPECT_EQ(blocktimeGet(), blocktimeBefore);
  if (omp)
    dlclose(omp);
  quantc_model_free(one);
  quantc_model_free(two);
}

TEST_F(AddModel, ReportsWeightsAndHasNoObservers) {
  // add.mlir has no constants at all: every count is 0.
  quantc_weight_info info{1, 1, 1, 1};
  EXPECT_EQ(message(quantc_model_weight_info(model, &info)), "");
  EXPECT_EQ(info.quantized_params, 0);
  EXPECT_EQ(info.quantized_bytes, 0);
  EXPECT_EQ(info.float_params, 0);
  EXPECT_EQ(info.float_bytes, 0);
  EXPECT_EQ(message(quantc_model_weight_info(model, nullptr)),
            "quantc_model_weight_info: model or info is NULL");
  // Not a calibration build.
  EXPECT_EQ(quantc_model_num_observers(model), 0u);
  EXPECT_EQ(quantc_model_observer_name(model, 0), nullptr);
  EXPECT_EQ(message(quantc_model_set_observer(
                model,
                [](void *, size_t, const float *, size_t, const int64_t *,
                   const int64_t *) {},
                nullptr)),
            "quantc_model_set_observer: the model was not compiled for "
            "calibration (it has no observers)");
  EXPECT_EQ(message(quantc_model_set_observer(nullptr, nullptr, nullptr)),
            "quantc_model_set_observer: model is NULL");
}

TEST(Runtime, RejectsNullPointers) {
  quantc_model *m = reinterpret_cast<quantc_model *>(1);
  EXPECT_EQ(code(quantc_model_load(nullptr, &m)), QUANTC_INVALID_ARGUMENT);
  m = reinterpret_cast<quantc_model *>(1);
  EXPECT_EQ(message(quantc_model_load(nullptr, &m)),
            "quantc_model_load: path is NULL");
  EXPECT_EQ(m, nullptr);
  EXPECT_EQ(message(quantc_model_load(kAddModel, nullptr)),
            "quantc_model_load: model is NULL");
  EXPECT_EQ(message(quantc_model_run(nullptr, nullptr, 0, nullptr, 0)),
            "quantc_model_run: model is NULL");
  quantc_tensor_info info;
  EXPECT_EQ(message(quantc_model_input_info(nullptr, 0, &info)),
            "quantc_model_input_info: model or info is NULL");
  EXPECT_EQ(quantc_model_num_inputs(nullptr), 0u);
  quantc_model_free(nullptr); // a no-op, like free(NULL)
  quantc_status_free(nullptr);
  EXPECT_STREQ(quantc_status_message(nullptr), "ok");
  EXPECT_EQ(quantc_status_get_code(nullptr), QUANTC_OK);
}

TEST(Runtime, HeaderAndLibraryAgreeOnTheVersion) {
  EXPECT_EQ(quantc_runtime_version(), QUANTC_RUNTIME_VERSION);
  EXPECT_EQ(QUANTC_RUNTIME_VERSION, QUANTC_RUNTIME_VERSION_MAJOR * 10000 +
                                        QUANTC_RUNTIME_VERSION_MINOR * 100 +
                                        QUANTC_RUNTIME_VERSION_PATCH);
}

TEST(Runtime, NamesVulkanCapabilities) {
  // The values are fixed: compiled kernel tables record them.
  static_assert(
      QUANTC_VULKAN_CAP_INT8 == 1 &&
          QUANTC_VULKAN_CAP_STORAGE_BUFFER_8BIT_ACCESS == 2 &&
          QUANTC_VULKAN_CAP_INT16 == 4 && QUANTC_VULKAN_CAP_FLOAT16 == 8 &&
          QUANTC_VULKAN_CAP_INT64 == 16 &&
          QUANTC_VULKAN_CAP_STORAGE_BUFFER_16BIT_ACCESS == 32 &&
          QUANTC_VULKAN_CAP_FLOAT64 == 64 && QUANTC_VULKAN_CAP_ALL == 127,
      "capability bits");
}

TEST(Runtime, RejectsFilesThatAreNotModels) {
  quantc_model *m = nullptr;
  std::string missing = message(quantc_model_load("/nonexistent/m.so", &m));
  EXPECT_NE(missing.find("cannot load '/nonexistent/m.so'"), std::string::npos)
      << missing;
  EXPECT_EQ(code(quantc_model_load("/nonexistent/m.so", &m)), QUANTC_IO_ERROR);
  EXPECT_EQ(code(quantc_model_load("/lib/x86_64-linux-gnu/libm.so.6", &m)),
            QUANTC_IO_ERROR);

  std::string foreign =
      message(quantc_model_load("/lib/x86_64-linux-gnu/libm.so.6", &m));
  EXPECT_NE(foreign.find("is not a quantc model"), std::string::npos)
      << foreign;

  // The first half of a real model.
  std::ifstream in(kAddModel, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  std::string truncated = ::testing::TempDir() + "truncated.so";
  std::ofstream(truncated, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  std::string cut = message(quantc_model_load(truncated.c_str(), &m));
  EXPECT_NE(cut.find("cannot load"), std::string::npos) << cut;
  EXPECT_EQ(m, nullptr);
  std::remove(truncated.c_str());
}

TEST(Runtime, RejectsUnknownMicrokernelTables) {
  // The artifact's quantc_ukernels says version 99: its slots mean nothing
  // to this runtime, so the load fails instead of leaving them unfilled.
  quantc_model *m = nullptr;
  quantc_status *s = quantc_model_load(QUANTC_TEST_FUTURE_UKERNELS, &m);
  EXPECT_EQ(quantc_status_get_code(s), QUANTC_IO_ERROR);
  std::string why = message(s); // frees s
  EXPECT_NE(why.find("needs microkernel table version 99; this runtime has "
                     "versions 1 to 5"),
            std::string::npos)
      << why;
  EXPECT_EQ(m, nullptr);
}

TEST(Runtime, NamesItsCpuKernels) {
  std::string isa = quantc_cpu_isa();
  EXPECT_TRUE(isa == "amx" || isa == "avx512-vnni" || isa == "avx2" ||
              isa == "scalar")
      << isa;
}

TEST_F(AddModel, RunsOnTheCpu) {
  EXPECT_STREQ(quantc_model_target(model), "cpu");
}

TEST(Runtime, RunsVulkanArtifacts) {
  const char *device = nullptr;
  if (quantc_status *s = quantc_vulkan_device(&device)) {
    // No device: loading the Vulkan artifact says why, and nothing else.
    std::string why = quantc_status_message(s);
    EXPECT_EQ(quantc_status_get_code(s), QUANTC_DEVICE_ERROR);
    quantc_status_free(s);
    quantc_model *m = reinterpret_cast<quantc_model *>(1);
    std::string load = message(quantc_model_load(kAddVulkanModel, &m));
    EXPECT_NE(load.find(why), std::string::npos) << load;
    EXPECT_EQ(m, nullptr);
    GTEST_SKIP() << "no Vulkan device: " << why;
  }
  ASSERT_NE(device, nullptr);
  quantc_model *m = nullptr;
  ASSERT_EQ(message(quantc_model_load(kAddVulkanModel, &m)), "");
  EXPECT_STREQ(quantc_model_target(m), "vulkan");
  // Twice: the second run reuses buffers and pipelines and must not see the
  // first run's inputs (they are copied to the device once per run).
  for (float scale : {1.0f, 3.0f}) {
    std::vector<float> x{1, 2, 3, 4, 5, 6}, y{10, 20, 30, 40, 50, 60};
    for (float &v : x)
      v *= scale;
    quantc_tensor in[2] = {tensor(x, {2, 3}), tensor(y, {2, 3})};
    quantc_tensor out{};
    ASSERT_EQ(message(quantc_model_run(m, in, 2, &out, 1)), "");
    ASSERT_EQ(out.rank, 2u);
    const float *z = static_cast<const float *>(out.data);
    for (size_t i = 0; i < 6; ++i)
      EXPECT_EQ(z[i], x[i] + y[i]) << "element " << i << " scale " << scale;
    quantc_buffer_free(out.data);
  }
  // Vulkan runs are serialized, so several threads may share the model.
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < 5; ++r)
        EXPECT_TRUE(runAdd(m, 10 * t + r, 1 + t));
    });
  for (std::thread &t : threads)
    t.join();
  quantc_model_free(m);
  EXPECT_EQ(message(quantc_vulkan_device(nullptr)),
            "quantc_vulkan_device: description is NULL");
  uint32_t bits = 0;
  EXPECT_EQ(message(quantc_vulkan_device_capabilities(&bits)), "");
  EXPECT_EQ(bits & ~QUANTC_VULKAN_CAP_ALL, 0u) << bits; // documented bits
  EXPECT_EQ(message(quantc_vulkan_device_capabilities(nullptr)),
            "quantc_vulkan_device_capabilities: bits is NULL");
}

TEST(Runtime, NamesDtypes) {
  EXPECT_EQ(quantc_dtype_size(QUANTC_DTYPE_BFLOAT16), 2u);
  EXPECT_EQ(quantc_dtype_size(QUANTC_DTYPE_BOOL), 1u);
  EXPECT_EQ(quantc_dtype_size(static_cast<quantc_dtype>(99)), 0u);
  EXPECT_STREQ(quantc_dtype_name(QUANTC_DTYPE_UINT64), "uint64");
  EXPECT_STREQ(quantc_dtype_name(static_cast<quantc_dtype>(99)), "invalid");
}

} // namespace
