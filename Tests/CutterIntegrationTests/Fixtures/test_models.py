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
