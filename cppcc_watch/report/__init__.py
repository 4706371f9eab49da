"""The visual report: one self-contained HTML file of what the stored news says.

`cppcc-watch report --out FILE.html` calls `write_report`; from Python::

    from cppcc_watch.query import Query
    from cppcc_watch.report import write_report
    with Query.open("sqlite:///data/cppcc_watch.db") as q:
        write_report(q, "report.html", since="2024", source="cppcc")

Data flows gather (queries) -> charts (Plotly figures) -> page (HTML).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cppcc_watch.errors import BadInput
from cppcc_watch.query import Query
from cppcc_watch.report.gather import ReportData, gather
from cppcc_watch.report.page import render

__all__ = ["ReportData", "gather", "render", "write_report"]


def write_report(
    query: Query,
    out: str | Path,
    *,
    since: str | None = None,
    until: str | None = None,
    source: str | None = None,
) -> ReportData:
    """Write the report for a date range and source to `out`; return what it shows.

    The file is replaced only once the new report is complete; missing parent folders are made.
    """
    path = Path(out)
    data = gather(query, since=since, until=until, source=source, database=query.store.label)
    page = render(data)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(page)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        raise BadInput(f"cannot write the report to {path}: {error.strerror or error}") from error
    return data
