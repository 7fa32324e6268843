"""Command-line parsing of the secret and model options (no sockets: ``run`` is replaced)."""

import json
import logging
import textwrap

import pytest

from cutter_container import cli

BASE = ["--name", "m", "--model", "noop"]


@pytest.fixture
def run_kwargs(monkeypatch):
    """Runs ``cli.main`` with a fake ``run``; returns the keyword arguments it got."""
    monkeypatch.delenv("CUTTER_RPC_SECRET", raising=False)
    monkeypatch.delenv("CUTTER_RPC_SECRET_FILE", raising=False)
    monkeypatch.delenv("CUTTER_MODEL_ARGS", raising=False)
    for name in ("CLIPPER_IP", "CLIPPER_PORT", "CUTTER_REDIS", "CUTTER_REDIS_USERNAME",
                 "CUTTER_REDIS_PASSWORD", "CUTTER_REDIS_PASSWORD_FILE"):
        monkeypatch.delenv(name, raising=False)
    calls = []
    monkeypatch.setattr(cli, "run",
                        lambda model, *args, **kwargs: calls.append(dict(kwargs, model=model)))

    def main(*argv):
        assert cli.main([*BASE, *argv]) == 0
        return calls.pop()

    return main


def test_no_secret_by_default(run_kwargs):
    assert run_kwargs()["secret"] is None


def test_secret_option(run_kwargs):
    assert run_kwargs("--secret", "s3cret")["secret"] == "s3cret"


def test_secret_from_environment(run_kwargs, monkeypatch):
    monkeypatch.setenv("CUTTER_RPC_SECRET", "from-env")
    assert run_kwargs()["secret"] == "from-env"
    assert run_kwargs("--secret", "option")["secret"] == "option"  # the option wins
    monkeypatch.setenv("CUTTER_RPC_SECRET", "")
    assert run_kwargs()["secret"] is None  # empty means none, as for rpc_secret


def test_secret_file(run_kwargs, monkeypatch, tmp_path):
    path = tmp_path / "secret"
    path.write_text("first line \nsecond line\n")
    assert run_kwargs("--secret-file", str(path))["secret"] == "first line "
    monkeypatch.setenv("CUTTER_RPC_SECRET_FILE", str(path))
    assert run_kwargs()["secret"] == "first line "
    # An option beats both variables.
    monkeypatch.setenv("CUTTER_RPC_SECRET", "ignored")
    assert run_kwargs("--secret", "option")["secret"] == "option"
    path.write_text("no newline")
    assert run_kwargs("--secret-file", str(path))["secret"] == "no newline"
    path.write_bytes(b"windows\r\nline\r\n")
    assert run_kwargs("--secret-file", str(path))["secret"] == "windows"


@pytest.mark.parametrize("argv,env,message", [
    (["--secret", "a", "--secret-file", "f"], {}, "not allowed with argument"),
    ([], {"CUTTER_RPC_SECRET": "a", "CUTTER_RPC_SECRET_FILE": "f"},
     "only one of CUTTER_RPC_SECRET and CUTTER_RPC_SECRET_FILE"),
    (["--secret-file", "{missing}"], {}, "cannot read the secret file"),
    (["--secret-file", "{empty}"], {}, "is empty"),
    (["--secret", "x" * 256], {}, "at most 255 bytes"),
])
def test_secret_errors(run_kwargs, monkeypatch, tmp_path, capsys, argv, env, message):
    (tmp_path / "empty").write_text("\nsecret on the second line\n")
    paths = dict(missing=str(tmp_path / "missing"), empty=str(tmp_path / "empty"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_info:
        run_kwargs(*[arg.format(**paths) for arg in argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


MODELS = """
    from cutter_container import Model

    class Configured(Model):
        def __init__(self, path="/default", threshold="0.5"):
            self.path = path
            self.threshold = threshold

        def predict(self, inputs):
            return [self.path] * len(inputs)

    class Plain(Model):
        def predict(self, inputs):
            return ["1.0"] * len(inputs)

    class BrokenLoad(Model):
        def load(self):
            raise OSError("cannot read /models/m")

        def predict(self, inputs):
            return []
"""


@pytest.fixture
def models_module(tmp_path, monkeypatch):
    (tmp_path / "cli_test_models.py").write_text(textwrap.dedent(MODELS))
    monkeypatch.syspath_prepend(str(tmp_path))
    return "cli_test_models"


def test_model_args_from_the_command_line(run_kwargs, models_module):
    model = run_kwargs("--model", f"{models_module}:Configured", "--model-arg", "path=/models/m",
                       "--model-arg", "threshold=a=b,c")["model"]
    assert (model.path, model.threshold) == ("/models/m", "a=b,c")
    model = run_kwargs("--model", f"{models_module}:Configured", "--model-arg", "path=")["model"]
    assert (model.path, model.threshold) == ("", "0.5")
    # Without model arguments, the class is created with none (as before).
    assert run_kwargs("--model", f"{models_module}:Plain")["model"].predict([1]) == ["1.0"]


def test_model_args_from_the_environment(run_kwargs, models_module, monkeypatch):
    monkeypatch.setenv("CUTTER_MODEL_ARGS", json.dumps({"path": "/env", "threshold": "0.9"}))
    model = run_kwargs("--model", f"{models_module}:Configured")["model"]
    assert (model.path, model.threshold) == ("/env", "0.9")
    # The command line adds to the variable and wins over it, key by key.
    model = run_kwargs("--model", f"{models_module}:Configured", "--model-arg", "path=/cli")["model"]
    assert (model.path, model.threshold) == ("/cli", "0.9")
    monkeypatch.setenv("CUTTER_MODEL_ARGS", " ")
    assert run_kwargs("--model", f"{models_module}:Configured")["model"].path == "/default"


@pytest.mark.parametrize("argv,env,message", [
    (["--model-arg", "path"], None, "--model-arg must be KEY=VALUE, not 'path'"),
    (["--model-arg", "=x"], None, "--model-arg: '' is not a valid keyword argument name"),
    (["--model-arg", "a-b=1"], None, "--model-arg: 'a-b' is not a valid keyword argument name"),
    (["--model-arg", "path=a", "--model-arg", "path=b"], None,
     "--model-arg path is given more than once"),
    ([], "path=/m", "CUTTER_MODEL_ARGS must be a JSON object"),
    ([], '["path"]', "CUTTER_MODEL_ARGS must be a JSON object such as "
                     '{"path": "/models/m"}, not list'),
    ([], '{"threshold": 0.5}', "CUTTER_MODEL_ARGS: the value of 'threshold' must be a JSON "
                               "string (model arguments are strings), not 0.5"),
    (["--model-arg", "colour=red"], None, "__init__() got an unexpected keyword argument "
                                          "'colour'"),
])
def test_model_arg_errors(run_kwargs, models_module, monkeypatch, capsys, argv, env, message):
    if env is not None:
        monkeypatch.setenv("CUTTER_MODEL_ARGS", env)
    with pytest.raises(SystemExit) as exit_info:
        run_kwargs("--model", f"{models_module}:Configured", *argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_example_models_take_no_model_args(run_kwargs, capsys):
    with pytest.raises(SystemExit):
        run_kwargs("--model-arg", "x=1")  # BASE uses --model noop
    assert "the example models take none" in capsys.readouterr().err


def test_failed_load_exits_with_status_1(models_module, monkeypatch, caplog):
    monkeypatch.delenv("CUTTER_MODEL_ARGS", raising=False)
    caplog.set_level(logging.INFO, logger="cutter_container")
    # The real run(): load() fails before any connection is attempted.
    status = cli.main(["--name", "m", "--model", f"{models_module}:BrokenLoad", "--port", "9"])
    assert status == 1
    record = next(r for r in caplog.records if "BrokenLoad.load() failed" in r.getMessage())
    assert record.levelno == logging.ERROR and "cannot read /models/m" in caplog.text
    assert "loading BrokenLoad" in caplog.messages
    assert not [r for r in caplog.records if "connecting" in r.getMessage()]


def test_one_frontend_by_default(run_kwargs, monkeypatch):
    kwargs = run_kwargs()
    assert (kwargs["host"], kwargs["port"]) == ("127.0.0.1", 7000)
    assert "redis" not in kwargs
    monkeypatch.setenv("CLIPPER_IP", "frontend")
    monkeypatch.setenv("CLIPPER_PORT", "7001")
    kwargs = run_kwargs()
    assert (kwargs["host"], kwargs["port"]) == ("frontend", 7001)
    kwargs = run_kwargs("--host", "other", "--port", "7002")
    assert (kwargs["host"], kwargs["port"]) == ("other", 7002)


def test_redis_options(run_kwargs, monkeypatch, tmp_path):
    # CLIPPER_IP/CLIPPER_PORT, as Clipper-style deployments set them, are ignored.
    monkeypatch.setenv("CLIPPER_IP", "frontend")
    monkeypatch.setenv("CLIPPER_PORT", "7001")
    kwargs = run_kwargs("--redis", "redis:6379")
    assert kwargs["redis"] == "redis:6379" and "host" not in kwargs and "port" not in kwargs
    assert kwargs["redis_password"] is None and kwargs["redis_username"] is None
    kwargs = run_kwargs("--redis", "redis:6379", "--redis-password", "pw",
                        "--redis-username", "cutter-container")
    assert (kwargs["redis_password"], kwargs["redis_username"]) == ("pw", "cutter-container")
    path = tmp_path / "redis-password"
    path.write_text("from-file\n")
    assert run_kwargs("--redis", "r:1", "--redis-password-file",
                      str(path))["redis_password"] == "from-file"
    monkeypatch.setenv("CUTTER_REDIS", "env-redis:6380")
    monkeypatch.setenv("CUTTER_REDIS_USERNAME", "env-user")
    monkeypatch.setenv("CUTTER_REDIS_PASSWORD_FILE", str(path))
    kwargs = run_kwargs()
    assert (kwargs["redis"], kwargs["redis_username"], kwargs["redis_password"]) == (
        "env-redis:6380", "env-user", "from-file")
    monkeypatch.delenv("CUTTER_REDIS_PASSWORD_FILE")
    monkeypatch.setenv("CUTTER_REDIS_PASSWORD", "env-pw")
    assert run_kwargs()["redis_password"] == "env-pw"
    assert run_kwargs("--redis-password", "option")["redis_password"] == "option"


@pytest.mark.parametrize("argv,env,message", [
    (["--redis", "r:1", "--host", "h"], {}, "--host and --port cannot be used with --redis"),
    (["--redis", "r:1", "--port", "7000"], {}, "--host and --port cannot be used with --redis"),
    (["--port", "7000"], {"CUTTER_REDIS": "r:1"},
     "--host and --port cannot be used with CUTTER_REDIS"),
    (["--redis", "redis"], {}, "--redis must be HOST:PORT, not 'redis'"),
    ([], {"CUTTER_REDIS": "r:x"}, "CUTTER_REDIS must be HOST:PORT"),
    (["--redis-password", "pw"], {}, "--redis-password needs --redis"),
    (["--redis", "r:1", "--redis-username", "u"], {}, "a Redis username"),
    (["--redis", "r:1", "--redis-password", "a", "--redis-password-file", "f"], {},
     "not allowed with argument"),
    (["--redis", "r:1"], {"CUTTER_REDIS_PASSWORD": "a", "CUTTER_REDIS_PASSWORD_FILE": "f"},
     "only one of CUTTER_REDIS_PASSWORD and CUTTER_REDIS_PASSWORD_FILE"),
    (["--redis", "r:1", "--redis-password-file", "/nonexistent/pw"], {},
     "cannot read the Redis password file"),
    ([], {"CLIPPER_PORT": "x"}, "CLIPPER_PORT must be a port number, not 'x'"),
])
def test_redis_option_errors(run_kwargs, monkeypatch, capsys, argv, env, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_info:
        run_kwargs(*argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
