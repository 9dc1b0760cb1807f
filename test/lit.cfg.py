# -*- Python -*-
import os
import shutil

import lit.formats
import lit.util
from lit.llvm import llvm_config

config.name = "ATTN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "Inputs", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attn_obj_root, "test")

config.substitutions.append(("%zoo", os.path.join(config.attn_src_root, "zoo")))
config.substitutions.append(("%PATH%", config.environment["PATH"]))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.attn_tools_dir, append_path=True)

tools = ["attn-opt", "attn-run", "attn-blockmap", "attn-emit-lib", "FileCheck", "not", "count", "split-file",
         "mlir-translate", "llc"]
llvm_config.add_tool_substitutions(tools, [config.attn_tools_dir, config.llvm_tools_dir])

# The Python that has numpy (scripts/setup.sh installs it for python3 on PATH).
config.substitutions.append(("%numpy_python", config.python_executable))

# The instrumented build of scripts/sanitize.sh (ATTN_ENABLE_SANITIZERS):
# tests meant for it alone say `REQUIRES: asan`.
if lit.util.pythonize_bool(config.attn_sanitizers):
    config.available_features.add("asan")

if shutil.which("ptxas") or os.path.exists("/usr/local/cuda/bin/ptxas"):
    config.available_features.add("ptxas")

# CUDA toolkit headers and the driver stub library: the generated GPU
# launchers (attn-emit-lib) compile and link against them; a C compiler
# builds them.
cuda_root = next((r for r in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda")
                  if r and os.path.exists(os.path.join(r, "include", "cuda.h"))), None)
if cuda_root and os.path.exists(os.path.join(cuda_root, "lib64", "stubs", "libcuda.so")):
    config.available_features.add("cuda-toolkit")
    config.substitutions.append(("%cuda_root", cuda_root))
c_compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
if c_compiler:
    config.available_features.add("cc")
    config.substitutions.append(("%cc", c_compiler))
cxx_compiler = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
if cxx_compiler:
    config.available_features.add("c++")
    config.substitutions.append(("%cxx", cxx_compiler))
