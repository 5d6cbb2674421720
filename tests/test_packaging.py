"""The container's install, rehearsed without Docker: exactly the files the Dockerfile copies,
installed the way its RUN line installs them into a fresh virtualenv, with its ENV, must start the
service from another directory, answer /healthz, /readyz, the chat API and the page, and pass the
image's HEALTHCHECK command. Needs PyPI (or the pip cache) for the dependencies; about 30 s."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 90


def instructions() -> list[tuple[str, str]]:
    """(KEYWORD, arguments) for each Dockerfile instruction, continuation lines joined."""
    joined: list[str] = []
    pending = ""
    for line in (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            joined.append(pending.strip())
            pending = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in joined]


def ignored_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip().removeprefix("**/") for line in lines if line.strip() and not line.startswith("#")]


def copy_context(app_dir: Path) -> None:
    """Do what the COPY instructions do, leaving out what .dockerignore leaves out."""
    patterns = ignored_patterns()

    def ignore(_: str, names: list[str]) -> set[str]:
        return {name for name in names if any(fnmatch(name, pattern) for pattern in patterns)}

    for keyword, arguments in instructions():
        if keyword != "COPY":
            continue
        *sources, destination = [token for token in shlex.split(arguments) if not token.startswith("--")]
        target = app_dir / destination
        for source in sources:
            path = REPO / source
            assert path.exists(), f"the Dockerfile copies {source}, which does not exist"
            if path.is_dir():  # like COPY, a directory's contents go into the destination
                shutil.copytree(path, target, ignore=ignore, dirs_exist_ok=True)
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / path.name)


def image_environment(app_dir: Path) -> dict[str, str]:
    """The Dockerfile's ENV, with /app standing for the copy."""
    values: dict[str, str] = {}
    for keyword, arguments in instructions():
        if keyword == "ENV":
            for pair in shlex.split(arguments):
                name, _, value = pair.partition("=")
                values[name] = str(app_dir) + value[len("/app") :] if value.startswith("/app") else value
    return values


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def fetch(url: str, body: dict[str, str] | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status: int = response.status
            return status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture()
def installed(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(virtualenv, app dir) with the package installed from the copied files as the image does."""
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    copy_context(app_dir)
    run_lines = [arguments for keyword, arguments in instructions() if keyword == "RUN" and "pip install" in arguments]
    assert len(run_lines) == 1, "expected one RUN line that pip-installs the package"
    pip_arguments = shlex.split(run_lines[0].split("pip install", 1)[1].split("&&", 1)[0])
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--quiet",
            "--no-compile",
            *pip_arguments,
        ],
        cwd=app_dir,
        capture_output=True,
        text=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    yield venv, app_dir


@pytest.mark.slow
def test_the_image_install_starts_and_answers(installed: tuple[Path, Path], tmp_path: Path) -> None:
    venv, app_dir = installed
    elsewhere = tmp_path / "elsewhere"  # not the repository: only the installed package can be imported
    elsewhere.mkdir()
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    environment.update(image_environment(app_dir))
    environment.update({"ANTIFRAUD_HOST": "127.0.0.1", "ANTIFRAUD_PORT": str(port)})

    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import bot; print(bot.__file__)"],
        cwd=elsewhere,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(tmp_path), where.stdout + where.stderr

    command = json.loads([arguments for keyword, arguments in instructions() if keyword == "CMD"][-1])
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [str(venv / "bin" / command[0]), *command[1:]],
        cwd=elsewhere,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        status = 0
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, _ = fetch(f"{base}/healthz")
                if status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        assert status == 200, (tmp_path / "server.log").read_text()

        status, body = fetch(f"{base}/readyz")
        assert status == 200 and json.loads(body)["scam_types"] > 0, body
        status, body = fetch(f"{base}/api/chat", {"message": "我已经转了5000"})
        assert status == 200 and json.loads(body)["reply"]["kind"] == "urgent", body
        status, _ = fetch(f"{base}/")
        assert status == 200, "the chat page must be served from the installed image"

        healthcheck = [arguments for keyword, arguments in instructions() if keyword == "HEALTHCHECK"][-1]
        probe = json.loads(healthcheck.split("CMD", 1)[1])
        assert probe[0] == "python"
        checked = subprocess.run([str(venv / "bin" / "python"), *probe[1:]], cwd=elsewhere, env=environment, timeout=30)
        assert checked.returncode == 0, "the Dockerfile's HEALTHCHECK command fails against the running service"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
