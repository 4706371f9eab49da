"""The sites the project crawls: one module per site with its URL rules and page objects.

`SITES` maps a spider name to its site module; `site_for_url` finds the module for a URL by host.
"""

from __future__ import annotations

from types import ModuleType

from cppcc_watch.sites import chinadaily, cppcc

SiteModule = ModuleType

SITES: dict[str, SiteModule] = {cppcc.NAME: cppcc, chinadaily.NAME: chinadaily}


def site_for_url(url: str) -> SiteModule | None:
    """The site module serving a URL: CPPCC hosts (and /cppcc/ on China Daily), else China Daily."""
    for site in (cppcc, chinadaily):
        if site.site_path(url) is not None:
            return site
    return None
