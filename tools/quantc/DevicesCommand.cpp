//===- DevicesCommand.cpp - quantc devices --------------------------------===//
//
// Lists where compiled models can run: this machine's CPU (and the ISA of
// the int8 microkernels the runtime picked for it), and the Vulkan
// device the runtime opens (or why there is none). `--target vulkan` makes
// a missing device an error, which is how test/lit.cfg.py decides whether
// tests that run kernels can run.
//
//===----------------------------------------------------------------------===//

#include "tools/quantc/Commands.h"

#include "runtime/include/quantc_runtime.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

using namespace llvm;

namespace {
cl::SubCommand devicesCmd("devices",
                          "List the CPU and the Vulkan device models run on");
cl::opt<std::string> require("target",
                             cl::desc("Exit with an error unless this "
                                      "target (cpu or vulkan) is available"),
                             cl::sub(devicesCmd));
} // namespace

bool quantc::isDevicesCommand() { return static_cast<bool>(devicesCmd); }

int quantc::runDevices() {
  if (!require.empty() && require != "cpu" && require != "vulkan") {
    errs() << "quantc: error: unknown target '" << require
           << "' (available: cpu, vulkan)\n";
    return 1;
  }
  outs() << "cpu: " << sys::getHostCPUName() << "\n";
  outs() << "cpu int8 kernels: " << quantc_cpu_isa() << "\n";
  const char *device = nullptr;
  quantc_status *status = quantc_vulkan_device(&device);
  if (!status) {
    outs() << "vulkan: " << device << "\n";
    return 0;
  }
  outs() << "vulkan: unavailable: " << quantc_status_message(status) << "\n";
  quantc_status_free(status);
  if (require == "vulkan") {
    errs() << "quantc: error: no Vulkan device\n";
    return 1;
  }
  return 0;
}
