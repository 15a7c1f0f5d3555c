//===- StatsFile.cpp - the quantc-stats calibration file ------------------===//

#include "passes/StatsFile.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qc;

static llvm::Error statsError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<CalibrationStats> qc::parseStats(StringRef text,
                                                StringRef path) {
  std::string file = "stats file '" + path.str() + "'";
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
  if (!json)
    return statsError(
        file + " is not valid JSON: " + llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root || root->getString("format") != "quantc-stats")
    return statsError(file + " is not a quantc-stats file");
  std::optional<int64_t> version = root->getInteger("version");
  if (!version || *version < 1 || *version > CalibrationStats::kVersion)
    return statsError(file + " has version " +
                      (version ? std::to_string(*version) : "(none)") +
                      "; this quantc reads versions 1 to " +
                      std::to_string(CalibrationStats::kVersion));
  const llvm::json::Object *tensors = root->getObject("tensors");
  if (!tensors)
    return statsError(file + " has no \"tensors\" object");

  CalibrationStats stats;
  stats.samples = root->getInteger("samples").value_or(0);
  // llvm::json::Object is unordered: sort the names so that reading is
  // deterministic.
  std::vector<StringRef> names;
  for (const auto &entry : *tensors)
    names.push_back(entry.first);
  llvm::sort(names);
  for (StringRef name : names) {
    const llvm::json::Object *o = tensors->get(name)->getAsObject();
    std::optional<double> min = o ? o->getNumber("min") : std::nullopt;
    std::optional<double> max = o ? o->getNumber("max") : std::nullopt;
    std::string what = "stats for '" + name.str() + "'";
    if (!min || !max)
      return statsError(what + " need numeric \"min\" and \"max\"");
    if (!std::isfinite(*min) || !std::isfinite(*max) || *min > *max)
      return statsError(what + " have an invalid range [" +
                        std::to_string(*min) + ", " + std::to_string(*max) +
                        "]");
    TensorStats entry{*min, *max, ObserverKind::MinMax};
    if (std::optional<StringRef> kind = o->getString("observer")) {
      std::optional<ObserverKind> parsed = symbolizeObserverKind(*kind);
      if (!parsed)
        return statsError(what + " name an unknown observer '" + kind->str() +
                          "'");
      entry.observer = *parsed;
    }
    if (const llvm::json::Object *channels = o->getObject("channels")) {
      // Three equally long arrays of finite, non-negative numbers.
      auto read = [&](StringRef key, std::vector<double> &out) -> bool {
        const llvm::json::Array *a = channels->getArray(key);
        if (!a)
          return false;
        for (const llvm::json::Value &v : *a) {
          std::optional<double> d = v.getAsNumber();
          if (!d || !std::isfinite(*d) || *d < 0)
            return false;
          out.push_back(*d);
        }
        return true;
      };
      if (!read("mean_abs", entry.meanAbs) || !read("max_abs", entry.maxAbs) ||
          !read("mean_square", entry.meanSquare) ||
          entry.maxAbs.size() != entry.meanAbs.size() ||
          entry.meanSquare.size() != entry.meanAbs.size())
        return statsError(what + " have malformed \"channels\" (mean_abs, "
                                 "max_abs and mean_square: equally long arrays "
                                 "of non-negative numbers)");
      entry.rows = channels->getInteger("rows").value_or(0);
    }
    stats.tensors[name.str()] = entry;
  }
  return stats;
}

llvm::Expected<CalibrationStats> qc::readStatsFile(StringRef path) {
  if (path.empty())
    return statsError("no stats file given");
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return statsError("cannot read stats file '" + path.str() +
                      "': " + buffer.getError().message());
  return parseStats((*buffer)->getBuffer(), path);
}

/// The file's text.
static void printStats(llvm::raw_ostream &os, const CalibrationStats &stats) {
  llvm::json::OStream json(os, 2);
  json.object([&] {
    json.attribute("format", "quantc-stats");
    json.attribute("version", CalibrationStats::kVersion);
    json.attribute("samples", stats.samples);
    json.attributeObject("tensors", [&] {
      for (const auto &[name, t] : stats.tensors)
        json.attributeObject(name, [&] {
          json.attribute("min", t.min);
          json.attribute("max", t.max);
          json.attribute("observer", stringifyObserverKind(t.observer));
          if (t.meanAbs.empty())
            return;
          json.attributeObject("channels", [&] {
            auto array = [&](StringRef key, const std::vector<double> &v) {
              json.attributeArray(key, [&] {
                for (double d : v)
                  json.value(d);
              });
            };
            array("mean_abs", t.meanAbs);
            array("max_abs", t.maxAbs);
            array("mean_square", t.meanSquare);
            json.attribute("rows", t.rows);
          });
        });
    });
  });
  os << "\n";
}

llvm::Error qc::writeStatsFile(StringRef path, const CalibrationStats &stats) {
  // A temporary renamed over `path` when complete; "-" is standard output.
  return llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
    printStats(os, stats);
    return llvm::Error::success();
  });
}
