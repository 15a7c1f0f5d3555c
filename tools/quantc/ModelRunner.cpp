//===- ModelRunner.cpp - the driver's C++ face of the runtime -------------===//

#include "tools/quantc/ModelRunner.h"

using namespace quantc;

namespace {
/// Moves a failed status's message into `error`.
bool check(quantc_status *status, std::string &error) {
  if (!status)
    return true;
  error = quantc_status_message(status);
  quantc_status_free(status);
  return false;
}
} // namespace

std::unique_ptr<LoadedModel> LoadedModel::load(const std::string &path,
                                               std::string &error) {
  std::unique_ptr<LoadedModel> m(new LoadedModel());
  if (!check(quantc_model_load(path.c_str(), &m->model_), error))
    return nullptr;
  auto collect = [&](size_t n, auto infoFn, std::vector<Info> &list) {
    for (size_t i = 0; i < n; ++i) {
      quantc_tensor_info info;
      if (!check(infoFn(m->model_, i, &info), error))
        return false;
      list.push_back(
          {info.name, info.dtype,
           std::vector<int64_t>(info.shape, info.shape + info.rank)});
    }
    return true;
  };
  if (!collect(quantc_model_num_inputs(m->model_), quantc_model_input_info,
               m->inputs_) ||
      !collect(quantc_model_num_outputs(m->model_), quantc_model_output_info,
               m->outputs_))
    return nullptr;
  return m;
}

LoadedModel::~LoadedModel() { quantc_model_free(model_); }

bool LoadedModel::setThreads(int threads, std::string &error) {
  return check(quantc_model_set_threads(model_, threads), error);
}

quantc_weight_info LoadedModel::weightInfo() const {
  quantc_weight_info info{};
  quantc_status_free(quantc_model_weight_info(model_, &info));
  return info;
}

std::string LoadedModel::target() const { return quantc_model_target(model_); }

bool LoadedModel::checkTarget(const std::string &expected,
                              std::string &error) const {
  if (expected.empty() || expected == target())
    return true;
  error =
      "the model was compiled for --target " + target() + ", not " + expected;
  return false;
}

std::vector<std::string> LoadedModel::observerNames() const {
  std::vector<std::string> names;
  for (size_t i = 0, e = quantc_model_num_observers(model_); i < e; ++i)
    names.push_back(quantc_model_observer_name(model_, i));
  return names;
}

bool LoadedModel::setObserver(quantc_observer_fn fn, void *user,
                              std::string &error) {
  return check(quantc_model_set_observer(model_, fn, user), error);
}

bool LoadedModel::run(std::vector<HostTensor> &in, std::vector<HostTensor> &out,
                      std::string &error) {
  std::vector<quantc_tensor> inViews;
  for (HostTensor &t : in) {
    if (t.shape.size() > QUANTC_MAX_RANK)
      return error =
                 "an input has rank above " + std::to_string(QUANTC_MAX_RANK),
             false;
    inViews.push_back(t.view());
  }
  std::vector<quantc_tensor> outViews(outputs_.size(), quantc_tensor{});
  if (!check(quantc_model_run(model_, inViews.data(), inViews.size(),
                              outViews.data(), outViews.size()),
             error))
    return false;
  out.clear();
  for (size_t i = 0; i < outViews.size(); ++i) {
    quantc_tensor &v = outViews[i];
    HostTensor t;
    t.name = outputs_[i].name;
    t.dtype = v.dtype;
    t.shape.assign(v.shape, v.shape + v.rank);
    const char *p = static_cast<const char *>(v.data);
    t.data.assign(p, p + v.capacity_bytes);
    quantc_buffer_free(v.data);
    out.push_back(std::move(t));
  }
  return true;
}
