"""Serializes every spirv.module in MLIR text and validates it.

usage: spirv_val.py MLIR_TRANSLATE SPIRV_VAL < pipeline-output.mlir

mlir-translate --serialize-spirv needs a file whose top-level op is the
spirv.module itself, so each module is cut out of the text (by brace
matching) into its own file. Prints one line per module and "N modules
valid"; exits 1 when a module does not serialize or validate.
"""
import os
import subprocess
import sys
import tempfile


def modules(text):
    start = 0
    while True:
        i = text.find('spirv.module @', start)
        if i < 0:
            return
        # The body opens with the last brace of the header line.
        depth, j = 0, text.rindex('{', i, text.index('\n', i))
        for k in range(j, len(text)):
            if text[k] == '{':
                depth += 1
            elif text[k] == '}':
                depth -= 1
                if depth == 0:
                    yield text[i:k + 1]
                    start = k + 1
                    break


def main():
    translate, val = sys.argv[1], sys.argv[2]
    text = sys.stdin.read()
    count = 0
    with tempfile.TemporaryDirectory() as tmp:
        for n, module in enumerate(modules(text)):
            name = module.split()[1]
            src = os.path.join(tmp, f'{n}.mlir')
            spv = os.path.join(tmp, f'{n}.spv')
            with open(src, 'w') as f:
                f.write(module + '\n')
            for cmd in ([translate, '--no-implicit-module', '--serialize-spirv',
                         src, '-o', spv],
                        [val, '--target-env', 'vulkan1.1', spv]):
                r = subprocess.run(cmd, capture_output=True, text=True)
                if r.returncode != 0:
                    print(f'{name}: {os.path.basename(cmd[0])} failed:\n{r.stderr}')
                    sys.exit(1)
            print(f'{name}: valid')
            count += 1
    print(f'{count} modules valid')


if __name__ == '__main__':
    main()
