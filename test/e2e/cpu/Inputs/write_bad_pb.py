"""Writes ONNX TensorProto files that lie: write_bad_pb.py DIR.
  type.pb   data_type 999 (no such type)
  claim.pb  a float tensor claiming 2^38 elements with 3 values of data
"""
import sys

from onnx import TensorProto

t = TensorProto(name='x', data_type=999, dims=[3])
t.int32_data.extend([1, 2, 3])
open(sys.argv[1] + '/type.pb', 'wb').write(t.SerializeToString())
t = TensorProto(name='x', data_type=TensorProto.FLOAT, dims=[1 << 38])
t.float_data.extend([1.0, 2.0, 3.0])
open(sys.argv[1] + '/claim.pb', 'wb').write(t.SerializeToString())
