"""Docs that cannot drift: the README's two commands, its settings table and its command list."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from cppcc_watch.cli import cli
from cppcc_watch.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one() -> None:
    first_block = re.search(r"```\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = first_block.group(1).strip().splitlines()
    assert commands == ["python3 tasks.py crawl", "python3 tasks.py test"]
    assert README.index("```") < README.index("## ")
    assert "python3 tasks.py test" in (ROOT / ".ci" / "run").read_text()


def test_every_setting_is_documented_in_the_readme() -> None:
    documented = set(re.findall(r"^\| `(CPPCC_WATCH_[A-Z_]+)` \|", README, re.M))
    assert documented == {s.name for s in SETTINGS}
    for setting in SETTINGS:
        assert setting.help.strip(), setting.name


def test_every_command_is_in_the_readme_and_has_help() -> None:
    runner = CliRunner()
    for name, command in cli.commands.items():
        assert re.search(rf"^\| `{name}\b", README, re.M), f"{name} missing from README"
        assert command.help and command.help.strip()
        assert "Example:" in command.help, f"{name} has no example in its help"
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0
        assert "Usage:" in result.output
