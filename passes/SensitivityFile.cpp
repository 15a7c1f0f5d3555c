//===- SensitivityFile.cpp - per-layer sensitivity reports ----------------===//

#include "passes/SensitivityFile.h"

#include "passes/BoundedParse.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using llvm::StringRef;
using namespace mlir::qc;

static llvm::Error fileError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string qc::componentClass(StringRef name) {
  std::string lower = name.lower();
  // The last path component carries the role in most exporters
  // ("layers.0.attn.wq", "model.layers.0.self_attn.q_proj").
  struct Rule {
    const char *pattern, *component;
  };
  static const Rule rules[] = {
      {"(^|[._/])(wq|q_proj|query|q)$", "attn.q"},
      {"(^|[._/])(wk|k_proj|key|k)$", "attn.k"},
      {"(^|[._/])(wv|v_proj|value|v)$", "attn.v"},
      {"(^|[._/])(wo|o_proj|out_proj|attn[._/]*c_proj|attention[._/]output"
       "[._/]dense)$",
       "attn.o"},
      {"(^|[._/])(w1|gate_proj|gate)$", "ffn.gate"},
      {"(^|[._/])(w3|up_proj|up|c_fc|fc1|intermediate[._/]dense)$", "ffn.up"},
      {"(^|[._/])(w2|down_proj|down|mlp[._/]*c_proj|fc2|output[._/]dense)$",
       "ffn.down"},
      {"(^|[._/])(output|lm_head|classifier|logits|head)$", "classifier"},
      {"conv", "conv"},
  };
  for (const Rule &rule : rules)
    if (llvm::Regex(rule.pattern).match(lower))
      return rule.component;
  return "other";
}

llvm::Expected<SensitivityReport> qc::readSensitivityFile(StringRef path) {
  std::string file = "sensitivity file '" + path.str() + "'";
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return fileError("cannot read " + file + ": " +
                     buffer.getError().message());
  llvm::Expected<llvm::json::Value> json =
      parseJsonFile((*buffer)->getBuffer(), file);
  if (!json)
    return fileError(llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root || root->getString("format") != "quantc-sensitivity")
    return fileError(file + " is not a quantc-sensitivity file");
  if (root->getInteger("version") != SensitivityReport::kVersion)
    return fileError(file + " has a version this quantc does not read "
                            "(it reads 1)");
  SensitivityReport r;
  r.loss = root->getString("loss").value_or("cross_entropy").str();
  r.baseline = root->getNumber("baseline").value_or(0);
  r.runs = root->getInteger("runs").value_or(0);
  r.noiseSize = root->getNumber("noise_size").value_or(0);
  if (const llvm::json::Object *w = root->getObject("weights")) {
    if (const llvm::json::Array *bits = w->getArray("bits"))
      for (const llvm::json::Value &b : *bits)
        if (std::optional<int64_t> v = b.getAsInteger())
          r.bits.push_back(static_cast<int>(*v));
    r.groupSize = w->getInteger("group_size").value_or(0);
    r.symmetric = w->getBoolean("symmetric").value_or(true);
    r.method = w->getString("method").value_or("rtn").str();
  }
  // {"key": number} maps with finite values.
  auto readMap = [&](const llvm::json::Object *o, auto key, auto &out) -> bool {
    if (!o)
      return true;
    for (const auto &[k, v] : *o) {
      std::optional<double> d = v.getAsNumber();
      if (!d || !std::isfinite(*d))
        return false;
      if (!key(k.str(), *d, out))
        return false;
    }
    return true;
  };
  auto byBits = [](const std::string &k, double d, std::map<int, double> &m) {
    int b = 0;
    if (!llvm::to_integer(k, b) || b < 1 || b > 32)
      return false;
    m[b] = d;
    return true;
  };
  auto byName = [](const std::string &k, double d,
                   std::map<std::string, double> &m) {
    m[k] = d;
    return true;
  };
  if (!readMap(root->getObject("joint"), byBits, r.joint))
    return fileError(file + " has a malformed \"joint\" map");
  if (const llvm::json::Array *mixes = root->getArray("mixes"))
    for (const llvm::json::Value &v : *mixes) {
      const llvm::json::Object *o = v.getAsObject();
      std::optional<double> bits = o ? o->getNumber("bits") : std::nullopt;
      std::optional<double> sum = o ? o->getNumber("single_sum") : std::nullopt;
      std::optional<double> measured =
          o ? o->getNumber("measured") : std::nullopt;
      if (!bits || !sum || !measured || !std::isfinite(*bits) ||
          !std::isfinite(*sum) || !std::isfinite(*measured))
        return fileError(file + " has a malformed \"mixes\" entry");
      r.mixes.push_back({*bits, *sum, *measured});
    }
  if (const llvm::json::Array *refined = root->getArray("allocations"))
    for (const llvm::json::Value &v : *refined) {
      const llvm::json::Object *o = v.getAsObject();
      SensitivityReport::Refined a;
      bool ok = o != nullptr;
      for (auto [key, out] :
           {std::pair<StringRef, double *>{"budget", &a.budget},
            {"bits", &a.bits},
            {"single_sum", &a.singleSum},
            {"measured", &a.measured}}) {
        std::optional<double> d = ok ? o->getNumber(key) : std::nullopt;
        ok = ok && d && std::isfinite(*d);
        if (ok)
          *out = *d;
      }
      const llvm::json::Object *widths = ok ? o->getObject("widths") : nullptr;
      ok = ok && widths && !widths->empty();
      if (ok)
        for (const auto &[name, b] : *widths) {
          std::optional<int64_t> width = b.getAsInteger();
          ok = ok && width && *width >= 2 && *width <= 8;
          if (ok)
            a.widths[name.str()] = static_cast<int>(*width);
        }
      if (!ok)
        return fileError(file + " has a malformed \"allocations\" entry "
                                "(budget, bits, single_sum, measured and "
                                "widths from 2 to 8 by layer)");
      r.allocations.push_back(std::move(a));
    }
  llvm::sort(r.mixes,
             [](const SensitivityReport::Mix &a,
                const SensitivityReport::Mix &b) { return a.bits < b.bits; });
  const llvm::json::Array *layers = root->getArray("layers");
  if (!layers)
    return fileError(file + " has no \"layers\" array");
  for (const llvm::json::Value &v : *layers) {
    const llvm::json::Object *o = v.getAsObject();
    std::optional<StringRef> name = o ? o->getString("name") : std::nullopt;
    if (!name)
      return fileError(file + " has a layer without a \"name\"");
    LayerSensitivity l;
    l.name = name->str();
    l.component =
        o->getString("component").value_or(componentClass(*name)).str();
    l.rows = o->getInteger("rows").value_or(0);
    l.cols = o->getInteger("cols").value_or(0);
    if (!readMap(o->getObject("bits"), byBits, l.bits) ||
        !readMap(o->getObject("weight_noise"), byName, l.weightNoise) ||
        !readMap(o->getObject("activation_noise"), byName, l.activationNoise) ||
        l.rows < 0 || l.cols < 0)
      return fileError(file + ": layer '" + l.name +
                       "' has malformed sensitivities (finite numbers by "
                       "bit width or noise kind)");
    r.layers.push_back(std::move(l));
  }
  return r;
}

llvm::Error qc::writeSensitivityFile(StringRef path,
                                     const SensitivityReport &r) {
  return llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
    llvm::json::OStream json(os, 2);
    auto bitsMap = [&](llvm::StringRef key, const std::map<int, double> &m) {
      json.attributeObject(key, [&] {
        for (const auto &[b, d] : m)
          json.attribute(std::to_string(b), d);
      });
    };
    auto nameMap = [&](llvm::StringRef key,
                       const std::map<std::string, double> &m) {
      if (m.empty())
        return;
      json.attributeObject(key, [&] {
        for (const auto &[k, d] : m)
          json.attribute(k, d);
      });
    };
    json.object([&] {
      json.attribute("format", "quantc-sensitivity");
      json.attribute("version", SensitivityReport::kVersion);
      json.attribute("loss", r.loss);
      json.attribute("baseline", r.baseline);
      json.attribute("runs", r.runs);
      json.attributeObject("weights", [&] {
        json.attributeArray("bits", [&] {
          for (int b : r.bits)
            json.value(b);
        });
        json.attribute("group_size", r.groupSize);
        json.attribute("symmetric", r.symmetric);
        json.attribute("method", r.method);
      });
      json.attribute("noise_size", r.noiseSize);
      json.attributeArray("layers", [&] {
        for (const LayerSensitivity &l : r.layers)
          json.object([&] {
            json.attribute("name", l.name);
            json.attribute("component", l.component);
            json.attribute("rows", l.rows);
            json.attribute("cols", l.cols);
            bitsMap("bits", l.bits);
            nameMap("weight_noise", l.weightNoise);
            nameMap("activation_noise", l.activationNoise);
          });
      });
      bitsMap("joint", r.joint);
      json.attributeArray("mixes", [&] {
        for (const SensitivityReport::Mix &m : r.mixes)
          json.object([&] {
            json.attribute("bits", m.bits);
            json.attribute("single_sum", m.singleSum);
            json.attribute("measured", m.measured);
          });
      });
      if (!r.allocations.empty())
        json.attributeArray("allocations", [&] {
          for (const SensitivityReport::Refined &a : r.allocations)
            json.object([&] {
              json.attribute("budget", a.budget);
              json.attribute("bits", a.bits);
              json.attribute("single_sum", a.singleSum);
              json.attribute("measured", a.measured);
              json.attributeObject("widths", [&] {
                for (const auto &[name, b] : a.widths)
                  json.attribute(name, b);
              });
            });
        });
    });
    os << "\n";
    return llvm::Error::success();
  });
}
