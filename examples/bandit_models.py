"""Two models of different accuracy on a labelled stream, for the model-selection demo.

The stream: input [k], true label k mod 3. `Oracle` is always right; `Noisy` is right 30 % of
the time (when k mod 10 < 3). Run them with: cutter-container --model bandit_models:Oracle ...
"""
from cutter_container import Model


class Oracle(Model):
    def predict(self, inputs):
        return [str(int(x[0]) % 3) for x in inputs]


class Noisy(Model):
    def predict(self, inputs):
        return [str(int(x[0]) % 3 if int(x[0]) % 10 < 3 else (int(x[0]) + 1) % 3) for x in inputs]
