"""Pure encode/decode of the Clipper container RPC protocol, version 3.

Every message is a list of ZeroMQ frames.  Integers are little-endian and each
one travels in its own frame (u32 = 4 bytes, u64 = 8 bytes).  The container
uses a DEALER socket, which does not add the empty delimiter frame a REQ
socket would, so every message in either direction starts with ``b""``.

Nothing here touches a socket, so all of it can be tested on exact bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Union

RPC_VERSION = 3

# Message types.
MSG_NEW_CONTAINER = 0
MSG_CONTAINER_CONTENT = 1
MSG_HEARTBEAT = 2

# Heartbeat types (frontend -> container).
HEARTBEAT_KEEP_ALIVE = 0
HEARTBEAT_REQUEST_METADATA = 1

# Request types.
REQUEST_PREDICT = 0
REQUEST_FEEDBACK = 1

# Data types, as carried in the input header and the NewContainer message.
DATA_BYTES = 0
DATA_INT32 = 1
DATA_FLOAT32 = 2
DATA_FLOAT64 = 3
DATA_STRINGS = 4

INPUT_TYPES = {
    "bytes": DATA_BYTES,
    "integers": DATA_INT32,
    "ints": DATA_INT32,
    "floats": DATA_FLOAT32,
    "doubles": DATA_FLOAT64,
    "strings": DATA_STRINGS,
}

# struct format character and item size of the numeric data types.
_NUMERIC = {DATA_INT32: ("i", 4), DATA_FLOAT32: ("f", 4), DATA_FLOAT64: ("d", 8)}

Frames = List[bytes]
Input = Union[List[float], List[int], str, bytes]
# Decodes one numeric or bytes input payload (data type, payload) into another
# representation, e.g. a numpy array; the payload's size is already checked.
ArrayDecoder = Callable[[int, bytes], Any]


class ProtocolError(ValueError):
    """A received message does not follow the protocol.

    ``msg_id`` is the raw 4-byte message id when the message got far enough to
    have one, so the caller can still answer that request (with zero outputs).
    """

    def __init__(self, message: str, msg_id: Optional[bytes] = None):
        super().__init__(message)
        self.msg_id = msg_id


@dataclass(frozen=True)
class Heartbeat:
    """Heartbeat reply from the frontend; ``kind`` is a HEARTBEAT_* constant."""

    kind: int


@dataclass(frozen=True)
class PredictRequest:
    """A batch to predict.  ``msg_id`` is kept raw so it can be echoed verbatim."""

    msg_id: bytes
    data_type: int
    inputs: List[Input]


@dataclass(frozen=True)
class FeedbackRequest:
    """A feedback request; the SDK does not support feedback and ignores it."""

    msg_id: bytes


def u32(value: int) -> bytes:
    return struct.pack("<I", value)


def u64(value: int) -> bytes:
    return struct.pack("<Q", value)


def input_type_code(name: str) -> int:
    """Map an input type name (``doubles``, ``ints``, ...) to its data type number."""
    try:
        return INPUT_TYPES[name.strip().lower()]
    except KeyError:
        raise ValueError(
            f"unknown input type {name!r}; expected one of {', '.join(INPUT_TYPES)}"
        ) from None


# --- container -> frontend ---------------------------------------------------


def encode_heartbeat() -> Frames:
    return [b"", u32(MSG_HEARTBEAT)]


def encode_new_container(name: str, version: str, data_type: int) -> Frames:
    # The data type travels as decimal text, the RPC version as a u32.
    return [
        b"",
        u32(MSG_NEW_CONTAINER),
        name.encode("utf-8"),
        str(version).encode("utf-8"),
        str(data_type).encode("ascii"),
        u32(RPC_VERSION),
    ]


def encode_response(msg_id: bytes, outputs: Sequence[str]) -> Frames:
    """Prediction response.  An empty ``outputs`` tells the frontend the batch failed."""
    payloads = [out.encode("utf-8") for out in outputs]
    header = u64(len(payloads)) + b"".join(u64(len(p)) for p in payloads)
    return [b"", u32(MSG_CONTAINER_CONTENT), msg_id, u64(len(header)), header, *payloads]


# --- frontend -> container ---------------------------------------------------


def _read_uint(frame: bytes, size: int, what: str) -> int:
    if len(frame) != size:
        raise ProtocolError(f"{what}: expected {size} bytes, got {len(frame)}")
    return int.from_bytes(frame, "little")


def decode_message(
    frames: Sequence[bytes], decode_array: Optional[ArrayDecoder] = None
) -> Union[Heartbeat, PredictRequest, FeedbackRequest]:
    """Decode one message received by the container's DEALER socket.

    Numeric inputs become lists and bytes inputs ``bytes``, unless
    ``decode_array`` is given: it then decodes each numeric or bytes input
    (strings are always ``str``).
    """
    if len(frames) < 4:
        raise ProtocolError(f"message too short ({len(frames)} frames)")
    if frames[0] != b"":
        raise ProtocolError("first frame is not the empty delimiter")
    version = _read_uint(frames[1], 4, "rpc version")
    if version != RPC_VERSION:
        raise ProtocolError(f"unsupported rpc version {version} (expected {RPC_VERSION})")
    msg_type = _read_uint(frames[2], 4, "message type")

    if msg_type == MSG_HEARTBEAT:
        return Heartbeat(_read_uint(frames[3], 4, "heartbeat type"))
    if msg_type != MSG_CONTAINER_CONTENT:
        raise ProtocolError(f"unexpected message type {msg_type}")

    msg_id = bytes(frames[3])
    if len(msg_id) != 4:
        raise ProtocolError(f"message id: expected 4 bytes, got {len(msg_id)}")
    try:
        if len(frames) < 5:
            raise ProtocolError("request type missing")
        request_type = _read_uint(frames[4], 4, "request type")
        if request_type == REQUEST_FEEDBACK:
            return FeedbackRequest(msg_id)
        if request_type != REQUEST_PREDICT:
            raise ProtocolError(f"unknown request type {request_type}")
        if len(frames) < 7:
            raise ProtocolError("input header missing")
        data_type, inputs = _decode_inputs(frames[5], frames[6], frames[7:], decode_array)
    except ProtocolError as err:
        raise ProtocolError(str(err), msg_id) from None
    return PredictRequest(msg_id, data_type, inputs)


def _decode_inputs(length_frame: bytes, header: bytes, payloads: Sequence[bytes],
                   decode_array: Optional[ArrayDecoder] = None):
    header_len = _read_uint(length_frame, 8, "input header length")
    if header_len != len(header) or header_len < 16 or header_len % 8:
        raise ProtocolError(
            f"input header length {header_len} does not match header of {len(header)} bytes"
        )
    fields = struct.unpack(f"<{header_len // 8}Q", header)
    data_type, count, sizes = fields[0], fields[1], fields[2:]
    if len(sizes) != count:
        raise ProtocolError(f"input header announces {count} inputs but lists {len(sizes)} sizes")
    if len(payloads) != count:
        raise ProtocolError(f"expected {count} input frames, got {len(payloads)}")
    for i, (size, payload) in enumerate(zip(sizes, payloads)):
        if size != len(payload):
            raise ProtocolError(f"input {i}: header says {size} bytes, frame has {len(payload)}")
    return data_type, [_decode_input(data_type, bytes(p), decode_array) for p in payloads]


def _decode_input(data_type: int, payload: bytes,
                  decode_array: Optional[ArrayDecoder] = None) -> Input:
    if data_type == DATA_BYTES:
        return payload if decode_array is None else decode_array(data_type, payload)
    if data_type == DATA_STRINGS:
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ProtocolError(f"string input is not valid UTF-8: {err}") from None
    if data_type in _NUMERIC:
        code, size = _NUMERIC[data_type]
        if len(payload) % size:
            raise ProtocolError(f"input of {len(payload)} bytes is not a multiple of {size}")
        if decode_array is not None:
            return decode_array(data_type, payload)
        return list(struct.unpack(f"<{len(payload) // size}{code}", payload))
    raise ProtocolError(f"unknown data type {data_type}")
