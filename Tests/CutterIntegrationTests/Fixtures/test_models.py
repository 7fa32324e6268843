"""Models the integration tests run in real containers (cutter_container SDK)."""
import os

from cutter_container import Model


class PidModel(Model):
    """Answers with the process id: shows which replica served a query."""

    def predict(self, inputs):
        return [str(os.getpid()) for _ in inputs]


class FailingModel(Model):
    """Raises on any batch holding the input [13.0]; sums otherwise."""

    def predict(self, inputs):
        if any(list(x) == [13.0] for x in inputs):
            raise ValueError("unlucky input")
        return [str(float(sum(x))) for x in inputs]


class OracleModel(Model):
    """Always right on the labelled stream of the learning tests: label(k) = k mod 3."""

    def predict(self, inputs):
        return [str(int(x[0]) % 3) for x in inputs]


class NoisyModel(Model):
    """Right on 30 % of the stream (k mod 10 < 3), wrong otherwise."""

    def predict(self, inputs):
        return [str(int(x[0]) % 3 if int(x[0]) % 10 < 3 else (int(x[0]) + 1) % 3) for x in inputs]


class StallAfterModel(Model):
    """Sums its first 6 batches, then stops answering (it hangs, as a wedged model would)."""

    def __init__(self):
        self.batches = 0

    def predict(self, inputs):
        self.batches += 1
        if self.batches > 6:
            import time
            time.sleep(3600)
        return [str(float(sum(x))) for x in inputs]
