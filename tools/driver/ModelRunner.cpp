//===- ModelRunner.cpp - the driver's C++ face of the runtime -------------===//

#include "tools/driver/ModelRunner.h"

#include "tools/driver/Support.h"

using namespace quantc;

namespace {
/// A failed status as an error carrying its message.
llvm::Error check(quantc_status *status) {
  if (!status)
    return llvm::Error::success();
  std::string message = quantc_status_message(status);
  quantc_status_free(status);
  return makeError(message);
}
} // namespace

llvm::Expected<std::unique_ptr<LoadedModel>>
LoadedModel::load(const std::string &path) {
  std::unique_ptr<LoadedModel> m(new LoadedModel());
  m->name_ = path;
  if (llvm::Error e = check(quantc_model_load(path.c_str(), &m->model_)))
    return std::move(e);
  auto collect = [&](size_t n, auto infoFn,
                     std::vector<Info> &list) -> llvm::Error {
    for (size_t i = 0; i < n; ++i) {
      quantc_tensor_info info;
      if (llvm::Error e = check(infoFn(m->model_, i, &info)))
        return e;
      list.push_back(
          {info.name, info.dtype,
           std::vector<int64_t>(info.shape, info.shape + info.rank)});
    }
    return llvm::Error::success();
  };
  if (llvm::Error e = collect(quantc_model_num_inputs(m->model_),
                              quantc_model_input_info, m->inputs_))
    return std::move(e);
  if (llvm::Error e = collect(quantc_model_num_outputs(m->model_),
                              quantc_model_output_info, m->outputs_))
    return std::move(e);
  return std::move(m);
}

LoadedModel::~LoadedModel() { quantc_model_free(model_); }

llvm::Error LoadedModel::setThreads(int threads) {
  return check(quantc_model_set_threads(model_, threads));
}

quantc_weight_info LoadedModel::weightInfo() const {
  quantc_weight_info info{};
  quantc_status_free(quantc_model_weight_info(model_, &info));
  return info;
}

std::string LoadedModel::target() const { return quantc_model_target(model_); }

llvm::Error LoadedModel::checkTarget(const std::string &expected) const {
  if (expected.empty() || expected == target())
    return llvm::Error::success();
  return makeError("the model was compiled for --target " + target() +
                   ", not " + expected);
}

std::vector<std::string> LoadedModel::observerNames() const {
  std::vector<std::string> names;
  for (size_t i = 0, e = quantc_model_num_observers(model_); i < e; ++i)
    names.push_back(quantc_model_observer_name(model_, i));
  return names;
}

llvm::Error LoadedModel::setObserver(quantc_observer_fn fn, void *user) {
  return check(quantc_model_set_observer(model_, fn, user));
}

llvm::Expected<std::vector<HostTensor>>
LoadedModel::readInputs(llvm::ArrayRef<std::string> entries,
                        llvm::StringRef what) const {
  size_t count = inputs_.size();
  std::vector<HostTensor> in(count);
  std::vector<bool> given(count, false);
  size_t nextPositional = 0;
  for (const std::string &entry : entries) {
    auto [name, file] = llvm::StringRef(entry).split('=');
    size_t index = count;
    if (file.empty()) {
      file = name;
      index = nextPositional++;
      if (index >= count)
        return makeError("more " + what + " files than the model's " +
                         llvm::Twine(count) + " inputs");
    } else {
      for (size_t i = 0; i < count; ++i)
        if (inputs_[i].name == name)
          index = i;
      if (index == count)
        return makeError("the model has no input named '" + name + "'");
    }
    llvm::Expected<HostTensor> tensor = readTensorFile(file);
    if (!tensor)
      return tensor.takeError();
    in[index] = std::move(*tensor);
    given[index] = true;
  }
  for (size_t i = 0; i < count; ++i)
    if (!given[i])
      return makeError("no " + what + " for '" + inputs_[i].name + "'");
  return in;
}

llvm::Error LoadedModel::run(std::vector<HostTensor> &in,
                             std::vector<HostTensor> &out) {
  std::vector<quantc_tensor> inViews;
  for (HostTensor &t : in) {
    if (t.shape.size() > QUANTC_MAX_RANK)
      return makeError("an input has rank above " +
                       std::to_string(QUANTC_MAX_RANK));
    inViews.push_back(t.view());
  }
  // An output whose declared shape is fully static (and not empty) is
  // written straight into its HostTensor (kept across runs: repeated runs
  // copy each result once, into memory already touched); others come back in
  // a buffer the runtime allocates, copied out. On an error `out` may hold
  // the declared names and shapes but no results.
  out.resize(outputs_.size());
  std::vector<quantc_tensor> outViews(outputs_.size(), quantc_tensor{});
  std::vector<bool> inPlace(outputs_.size(), false);
  for (size_t i = 0; i < outputs_.size(); ++i) {
    const Info &info = outputs_[i];
    HostTensor &t = out[i];
    t.name = info.name;
    t.dtype = info.dtype;
    t.shape = info.shape;
    int64_t count = t.numElements();
    size_t elem = quantc_dtype_size(info.dtype);
    bool fixed = elem && count > 0 &&
                 llvm::none_of(info.shape, [](int64_t d) { return d < 0; });
    if (!fixed)
      continue;
    t.data.resize(static_cast<size_t>(count) * elem);
    outViews[i].data = t.data.data();
    outViews[i].capacity_bytes = t.data.size();
    inPlace[i] = true;
  }
  if (llvm::Error e =
          check(quantc_model_run(model_, inViews.data(), inViews.size(),
                                 outViews.data(), outViews.size())))
    return e;
  for (size_t i = 0; i < outViews.size(); ++i) {
    quantc_tensor &v = outViews[i];
    HostTensor &t = out[i];
    t.dtype = v.dtype;
    t.shape.assign(v.shape, v.shape + v.rank);
    if (inPlace[i])
      continue; // written into t.data
    const char *p = static_cast<const char *>(v.data);
    t.data.assign(p, p + v.capacity_bytes);
    quantc_buffer_free(v.data);
  }
  return llvm::Error::success();
}
