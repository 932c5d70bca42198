"""Translation catalogs.

``python scripts/i18n.py build``  merge translations/fragments/*.po into translations/zh and compile.
``python scripts/i18n.py check``  list msgids used in app/ that have no Chinese translation (exit 1).
``python scripts/i18n.py missing-fab``  FAB's own msgids its zh catalog leaves untranslated.

Fragments keep each area's strings apart so several people can add translations at once.
"""
from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
FRAGMENTS = ROOT / "translations" / "fragments"
ZH_DIR = ROOT / "translations" / "zh" / "LC_MESSAGES"
METHOD_MAP = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.do"}}
#: Fixed header dates: the generated catalog must come out byte-identical on every build.
CATALOG_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "__": None}


def load_fragments() -> Catalog:
    merged = Catalog(locale="zh", project="jiangmen-fund", charset="utf-8",
                     creation_date=CATALOG_DATE, revision_date=CATALOG_DATE)
    for path in sorted(FRAGMENTS.glob("*.po")):
        with path.open("rb") as handle:
            fragment = read_po(handle, locale="zh")
        for message in fragment:
            if not message.id or not message.string:
                continue
            if message.id in merged and merged[message.id].string != message.string:
                print(f"note: {path.name} translates {message.id!r} differently; first one kept",
                      file=sys.stderr)
                continue
            merged.add(message.id, message.string)
    return merged


def build() -> int:
    catalog = load_fragments()
    ZH_DIR.mkdir(parents=True, exist_ok=True)
    po, mo = io.BytesIO(), io.BytesIO()
    write_po(po, catalog, width=0, sort_output=True, omit_header=False)
    write_mo(mo, catalog)
    for path, data in ((ZH_DIR / "messages.po", po.getvalue()), (ZH_DIR / "messages.mo", mo.getvalue())):
        # Written only when it changed, so a build leaves the files (and their times) alone.
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    print(f"translations: {len(catalog)} zh messages compiled")
    return 0


def used_msgids(root: Path = ROOT / "app") -> dict[str, str]:
    """msgid → first place it is used, from Python code and Jinja templates."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(root), METHOD_MAP, options_map=OPTIONS, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid and msgid not in found:
            found[msgid] = f"{filename}:{lineno}"
    return found


def untranslated() -> dict[str, str]:
    catalog = load_fragments()
    return {msgid: where for msgid, where in used_msgids().items()
            if msgid not in catalog or not catalog[msgid].string}


def check() -> int:
    missing = untranslated()
    for msgid, where in sorted(missing.items(), key=lambda item: item[1]):
        print(f"{where}: {msgid!r}")
    print(f"{len(missing)} msgids without a zh translation")
    return 1 if missing else 0


def missing_fab() -> int:
    import flask_appbuilder

    fab_root = Path(flask_appbuilder.__file__).parent
    with (fab_root / "translations" / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        fab_zh = read_po(handle, locale="zh")
    ours = load_fragments()
    for msgid in sorted(used_msgids(fab_root)):
        known = fab_zh.get(msgid)
        if (known is None or not known.string) and msgid not in ours:
            print(f'msgid "{msgid}"\nmsgstr ""\n')
    return 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "build"
    sys.exit({"build": build, "check": check, "missing-fab": missing_fab}[command]())
