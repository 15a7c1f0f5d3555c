//===- ModelRunner.h - the driver's C++ face of the runtime -----*- C++ -*-===//

#ifndef QUANTC_TOOLS_DRIVER_MODELRUNNER_H
#define QUANTC_TOOLS_DRIVER_MODELRUNNER_H

#include "tools/driver/TensorFiles.h"

#include <memory>

namespace quantc {

/// Owns a model loaded through the C API and runs it on HostTensors.
class LoadedModel {
public:
  struct Info {
    std::string name;
    quantc_dtype dtype;
    std::vector<int64_t> shape;
  };

  /// Loads an artifact through the runtime; the error is the runtime's
  /// message.
  static llvm::Expected<std::unique_ptr<LoadedModel>>
  load(const std::string &path);
  ~LoadedModel();

  /// What error messages call the model: its path, unless renamed.
  const std::string &name() const { return name_; }
  void setName(std::string name) { name_ = std::move(name); }
  const std::vector<Info> &inputs() const { return inputs_; }
  const std::vector<Info> &outputs() const { return outputs_; }
  llvm::Error setThreads(int threads);
  /// Calibration builds: the observed tensors' names, and the callback that
  /// receives them during run().
  std::vector<std::string> observerNames() const;
  quantc_weight_info weightInfo() const;
  /// "cpu" or "vulkan".
  std::string target() const;
  /// Fails unless the artifact was compiled for `expected` ("" accepts any).
  llvm::Error checkTarget(const std::string &expected) const;
  llvm::Error setObserver(quantc_observer_fn fn, void *user);
  /// One run's inputs, in declared order, read from `entries`: FILE (the
  /// next input in order) or NAME=FILE (.npy/.pb). Errors call the entries
  /// `what` ("--input"): "no --input for 'x'".
  llvm::Expected<std::vector<HostTensor>>
  readInputs(llvm::ArrayRef<std::string> entries, llvm::StringRef what) const;
  /// Runs on `in` (converted to the declared dtype is the caller's job);
  /// fills `out` with one tensor per output, named as declared.
  llvm::Error run(std::vector<HostTensor> &in, std::vector<HostTensor> &out);

private:
  LoadedModel() = default;
  quantc_model *model_ = nullptr;
  std::string name_;
  std::vector<Info> inputs_, outputs_;
};

} // namespace quantc

#endif // QUANTC_TOOLS_DRIVER_MODELRUNNER_H
