"""The ``cutter-container`` command: serve an example or user model."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from typing import Dict, List, Optional

from . import examples
from .model import ModelLoadError
from .protocol import INPUT_TYPES, input_type_code
from .runner import run

MODEL_ARGS_ENV = "CUTTER_MODEL_ARGS"


def load_model(spec: str, fixed_ms: float = 0.0, per_item_ms: float = 0.0,
               model_args: Optional[Dict[str, str]] = None):
    """Build the model named by ``--model``: an example name or ``module:Class``.

    A ``module:Class`` is imported (from the current directory too) and
    instantiated with ``model_args`` as keyword arguments (none by default).
    The examples take no model arguments.
    """
    model_args = model_args or {}
    if model_args and ":" not in spec:
        raise ValueError(f"model arguments (--model-arg, {MODEL_ARGS_ENV}) are for "
                         "module:Class models; the example models take none")
    if spec == "noop":
        return examples.NoopModel()
    if spec == "sum":
        return examples.SumModel()
    if spec == "echo":
        return examples.EchoModel()
    if spec == "sleep":
        return examples.SleepModel(fixed_ms, per_item_ms)
    module_name, sep, class_name = spec.partition(":")
    if not sep or not module_name or not class_name:
        raise ValueError(f"--model must be noop, sum, sleep, echo or module:Class, not {spec!r}")
    if "" not in sys.path:  # Console scripts do not put the cwd on sys.path.
        sys.path.insert(0, "")
    return getattr(importlib.import_module(module_name), class_name)(**model_args)


def resolve_model_args(args: argparse.Namespace) -> Dict[str, str]:
    """The model's keyword arguments: ``CUTTER_MODEL_ARGS``, then ``--model-arg``.

    The variable holds a JSON object with string values, e.g.
    ``{"path": "/models/m", "threshold": "0.5"}``; each ``--model-arg KEY=VALUE``
    adds a key or replaces the variable's value for it.  Raises ``ValueError``
    with a message for the user.
    """
    model_args: Dict[str, str] = {}
    text = os.environ.get(MODEL_ARGS_ENV, "").strip()
    if text:
        try:
            parsed = json.loads(text)
        except ValueError as err:
            raise ValueError(f"{MODEL_ARGS_ENV} must be a JSON object such as "
                             f'{{"path": "/models/m"}}: {err}') from None
        if not isinstance(parsed, dict):
            raise ValueError(f"{MODEL_ARGS_ENV} must be a JSON object such as "
                             f'{{"path": "/models/m"}}, not {type(parsed).__name__}')
        for key, value in parsed.items():
            if not isinstance(value, str):
                raise ValueError(f"{MODEL_ARGS_ENV}: the value of {key!r} must be a JSON "
                                 f"string (model arguments are strings), not {value!r}")
            model_args[_model_arg_key(key, MODEL_ARGS_ENV)] = value
    given = set()
    for item in args.model_arg or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--model-arg must be KEY=VALUE, not {item!r}")
        key = _model_arg_key(key, "--model-arg")
        if key in given:
            raise ValueError(f"--model-arg {key} is given more than once")
        given.add(key)
        model_args[key] = value
    return model_args


def _model_arg_key(key: str, source: str) -> str:
    if not key.isidentifier():
        raise ValueError(f"{source}: {key!r} is not a valid keyword argument name")
    return key


def build_parser() -> argparse.ArgumentParser:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="cutter-container",
        description="Serve a model to a Cutter (Clipper-compatible) frontend. "
                    "Defaults come from CLIPPER_MODEL_NAME, CLIPPER_MODEL_VERSION, "
                    "CLIPPER_INPUT_TYPE, CLIPPER_IP and CLIPPER_PORT when set, the secret "
                    "from CUTTER_RPC_SECRET or CUTTER_RPC_SECRET_FILE, model arguments "
                    "from CUTTER_MODEL_ARGS.",
    )
    parser.add_argument("--model", default="noop",
                        help="noop, sum, sleep, echo or module:Class (default: noop)")
    parser.add_argument("--name", default=env("CLIPPER_MODEL_NAME"),
                        help="model name (required unless CLIPPER_MODEL_NAME is set)")
    parser.add_argument("--version", default=env("CLIPPER_MODEL_VERSION", "1"),
                        help="model version (default: 1)")
    parser.add_argument("--input-type", default=env("CLIPPER_INPUT_TYPE", "doubles"),
                        help=f"one of {', '.join(INPUT_TYPES)} (default: doubles)")
    parser.add_argument("--host", default=env("CLIPPER_IP", "127.0.0.1"),
                        help="frontend address (default: 127.0.0.1)")
    # argparse runs string defaults through `type`, so a bad CLIPPER_PORT is reported too.
    parser.add_argument("--port", type=int, default=env("CLIPPER_PORT", "7000"),
                        help="frontend container port (default: 7000)")
    parser.add_argument("--model-arg", action="append", default=[], metavar="KEY=VALUE",
                        help="keyword argument for the model's constructor, as a string "
                             "(repeatable; module:Class models only). Added to, and "
                             "overriding, the JSON object in CUTTER_MODEL_ARGS, e.g. "
                             '\'{"path": "/models/m"}\'')
    parser.add_argument("--fixed-ms", type=float, default=0.0,
                        help="sleep model: fixed time per batch in ms")
    parser.add_argument("--per-item-ms", type=float, default=0.0,
                        help="sleep model: extra time per input in ms")
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument("--secret", default=None,
                        help="the frontend's rpc_secret: authenticate with ZMTP PLAIN, which "
                             "sends it in clear text (default: CUTTER_RPC_SECRET; none: "
                             "no authentication, as with Clipper)")
    secret.add_argument("--secret-file", default=None, metavar="PATH",
                        help="read the secret from the first line of PATH instead, keeping it "
                             "off the command line (default: CUTTER_RPC_SECRET_FILE)")
    parser.add_argument("--activity-timeout", type=float, default=30.0,
                        help="reconnect after this many seconds without any message (default: 30)")
    parser.add_argument("--log-level", default="info",
                        choices=["debug", "info", "warning", "error"])
    return parser


def resolve_secret(args: argparse.Namespace) -> Optional[str]:
    """The secret from ``--secret``/``--secret-file``, else from their variables.

    Options beat the environment; an empty secret means none, as for the
    frontend's ``rpc_secret``.  Raises ``ValueError`` with a message for the user.
    """
    secret, path = args.secret, args.secret_file
    if secret is None and path is None:
        secret = os.environ.get("CUTTER_RPC_SECRET") or None
        path = os.environ.get("CUTTER_RPC_SECRET_FILE") or None
        if secret is not None and path is not None:
            raise ValueError("set only one of CUTTER_RPC_SECRET and CUTTER_RPC_SECRET_FILE")
    if path is not None:
        try:
            with open(path, encoding="utf-8") as file:
                # Like the frontend's rpc_secret_file: the first line, without its end.
                secret = file.readline().rstrip("\n")
        except (OSError, UnicodeDecodeError) as err:
            raise ValueError(f"cannot read the secret file {path!r}: {err}") from None
        if not secret:
            raise ValueError(f"the first line of the secret file {path!r} is empty")
    if not secret:
        return None
    if len(secret.encode()) > 255:
        raise ValueError("the secret must be at most 255 bytes long (a ZMTP PLAIN limit)")
    return secret


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.name:
        parser.error("--name is required (or set CLIPPER_MODEL_NAME)")
    try:
        input_type_code(args.input_type)
    except ValueError as err:
        parser.error(str(err))
    try:
        secret = resolve_secret(args)
        model_args = resolve_model_args(args)
    except ValueError as err:
        parser.error(str(err))
    # StreamHandler flushes after every record, so each line reaches stderr at once.
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        model = load_model(args.model, args.fixed_ms, args.per_item_ms, model_args)
    except Exception as err:
        parser.error(f"cannot load model {args.model!r}: {err}")
    try:
        run(model, args.name, args.version, args.input_type, host=args.host, port=args.port,
            activity_timeout=args.activity_timeout, secret=secret)
    except ModelLoadError:
        return 1  # run() has logged why, with the traceback of a failed load().
    return 0

