"""What ``predict`` gets (lists or numpy arrays) and how its outputs are sent.

numpy is optional: it is imported only for a model whose ``input_format`` asks
for arrays.  Outputs holding numpy values are recognized through
``sys.modules`` (a model that made them has imported numpy already).
"""

from __future__ import annotations

import json
import sys
from typing import Any, List, Optional, Sequence

from . import protocol
from .model import ModelLoadError

INPUT_FORMATS = ("list", "arrays", "stacked")
NUMPY_HINT = "pip install 'cutter-container[numpy]'"


class OutputError(ValueError):
    """``predict`` returned something that cannot be sent to the frontend."""


def model_name(model: Any) -> str:
    """The model's class name, as used in error messages."""
    return type(model).__name__


def batch_of(count: int) -> str:
    """``"a batch of 2 inputs"``, for messages."""
    return f"a batch of {count} input{'' if count == 1 else 's'}"


def input_format(model: Any) -> str:
    """The model's ``input_format`` (``"list"`` when it has none), checked."""
    fmt = getattr(model, "input_format", "list")
    if fmt not in INPUT_FORMATS:
        raise ModelLoadError(f"{model_name(model)}.input_format must be one of "
                             f"{', '.join(map(repr, INPUT_FORMATS))}, not {fmt!r}")
    return fmt


def input_converter(model: Any) -> Optional["ArrayInputs"]:
    """The converter for the model's input format; ``None`` for plain lists.

    Raises :class:`ModelLoadError` when the format is unknown, or when it needs
    numpy and numpy cannot be imported.
    """
    fmt = input_format(model)
    if fmt == "list":
        return None
    try:
        import numpy
    except ImportError as err:
        raise ModelLoadError(f"{model_name(model)}.input_format = {fmt!r} needs numpy, which "
                             f"cannot be imported ({err}): {NUMPY_HINT}") from err
    return ArrayInputs(numpy, stacked=fmt == "stacked")


class ArrayInputs:
    """Decodes inputs into numpy arrays with Clipper's dtypes and forms the batch.

    :meth:`decode` is the protocol's ``decode_array`` hook: it only wraps the
    received payload (no copy, read-only, little-endian as on the wire).
    :meth:`batch` then makes the arrays the model gets, in native byte order
    and writable, copying each byte once.
    """

    def __init__(self, numpy: Any, stacked: bool):
        self._np = numpy
        self.stacked = stacked
        self._wire = {
            protocol.DATA_BYTES: numpy.dtype(numpy.uint8),
            protocol.DATA_INT32: numpy.dtype("<i4"),
            protocol.DATA_FLOAT32: numpy.dtype("<f4"),
            protocol.DATA_FLOAT64: numpy.dtype("<f8"),
        }
        self._native = {
            protocol.DATA_BYTES: numpy.dtype(numpy.uint8),
            protocol.DATA_INT32: numpy.dtype(numpy.int32),
            protocol.DATA_FLOAT32: numpy.dtype(numpy.float32),
            protocol.DATA_FLOAT64: numpy.dtype(numpy.float64),
        }

    def decode(self, data_type: int, payload: bytes) -> Any:
        return self._np.frombuffer(payload, dtype=self._wire[data_type])

    def batch(self, data_type: int, inputs: Sequence[Any]) -> Any:
        if data_type not in self._native:
            return list(inputs)  # strings stay str
        np, dtype = self._np, self._native[data_type]
        if self.stacked:
            if not inputs:
                return np.empty((0, 0), dtype=dtype)
            if all(len(x) == len(inputs[0]) for x in inputs):
                # np.stack copies into a new (writable) array; on little-endian
                # machines the dtype already is the native one, so no second copy.
                return np.stack(inputs).astype(dtype, copy=False)
        return [x.astype(dtype) for x in inputs]


_ALLOWED = "str, numbers, bools, lists or dicts (numpy values and arrays too)"


def encode_outputs(model: Any, outputs: Any, count: int) -> List[str]:
    """The text of each output of ``predict`` for a batch of ``count`` inputs.

    A ``str`` is sent as it is (as in Clipper); numbers, bools, lists, tuples
    and dicts become JSON text, with numpy scalars and arrays converted by
    ``.item()`` / ``.tolist()``.  The batch itself may be a list, a tuple or a
    numpy array (one element per input).  Raises :class:`OutputError` with a
    message naming the model class and the batch size.
    """
    name = model_name(model)
    where = f"for {batch_of(count)}"
    np = sys.modules.get("numpy")
    if np is not None and isinstance(outputs, np.ndarray) and outputs.ndim > 0:
        outputs = list(outputs)
    elif not isinstance(outputs, (list, tuple)):
        raise OutputError(f"{name}.predict returned {type(outputs).__name__} {where}: it must "
                          f"return a list with one output per input, each {_ALLOWED}")
    if len(outputs) != count:
        raise OutputError(f"{name}.predict returned {len(outputs)} "
                          f"output{'' if len(outputs) == 1 else 's'} {where}: it must return "
                          "one output per input")
    return [_encode(value, index, name, where, np) for index, value in enumerate(outputs)]


def _encode(value: Any, index: int, name: str, where: str, np: Any) -> str:
    if isinstance(value, str):
        return value
    if np is not None and isinstance(value, (np.ndarray, np.generic)):
        value = value.tolist() if isinstance(value, np.ndarray) else value.item()
        if isinstance(value, str):
            return value
    if not isinstance(value, (bool, int, float, list, tuple, dict)):
        raise OutputError(f"{name}.predict returned {type(value).__name__} as output {index} "
                          f"{where}: each output must be {_ALLOWED}")
    try:
        return json.dumps(value, default=_json_default)
    except (TypeError, ValueError) as err:
        raise OutputError(f"output {index} of {name}.predict {where} cannot be sent as JSON: "
                          f"{err}") from None


def _json_default(value: Any) -> Any:
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, np.generic):
            return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
