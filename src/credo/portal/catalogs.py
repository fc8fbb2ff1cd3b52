"""The portal's gettext catalogs: extract the messages, update each language's ``.po``,
compile the ``.mo`` files, and check that nothing is left untranslated.

Run from a checkout::

    python -m credo.portal.catalogs update    # after changing a message: new ones appear, empty
    python -m credo.portal.catalogs compile   # after translating
    python -m credo.portal.catalogs check     # what the test suite checks

The test suite fails when a message in a template or in `credo.portal.labels` has no
translation in one language, or when a compiled ``.mo`` differs from its ``.po``.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from credo.portal.i18n import DOMAIN, LANGUAGES, LOCALES_DIR, SOURCE

PORTAL = Path(__file__).parent
METHODS = [("templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
TRANSLATED = [code for code in LANGUAGES if code != SOURCE]


def po_path(code: str) -> Path:
    return LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    """Every message the portal can show, from its templates and its Python modules."""
    template = Catalog(project="credo", domain=DOMAIN, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PORTAL), METHODS, OPTIONS
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def load(code: str) -> Catalog:
    with po_path(code).open("rb") as f:
        return read_po(f, locale=code, domain=DOMAIN)


def mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def update() -> None:
    template = extract()
    for code in TRANSLATED:
        path = po_path(code)
        if path.exists():
            catalog = load(code)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=code, domain=DOMAIN, project="credo", fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with path.open("wb") as f:
            write_po(f, catalog, width=100, omit_header=False, sort_output=True)


def compile_all() -> None:
    for code in TRANSLATED:
        po_path(code).with_suffix(".mo").write_bytes(mo_bytes(load(code)))


def untranslated(code: str) -> list[str]:
    """The extracted messages without a complete, non-fuzzy translation in ``code``."""
    catalog = load(code)
    missing = []
    for message in extract():
        if not message.id:
            continue
        found = catalog.get(message.id, message.context)
        strings = (
            ()
            if found is None
            else (found.string if isinstance(found.string, tuple) else (found.string,))
        )
        if found is None or found.fuzzy or not strings or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def stale(code: str) -> bool:
    """Whether the committed ``.mo`` is not what compiling the ``.po`` gives."""
    mo = po_path(code).with_suffix(".mo")
    return not mo.exists() or mo.read_bytes() != mo_bytes(load(code))


def check() -> list[str]:
    problems = []
    for code in TRANSLATED:
        missing = untranslated(code)
        if missing:
            problems.append(f"{code}: {len(missing)} untranslated, e.g. {missing[0]!r}")
        if stale(code):
            problems.append(f"{code}: the .mo is not compiled from the .po")
    return problems


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        problems = check()
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    else:
        print("usage: python -m credo.portal.catalogs update|compile|check", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
