//===- ModelRunner.h - the driver's C++ face of the runtime -----*- C++ -*-===//

#ifndef QUANTC_TOOLS_QUANTC_MODELRUNNER_H
#define QUANTC_TOOLS_QUANTC_MODELRUNNER_H

#include "tools/quantc/TensorFiles.h"

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

  static std::unique_ptr<LoadedModel> load(const std::string &path,
                                           std::string &error);
  ~LoadedModel();

  const std::vector<Info> &inputs() const { return inputs_; }
  const std::vector<Info> &outputs() const { return outputs_; }
  bool setThreads(int threads, std::string &error);
  /// Calibration builds: the observed tensors' names, and the callback that
  /// receives them during run().
  std::vector<std::string> observerNames() const;
  quantc_weight_info weightInfo() const;
  /// "cpu" or "vulkan".
  std::string target() const;
  /// Fails unless the artifact was compiled for `expected` ("" accepts any).
  bool checkTarget(const std::string &expected, std::string &error) const;
  bool setObserver(quantc_observer_fn fn, void *user, std::string &error);
  /// Runs on `in` (converted to the declared dtype is the caller's job);
  /// fills `out` with one tensor per output, named as declared.
  bool run(std::vector<HostTensor> &in, std::vector<HostTensor> &out,
           std::string &error);

private:
  LoadedModel() = default;
  quantc_model *model_ = nullptr;
  std::vector<Info> inputs_, outputs_;
};

} // namespace quantc

#endif // QUANTC_TOOLS_QUANTC_MODELRUNNER_H
