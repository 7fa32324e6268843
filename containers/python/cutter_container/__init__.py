"""Python model-container SDK for Cutter, speaking Clipper's container RPC v3.

Write a :class:`Model` subclass and hand it to :func:`run`, or use the
``cutter-container`` command.
"""

from .model import Model, ModelLoadError
from .runner import run

__all__ = ["Model", "ModelLoadError", "run"]
