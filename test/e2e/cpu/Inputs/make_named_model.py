"""Writes an ONNX model (y = a + b) whose value names hold bytes that are
hard to carry: quotes, braces, colons, slashes, a newline, a backslash,
'?' (C trigraphs), non-ASCII UTF-8 and invalid UTF-8, and an output named
with JSON text. Also writes the names' bytes, one hex line each (inputs,
then outputs), for print_names.c's output to be compared with.

usage: make_named_model.py MODEL.onnx NAMES.hex
"""
import sys

import onnx
from onnx import TensorProto, helper

# Python strings must be valid UTF-8 for onnx to serialize them: invalid
# bytes go in by replacing a placeholder of the same length afterwards (the
# protobuf length prefixes stay right).
PLACEHOLDER, INVALID = b'#@!', b'\xff\xfe\x80'
names = [
    'in "a" {x}: /path/a\nnext\\??=',
    'b \u00e9\u4e2d #@!',
    '{"name": ["y", 1]}',
]
raw = [n.encode().replace(PLACEHOLDER, INVALID) for n in names]
a, b, y = names
graph = helper.make_graph(
    [helper.make_node('Add', [a, b], [y], name='add')], 'named',
    [helper.make_tensor_value_info(a, TensorProto.FLOAT, [2]),
     helper.make_tensor_value_info(b, TensorProto.FLOAT, [2])],
    [helper.make_tensor_value_info(y, TensorProto.FLOAT, [2])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)])
data = model.SerializeToString()
assert data.count(PLACEHOLDER) == 2  # the input and the Add's operand
data = data.replace(PLACEHOLDER, INVALID)
open(sys.argv[1], 'wb').write(data)
open(sys.argv[2], 'w').write(''.join(r.hex() + '\n' for r in raw))
