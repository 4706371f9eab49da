#!/usr/bin/env python3
"""Build the egg that scrapyd runs: the crawl layer plus the entry point naming the settings.

    python deploy/build_egg.py [OUT.egg]          # default: dist/cppcc_watch-VERSION.egg

`scrapyd-deploy --build-egg` cannot be used as it is: it builds through setuptools, which takes
the entry points from pyproject.toml and drops the `[scrapy] settings` one scrapyd needs. An egg is
a zip file; this writes one straight from the source tree.

The egg holds `spiders/` and `pipelines/`; the library (`cppcc_watch`, with its data files and
dependencies) is installed in scrapyd's environment with pip (`pip install /path/to/cppcc-watch`),
as an egg cannot carry compiled dependencies such as pyahocorasick, and the extraction data files
are read from disk. Deploy it with `scrapyd-deploy TARGET --egg OUT.egg`, or POST it to scrapyd's
addversion.json.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("spiders", "pipelines")


def project_version() -> str:
    """The version in pyproject.toml."""
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    return match.group(1) if match else "0"


def build_egg(out: Path) -> Path:
    """Write the egg to `out` and return its path."""
    version = project_version()
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as egg:
        for package in PACKAGES:
            for path in sorted((ROOT / package).rglob("*")):
                if path.suffix == ".py" and "__pycache__" not in path.parts:
                    egg.write(path, path.relative_to(ROOT).as_posix())
        egg.writestr(
            "EGG-INFO/PKG-INFO",
            f"Metadata-Version: 2.1\nName: cppcc-watch\nVersion: {version}\n",
        )
        egg.writestr("EGG-INFO/entry_points.txt", "[scrapy]\nsettings = cppcc_watch.settings\n")
        egg.writestr("EGG-INFO/top_level.txt", "\n".join(PACKAGES) + "\n")
        egg.writestr("EGG-INFO/not-zip-safe", "\n")
    return out


def main() -> int:
    """Build the egg at the path given, or under dist/."""
    default = ROOT / "dist" / f"cppcc_watch-{project_version()}.egg"
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    print(build_egg(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
