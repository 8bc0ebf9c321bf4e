import subprocess
import sys


def test_python_dash_m_pathways_runs_management_commands():
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pathways", "help", "audit-verify"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "hash chain" in result.stdout
