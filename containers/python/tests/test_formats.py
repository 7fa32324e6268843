"""Input formats (lists, numpy arrays) and output encoding, without sockets."""

import json
import struct
import subprocess
import sys

import pytest

from cutter_container import Model, ModelLoadError, protocol
from cutter_container.formats import OutputError, encode_outputs, input_converter
from cutter_container.protocol import u32, u64

np = pytest.importorskip("numpy", reason="numpy is in the test extra: pip install -e '.[test]'")


def model_with(fmt):
    class FormatModel(Model):
        input_format = fmt
    return FormatModel()


def request_frames(data_type, payloads):
    header = struct.pack(f"<{2 + len(payloads)}Q", data_type, len(payloads),
                         *(len(p) for p in payloads))
    return [b"", u32(3), u32(1), u32(7), u32(0), u64(len(header)), header, *payloads]


def predict_batch(fmt, data_type, payloads):
    """What predict gets for these payloads, decoded as the runner does."""
    arrays = input_converter(model_with(fmt))
    request = protocol.decode_message(request_frames(data_type, payloads),
                                      decode_array=arrays.decode if arrays else None)
    return request.inputs if arrays is None else arrays.batch(data_type, request.inputs)


@pytest.mark.parametrize("data_type,code,dtype", [
    (protocol.DATA_INT32, "i", np.int32),
    (protocol.DATA_FLOAT32, "f", np.float32),
    (protocol.DATA_FLOAT64, "d", np.float64),
])
def test_arrays_have_clippers_dtypes(data_type, code, dtype):
    payloads = [struct.pack(f"<3{code}", 1, -2, 3), struct.pack(f"<1{code}", 4)]
    batch = predict_batch("arrays", data_type, payloads)
    assert isinstance(batch, list) and len(batch) == 2
    assert [x.dtype for x in batch] == [np.dtype(dtype)] * 2
    assert [x.tolist() for x in batch] == [[1, -2, 3], [4]]
    batch[0][0] = 10  # writable: the model may work in place
    assert batch[0].tolist() == [10, -2, 3]


def test_stacked_batch_is_one_2d_array_when_lengths_agree():
    payloads = [struct.pack("<2d", 1.0, 2.5), struct.pack("<2d", -3.0, 4.0),
                struct.pack("<2d", 0.0, 0.5)]
    batch = predict_batch("stacked", protocol.DATA_FLOAT64, payloads)
    assert isinstance(batch, np.ndarray)
    assert batch.shape == (3, 2) and batch.dtype == np.float64
    assert batch.tolist() == [[1.0, 2.5], [-3.0, 4.0], [0.0, 0.5]]
    assert batch.flags.writeable and batch.flags.c_contiguous


def test_stacked_batch_of_different_lengths_is_a_list_of_arrays():
    payloads = [struct.pack("<2i", 1, 2), struct.pack("<1i", 3)]
    batch = predict_batch("stacked", protocol.DATA_INT32, payloads)
    assert isinstance(batch, list)
    assert [(x.dtype, x.tolist()) for x in batch] == [(np.int32, [1, 2]), (np.int32, [3])]
    assert all(x.flags.writeable for x in batch)


@pytest.mark.parametrize("fmt", ["arrays", "stacked"])
def test_bytes_are_uint8_and_strings_stay_str(fmt):
    batch = predict_batch(fmt, protocol.DATA_BYTES, [b"\x00\xff", b"ab"])
    assert [x.dtype for x in batch] == [np.uint8] * 2
    assert [x.tolist() for x in batch] == [[0, 255], [97, 98]]
    strings = predict_batch(fmt, protocol.DATA_STRINGS, ["héllo".encode(), b"x"])
    assert strings == ["héllo", "x"]


def test_stacked_empty_batch_and_empty_inputs():
    assert predict_batch("stacked", protocol.DATA_FLOAT32, []).shape == (0, 0)
    assert predict_batch("stacked", protocol.DATA_FLOAT32, [b"", b""]).shape == (2, 0)


def test_lists_stay_the_default():
    payloads = [struct.pack("<2d", 1.0, 2.0)]
    assert predict_batch("list", protocol.DATA_FLOAT64, payloads) == [[1.0, 2.0]]
    assert input_converter(object()) is None  # a duck-typed model without input_format
    assert Model.input_format == "list"


def test_unknown_input_format_names_the_model():
    with pytest.raises(ModelLoadError, match=r"FormatModel.input_format must be one of "
                                             r"'list', 'arrays', 'stacked', not 'array'"):
        input_converter(model_with("array"))


def test_arrays_without_numpy_ask_for_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy", None)  # makes `import numpy` fail
    with pytest.raises(ModelLoadError) as info:
        input_converter(model_with("stacked"))
    assert "FormatModel.input_format = 'stacked' needs numpy" in str(info.value)
    assert "pip install 'cutter-container[numpy]'" in str(info.value)
    assert input_converter(model_with("list")) is None  # lists need no numpy


def test_the_sdk_imports_without_numpy():
    code = ("import sys; sys.modules['numpy'] = None\n"
            "import cutter_container, cutter_container.cli, cutter_container.examples\n"
            "from cutter_container.formats import encode_outputs\n"
            "class M: pass\n"
            "assert encode_outputs(M(), ['a', 1, [2.5], {'k': True}], 4) == "
            "['a', '1', '[2.5]', '{\"k\": true}']\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


class Scorer(Model):
    pass


def encode(outputs, count=None):
    return encode_outputs(Scorer(), outputs, len(outputs) if count is None else count)


def test_str_outputs_are_sent_as_they_are():
    assert encode(["6.0", "hello", '{"a": 1}', ""]) == ["6.0", "hello", '{"a": 1}', ""]
    assert encode(("a", "b")) == ["a", "b"]


def test_other_outputs_are_json():
    outputs = encode([3, 2.5, True, 0, [1, "x", None], {"label": "cat", "p": 0.9}, (1, 2)])
    assert outputs == ["3", "2.5", "true", "0", '[1, "x", null]', '{"label": "cat", "p": 0.9}',
                       "[1, 2]"]
    assert encode([6.0]) == ["6.0"]  # the same text as str(6.0)


def test_numpy_outputs():
    assert encode([np.float32(0.5), np.int64(7), np.bool_(False), np.str_("s")]) == [
        "0.5", "7", "false", "s"]
    assert encode([np.array([1, 2], dtype=np.int32), np.array(1.5)]) == ["[1, 2]", "1.5"]
    nested = encode([{"scores": np.array([0.25, 0.75], dtype=np.float32),
                      "best": np.int64(1), "ok": np.bool_(True)}])
    assert json.loads(nested[0]) == {"scores": [0.25, 0.75], "best": 1, "ok": True}
    # The whole batch may be an array: one element (or row) per input.
    assert encode_outputs(Scorer(), np.array([0, 2, 1]), 3) == ["0", "2", "1"]
    assert encode_outputs(Scorer(), np.array([[0.5, 0.5], [1.0, 0.0]]), 2) == [
        "[0.5, 0.5]", "[1.0, 0.0]"]


@pytest.mark.parametrize("outputs,count,message", [
    ({"a": 1}, 1, "Scorer.predict returned dict for a batch of 1 input: it must return a list "
                  "with one output per input"),
    (None, 2, "Scorer.predict returned NoneType for a batch of 2 inputs"),
    ((x for x in "ab"), 2, "Scorer.predict returned generator for a batch of 2 inputs"),
    (["a"], 2, "Scorer.predict returned 1 output for a batch of 2 inputs: it must return one "
               "output per input"),
    (["a", "b", "c"], 2, "Scorer.predict returned 3 outputs for a batch of 2 inputs"),
    (["a", None], 2, "Scorer.predict returned NoneType as output 1 for a batch of 2 inputs: "
                     "each output must be str, numbers, bools, lists or dicts"),
    ([b"x"], 1, "Scorer.predict returned bytes as output 0 for a batch of 1 input"),
    ([object()], 1, "Scorer.predict returned object as output 0 for a batch of 1 input"),
    ([np.bytes_(b"x")], 1, "Scorer.predict returned bytes as output 0 for a batch of 1 input"),
    ([[1, b"x"]], 1, "output 0 of Scorer.predict for a batch of 1 input cannot be sent as "
                     "JSON: Object of type bytes is not JSON serializable"),
    ([{"a": {1, 2}}], 1, "output 0 of Scorer.predict for a batch of 1 input cannot be sent as "
                         "JSON: Object of type set is not JSON serializable"),
    (np.array(3), 1, "Scorer.predict returned ndarray for a batch of 1 input"),
])
def test_bad_outputs_name_the_model_and_the_batch_size(outputs, count, message):
    with pytest.raises(OutputError) as info:
        encode_outputs(Scorer(), outputs, count)
    assert str(info.value).startswith(message)
