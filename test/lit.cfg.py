# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "quantc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.quantc_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# Test models are built with Debian's interpreter, which has python3-onnx and
# numpy; the python3 first on PATH may be another one.
config.substitutions.append(("%python", "/usr/bin/python3"))
config.substitutions.append(("%quantc_src", config.quantc_src_root))
config.substitutions.append(("%quantc_tools", config.quantc_tools_dir))
config.substitutions.append(("%quantc_unit_dir", config.quantc_unit_dir))
config.substitutions.append(("%quantc_lib", config.quantc_lib_dir))
config.substitutions.append(("%cc", config.c_compiler + config.c_flags))
# The flags alone, for C projects a test configures (a sanitizer build's
# runtime needs its sanitizer flags in what links it).
config.substitutions.append(("%c_flags", config.c_flags.strip()))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "frontends", "onnx", "Inputs")))
config.substitutions.append(("%shared", os.path.normpath(os.path.join(config.quantc_src_root, "..", "shared"))))

tool_dirs = [config.quantc_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["quant-opt", "quantc"], tool_dirs)

if os.path.exists(os.path.normpath(os.path.join(config.quantc_src_root, "..", "shared", "models", "stories260k", "stories260k.onnx"))):
    config.available_features.add("stories260k")
if os.path.isdir("/usr/share/libonnx-testdata/data/node"):
    config.available_features.add("onnx-testdata")
# SPIR-V serialization and validation (spirv-tools, mlir-translate).
import shutil
_translate = os.path.join(config.llvm_tools_dir, "mlir-translate") if hasattr(config, "llvm_tools_dir") else None
if not (_translate and os.path.exists(_translate)):
    _translate = shutil.which("mlir-translate-22") or shutil.which("mlir-translate")
_spirv_val = shutil.which("spirv-val")
if _translate and _spirv_val:
    config.available_features.add("spirv-tools")
    config.substitutions.append(("%spirv_val_all", "/usr/bin/python3 %s %s %s" % (
        os.path.join(config.test_source_root, "backends", "vulkan", "Inputs", "spirv_val.py"),
        _translate, _spirv_val)))
# Tests that run Vulkan kernels need a device the runtime can open (Mesa's
# lavapipe on developer and CI machines).
import subprocess
_quantc = os.path.join(config.quantc_tools_dir, "quantc")
if os.path.exists(_quantc) and subprocess.run(
        [_quantc, "devices", "--target", "vulkan"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
    config.available_features.add("vulkan")
