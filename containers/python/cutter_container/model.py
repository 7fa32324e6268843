"""The interface a model served by a Cutter container implements."""

from __future__ import annotations


class Model:
    """Base class for models.  Subclass it and override :meth:`predict`.

    The runner calls ``predict`` with a whole batch (a ``list``).  Each input's
    Python type follows the container's declared input type:

    - ``doubles`` / ``floats``: a ``list`` of ``float``
    - ``ints`` / ``integers``: a ``list`` of ``int``
    - ``strings``: a ``str`` (decoded from UTF-8)
    - ``bytes``: a ``bytes`` object

    ``predict`` must return one ``str`` per input, in input order.  If it
    raises or returns anything else, the runner logs the error and reports the
    whole batch as failed to the frontend; the container keeps serving.
    """

    def predict(self, inputs: list) -> list[str]:
        raise NotImplementedError("Model subclasses must implement predict()")
