//===- StatsFile.cpp - the quantc-stats calibration file ------------------===//

#include "passes/StatsFile.h"

#include "passes/BoundedParse.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qc;

static llvm::Error statsError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

static constexpr llvm::StringLiteral kGramMagic = "QCGRAM01";

/// Reads `count` finite floats at byte `offset` of the side file `data`
/// into `out`, or an error naming `what` and the `key` that gave the offset.
static llvm::Error readFloats(StringRef data, int64_t offset, uint64_t count,
                              const std::string &what, StringRef key,
                              std::vector<float> &out) {
  if (count > data.size() / sizeof(float) ||
      offset < static_cast<int64_t>(kGramMagic.size()) ||
      static_cast<uint64_t>(offset) > data.size() ||
      data.size() - static_cast<uint64_t>(offset) < count * sizeof(float))
    return statsError(what + " have a \"" + key + "\" outside the gram file");
  out.resize(count);
  const char *p = data.data() + offset;
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t bits = llvm::support::endian::read32le(p + i * sizeof(float));
    std::memcpy(&out[i], &bits, sizeof(float));
    if (!std::isfinite(out[i]))
      return statsError(what + " have a non-finite value at \"" + key + "\"");
  }
  return llvm::Error::success();
}

/// Reads the K x K matrix at byte `offset` of the side file `data`:
/// in bounds, finite and symmetric, or an error naming `what`.
static llvm::Error readGram(StringRef data, int64_t offset, size_t k,
                            const std::string &what, std::vector<float> &out) {
  if (llvm::Error e = readFloats(data, offset, static_cast<uint64_t>(k) * k,
                                 what, "gram_offset", out))
    return e;
  for (size_t i = 0; i < k; ++i) {
    if (out[i * k + i] < 0)
      return statsError(what + " have a gram matrix with a negative "
                               "diagonal entry (E[x^2] >= 0)");
    for (size_t j = 0; j < i; ++j)
      if (out[i * k + j] != out[j * k + i])
        return statsError(what + " have a gram matrix that is not symmetric");
  }
  return llvm::Error::success();
}

llvm::Expected<CalibrationStats> qc::parseStats(StringRef text,
                                                StringRef path) {
  std::string file = "stats file '" + path.str() + "'";
  llvm::Expected<llvm::json::Value> json = parseJsonFile(text, file);
  if (!json)
    return statsError(llvm::toString(json.takeError()));
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

  // The side file of gram matrices, when there is one.
  std::unique_ptr<llvm::MemoryBuffer> gramFile;
  if (std::optional<StringRef> name = root->getString("gram_file")) {
    if (name->empty() || llvm::sys::path::has_parent_path(*name))
      return statsError(file + " names a gram file '" + name->str() +
                        "' that is not a plain file name");
    SmallString<256> gramPath = llvm::sys::path::parent_path(path);
    llvm::sys::path::append(gramPath, *name);
    auto buffer = llvm::MemoryBuffer::getFile(gramPath);
    if (!buffer)
      return statsError(file + ": cannot read its gram file '" +
                        gramPath.str() + "': " + buffer.getError().message());
    if (!(*buffer)->getBuffer().starts_with(kGramMagic))
      return statsError("'" + gramPath.str() + "' is not a quantc gram file");
    gramFile = std::move(*buffer);
  }

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
      if (std::optional<int64_t> offset = channels->getInteger("gram_offset")) {
        if (!gramFile)
          return statsError(what + " have a \"gram_offset\" but the file "
                                   "names no \"gram_file\"");
        if (llvm::Error e = readGram(gramFile->getBuffer(), *offset,
                                     entry.meanSquare.size(), what, entry.gram))
          return e;
      }
      if (std::optional<int64_t> offset =
              channels->getInteger("sample_offset")) {
        std::optional<int64_t> rows = channels->getInteger("sample_rows");
        if (!gramFile)
          return statsError(what + " have a \"sample_offset\" but the file "
                                   "names no \"gram_file\"");
        if (!rows || *rows <= 0)
          return statsError(what + " have a \"sample_offset\" without a "
                                   "positive \"sample_rows\"");
        uint64_t k = entry.meanSquare.size();
        if (k == 0 || static_cast<uint64_t>(*rows) >
                          gramFile->getBufferSize() / sizeof(float) / k)
          return statsError(what + " have a \"sample_offset\" outside the "
                                   "gram file");
        if (llvm::Error e =
                readFloats(gramFile->getBuffer(), *offset, *rows * k, what,
                           "sample_offset", entry.sample))
          return e;
      }
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

/// The file's text; `gramFile` names the side file, `gramOffsets` and
/// `sampleOffsets` the offsets of each tensor's matrix and row sample in it
/// (by name) when it has them.
static void printStats(llvm::raw_ostream &os, const CalibrationStats &stats,
                       StringRef gramFile,
                       const std::map<std::string, uint64_t> &gramOffsets,
                       const std::map<std::string, uint64_t> &sampleOffsets) {
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
            auto offset = gramOffsets.find(name);
            if (offset != gramOffsets.end())
              json.attribute("gram_offset",
                             static_cast<int64_t>(offset->second));
            auto sample = sampleOffsets.find(name);
            if (sample != sampleOffsets.end()) {
              json.attribute("sample_offset",
                             static_cast<int64_t>(sample->second));
              json.attribute(
                  "sample_rows",
                  static_cast<int64_t>(t.sample.size() / t.meanSquare.size()));
            }
          });
        });
    });
    if (!gramFile.empty())
      json.attribute("gram_file", gramFile);
  });
  os << "\n";
}

llvm::Error qc::writeStatsFile(StringRef path, const CalibrationStats &stats) {
  // Side-file layout: each tensor's gram matrix, then its row sample.
  std::map<std::string, uint64_t> offsets, sampleOffsets;
  uint64_t size = kGramMagic.size();
  for (const auto &[name, t] : stats.tensors) {
    if (!t.gram.empty()) {
      if (t.gram.size() != t.meanSquare.size() * t.meanSquare.size())
        return statsError("the gram matrix of '" + name +
                          "' does not match its channel count");
      offsets[name] = size;
      size += t.gram.size() * sizeof(float);
    }
    if (!t.sample.empty()) {
      if (t.meanSquare.empty() || t.sample.size() % t.meanSquare.size())
        return statsError("the row sample of '" + name +
                          "' does not match its channel count");
      sampleOffsets[name] = size;
      size += t.sample.size() * sizeof(float);
    }
  }
  std::string gramPath, gramName;
  if (!offsets.empty() || !sampleOffsets.empty()) {
    if (path == "-")
      return statsError("gram matrices and row samples need a stats file, "
                        "not standard output");
    gramPath = (path + ".gram").str();
    gramName = llvm::sys::path::filename(gramPath).str();
    // Like the JSON: a temporary renamed over the path when complete.
    llvm::Error e = llvm::writeToOutput(gramPath, [&](llvm::raw_ostream &os) {
      os << kGramMagic;
      auto write = [&](const std::vector<float> &values) {
        for (float v : values) {
          uint32_t bits;
          std::memcpy(&bits, &v, sizeof(float));
          char le[4];
          llvm::support::endian::write32le(le, bits);
          os.write(le, sizeof(le));
        }
      };
      for (const auto &[name, t] : stats.tensors) {
        if (offsets.count(name))
          write(t.gram);
        if (sampleOffsets.count(name))
          write(t.sample);
      }
      return llvm::Error::success();
    });
    if (e)
      return e;
  }
  // A temporary renamed over `path` when complete; "-" is standard output.
  llvm::Error e = llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
    printStats(os, stats, gramName, offsets, sampleOffsets);
    return llvm::Error::success();
  });
  if (e && !gramPath.empty())
    llvm::sys::fs::remove(gramPath); // no side file without its JSON
  return e;
}
