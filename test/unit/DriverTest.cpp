//===- DriverTest.cpp - the driver library's file formats and metrics -----===//
//
// .npy tensors written and read back, accuracy metrics on outputs whose
// figures are known in closed form, the quantc-stats file round trip with
// its errors, and quantize() on a small module.
//
//===----------------------------------------------------------------------===//

#include "tools/InitAll.h"
#include "tools/driver/Comparison.h"
#include "tools/driver/Quantize.h"
#include "tools/driver/Support.h"
#include "tools/driver/TensorFiles.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/StatsFile.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using namespace quantc;

/// Fails the test with the error's message unless `expr` succeeded.
#define ASSERT_NO_ERROR(expr)                                                  \
  if (llvm::Error assertError = (expr))                                        \
  FAIL() << llvm::toString(std::move(assertError))

namespace {

HostTensor floats(std::vector<int64_t> shape, std::vector<float> values) {
  HostTensor t;
  t.dtype = QUANTC_DTYPE_FLOAT;
  t.shape = std::move(shape);
  t.data.resize(values.size() * sizeof(float));
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

/// A path in the temp dir, removed at the end of the test.
struct TempPath : TemporaryFile {
  explicit TempPath(llvm::StringRef suffix) {
    llvm::cantFail(create("quantc-driver-test", suffix));
  }
};

TEST(TensorFiles, NpyRoundTripKeepsDtypeShapeAndBytes) {
  TempPath file("npy");
  HostTensor t = floats({2, 3}, {1, -2, 3.5f, 0, 1e-8f, -7});
  ASSERT_NO_ERROR(writeNpy(file.path, t));
  llvm::Expected<HostTensor> back = readTensorFile(file.path);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->dtype, QUANTC_DTYPE_FLOAT);
  EXPECT_EQ(back->shape, t.shape);
  EXPECT_EQ(back->data, t.data);
  EXPECT_EQ(elementAsDouble(*back, 2), 3.5);

  // int64 and bool keep their element types; a 1-D shape keeps its rank.
  HostTensor ids;
  ids.dtype = QUANTC_DTYPE_INT64;
  ids.shape = {3};
  int64_t values[] = {7, -1, 1LL << 40};
  ids.data.assign(reinterpret_cast<char *>(values),
                  reinterpret_cast<char *>(values + 3));
  ASSERT_NO_ERROR(writeNpy(file.path, ids));
  back = readTensorFile(file.path);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->dtype, QUANTC_DTYPE_INT64);
  EXPECT_EQ(back->shape, std::vector<int64_t>{3});
  EXPECT_EQ(elementAsDouble(*back, 2), double(1LL << 40));
}

TEST(TensorFiles, ReadErrorsNameTheFile) {
  TempPath file("npy");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(file.path, ec);
    os << "not numpy";
  }
  llvm::Expected<HostTensor> t = readTensorFile(file.path);
  ASSERT_FALSE(bool(t));
  std::string message = llvm::toString(t.takeError());
  EXPECT_NE(message.find(file.path.str().str()), std::string::npos) << message;
  EXPECT_NE(message.find("not a .npy file"), std::string::npos) << message;

  llvm::Expected<HostTensor> missing = readTensorFile("/nonexistent/x.npy");
  ASSERT_FALSE(bool(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("cannot read"),
            std::string::npos);
}

/// The file's contents ("" when it cannot be read).
std::string contents(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  return buffer ? (*buffer)->getBuffer().str() : "";
}

/// Two outputs for commitAll, over `a` (which exists) and `b`.
std::vector<PendingOutput> pendingPair(llvm::StringRef a, llvm::StringRef b) {
  std::vector<PendingOutput> pending;
  for (llvm::StringRef path : {a, b}) {
    llvm::Expected<PendingOutput> output = PendingOutput::create(path);
    if (!output) {
      ADD_FAILURE() << llvm::toString(output.takeError());
      continue;
    }
    output->os() << "new " << llvm::sys::path::filename(path);
    pending.push_back(std::move(*output));
  }
  return pending;
}

TEST(PendingOutput, CommitAllReplacesEveryFileOrNone) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("quantc-commit", dir));
  std::string a = (dir + "/a").str(), b = (dir + "/b").str();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(a, ec);
    os << "old a";
  }
  // b's temporary vanishes before the commit, so its rename fails after
  // a's succeeded: a must get its old contents back, b must not appear.
  std::vector<PendingOutput> pending = pendingPair(a, b);
  llvm::sys::fs::remove(pending[1].stagePath());
  llvm::Error failed = commitAll(pending);
  ASSERT_TRUE(bool(failed));
  EXPECT_NE(llvm::toString(std::move(failed)).find("cannot write " + b),
            std::string::npos);
  EXPECT_EQ(contents(a), "old a");
  EXPECT_FALSE(llvm::sys::fs::exists(b));

  // Nothing in the way: both are replaced, and no backup or temporary is
  // left beside them.
  pending = pendingPair(a, b);
  ASSERT_NO_ERROR(commitAll(pending));
  EXPECT_EQ(contents(a), "new a");
  EXPECT_EQ(contents(b), "new b");
  std::error_code ec;
  int entries = 0;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    ++entries;
  EXPECT_EQ(entries, 2);

  // A directory in the way is refused before anything is written.
  llvm::Expected<PendingOutput> onDir = PendingOutput::create(dir);
  ASSERT_FALSE(bool(onDir));
  EXPECT_NE(llvm::toString(onDir.takeError()).find("it is a directory"),
            std::string::npos);
  llvm::sys::fs::remove_directories(dir);
}

TEST(Comparison, MetricsMatchClosedForms) {
  // y = r + e with |r|^2 = 1 + 4 + 9 + 16 = 30 and |e|^2 = 0.01 + 0.04:
  // SQNR = 10 log10(30 / 0.05); both rows keep their argmax.
  OutputComparison c("logits");
  HostTensor ref = floats({2, 2}, {1, 2, 3, 4});
  HostTensor out = floats({2, 2}, {1.1f, 2, 3, 3.8f});
  ASSERT_NO_ERROR(c.add(out, ref));
  // Tolerance: the outputs are f32 (1.1f - 1 is 0.1 to ~1e-7 relative).
  EXPECT_NEAR(c.sqnrDb(), 10 * std::log10(30 / 0.05), 1e-4);
  EXPECT_NEAR(c.maxAbsError(), 0.2, 1e-6);
  EXPECT_EQ(c.rows(), 2);
  EXPECT_EQ(c.top1Agreement(), 1.0);
  double dot = 1.1 + 4 + 9 + 3.8 * 4, ny = 1.21 + 4 + 9 + 3.8 * 3.8;
  EXPECT_NEAR(c.cosine(), dot / std::sqrt(30 * ny), 1e-6);

  // A flipped argmax in one of two more rows: 3 of 4 rows agree.
  ASSERT_NO_ERROR(
      c.add(floats({2, 2}, {2, 1, 0, 5}), floats({2, 2}, {1, 2, 0, 5})));
  EXPECT_EQ(c.rows(), 4);
  EXPECT_DOUBLE_EQ(c.top1Agreement(), 0.75);

  // Identical outputs: infinite SQNR, cosine 1.
  OutputComparison same("x");
  ASSERT_NO_ERROR(same.add(ref, ref));
  EXPECT_TRUE(std::isinf(same.sqnrDb()));
  EXPECT_DOUBLE_EQ(same.cosine(), 1.0);

  // Shapes must match.
  llvm::Error mismatch = same.add(floats({4}, {1, 2, 3, 4}), ref);
  ASSERT_TRUE(bool(mismatch));
  EXPECT_NE(llvm::toString(std::move(mismatch)).find("dtype or shape"),
            std::string::npos);
}

TEST(StatsFile, WriteThenReadGivesTheSameStats) {
  using namespace mlir::qc;
  TempPath file("json");
  CalibrationStats stats;
  stats.samples = 12;
  stats.tensors["fc1.input"] = {-1.5, 2.25, ObserverKind::Kl};
  stats.tensors["attn.wq.input"] = {0, 6, ObserverKind::MinMax};
  stats.tensors["tiny"] = {-1e-30, 3.0000001, ObserverKind::Percentile};
  // Per-channel statistics (version 2) on one of them.
  TensorStats &fc1 = stats.tensors["fc1.input"];
  fc1.meanAbs = {0.5, 1e-7, 0};
  fc1.maxAbs = {1.5, 2.25, 0};
  fc1.meanSquare = {0.3333333333333333, 4e-14, 0};
  fc1.rows = 96;
  // E[x x^T] (3 x 3) goes to the side file; bit patterns that JSON text
  // could not keep (1/3, a denormal-adjacent tiny value) come back exactly.
  fc1.gram = {1.0f / 3, 0.5f, 0, 0.5f, 4e-14f, -2, 0, -2, 1e-38f};
  // Two sampled rows go to the side file after it.
  fc1.sample = {1.0f / 3, -7, 1e-30f, 0, 2.5f, -1};
  std::string gramPath = std::string(file.path) + ".gram";
  file.companionSuffixes.push_back(".gram");
  ASSERT_NO_ERROR(writeStatsFile(file.path, stats));
  llvm::Expected<CalibrationStats> back = readStatsFile(file.path);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->samples, 12);
  ASSERT_EQ(back->tensors.size(), 3u);
  for (const auto &[name, t] : stats.tensors) {
    const TensorStats &u = back->tensors.at(name);
    // Exact: JSON numbers are written with enough digits for doubles.
    EXPECT_EQ(u.min, t.min) << name;
    EXPECT_EQ(u.max, t.max) << name;
    EXPECT_EQ(u.observer, t.observer) << name;
    EXPECT_EQ(u.meanAbs, t.meanAbs) << name;
    EXPECT_EQ(u.maxAbs, t.maxAbs) << name;
    EXPECT_EQ(u.meanSquare, t.meanSquare) << name;
    EXPECT_EQ(u.rows, t.rows) << name;
    EXPECT_EQ(u.gram, t.gram) << name;
    EXPECT_EQ(u.sample, t.sample) << name;
  }

  // A side file that is truncated, or whose JSON points past its end, is
  // an error naming the tensor; so is a gram_file that is not a plain name.
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(gramPath, ec);
    ASSERT_FALSE(ec);
    os << "QCGRAM01" << std::string(20, '\0'); // 28 of the 68 bytes
  }
  llvm::Expected<CalibrationStats> truncated = readStatsFile(file.path);
  ASSERT_FALSE(bool(truncated));
  EXPECT_NE(llvm::toString(truncated.takeError())
                .find("stats for 'fc1.input' have a \"gram_offset\" "
                      "outside the gram file"),
            std::string::npos);
  llvm::Expected<CalibrationStats> escaping = parseStats(
      R"({"format": "quantc-stats", "version": 2, "gram_file": "../x.gram",
          "tensors": {}})",
      file.path);
  ASSERT_FALSE(bool(escaping));
  EXPECT_NE(llvm::toString(escaping.takeError()).find("not a plain file name"),
            std::string::npos);
  llvm::sys::fs::remove(gramPath);
  llvm::Expected<CalibrationStats> missing = readStatsFile(file.path);
  ASSERT_FALSE(bool(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("cannot read its gram"),
            std::string::npos);
}

TEST(StatsFile, RejectsOtherVersionsAndBadRanges) {
  using namespace mlir::qc;
  auto error = [](llvm::StringRef text) {
    llvm::Expected<CalibrationStats> s = parseStats(text, "s.json");
    return s ? std::string() : llvm::toString(s.takeError());
  };
  EXPECT_NE(error(R"({"format": "quantc-stats", "version": 3, "tensors": {}})")
                .find("has version 3; this quantc reads versions 1 to 2"),
            std::string::npos);
  EXPECT_NE(error(R"({"format": "quantc-stats", "version": 2, "tensors":
                      {"x": {"min": 0, "max": 1, "channels":
                        {"mean_abs": [1, 2], "max_abs": [1],
                         "mean_square": [1, 2]}}}})")
                .find("malformed \"channels\""),
            std::string::npos);
  EXPECT_NE(error(R"({"format": "quantc-stats", "version": 2, "tensors":
                      {"x": {"min": 0, "max": 1, "channels":
                        {"mean_abs": [-1], "max_abs": [1],
                         "mean_square": [1]}}}})")
                .find("malformed \"channels\""),
            std::string::npos);
  EXPECT_NE(error(R"({"format": "other", "version": 1, "tensors": {}})")
                .find("is not a quantc-stats file"),
            std::string::npos);
  EXPECT_NE(error(R"({"format": "quantc-stats", "version": 1, "tensors":
                      {"x": {"min": 3, "max": -3}}})")
                .find("invalid range"),
            std::string::npos);
  EXPECT_NE(error(R"({"format": "quantc-stats", "version": 1, "tensors":
                      {"x": {"min": 0, "max": 1, "observer": "median"}}})")
                .find("unknown observer 'median'"),
            std::string::npos);
  EXPECT_NE(error("{").find("is not valid JSON"), std::string::npos);
  // Without "observer", minmax.
  llvm::Expected<CalibrationStats> ok = parseStats(
      R"({"format": "quantc-stats", "version": 1, "tensors":
          {"x": {"min": 0, "max": 1}}})",
      "s.json");
  ASSERT_TRUE(bool(ok)) << llvm::toString(ok.takeError());
  EXPECT_EQ(ok->tensors.at("x").observer, ObserverKind::MinMax);
}

/// A module with one Linear layer: x[?, 8] * W[8, 4], W a constant.
constexpr const char *kLinear = R"mlir(
func.func @main(%x: tensor<?x8xf32>) -> tensor<?x4xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 0.5, 0.25], [0.0, 1.0, -1.0, 2.0],
                             [3.0, 0.5, 0.0, -0.5], [1.0, 1.0, 1.0, 1.0],
                             [-1.0, 0.0, 2.0, 0.0], [0.5, 0.5, -0.5, -0.5],
                             [2.0, -1.0, 0.0, 1.0], [0.0, 0.0, 0.0, 4.0]]>
      : tensor<8x4xf32>
  %y = qc.matmul %x, %w : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
)mlir";

struct QuantizeTest : ::testing::Test {
  QuantizeTest() {
    mlir::DialectRegistry registry;
    mlir::qc::registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    module = mlir::parseSourceString<mlir::ModuleOp>(kLinear, &context);
  }
  /// The module's quantized matmuls.
  std::vector<mlir::qc::QuantizedMatmulOp> quantizedMatmuls() {
    std::vector<mlir::qc::QuantizedMatmulOp> ops;
    module->walk([&](mlir::qc::QuantizedMatmulOp op) { ops.push_back(op); });
    return ops;
  }
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

TEST_F(QuantizeTest, W4A16PerChannelQuantizesTheWeight) {
  ASSERT_TRUE(module);
  QuantizeOptions options;
  ASSERT_NO_ERROR(parseScheme("w4a16", options));
  ASSERT_NO_ERROR(quantize(*module, options));
  std::vector<mlir::qc::QuantizedMatmulOp> ops = quantizedMatmuls();
  ASSERT_EQ(ops.size(), 1u);
  auto rhs = mlir::cast<mlir::RankedTensorType>(ops[0].getRhs().getType());
  auto type = mlir::dyn_cast<mlir::quant::UniformQuantizedPerAxisType>(
      rhs.getElementType());
  ASSERT_TRUE(type) << "per-channel weights have a per-axis type";
  EXPECT_EQ(type.getStorageTypeIntegralWidth(), 4u);
  EXPECT_EQ(type.getQuantizedDimension(), 1);
  // Symmetric: scale = max |w| / 7 per output channel.
  EXPECT_FLOAT_EQ(type.getScales()[3], 4.0 / 7);
  EXPECT_FALSE(ops[0].getLhsScale()) << "float activations (A16)";
}

TEST_F(QuantizeTest, W8A8NeedsRangesUnlessDynamic) {
  ASSERT_TRUE(module);
  QuantizeOptions options;
  ASSERT_NO_ERROR(parseScheme("w8a8", options));
  llvm::Error missing = quantize(*module, options);
  ASSERT_TRUE(bool(missing));
  EXPECT_NE(llvm::toString(std::move(missing)).find("need calibration"),
            std::string::npos);
  EXPECT_TRUE(quantizedMatmuls().empty()) << "a failed quantize changes "
                                             "nothing before calibration";

  options.activations = mlir::qc::ActivationMode::Dynamic;
  ASSERT_NO_ERROR(quantize(*module, options));
  std::vector<mlir::qc::QuantizedMatmulOp> ops = quantizedMatmuls();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_TRUE(ops[0].getLhs().getDefiningOp<mlir::qc::DynamicQuantizeOp>());
}

TEST(Quantize, ParseSchemeRejectsUnknownSchemes) {
  QuantizeOptions options;
  llvm::Error e = parseScheme("w5a8", options);
  ASSERT_TRUE(bool(e));
  EXPECT_NE(llvm::toString(std::move(e)).find("unknown scheme 'w5a8'"),
            std::string::npos);
  ASSERT_NO_ERROR(parseScheme("w3a8", options));
  EXPECT_EQ(options.weightBits, 3u);
  EXPECT_EQ(options.activationBits, 8u);
}

} // namespace
