"""The framing sigmascope's protocols share: one JSON header line, then the raw little-endian arrays its
"arrays" list names, in order."""

import json

import numpy as np


def write_message(stream, header, arrays=()):
    """Writes `header` with `arrays` ((name, values) pairs: float arrays as <f4, bytes as |u1)."""
    specs, payloads = [], []
    for name, values in arrays:
        if isinstance(values, (bytes, bytearray)):
            specs.append({"name": name, "dtype": "|u1", "shape": [len(values)]})
            payloads.append(bytes(values))
            continue
        values = np.ascontiguousarray(values, dtype="<f4")
        specs.append({"name": name, "dtype": "<f4", "shape": list(values.shape)})
        payloads.append(values.tobytes())
    stream.write(json.dumps(dict(header, arrays=specs)).encode() + b"\n")
    for payload in payloads:
        stream.write(payload)
    stream.flush()


def read_message(stream):
    """(header, {name: array}) of the next message; None at the end of the stream."""
    line = stream.readline()
    if not line:
        return None
    header = json.loads(line)
    arrays = {}
    for spec in header.get("arrays", []):
        dtype = np.dtype(spec["dtype"])
        count = int(np.prod(spec["shape"]))
        data = stream.read(count * dtype.itemsize)
        if len(data) < count * dtype.itemsize:
            raise EOFError("array cut short")
        arrays[spec["name"]] = np.frombuffer(data, dtype=dtype).reshape(spec["shape"])
    return header, arrays
