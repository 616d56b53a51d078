"""The built wheel, installed into an empty environment, is all a user needs: `pip install
jupyter_codeact`, then `jupyter lab` serves the sidebar and the server extension."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from .servers import free_port, wait_for_port

REPO = Path(__file__).parent.parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(*command: str | Path, env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=timeout, env=env
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return ANSI.sub("", done.stdout + done.stderr)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_wheel_installs_into_an_empty_venv_and_jupyter_lab_serves_it(
    tmp_path: Path,
) -> None:
    # A user's environment: nothing of this checkout, no Jupyter config of ours.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("JUPYTER", "PYTHON", "VIRTUAL_ENV", "OPENAI_", "CODEACT_"))
    }
    env.update(
        JUPYTER_PLATFORM_DIRS="1",
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
    )
    # The wheel, built as a release would be (the front end is already built by `make`).
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
        "--wheel-dir", tmp_path / "dist", REPO, env=env)  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("jupyter_codeact-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    front = [n for n in names if "/share/jupyter/labextensions/jupyter-codeact/" in n]
    assert any(n.endswith("/package.json") for n in front)
    assert any(re.search(r"/static/remoteEntry\.[0-9a-f]+\.js$", n) for n in front)
    assert any(n.endswith("/schemas/jupyter-codeact/plugin.json") for n in front)
    assert any(
        n.endswith("etc/jupyter/jupyter_server_config.d/jupyter_codeact.json") for n in names
    )

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, env=env)
    bin_dir = venv / "bin"
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    run(bin_dir / "pip", "install", "--quiet", wheel, env=env, timeout=600)

    labextensions = run(bin_dir / "jupyter", "labextension", "list", env=env)
    assert re.search(r"jupyter-codeact v[\d.]+\S* enabled OK", labextensions), labextensions
    server_extensions = run(bin_dir / "jupyter", "server", "extension", "list", env=env)
    assert re.search(r"jupyter_codeact [\d.]+\S* OK", server_extensions), server_extensions

    root = tmp_path / "work"
    root.mkdir()
    port, token = free_port(), secrets.token_hex(8)
    lab = subprocess.Popen(
        [bin_dir / "jupyter", "lab", "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
         "--ServerApp.allow_root=True", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port, lab, timeout=120)  # type: ignore[arg-type]
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"token {token}"}

        def get(path: str) -> bytes:
            request = urllib.request.Request(base + path, headers=headers)
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200, path
                body: bytes = response.read()
                return body

        page = get("/lab").decode()
        config = json.loads(
            re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S)[1]
        )  # type: ignore[index]
        (ours,) = [e for e in config["federated_extensions"] if e["name"] == "jupyter-codeact"]
        assert get(f"/lab/extensions/jupyter-codeact/{ours['load']}").startswith(b"var ")
        assert json.loads(get("/codeact/config"))["has_api_key"] is False
    finally:
        lab.terminate()
        lab.wait(timeout=30)
