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
from .registry import parse_address
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
                    "from CUTTER_MODEL_ARGS, the frontend registry from CUTTER_REDIS, "
                    "CUTTER_REDIS_USERNAME and CUTTER_REDIS_PASSWORD or "
                    "CUTTER_REDIS_PASSWORD_FILE.",
    )
    parser.add_argument("--model", default="noop",
                        help="noop, sum, sleep, echo or module:Class (default: noop)")
    parser.add_argument("--name", default=env("CLIPPER_MODEL_NAME"),
                        help="model name (required unless CLIPPER_MODEL_NAME is set)")
    parser.add_argument("--version", default=env("CLIPPER_MODEL_VERSION", "1"),
                        help="model version (default: 1)")
    parser.add_argument("--input-type", default=env("CLIPPER_INPUT_TYPE", "doubles"),
                        help=f"one of {', '.join(INPUT_TYPES)} (default: doubles)")
    # Their defaults (CLIPPER_IP, CLIPPER_PORT) are applied by resolve_frontend, so
    # that giving them next to --redis can be told from the environment's values.
    parser.add_argument("--host", default=None,
                        help="frontend address (default: CLIPPER_IP, else 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None,
                        help="frontend container port (default: CLIPPER_PORT, else 7000)")
    parser.add_argument("--redis", default=None, metavar="HOST:PORT",
                        help="serve every frontend registered in this Redis (database 4, keys "
                             "frontend:*) instead of the one at --host/--port "
                             "(default: CUTTER_REDIS)")
    parser.add_argument("--redis-username", default=None, metavar="USER",
                        help="Redis ACL user (default: CUTTER_REDIS_USERNAME; none: the "
                             "default user)")
    redis_password = parser.add_mutually_exclusive_group()
    redis_password.add_argument("--redis-password", default=None, metavar="PASSWORD",
                                help="Redis password (default: CUTTER_REDIS_PASSWORD)")
    redis_password.add_argument("--redis-password-file", default=None, metavar="PATH",
                                help="read the Redis password from the first line of PATH "
                                     "(default: CUTTER_REDIS_PASSWORD_FILE)")
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
    secret = _value_or_file(args.secret, args.secret_file, "CUTTER_RPC_SECRET", "secret")
    if secret is None:
        return None
    if len(secret.encode()) > 255:
        raise ValueError("the secret must be at most 255 bytes long (a ZMTP PLAIN limit)")
    return secret


def _value_or_file(value: Optional[str], path: Optional[str], variable: str,
                   what: str) -> Optional[str]:
    """A value from its option, its file option, or ``variable`` / ``variable_FILE``."""
    if value is None and path is None:
        value = os.environ.get(variable) or None
        path = os.environ.get(f"{variable}_FILE") or None
        if value is not None and path is not None:
            raise ValueError(f"set only one of {variable} and {variable}_FILE")
    if path is not None:
        try:
            with open(path, encoding="utf-8") as file:
                # Like the frontend's rpc_secret_file: the first line, without its end.
                value = file.readline().rstrip("\n")
        except (OSError, UnicodeDecodeError) as err:
            raise ValueError(f"cannot read the {what} file {path!r}: {err}") from None
        if not value:
            raise ValueError(f"the first line of the {what} file {path!r} is empty")
    return value or None


def resolve_frontend(args: argparse.Namespace) -> Dict[str, object]:
    """``run``'s keyword arguments saying where the frontends are.

    Either ``host`` and ``port`` (options, else CLIPPER_IP and CLIPPER_PORT,
    else 127.0.0.1:7000) or, with ``--redis`` / CUTTER_REDIS, the registry and
    its credentials; CLIPPER_IP and CLIPPER_PORT are then ignored.  Raises
    ``ValueError`` with a message for the user.
    """
    redis = args.redis or os.environ.get("CUTTER_REDIS") or None
    if redis is None:
        for option in ("redis_username", "redis_password", "redis_password_file"):
            if getattr(args, option) is not None:
                raise ValueError(f"--{option.replace('_', '-')} needs --redis (or CUTTER_REDIS)")
        port = args.port
        if port is None:
            text = os.environ.get("CLIPPER_PORT", "7000")
            try:
                port = int(text)
            except ValueError:
                raise ValueError(f"CLIPPER_PORT must be a port number, not {text!r}") from None
        return dict(host=args.host or os.environ.get("CLIPPER_IP") or "127.0.0.1", port=port)
    source = "--redis" if args.redis else "CUTTER_REDIS"
    if args.host is not None or args.port is not None:
        raise ValueError(f"--host and --port cannot be used with {source}: the frontends' "
                         "addresses are read from Redis")
    parse_address(redis, source)
    password = _value_or_file(args.redis_password, args.redis_password_file,
                              "CUTTER_REDIS_PASSWORD", "Redis password")
    username = args.redis_username or os.environ.get("CUTTER_REDIS_USERNAME") or None
    if username is not None and password is None:
        raise ValueError("a Redis username (--redis-username, CUTTER_REDIS_USERNAME) needs a "
                         "password (--redis-password, --redis-password-file, "
                         "CUTTER_REDIS_PASSWORD or CUTTER_REDIS_PASSWORD_FILE)")
    return dict(redis=redis, redis_password=password, redis_username=username)


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
        frontend = resolve_frontend(args)
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
        run(model, args.name, args.version, args.input_type,
            activity_timeout=args.activity_timeout, secret=secret, **frontend)
    except ModelLoadError:
        return 1  # run() has logged why, with the traceback of a failed load().
    return 0

