//===- ConformanceCommand.cpp - `quantc conformance` ----------------------===//
//
// Runs ONNX backend tests (a folder holding model.onnx and test_data_set_*/
// with input_*.pb and output_*.pb): import, compile, run, compare. Each test
// runs in a forked child so that a crash or hang in generated code costs one
// test, not the run; --jobs children run at once.
//
//===----------------------------------------------------------------------===//

#include "tools/driver/Compiler.h"
#include "tools/driver/ModelRunner.h"
#include "tools/driver/TensorFiles.h"
#include "tools/quantc/Commands.h"

#include "frontends/onnx/OnnxModel.h"
#include "tools/InitAll.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/onnx_pb.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstring>
#include <map>
#include <set>

namespace cl = llvm::cl;
using namespace quantc;
using llvm::StringRef;

namespace {
cl::SubCommand conformanceCmd(
    "conformance",
    "Run ONNX backend conformance tests: import, compile, run, compare");

cl::list<std::string> dirs(cl::Positional,
                           cl::desc("[DIR...] (default: the four Debian "
                                    "libonnx-testdata suites)"),
                           cl::sub(conformanceCmd));
cl::opt<std::string> target("target",
                            cl::desc("Target: cpu (default) or vulkan"),
                            cl::init("cpu"), cl::sub(conformanceCmd));
cl::opt<unsigned> jobs("jobs", cl::desc("Tests run at once (default: cores)"),
                       cl::init(0), cl::sub(conformanceCmd));
cl::opt<std::string> jsonPath("json",
                              cl::desc("Write every test's result as JSON"),
                              cl::value_desc("OUT"), cl::sub(conformanceCmd));
cl::opt<std::string> filter("filter",
                            cl::desc("Run only tests whose name matches"),
                            cl::value_desc("REGEX"), cl::sub(conformanceCmd));
cl::opt<unsigned> timeoutSeconds("timeout",
                                 cl::desc("Seconds per test (default 300)"),
                                 cl::init(300), cl::sub(conformanceCmd));
cl::opt<bool> verbose("verbose", cl::desc("Print every failure's reason"),
                      cl::sub(conformanceCmd));

constexpr const char *kDefaultRoot = "/usr/share/libonnx-testdata/data";
constexpr const char *kDefaultSuites[] = {"node", "pytorch-converted",
                                          "pytorch-operator", "simple"};
// Float outputs: |got - want| <= atol + rtol * |want| (ONNX's own backend
// test defaults); integers and bools must be equal.
constexpr double kRtol = 1e-3, kAtol = 1e-7;

struct TestCase {
  std::string name, suite, dir;
};

struct Result {
  TestCase test;
  std::string op;
  bool passed = false;
  std::string stage, message; // stage: import|compile|load|run|compare|...
};

bool exists(const llvm::Twine &p) { return llvm::sys::fs::exists(p); }

/// A test folder, or every test folder directly inside `dir`, sorted.
void collect(StringRef dir, std::vector<TestCase> &tests) {
  if (exists(dir + "/model.onnx")) {
    tests.push_back(
        {llvm::sys::path::filename(dir).str(),
         llvm::sys::path::filename(llvm::sys::path::parent_path(dir)).str(),
         dir.str()});
    return;
  }
  std::vector<std::string> children;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (exists(it->path() + "/model.onnx"))
      children.push_back(it->path());
  llvm::sort(children);
  for (const std::string &c : children)
    tests.push_back({llvm::sys::path::filename(c).str(),
                     llvm::sys::path::filename(dir).str(), c});
}

/// The op type a test exercises: the graph's op type whose name best matches
/// the test name (test_reduce_sum_... -> ReduceSum), else its first node's.
std::string opTypeOf(const TestCase &t) {
  std::string error;
  auto model = mlir::qc::onnx::loadModel(t.dir + "/model.onnx", error);
  if (!model || model->graph().node_size() == 0)
    return "(unreadable)";
  std::string flat;
  for (char c : StringRef(t.name).drop_front(5)) // "test_"
    if (c != '_')
      flat.push_back(llvm::toLower(c));
  std::string best = model->graph().node(0).op_type();
  size_t bestLen = 0;
  for (const auto &node : model->graph().node()) {
    std::string lower = StringRef(node.op_type()).lower();
    if (StringRef(flat).starts_with(lower) && lower.size() > bestLen) {
      best = node.op_type();
      bestLen = lower.size();
    }
  }
  return best;
}

std::vector<std::string> dataFiles(const std::string &dir, StringRef prefix) {
  std::vector<std::string> files;
  for (int i = 0;; ++i) {
    std::string f = dir + "/" + prefix.str() + "_" + std::to_string(i) + ".pb";
    if (!exists(f))
      break;
    files.push_back(f);
  }
  return files;
}

/// Compares one output; returns "" or what differs.
std::string compare(const HostTensor &got, const HostTensor &want) {
  if (got.dtype != want.dtype)
    return std::string("dtype ") + quantc_dtype_name(got.dtype) +
           ", expected " + quantc_dtype_name(want.dtype);
  if (got.shape != want.shape) {
    std::string s = "shape [";
    llvm::raw_string_ostream os(s);
    llvm::interleaveComma(got.shape, os);
    os << "], expected [";
    llvm::interleaveComma(want.shape, os);
    os << "]";
    return s;
  }
  bool isFloat =
      got.dtype == QUANTC_DTYPE_FLOAT || got.dtype == QUANTC_DTYPE_DOUBLE ||
      got.dtype == QUANTC_DTYPE_FLOAT16 || got.dtype == QUANTC_DTYPE_BFLOAT16;
  int64_t n = want.numElements(), bad = 0, first = -1;
  double worst = 0;
  for (int64_t i = 0; i < n; ++i) {
    double g = elementAsDouble(got, i), w = elementAsDouble(want, i);
    bool ok;
    if (!isFloat)
      ok = std::memcmp(got.data.data() + i * quantc_dtype_size(got.dtype),
                       want.data.data() + i * quantc_dtype_size(got.dtype),
                       quantc_dtype_size(got.dtype)) == 0;
    else if (std::isnan(w) || std::isnan(g))
      ok = std::isnan(w) && std::isnan(g);
    else if (std::isinf(w) || std::isinf(g))
      ok = g == w;
    else
      ok = std::fabs(g - w) <= kAtol + kRtol * std::fabs(w);
    if (!ok) {
      if (first < 0)
        first = i;
      ++bad;
      if (isFloat && !std::isnan(g) && !std::isnan(w))
        worst = std::max(worst, std::fabs(g - w));
    }
  }
  if (!bad)
    return "";
  return llvm::formatv("{0} of {1} elements differ; first at {2}: got {3}, "
                       "expected {4}{5}",
                       bad, n, first, elementAsDouble(got, first),
                       elementAsDouble(want, first),
                       isFloat
                           ? llvm::formatv("; max abs error {0}", worst).str()
                           : std::string())
      .str();
}

Target targetKind = Target::Cpu;

/// Runs one test in this (child) process; returns "STAGE\tMESSAGE" or "".
std::string runTest(const TestCase &t, const std::string &workDir) {
  mlir::DialectRegistry registry;
  mlir::qc::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.disableMultithreading();
  auto module = loadModule(context, t.dir + "/model.onnx");
  if (!module)
    return "import\t" + llvm::toString(module.takeError());
  std::string so = workDir + "/model.so";
  CompileOptions options;
  options.target = targetKind;
  options.writeHeader = false;
  if (llvm::Error e = compileModel(**module, so, options))
    return "compile\t" + llvm::toString(std::move(e));
  auto loaded = LoadedModel::load(so);
  if (!loaded)
    return "load\t" + llvm::toString(loaded.takeError());
  LoadedModel *model = loaded->get();

  std::vector<std::string> sets;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(t.dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (StringRef(llvm::sys::path::filename(it->path()))
            .starts_with("test_data_set_"))
      sets.push_back(it->path());
  llvm::sort(sets);
  if (sets.empty())
    return "data\tno test_data_set_* folder";
  for (const std::string &set : sets) {
    std::string setName = llvm::sys::path::filename(set).str();
    std::vector<HostTensor> in, want, got;
    for (auto [kind, list] : {std::pair{"input", &in}, {"output", &want}})
      for (const std::string &f : dataFiles(set, kind)) {
        llvm::Expected<HostTensor> tensor = readTensorFile(f);
        if (!tensor)
          return "data\t" + llvm::toString(tensor.takeError());
        list->push_back(std::move(*tensor));
      }
    // NumPy has no bfloat16: the suite stores such tensors as uint16 bits.
    for (size_t i = 0; i < in.size() && i < model->inputs().size(); ++i)
      if (in[i].dtype == QUANTC_DTYPE_UINT16 &&
          model->inputs()[i].dtype == QUANTC_DTYPE_BFLOAT16)
        in[i].dtype = QUANTC_DTYPE_BFLOAT16;
    for (size_t i = 0; i < want.size() && i < model->outputs().size(); ++i)
      if (want[i].dtype == QUANTC_DTYPE_UINT16 &&
          model->outputs()[i].dtype == QUANTC_DTYPE_BFLOAT16)
        want[i].dtype = QUANTC_DTYPE_BFLOAT16;
    if (llvm::Error e = model->run(in, got))
      return "run\t" + setName + ": " + llvm::toString(std::move(e));
    if (got.size() != want.size())
      return "compare\t" + setName + ": " + std::to_string(got.size()) +
             " outputs, expected " + std::to_string(want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      std::string diff = compare(got[i], want[i]);
      if (!diff.empty())
        return "compare\t" + setName + ": output " + std::to_string(i) + " '" +
               got[i].name + "': " + diff;
    }
  }
  return "";
}

struct Child {
  size_t index;
  int fd;
};

/// Forks a child for test `index`; its verdict comes back through a pipe.
bool spawn(const TestCase &t, size_t index, std::map<pid_t, Child> &running) {
  int fds[2];
  if (pipe(fds) != 0)
    return false;
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return false;
  }
  if (pid == 0) {
    close(fds[0]);
    // A crash is reported by the parent; no stack dumps from the child.
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT})
      signal(sig, SIG_DFL);
    if (int null = open("/dev/null", O_WRONLY); null >= 0)
      dup2(null, STDERR_FILENO);
    alarm(timeoutSeconds);
    llvm::SmallString<128> work;
    std::string verdict;
    if (llvm::sys::fs::createUniqueDirectory("quantc-conformance", work))
      verdict = "setup\tcannot create a temporary directory";
    else
      verdict = runTest(t, work.str().str());
    llvm::sys::fs::remove_directories(work);
    for (char &c : verdict)
      if (c == '\n')
        c = ' ';
    verdict = (verdict.empty() ? "pass" : verdict) + "\n";
    ssize_t unused = write(fds[1], verdict.data(), verdict.size());
    (void)unused;
    _exit(0);
  }
  close(fds[1]);
  running[pid] = {index, fds[0]};
  return true;
}

std::string readAll(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    s.append(buf, n);
  close(fd);
  return s;
}
} // namespace

bool quantc::isConformanceCommand() {
  return static_cast<bool>(conformanceCmd);
}

/// The tests the command line selects; false after printing why there are
/// none.
static bool selectTests(std::vector<TestCase> &tests) {
  if (dirs.empty()) {
    for (const char *suite : kDefaultSuites)
      collect(std::string(kDefaultRoot) + "/" + suite, tests);
    if (tests.empty()) {
      llvm::errs() << "quantc: error: no tests under " << kDefaultRoot
                   << " (apt-get install libonnx-testdata)\n";
      return false;
    }
  }
  for (const std::string &d : dirs) {
    size_t before = tests.size();
    collect(d, tests);
    if (tests.size() == before) {
      llvm::errs() << "quantc: error: no ONNX backend tests in " << d << "\n";
      return false;
    }
  }
  if (!filter.empty()) {
    llvm::Regex re(filter);
    std::string why;
    if (!re.isValid(why)) {
      llvm::errs() << "quantc: error: bad --filter: " << why << "\n";
      return false;
    }
    llvm::erase_if(tests, [&](const TestCase &t) { return !re.match(t.name); });
  }
  return true;
}

/// Runs every test in a child process of its own, --jobs at a time.
static std::vector<Result> runAll(const std::vector<TestCase> &tests) {
  int cores = llvm::get_physical_cores();
  unsigned parallel = jobs ? jobs : static_cast<unsigned>(std::max(1, cores));
  std::vector<Result> results(tests.size());
  std::map<pid_t, Child> running;
  size_t next = 0, done = 0;
  bool tty = llvm::sys::Process::StandardErrIsDisplayed();
  while (done < tests.size()) {
    while (running.size() < parallel && next < tests.size()) {
      results[next].test = tests[next];
      if (!spawn(tests[next], next, running)) {
        results[next].stage = "setup";
        results[next].message = "cannot fork";
        ++done;
      }
      ++next;
    }
    if (running.empty())
      continue;
    int status = 0;
    pid_t pid = waitpid(-1, &status, 0);
    auto it = running.find(pid);
    if (pid < 0 || it == running.end())
      continue;
    Result &r = results[it->second.index];
    std::string verdict = StringRef(readAll(it->second.fd)).rtrim().str();
    running.erase(it);
    ++done;
    if (WIFSIGNALED(status)) {
      int sig = WTERMSIG(status);
      r.stage = sig == SIGALRM ? "timeout" : "crash";
      r.message = sig == SIGALRM
                      ? "over " + std::to_string(timeoutSeconds) + " s"
                      : std::string("killed by signal ") + strsignal(sig);
    } else if (verdict == "pass") {
      r.passed = true;
    } else if (verdict.empty()) {
      r.stage = "crash";
      r.message = "exited without a verdict";
    } else {
      auto [stage, message] = StringRef(verdict).split('\t');
      r.stage = stage.str();
      r.message = message.str();
    }
    if (tty)
      llvm::errs() << "\r[" << done << "/" << tests.size() << "] "
                   << llvm::left_justify(r.test.name, 60);
  }
  if (tty)
    llvm::errs() << "\r" << std::string(80, ' ') << "\r";

  return results;
}

/// The table by op type, failures by stage, and the JSON file; false after
/// printing why the file could not be written.
static bool report(std::vector<Result> &results) {
  size_t passed = 0;
  std::map<std::string, std::pair<int, int>> byOp;
  std::map<std::string, int> byStage;
  for (Result &r : results) {
    r.op = opTypeOf(r.test);
    auto &row = byOp[r.op];
    ++row.second;
    if (r.passed) {
      ++row.first;
      ++passed;
    } else {
      ++byStage[r.stage];
    }
  }
  llvm::outs() << llvm::format("%-28s %7s %7s\n", "op type", "passed", "tests");
  for (auto &[op, row] : byOp)
    llvm::outs() << llvm::format("%-28s %7d %7d\n", op.c_str(), row.first,
                                 row.second);
  if (!byStage.empty()) {
    llvm::outs() << "\nfailures by stage:";
    for (auto &[stage, n] : byStage)
      llvm::outs() << " " << stage << " " << n;
    llvm::outs() << "\n";
  }
  if (verbose)
    for (const Result &r : results)
      if (!r.passed)
        llvm::outs() << "FAIL " << r.test.suite << "/" << r.test.name << " ["
                     << r.stage << "] " << r.message << "\n";

  if (!jsonPath.empty()) {
    llvm::json::Array list;
    for (const Result &r : results)
      list.push_back(llvm::json::Object{{"name", r.test.name},
                                        {"suite", r.test.suite},
                                        {"op", r.op},
                                        {"passed", r.passed},
                                        {"stage", r.stage},
                                        {"message", r.message}});
    llvm::json::Value report(
        llvm::json::Object{{"target", target.getValue()},
                           {"passed", int64_t(passed)},
                           {"failed", int64_t(results.size() - passed)},
                           {"tests", std::move(list)}});
    // Written to a temporary and renamed: no partial report.
    if (llvm::Error e =
            llvm::writeToOutput(jsonPath, [&](llvm::raw_ostream &os) {
              os << llvm::formatv("{0:2}", report) << "\n";
              return llvm::Error::success();
            })) {
      llvm::errs() << "quantc: error: cannot write " << jsonPath << ": "
                   << llvm::toString(std::move(e)) << "\n";
      return false;
    }
  }
  llvm::outs() << passed << " passed, " << results.size() - passed
               << " failed\n";
  return true;
}

int quantc::runConformance() {
  llvm::Expected<Target> parsed = parseTarget(target);
  if (!parsed) {
    llvm::errs() << "quantc: error: " << llvm::toString(parsed.takeError())
                 << "\n";
    return 1;
  }
  targetKind = *parsed;
  std::vector<TestCase> tests;
  if (!selectTests(tests))
    return 1;
  std::vector<Result> results = runAll(tests);
  return report(results) ? 0 : 1;
}
