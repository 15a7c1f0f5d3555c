"""Runs the quant-opt line `quantc compile --print-pipeline` printed.

usage: run_printed_pipeline.py LINE_FILE QUANT_OPT INPUT OUTPUT

LINE_FILE holds what quantc wrote to stderr: comment lines start with '#',
the command is the line that starts with 'quant-opt '. It runs with
QUANT_OPT in place of 'quant-opt', INPUT as its input and OUTPUT as -o.
"""
import shlex
import subprocess
import sys

line_file, quant_opt, input_path, output_path = sys.argv[1:5]
commands = [l for l in open(line_file).read().splitlines() if l.startswith("quant-opt ")]
if len(commands) != 1:
    sys.exit("expected one quant-opt line in %s, found %d" % (line_file, len(commands)))
argv = shlex.split(commands[0])
argv[0] = quant_opt
sys.exit(subprocess.call(argv + [input_path, "-o", output_path]))
