"""Score entity extraction against the labeled articles and print precision, recall and F1 by kind.

    python scripts/evaluate_extraction.py [--labeled DIR] [--errors] [--json]

Micro-averaged over the set, an entity counting once per article (cppcc_watch.extract.evaluation),
with the type and place accuracy of the matched organizations. `--labeled` defaults to the dev
part (tests/labeled/); a sealed part is scored with `--labeled tests/labeled/sealed-1`.
`--errors` lists each article's false positives (+), false negatives (-) and wrong organization
attributes (!); it is refused on a sealed part (a directory named sealed-*), whose per-article
errors nobody tuning the rules may see, unless `--unseal` says that part stops being sealed.
`--json` prints the figures in the format of tests/labeled/baseline.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cppcc_watch.extract.evaluation import DEFAULT_LABELED_DIR, Evaluation, evaluate, load_labeled

# The sealed-part targets of issue 11.
TARGETS = {"province": 0.98, "city": 0.97, "organization": 0.92, "theme": 0.88}


def format_table(result: Evaluation) -> str:
    """The scores as an aligned text table, with each kind's target."""
    lines = [
        f"{'kind':<13} {'TP':>4} {'FP':>4} {'FN':>4} {'prec':>6} {'recall':>6} {'F1':>6} target"
    ]
    for kind, s in result.scores.items():
        mark = "ok" if s.f1 >= TARGETS[kind] else "BELOW"
        lines.append(
            f"{kind:<13} {s.tp:>4} {s.fp:>4} {s.fn:>4} {s.precision:>6.3f} {s.recall:>6.3f} "
            f"{s.f1:>6.3f} {TARGETS[kind]:.2f} {mark}"
        )
    for name, accuracy in result.attributes.items():
        lines.append(
            f"organization {name} accuracy (matched): {accuracy.correct}/{accuracy.compared}"
            f" = {accuracy.value:.3f}"
        )
    lines.append(f"({result.articles} articles)")
    return "\n".join(lines)


def format_errors(result: Evaluation) -> str:
    """Each article's false positives (+) and false negatives (-), by kind."""
    lines = []
    for err in result.errors:
        lines.append(err.article_id)
        for kind in sorted({*err.false_positives, *err.false_negatives}):
            for name in err.false_positives.get(kind, []):
                lines.append(f"  + {kind}: {name}")
            for name in err.false_negatives.get(kind, []):
                lines.append(f"  - {kind}: {name}")
        for wrong in err.wrong_attributes:
            lines.append(f"  ! organization {wrong}")
    return "\n".join(lines)


def as_baseline(result: Evaluation) -> dict[str, object]:
    """The figures as recorded in tests/labeled/baseline.json."""
    return {
        "articles": result.articles,
        "f1": {kind: round(s.f1, 4) for kind, s in result.scores.items()},
        "precision": {kind: round(s.precision, 4) for kind, s in result.scores.items()},
        "recall": {kind: round(s.recall, 4) for kind, s in result.scores.items()},
        "organization_attributes": {
            name: round(a.value, 4) for name, a in result.attributes.items()
        },
    }


def is_sealed(directory: Path) -> bool:
    """Whether `directory` is a sealed part of the labeled set (named sealed-*)."""
    return directory.resolve().name.startswith("sealed-")


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation and print the table (and errors); exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labeled", type=Path, default=DEFAULT_LABELED_DIR)
    parser.add_argument("--errors", action="store_true", help="list FP/FN per article")
    parser.add_argument("--json", action="store_true", help="print baseline.json figures")
    parser.add_argument(
        "--unseal", action="store_true", help="allow --errors on a sealed part (ends its sealing)"
    )
    args = parser.parse_args(argv)
    if args.errors and is_sealed(args.labeled) and not args.unseal:
        print(
            f"{args.labeled} is a sealed part: figures only (--unseal to see its errors, "
            "after which it is dev data)",
            file=sys.stderr,
        )
        return 2
    articles = load_labeled(args.labeled)
    if not articles:
        print(f"no labeled articles in {args.labeled}", file=sys.stderr)
        return 2
    result = evaluate(articles)
    if args.json:
        print(json.dumps(as_baseline(result), indent=2))
        return 0
    print(format_table(result))
    if args.errors:
        print()
        print(format_errors(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
