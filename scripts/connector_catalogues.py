"""Keep each connector's own catalogue (connectors/<key>/translations/<lang>/LC_MESSAGES/messages.po)
in step with the strings its code marks (`N_`, `_l`): a new string is appended with an empty
translation, to be translated by hand; a string no longer marked is reported. Existing entries
keep their order and wording, so the files change only where the code did.

Run by scripts/translations.sh for every connector folder and every language the web app has.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"N_": None, "_l": None, "_": None, "gettext": None}
HEADER = """# {lang} translations for the {key} connector of Fynode Accounting Connect.
msgid ""
msgstr ""
"Project-Id-Version: fynode-accounting-connect 0.1\\n"
"Language: {lang}\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"""


def marked(folder: Path) -> list[str]:
    """The strings a connector's code marks for translation, in order of appearance."""
    seen: dict[str, None] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(folder), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        if isinstance(message, str) and message:
            seen.setdefault(message, None)
    return list(seen)


def languages() -> list[str]:
    return sorted(p.name for p in (ROOT / "webapp" / "translations").iterdir() if (p / "LC_MESSAGES").is_dir())


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def update(folder: Path, lang: str) -> tuple[int, list[str]]:
    """Append the missing strings to one catalogue; returns (added, no longer marked)."""
    from babel.messages.pofile import read_po

    po = folder / "translations" / lang / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True, exist_ok=True)
    if not po.exists():
        po.write_text(HEADER.format(lang=lang, key=folder.name), encoding="utf-8")
    with po.open("rb") as handle:
        have = {m.id for m in read_po(handle) if m.id}
    wanted = marked(folder)
    missing = [m for m in wanted if m not in have]
    if missing:
        text = po.read_text(encoding="utf-8").rstrip("\n") + "\n"
        text += "".join(f'\nmsgid {_quote(m)}\nmsgstr ""\n' for m in missing)
        po.write_text(text, encoding="utf-8")
    return len(missing), sorted(have - set(wanted))


def main() -> int:
    for folder in sorted(p for p in (ROOT / "connectors").iterdir() if (p / "__init__.py").exists() and p.is_dir()):
        for lang in languages():
            added, stale = update(folder, lang)
            if added or stale:
                print(
                    f"connectors/{folder.name} {lang}: {added} new to translate, {len(stale)} no longer used"
                    + "".join(f"\n  unused: {s[:70]}" for s in stale)
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
