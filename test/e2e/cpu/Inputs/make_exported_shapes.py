"""Builds the small models of exported-shapes.test: structures real exported
models have that crashed or miscompiled quantc (found by a random model
hunt), each with an input and the numpy reference output.

usage: make_exported_shapes.py KIND DIR  -> DIR/KIND.onnx, DIR/KIND.x.npy,
                                            DIR/KIND.want.npy
KIND:
  linear-2dyn     MatMul of x [B, T, 3] by a weight (two dynamic leading
                  dims: upstream expand-strided-metadata crashed)
  audio-frontend  Conv1d (stride 160) over a waveform, Transpose, Linear
  const-times-x   constant A [2, 2] times x [2, L] (the output was
                  allocated [2, 2] and written [2, L])
  pad-rank5       Pad of a rank-5 tensor (10 int64 pads, over 64 bytes:
                  imported as garbage)
  split9          Split into 9 pieces, the last one returned
  squeeze-slice   x[:, -1] as Slice + Squeeze on a dynamic dim, rank 3
  strided-matmul  s @ s^T for s = x[:, ::2] (a strided view's reads)
  lstm            an LSTM over 5 steps (bufferization refused its loop)
  negstep-slice   x[::-2] on a dynamic dim (Vulkan: arith.ceildivsi)
  stft-chain      Conv1d (stride 4) -> Reshape [B, 2, 4, L] -> Transpose ->
                  Slice (every other frame) -> Linear, over dynamic B and L
                  (the issue's STFT-like chain of strided views)
  squeeze-if      torch's squeeze(0) as exported: If (dim 0 of x [N, 3] is
                  1) Squeeze else Identity, branches of ranks 1 and 2, then
                  Mul, Reshape to [-1, 3] and a Linear (x has 4 rows);
                  squeeze-if-1 is the same model with x of 1 row
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

kind, out = sys.argv[1], sys.argv[2]
rs = np.random.RandomState(0)
I64 = lambda *v: np.array(v, np.int64)  # noqa: E731
INT64_MAX = 9223372036854775807


def f32(*shape, scale=1.0):
    return (rs.randn(*shape) * scale).astype(np.float32)


def save(nodes, input_shape, inits, x, want, output='y'):
    g = h.make_graph(nodes, kind, [h.make_tensor_value_info('x', T.FLOAT, input_shape)],
                     [h.make_tensor_value_info(output, T.FLOAT, None)],
                     [nh.from_array(v, k) for k, v in inits.items()])
    m = h.make_model(g, opset_imports=[h.make_opsetid('', 17)])
    m.ir_version = 8
    onnx.save(m, os.path.join(out, kind + '.onnx'))
    np.save(os.path.join(out, kind + '.x.npy'), x)
    np.save(os.path.join(out, kind + '.want.npy'), want.astype(np.float32))


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


if kind == 'linear-2dyn':
    w, x = f32(3, 8), f32(2, 5, 3)
    save([h.make_node('MatMul', ['x', 'w'], ['y'])], ['B', 'T', 3], {'w': w}, x, x @ w)
elif kind == 'audio-frontend':
    wc, wl, wav = f32(16, 1, 400, scale=0.05), f32(16, 8, scale=0.1), f32(2, 1200)
    frames = np.stack([wav[:, t * 160:t * 160 + 400] for t in range((1200 - 400) // 160 + 1)], 1)
    want = (frames @ wc[:, 0, :].T) @ wl  # [N, T, 16] x [16, 8]
    save([h.make_node('Unsqueeze', ['x', 'ax'], ['u']),
          h.make_node('Conv', ['u', 'wc'], ['spec'], strides=[160], kernel_shape=[400]),
          h.make_node('Transpose', ['spec'], ['st'], perm=[0, 2, 1]),
          h.make_node('MatMul', ['st', 'wl'], ['y'])],
         ['N', 'L'], {'ax': I64(1), 'wc': wc, 'wl': wl}, wav, want)
elif kind == 'const-times-x':
    a, x = f32(2, 2), f32(2, 37)
    save([h.make_node('MatMul', ['a', 'x'], ['y'])], [2, 'L'], {'a': a}, x, a @ x)
elif kind == 'pad-rank5':
    x = f32(2, 3, 4, 5, 6)
    pads = I64(0, 0, 0, 0, 1, 0, 0, 0, 0, 2)
    want = np.pad(x, [(0, 0)] * 4 + [(1, 2)])
    save([h.make_node('Pad', ['x', 'p'], ['y'], mode='constant')], ['N', 3, 4, 5, 6],
         {'p': pads}, x, want)
elif kind == 'split9':
    x = f32(3, 18)
    save([h.make_node('Split', ['x', 's'], [f'y{i}' for i in range(9)], axis=1)], ['N', 18],
         {'s': np.full(9, 2, np.int64)}, x, x[:, 16:18], output='y8')
elif kind == 'squeeze-slice':
    x = f32(2, 5, 8)
    save([h.make_node('Slice', ['x', 'st', 'en', 'ax'], ['s']),
          h.make_node('Squeeze', ['s', 'ax'], ['y'])],
         ['N', 'T', 8], {'st': I64(-1), 'en': I64(INT64_MAX), 'ax': I64(1)}, x, x[:, -1])
elif kind == 'strided-matmul':
    x = f32(8, 13)
    s = x[:, ::2]
    save([h.make_node('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['s']),
          h.make_node('Transpose', ['s'], ['t'], perm=[1, 0]),
          h.make_node('MatMul', ['s', 't'], ['y'])],
         [8, 13], {'st': I64(0), 'en': I64(INT64_MAX), 'ax': I64(1), 'sp': I64(2)}, x, s @ s.T)
elif kind == 'lstm':
    hidden, x = 8, f32(5, 2, 16)
    w, r = f32(1, 4 * hidden, 16, scale=0.3), f32(1, 4 * hidden, hidden, scale=0.3)
    hs, cs, ys = np.zeros((2, hidden)), np.zeros((2, hidden)), []
    for t in range(5):  # ONNX gate order i, o, f, c
        g = x[t] @ w[0].T + hs @ r[0].T
        i, o, f, c = (g[:, k * hidden:(k + 1) * hidden] for k in range(4))
        cs = sigmoid(f) * cs + sigmoid(i) * np.tanh(c)
        hs = sigmoid(o) * np.tanh(cs)
        ys.append(hs)
    want = np.stack(ys)[:, None]  # [S, 1, B, H]
    save([h.make_node('LSTM', ['x', 'w', 'r'], ['y'], hidden_size=hidden)], [5, 2, 16],
         {'w': w, 'r': r}, x, want)
elif kind == 'negstep-slice':
    x = f32(5, 8)
    save([h.make_node('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['y'])], ['N', 8],
         {'st': I64(-1), 'en': I64(-INT64_MAX - 1), 'ax': I64(0), 'sp': I64(-2)}, x, x[::-2])
elif kind == 'stft-chain':
    wc, wl, x = f32(8, 1, 16, scale=0.1), f32(4, 6), f32(2, 1, 200)
    frames = np.stack([x[:, 0, t * 4:t * 4 + 16] for t in range((200 - 16) // 4 + 1)], 1)
    conv = np.einsum('blk,ok->bol', frames, wc[:, 0])  # [B, 8, L]
    views = conv.reshape(2, 2, 4, -1).transpose(0, 3, 1, 2)[:, 1::2]
    save([h.make_node('Conv', ['x', 'wc'], ['c'], strides=[4]),
          h.make_node('Reshape', ['c', 'shp'], ['r']),
          h.make_node('Transpose', ['r'], ['t'], perm=[0, 3, 1, 2]),
          h.make_node('Slice', ['t', 'st', 'en', 'ax', 'sp'], ['s']),
          h.make_node('MatMul', ['s', 'wl'], ['y'])], ['B', 1, 'N'],
         {'wc': wc, 'wl': wl, 'shp': I64(0, 2, 4, -1), 'st': I64(1), 'en': I64(INT64_MAX),
          'ax': I64(1), 'sp': I64(2)}, x, views @ wl)
elif kind in ('squeeze-if', 'squeeze-if-1'):
    w, x = f32(3, 8), f32(1 if kind.endswith('-1') else 4, 3)
    then = h.make_graph([h.make_node('Squeeze', ['x', 'axes'], ['t'])], 'then', [],
                        [h.make_tensor_value_info('t', T.FLOAT, [3])])
    other = h.make_graph([h.make_node('Identity', ['x'], ['e'])], 'else', [],
                         [h.make_tensor_value_info('e', T.FLOAT, ['N', 3])])
    save([h.make_node('Shape', ['x'], ['s']),
          h.make_node('Gather', ['s', 'zero'], ['d'], axis=0),
          h.make_node('Equal', ['d', 'one'], ['c']),
          h.make_node('If', ['c'], ['sq'], name='squeeze_if', then_branch=then,
                      else_branch=other),
          h.make_node('Mul', ['sq', 'two'], ['m']),
          h.make_node('Reshape', ['m', 'rows'], ['r']),
          h.make_node('MatMul', ['r', 'w'], ['y'], name='fc')], ['N', 3],
         {'w': w, 'axes': I64(0), 'zero': np.array(0, np.int64), 'one': np.array(1, np.int64),
          'two': np.array(2, np.float32), 'rows': I64(-1, 3)}, x, (2 * x) @ w)
else:
    sys.exit(f'unknown kind {kind}')
