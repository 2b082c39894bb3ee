"""The README's test command is exactly what CI runs (`.ci/run`): a fresh venv, the test extras, pytest with
skip reasons shown."""
from __future__ import annotations

from conftest import REPO


def test_readme_second_command_is_the_ci_command():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    ci = [line for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
          if line.strip() and not line.startswith(("#", "set ", "cd "))]
    assert ci == [first_block[1]]
    assert "venv --clear" in ci[0] and "pytest -rs" in ci[0]
