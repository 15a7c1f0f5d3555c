//===- CodegenTest.cpp - backends/common/ParallelCodegen ------------------===//
//
// A large module is compiled as several object files, every function
// defined in exactly one of them, internal ones hidden (nothing new is
// exported from the artifact); a small one as one object file.
//
//===----------------------------------------------------------------------===//

#include "backends/common/ParallelCodegen.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <gtest/gtest.h>

#include <map>

namespace {

std::unique_ptr<llvm::TargetMachine> hostMachine(std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, "generic", "", llvm::TargetOptions(), llvm::Reloc::PIC_));
}

/// `functions` internal functions of `adds` dependent integer adds each
/// (f0, f1, ...), and an exported `entry` that calls them all.
std::unique_ptr<llvm::Module> makeModule(llvm::LLVMContext &context,
                                         int functions, int adds) {
  auto module = std::make_unique<llvm::Module>("test", context);
  std::string error;
  std::unique_ptr<llvm::TargetMachine> tm = hostMachine(error);
  module->setDataLayout(tm->createDataLayout());
  module->setTargetTriple(tm->getTargetTriple());
  llvm::Type *i64 = llvm::Type::getInt64Ty(context);
  auto *type = llvm::FunctionType::get(i64, {i64}, false);
  llvm::IRBuilder<> b(context);
  std::vector<llvm::Function *> callees;
  for (int i = 0; i < functions; ++i) {
    auto *f = llvm::Function::Create(type, llvm::GlobalValue::InternalLinkage,
                                     "f" + std::to_string(i), *module);
    b.SetInsertPoint(llvm::BasicBlock::Create(context, "", f));
    llvm::Value *v = f->getArg(0);
    for (int j = 0; j < adds; ++j)
      v = b.CreateMul(b.CreateAdd(v, b.getInt64(j + i)), f->getArg(0));
    b.CreateRet(v);
    callees.push_back(f);
  }
  auto *entry = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                                       "entry", *module);
  b.SetInsertPoint(llvm::BasicBlock::Create(context, "", entry));
  llvm::Value *sum = entry->getArg(0);
  for (llvm::Function *f : callees)
    sum = b.CreateAdd(sum, b.CreateCall(f, {entry->getArg(0)}));
  b.CreateRet(sum);
  return module;
}

struct Symbol {
  int definitions = 0;
  bool hidden = false;
};

/// The functions each object defines: name -> (count, hidden).
std::map<std::string, Symbol>
definedFunctions(const llvm::SmallVectorImpl<std::string> &paths) {
  std::map<std::string, Symbol> symbols;
  for (const std::string &path : paths) {
    auto object = llvm::object::ObjectFile::createObjectFile(path);
    EXPECT_TRUE(bool(object)) << path;
    if (!object) {
      llvm::consumeError(object.takeError());
      continue;
    }
    auto *elf =
        llvm::dyn_cast<llvm::object::ELFObjectFileBase>(object->getBinary());
    EXPECT_NE(elf, nullptr);
    for (const llvm::object::ELFSymbolRef &s : elf->symbols()) {
      auto type = s.getType();
      auto name = s.getName();
      auto flags = s.getFlags();
      if (!type || !name || !flags ||
          *type != llvm::object::SymbolRef::ST_Function ||
          (*flags & llvm::object::BasicSymbolRef::SF_Undefined)) {
        if (!type)
          llvm::consumeError(type.takeError());
        if (!name)
          llvm::consumeError(name.takeError());
        if (!flags)
          llvm::consumeError(flags.takeError());
        continue;
      }
      Symbol &symbol = symbols[name->str()];
      ++symbol.definitions;
      symbol.hidden = s.getOther() == llvm::ELF::STV_HIDDEN;
    }
  }
  return symbols;
}

void removeAll(const llvm::SmallVectorImpl<std::string> &paths) {
  for (const std::string &path : paths)
    llvm::sys::fs::remove(path);
}

TEST(CodegenTest, LargeModuleIsSplit) {
  llvm::LLVMContext context;
  // 100 x 600 x 2 instructions: above the split threshold.
  std::unique_ptr<llvm::Module> module = makeModule(context, 100, 600);
  ASSERT_GT(mlir::qc::codegenPartitions(*module), 1u);
  const unsigned partitions = mlir::qc::codegenPartitions(*module);
  llvm::SmallVector<std::string> paths;
  llvm::Error e = mlir::qc::emitObjects(std::move(module), hostMachine, paths);
  ASSERT_FALSE(bool(e)) << llvm::toString(std::move(e));
  EXPECT_EQ(paths.size(), partitions);
  std::map<std::string, Symbol> symbols = definedFunctions(paths);
  for (int i = 0; i < 100; ++i) {
    const Symbol &f = symbols["f" + std::to_string(i)];
    EXPECT_EQ(f.definitions, 1) << "f" << i;
    // Internal functions called across partitions become hidden, never
    // exported.
    EXPECT_TRUE(f.hidden) << "f" << i;
  }
  EXPECT_EQ(symbols["entry"].definitions, 1);
  EXPECT_FALSE(symbols["entry"].hidden);
  removeAll(paths);
}

TEST(CodegenTest, DataHeavyModuleIsOneObject) {
  // Past 64 MiB of global data a split would copy the weights twice more.
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> module = makeModule(context, 100, 600);
  auto *type =
      llvm::ArrayType::get(llvm::Type::getInt8Ty(context), uint64_t(65) << 20);
  new llvm::GlobalVariable(*module, type, /*isConstant=*/true,
                           llvm::GlobalValue::InternalLinkage,
                           llvm::ConstantAggregateZero::get(type), "weights");
  EXPECT_EQ(mlir::qc::codegenPartitions(*module), 1u);
}

TEST(CodegenTest, SmallModuleIsOneObject) {
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> module = makeModule(context, 3, 10);
  EXPECT_EQ(mlir::qc::codegenPartitions(*module), 1u);
  llvm::SmallVector<std::string> paths;
  llvm::Error e = mlir::qc::emitObjects(std::move(module), hostMachine, paths);
  ASSERT_FALSE(bool(e)) << llvm::toString(std::move(e));
  ASSERT_EQ(paths.size(), 1u);
  std::map<std::string, Symbol> symbols = definedFunctions(paths);
  EXPECT_EQ(symbols["entry"].definitions, 1);
  removeAll(paths);
}

} // namespace
