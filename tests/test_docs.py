"""Docs that cannot drift: the README's two commands, its settings table and its command list, and
citations of the project's documents that point inside the repository."""

from __future__ import annotations

import re
import subprocess
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


def _tracked_text_files() -> dict[str, str]:
    """Path -> text of every file in the repository that is UTF-8 text."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
    ).stdout
    texts = {}
    for name in filter(None, listed.split("\0")):
        try:
            texts[name] = (ROOT / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue
    return texts


def test_nothing_cites_or_reads_files_outside_the_repository() -> None:
    outside = re.compile(r"/wor[k]/|\.\./share[d]|share[d]/data")
    # docs/SPEC.md names the site research by its path beside it; elsewhere it is docs/research.
    research = re.compile(r"(?<!docs/)\bresearc[h]/")
    found = [
        f"{name}:{text.count(chr(10), 0, match.start()) + 1}"
        for name, text in _tracked_text_files().items()
        for pattern in ((outside,) if name.startswith("docs/") else (outside, research))
        for match in pattern.finditer(text)
    ]
    assert not found


def test_cited_documents_and_sections_exist() -> None:
    sections = {
        doc: set(re.findall(r"^##+ ([\w.]+?)\.? ", (ROOT / doc).read_text(encoding="utf-8"), re.M))
        for doc in ("docs/SPEC.md", "docs/research/sites.md")
    }
    cited = 0
    for name, text in _tracked_text_files().items():
        for doc in re.findall(r"\bdocs/[\w/-]+\.md\b", text):
            assert (ROOT / doc).is_file(), f"{name} cites {doc}"
            cited += 1
        for doc, section in re.findall(
            rf"\b({'|'.join(map(re.escape, sections))}) §([\w.]+)", text
        ):
            assert section in sections[doc], f"{name} cites {doc} §{section}"
    assert cited >= 10
