"""`make demo` serves where the settings say and runs the local mail sink it documents."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_demo_honours_host_and_port_and_sends_mail_to_a_local_sink():
    environment = {**os.environ, "DAILYPAPERS_HOST": "0.0.0.0", "DAILYPAPERS_PORT": "9001"}
    planned = subprocess.run(
        ["make", "-n", "demo"], cwd=ROOT, env=environment, capture_output=True, text=True
    )

    assert planned.returncode == 0, planned.stderr
    assert 'dailypapers serve --host "0.0.0.0" --port "9001"' in planned.stdout
    assert "dailypapers mail sink --port 8025" in planned.stdout
    assert "DAILYPAPERS_SMTP_PORT=8025" in planned.stdout
    assert "DAILYPAPERS_SERVE_SENDS_MAIL=1" in planned.stdout
    assert "import --only-known" in planned.stdout  # arXiv categories for the HF papers
