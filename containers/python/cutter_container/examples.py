"""Small example models, used by the ``cutter-container`` command and tests."""

from __future__ import annotations

import base64
import json
import time

from .model import Model


class NoopModel(Model):
    """Answers "1.0" for every input, like Clipper's noop container."""

    def predict(self, inputs: list) -> list[str]:
        return ["1.0"] * len(inputs)


class SumModel(Model):
    """Sums each numeric vector: [1, 2, 3] -> "6.0"."""

    def predict(self, inputs: list) -> list[str]:
        return [str(float(sum(x))) for x in inputs]


class SleepModel(Model):
    """Sleeps ``fixed_ms + per_item_ms * batch size``, then answers the batch size.

    Every output is the size of the batch its input ran in, which lets batching
    tests see how the frontend grouped requests.
    """

    def __init__(self, fixed_ms: float = 0.0, per_item_ms: float = 0.0):
        self.fixed_ms = fixed_ms
        self.per_item_ms = per_item_ms

    def predict(self, inputs: list) -> list[str]:
        time.sleep((self.fixed_ms + self.per_item_ms * len(inputs)) / 1000.0)
        return [str(len(inputs))] * len(inputs)


class EchoModel(Model):
    """Returns each input rendered as JSON text, for round-trip tests.

    Numeric vectors -> ``"[1.0, 2.0]"``, strings -> a JSON string, bytes -> a
    JSON string holding the base64 encoding.
    """

    def predict(self, inputs: list) -> list[str]:
        return [json.dumps(_jsonable(x)) for x in inputs]


def _jsonable(value):
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value
