"""The interface a model served by a Cutter container implements."""

from __future__ import annotations

from typing import Any


class ModelLoadError(RuntimeError):
    """The model could not be made ready to serve, so the container did not register.

    :func:`cutter_container.run` raises it (after logging why) when the model's
    ``input_format`` is invalid, when it needs numpy and numpy is missing, or
    when its ``load()`` raised (the original exception is the ``__cause__``).
    The ``cutter-container`` command then exits with status 1.
    """


class Model:
    """Base class for models.  Subclass it and override :meth:`predict`.

    The runner calls ``predict`` with a whole batch.  With the default
    ``input_format = "list"`` the batch is a ``list`` and each input's Python
    type follows the container's declared input type:

    - ``doubles`` / ``floats``: a ``list`` of ``float``
    - ``ints`` / ``integers``: a ``list`` of ``int``
    - ``strings``: a ``str`` (decoded from UTF-8)
    - ``bytes``: a ``bytes`` object

    Set the class attribute ``input_format`` to get numpy arrays instead
    (needs ``pip install 'cutter-container[numpy]'``), with Clipper's dtypes:
    ``int32`` for ints, ``float32`` for floats, ``float64`` for doubles and
    ``uint8`` for bytes (strings stay ``str``):

    - ``"arrays"``: the batch is a ``list`` with one 1-D array per input.
    - ``"stacked"``: the batch is one 2-D array of shape ``(batch size,
      input length)`` when all inputs have the same length, else a ``list``
      of 1-D arrays as with ``"arrays"``.  A batch of strings stays a
      ``list`` of ``str``.

    ``predict`` must return one output per input, in input order, as a
    ``list``, a ``tuple`` or a numpy array.  A ``str`` output is sent as it is
    (as in Clipper); numbers, bools, lists and dicts are sent as JSON text
    (numpy scalars and arrays converted with ``.item()`` / ``.tolist()``).  If
    ``predict`` raises or returns anything else, the runner logs the error
    and reports the whole batch as failed to the frontend; the container keeps
    serving.  ``predict`` may be ``async def``: the runner then runs it on an
    asyncio event loop of its own (one loop, reused for every batch, in the
    runner's thread).

    Optional hooks:

    - ``load()`` (or ``async def load()``) is called once, before the container
      registers with the frontend.  Load weights there rather than in
      ``__init__``.  If it raises, the container does not register and
      :func:`cutter_container.run` raises :class:`ModelLoadError`.
    - ``health()`` returning ``bool``, if defined, is called at startup and
      then at every heartbeat interval (5 s by default).  While it returns
      a false value (or raises), the container logs a warning and sends no
      heartbeats, so the frontend drops it once its ``container_timeout_seconds``
      pass without any message from it.  Batches the frontend still sends are
      answered as usual.  When ``health()`` is true again, heartbeats resume and
      the container registers anew if it had been dropped.  Keep it quick: it
      runs between batches, in the runner's thread.
    """

    #: How ``predict`` receives its batch: ``"list"`` (the default, as in
    #: Clipper), ``"arrays"`` or ``"stacked"`` (numpy; see the class docs).
    input_format: str = "list"

    def load(self) -> None:
        """Called once before the container registers; the base does nothing."""

    def predict(self, inputs: Any) -> Any:
        raise NotImplementedError("Model subclasses must implement predict()")
