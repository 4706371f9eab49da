"""Re-print the page objects' current output into tests/fixtures/<site>/<case>/expected.json.

Run it after changing a page object, then review `git diff tests/fixtures`: every changed line is a
behaviour change to accept or fix. Usage: `python scripts/update_fixtures.py [CASE_DIR ...]`
(default: every case of every site). New cases need only `page.html` and `url.txt`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cppcc_watch.sites import SITES  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"


def current_output(case: Path) -> dict:
    """What the site's page object makes of a fixture case now (article or listing)."""
    site = SITES[case.parent.name]
    html = (case / "page.html").read_text(encoding="utf-8")
    url = (case / "url.txt").read_text(encoding="utf-8").strip()
    if case.name.startswith("listing-"):
        listing = site.ListingPage(html, url)
        return {
            "article_links": listing.article_links(),
            "next_page_links": listing.next_page_links(),
        }
    page = site.ArticlePage(html, url)
    data = page.to_article(site.NAME).to_json()
    data["page_links"] = page.page_links()
    return data


def cases(args: list[str]) -> list[Path]:
    """The case directories named on the command line, or all of them."""
    if args:
        return [Path(a).resolve() for a in args]
    return sorted(
        d for site in SITES for d in (FIXTURES / site).iterdir() if (d / "page.html").exists()
    )


def main(args: list[str]) -> int:
    """Write expected.json for each case and say which ones changed."""
    for case in cases(args):
        target = case / "expected.json"
        text = json.dumps(current_output(case), indent=2, ensure_ascii=False) + "\n"
        old = target.read_text(encoding="utf-8") if target.exists() else None
        if old != text:
            target.write_text(text, encoding="utf-8")
            print(f"{'updated' if old else 'created'}: {case.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
