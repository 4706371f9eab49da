"""Every row of tests/data/organization-names.tsv is a test (issue 11).

The list holds organization names as written in real English coverage of this beat, each with its
canonical name, type and, for local bodies, province and city (see its NOTICE). The surface form,
put in a sentence, must give that one organization (or, for a coordinated plural such as
"ministries of education and finance", those organizations) with that name, type and place, and
no place mention from inside the name.

Where the name alone cannot say the place (a county, a Hong Kong body named without "Hong
Kong"), or names a body by reference ("the Federation"), the sentence follows a context sentence
of the kind a real article gives first; organizations that context names are expected as well.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import NamedTuple

import pytest

from cppcc_watch.extract import extract_entities

NAMES = Path(__file__).parent / "data" / "organization-names.tsv"
SENTENCE = "The {surface} held a meeting on Tuesday."


class Context(NamedTuple):
    """A sentence before the one naming the organization, and the organizations it names."""

    text: str
    organizations: tuple[str, ...] = ()


HONG_KONG = Context("Hong Kong's new policy address was published on Monday.")
CONTEXTS = {
    "Economic and Information Technology Commission": Context(
        "Guizhou province has built the country's first big data zone."
    ),
    "Federation of Literary and Art Groups": Context(
        "Guizhou province held an arts festival in the summer."
    ),
    "Caohai National Nature Reserve management committee": Context(
        "Caohai Lake lies in Weining county of Bijie, Guizhou province."
    ),
    "Commission on Strategic Development": HONG_KONG,
    "Economic Development Commission": HONG_KONG,
    "Executive Council": HONG_KONG,
    "Legislative Council": HONG_KONG,
    "Democratic Party": HONG_KONG,
    "Taizhou government": Context("Taizhou, in Jiangsu province, makes medicines."),
    "Huayuan county committee": Context("Huayuan county lies in the west of Hunan province."),
    "Lanling government": Context("Lanling county, in Linyi, Shandong province, grows garlic."),
    "Wuyi CPPCC": Context("Wuyi county in Jinhua, Zhejiang province, is known for hot springs."),
    "Jinzhou district CPPCC": Context("Jinzhou district of Dalian, Liaoning province, is a port."),
    "Party Working Committee of Jinpu New Area": Context(
        "Jinpu New Area in Dalian, Liaoning province, was set up in 2014."
    ),
    "party working committee of Xixian New Area": Context(
        "Xixian New Area in Xi'an, Shaanxi province, was set up in 2014."
    ),
    "Party committee of Zhongzhai township": Context(
        "Zhongzhai township in Tongren, Guizhou province, grows tea."
    ),
    "Sanjiang County committee of the Communist Party of China": Context(
        "Sanjiang Dong autonomous county, in Liuzhou, Guangxi Zhuang autonomous region, grows tea."
    ),
    "fishery bureau of the Poyang Lake": Context(
        "Poyang Lake, in Jiangxi province, is China's largest freshwater lake."
    ),
    "standing committee of the Federation": Context(
        "The All-China Women's Federation marked its anniversary on Monday.",
        ("All-China Women's Federation",),
    ),
    "leading Party members group": Context(
        "The China Association for Science and Technology has 210 member societies.",
        ("China Association for Science and Technology",),
    ),
}


class Row(NamedTuple):
    surface: str
    names: tuple[str, ...]
    type: str
    province: str | None
    city: str | None


def _rows() -> list[Row]:
    with NAMES.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        return [
            Row(
                row["surface"],
                tuple(name.strip() for name in row["canonical"].split("|")),
                row["type"],
                row["province"] or None,
                row["city"] or None,
            )
            for row in reader
        ]


ROWS = _rows()


def test_the_list_is_the_committed_one():
    assert len(ROWS) == 374
    assert {row.type for row in ROWS} <= {
        "party", "legislature", "advisory", "government", "democratic_party", "people_org",
        "academic", "media", "company", "international", "other",
    }  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[row.surface for row in ROWS])
def test_surface_form_gives_its_organization(row: Row) -> None:
    context = CONTEXTS.get(row.surface, Context(""))
    sentence = SENTENCE.format(surface=row.surface)
    body = f"{context.text} {sentence}".strip()
    offset = body.index(sentence) + len("The ")
    span = (offset, offset + len(row.surface))
    result = extract_entities(body)
    found = {e.name: e for e in result.organizations}
    assert sorted(found) == sorted({*row.names, *context.organizations})
    for name in row.names:
        entity = found[name]
        assert (entity.type, entity.province, entity.city) == (row.type, row.province, row.city)
        assert any(m.start >= span[0] and m.end <= span[1] for m in entity.mentions)
    inside = [
        (e.name, m.text)
        for e in [*result.provinces, *result.cities]
        for m in e.mentions
        if m.start < span[1] and m.end > span[0]
    ]
    assert inside == [], f"place mentions inside the name: {inside}"
