//===- ParallelCodegen.cpp - object files from an LLVM module, in parallel ===//

#include "backends/common/ParallelCodegen.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/DataLayout.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <mutex>
#include <vector>

using namespace mlir;

namespace {

/// Partitions of a large module: enough for a few cores, few enough that
/// each stays large (every partition repeats the declarations it uses).
constexpr unsigned kPartitions = 4;
/// Instructions below which one partition is compiled as it is. A test
/// model has a few hundred; stories260k about 85,000 after -O3 (7 s of
/// codegen on one thread).
constexpr size_t kMinSplitInstructions = 50'000;
/// Bytes of global data above which the module is not split: the data
/// would go through bitcode and a second context (two more copies of the
/// weights at the peak) for little code to share out.
constexpr uint64_t kMaxSplitDataBytes = uint64_t(64) << 20;

/// Code generation for `module` into an object file at `objectPath`.
llvm::Error emitModule(llvm::Module &module, llvm::TargetMachine &tm,
                       llvm::StringRef objectPath) {
  std::error_code ec;
  llvm::raw_fd_ostream os(objectPath, ec, llvm::sys::fs::OF_None);
  if (ec)
    return llvm::createStringError(ec, "cannot write %s: %s",
                                   objectPath.str().c_str(),
                                   ec.message().c_str());
  llvm::legacy::PassManager codegen;
  if (tm.addPassesToEmitFile(codegen, os, nullptr,
                             llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError("the target cannot emit object files");
  codegen.run(module);
  // A write error (a full disk) is an error here, not a fatal one in the
  // stream's destructor on a worker thread.
  os.close();
  if (os.has_error()) {
    std::error_code error = os.error();
    os.clear_error();
    return llvm::createStringError(error, "cannot write %s: %s",
                                   objectPath.str().c_str(),
                                   error.message().c_str());
  }
  return llvm::Error::success();
}

/// The same for one partition's bitcode, in a context of its own; the
/// bitcode is freed once parsed.
llvm::Error emitPartition(std::string &bitcode, llvm::TargetMachine &tm,
                          llvm::StringRef objectPath) {
  llvm::LLVMContext context;
  llvm::Expected<std::unique_ptr<llvm::Module>> module = llvm::parseBitcodeFile(
      llvm::MemoryBufferRef(bitcode, "partition"), context);
  std::string().swap(bitcode);
  if (!module)
    return module.takeError();
  return emitModule(**module, tm, objectPath);
}

llvm::Error temporaryObject(llvm::SmallVectorImpl<std::string> &paths) {
  llvm::SmallString<128> path;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("quantc", "o", path))
    return llvm::createStringError(ec, "cannot create a temporary file: %s",
                                   ec.message().c_str());
  paths.push_back(path.str().str());
  return llvm::Error::success();
}

} // namespace

unsigned qc::codegenPartitions(const llvm::Module &module) {
  size_t instructions = 0;
  for (const llvm::Function &f : module)
    instructions += f.getInstructionCount();
  uint64_t dataBytes = 0;
  const llvm::DataLayout &layout = module.getDataLayout();
  for (const llvm::GlobalVariable &g : module.globals())
    if (g.hasInitializer())
      dataBytes += layout.getTypeAllocSize(g.getValueType());
  return instructions < kMinSplitInstructions || dataBytes > kMaxSplitDataBytes
             ? 1
             : kPartitions;
}

llvm::Error qc::emitObjects(std::unique_ptr<llvm::Module> module,
                            const TargetMachineFactory &makeTargetMachine,
                            llvm::SmallVectorImpl<std::string> &objectPaths) {
  const unsigned partitions = codegenPartitions(*module);
  // Target machines are made here, on one thread: host CPU detection and
  // the target registry are not meant to be raced.
  std::vector<std::unique_ptr<llvm::TargetMachine>> machines;
  for (unsigned i = 0; i < partitions; ++i) {
    std::string error;
    machines.push_back(makeTargetMachine(error));
    if (!machines.back())
      return llvm::createStringError(error);
    if (llvm::Error e = temporaryObject(objectPaths))
      return e;
  }
  if (partitions == 1)
    return emitModule(*module, *machines[0], objectPaths[0]);

  std::vector<std::string> bitcode;
  llvm::SplitModule(
      *module, partitions,
      [&](std::unique_ptr<llvm::Module> part) {
        llvm::raw_string_ostream os(bitcode.emplace_back());
        llvm::WriteBitcodeToFile(*part, os);
      },
      /*PreserveLocals=*/false, /*RoundRobin=*/true);
  // The partitions hold all of it now (the caller's context keeps the
  // constants until it goes, which is why data-heavy modules stay whole).
  module.reset();

  std::mutex errorMutex;
  llvm::Error error = llvm::Error::success();
  {
    // As many threads as cores, at most one per partition.
    llvm::DefaultThreadPool pool(llvm::optimal_concurrency(partitions));
    for (unsigned i = 0; i < partitions; ++i)
      pool.async([&, i] {
        llvm::Error e = emitPartition(bitcode[i], *machines[i], objectPaths[i]);
        if (e) {
          std::lock_guard<std::mutex> lock(errorMutex);
          error = llvm::joinErrors(std::move(error), std::move(e));
        }
      });
    pool.wait();
  }
  return error;
}
