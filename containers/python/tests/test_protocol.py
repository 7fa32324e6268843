"""Encode/decode of Clipper container RPC v3 on exact bytes."""

import struct

import pytest

from cutter_container import protocol
from cutter_container.protocol import (
    FeedbackRequest,
    Heartbeat,
    PredictRequest,
    ProtocolError,
)

H = bytes.fromhex


def request_frames(msg_id, data_type, payloads, request_type=0):
    """Frames of a prediction request as the frontend's ROUTER delivers them."""
    header = struct.pack(f"<{2 + len(payloads)}Q", data_type, len(payloads),
                         *(len(p) for p in payloads))
    return [b"", protocol.u32(3), protocol.u32(1), protocol.u32(msg_id),
            protocol.u32(request_type), protocol.u64(len(header)), header, *payloads]


# The worked example: a batch of [1.0, 2.0] and [3.0] as doubles, message id 5.
EXAMPLE_REQUEST = [
    b"",
    H("03000000"),
    H("01000000"),
    H("05000000"),
    H("00000000"),
    H("2000000000000000"),
    H("0300000000000000" "0200000000000000" "1000000000000000" "0800000000000000"),
    H("000000000000f03f" "0000000000000040"),
    H("0000000000000840"),
]
EXAMPLE_RESPONSE = [
    b"",
    H("01000000"),
    H("05000000"),
    H("1800000000000000"),
    H("0200000000000000" "0300000000000000" "0300000000000000"),
    b"3.0",
    b"3.0",
]


def test_decode_worked_example():
    assert protocol.decode_message(EXAMPLE_REQUEST) == PredictRequest(
        msg_id=H("05000000"), data_type=3, inputs=[[1.0, 2.0], [3.0]])


def test_request_helper_matches_worked_example():
    assert request_frames(5, 3, EXAMPLE_REQUEST[7:]) == EXAMPLE_REQUEST


def test_encode_worked_example_response():
    assert protocol.encode_response(H("05000000"), ["3.0", "3.0"]) == EXAMPLE_RESPONSE


def test_encode_failed_batch_has_zero_outputs():
    assert protocol.encode_response(H("07000000"), []) == [
        b"", H("01000000"), H("07000000"), H("0800000000000000"), H("0000000000000000")]


def test_encode_response_lengths_are_utf8_bytes():
    frames = protocol.encode_response(H("01000000"), ["é"])
    assert frames[4] == H("0100000000000000" "0200000000000000")
    assert frames[5] == "é".encode("utf-8")


def test_encode_heartbeat():
    assert protocol.encode_heartbeat() == [b"", H("02000000")]


def test_encode_new_container():
    assert protocol.encode_new_container("m", "1", 3) == [
        b"", H("00000000"), b"m", b"1", b"3", H("03000000")]


def test_decode_heartbeats():
    assert protocol.decode_message([b"", H("03000000"), H("02000000"), H("01000000")]) \
        == Heartbeat(protocol.HEARTBEAT_REQUEST_METADATA)
    assert protocol.decode_message([b"", H("03000000"), H("02000000"), H("00000000")]) \
        == Heartbeat(protocol.HEARTBEAT_KEEP_ALIVE)


@pytest.mark.parametrize("data_type,payloads,expected", [
    (protocol.DATA_FLOAT32, [struct.pack("<2f", 1.5, -2.0)], [[1.5, -2.0]]),
    (protocol.DATA_INT32, [struct.pack("<3i", 1, -2, 3), b""], [[1, -2, 3], []]),
    (protocol.DATA_STRINGS, ["héllo".encode(), b""], ["héllo", ""]),
    (protocol.DATA_BYTES, [b"\x00\xff"], [b"\x00\xff"]),
])
def test_decode_each_data_type(data_type, payloads, expected):
    decoded = protocol.decode_message(request_frames(9, data_type, payloads))
    assert decoded.inputs == expected
    assert all(type(a) is type(b) for a, b in zip(decoded.inputs, expected))


def test_decode_feedback_request():
    frames = request_frames(4, 3, [], request_type=protocol.REQUEST_FEEDBACK)
    assert protocol.decode_message(frames) == FeedbackRequest(H("04000000"))


@pytest.mark.parametrize("mangle", [
    lambda f: f[:-1],                                  # missing input frame
    lambda f: f[:5] + [protocol.u64(40)] + f[6:],      # header length mismatch
    lambda f: f[:7] + [b"\x00" * 16, b"\x00" * 7],     # size mismatch
    lambda f: f[:3] + [f[3]] + [protocol.u32(7)] + f[5:],  # unknown request type
])
def test_malformed_request_keeps_message_id(mangle):
    with pytest.raises(ProtocolError) as info:
        protocol.decode_message(mangle(list(EXAMPLE_REQUEST)))
    assert info.value.msg_id == H("05000000")


def test_malformed_envelope():
    with pytest.raises(ProtocolError):
        protocol.decode_message([b"", H("02000000"), H("02000000"), H("00000000")])  # version 2
    with pytest.raises(ProtocolError):
        protocol.decode_message([b"x", H("03000000"), H("02000000"), H("00000000")])
    with pytest.raises(ProtocolError):
        protocol.decode_message([b"", H("03000000")])


def test_input_type_names():
    assert protocol.input_type_code("doubles") == 3
    assert protocol.input_type_code("Floats") == 2
    assert protocol.input_type_code("ints") == protocol.input_type_code("integers") == 1
    assert protocol.input_type_code("strings") == 4
    assert protocol.input_type_code("bytes") == 0
    with pytest.raises(ValueError):
        protocol.input_type_code("tensors")
