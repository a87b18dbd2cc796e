"""Every UI string is in the Polish, Czech and Slovak catalogues and translated, with the same
placeholders; a new string without translations fails here, not in front of a merchant."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return read_po(pot.open("rb"))


@pytest.mark.parametrize("lang", ["pl", "cs", "sk"])
def test_web_app_catalogue_is_complete(extracted, lang):
    catalogue = read_po((ROOT / f"webapp/translations/{lang}/LC_MESSAGES/messages.po").open("rb"))
    problems = []
    for message in extracted:
        if not message.id:
            continue
        translated = catalogue.get(message.id)
        strings = translated.string if translated is not None else None
        strings = list(strings) if isinstance(strings, tuple) else [strings]
        if translated is None or not all(strings):
            problems.append(("untranslated", message.id))
            continue
        wanted = set(PLACEHOLDER.findall(message.id if isinstance(message.id, str) else " ".join(message.id)))
        for text in strings:
            if set(PLACEHOLDER.findall(text)) - wanted or (
                wanted - set(PLACEHOLDER.findall(text)) and not isinstance(message.id, tuple)
            ):
                problems.append(("placeholders", message.id))
    assert not problems, problems[:10]


@pytest.mark.parametrize(
    "po",
    sorted(ROOT.glob("connectors/*/translations/*/LC_MESSAGES/messages.po")),
    ids=lambda p: f"{p.parts[-5]}-{p.parts[-3]}",
)
def test_connector_catalogues_translate_every_entry(po):
    catalogue = read_po(po.open("rb"))
    assert not [m.id for m in catalogue if m.id and not m.string]


def _connector_languages():
    from connectors import registry

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import connector_catalogues
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    return [
        (cls.key, lang) for cls in registry.all_connectors() for lang in connector_catalogues.languages()
    ], connector_catalogues


CONNECTOR_LANGUAGES, CATALOGUES = _connector_languages()


@pytest.mark.parametrize(("key", "lang"), CONNECTOR_LANGUAGES, ids=[f"{k}-{lang}" for k, lang in CONNECTOR_LANGUAGES])
def test_every_registered_connector_translates_every_string_it_marks_into_every_language(key, lang):
    """Every string a connector's folder marks (`N_`, `_l`) is in its own catalogue for every
    language of the web app, translated, with the same placeholders."""
    po = ROOT / "connectors" / key / "translations" / lang / "LC_MESSAGES" / "messages.po"
    assert po.exists(), f"{po.relative_to(ROOT)} is missing: run scripts/translations.sh and translate it"
    catalogue = read_po(po.open("rb"))
    problems = []
    for message in CATALOGUES.marked(ROOT / "connectors" / key):
        translated = catalogue.get(message)
        if translated is None or not translated.string:
            problems.append(("untranslated", message))
        elif set(PLACEHOLDER.findall(message)) != set(PLACEHOLDER.findall(translated.string)):
            problems.append(("placeholders", message))
    assert not problems, problems[:10]


def test_the_connector_catalogue_update_appends_new_strings_and_keeps_existing_entries(tmp_path):
    folder = tmp_path / "newsystem"
    folder.mkdir()
    (folder / "__init__.py").write_text(
        'from connectors.i18n import N_\nLABEL = N_("Account name")\nHELP = N_("Where the \\"name\\" is: %(place)s")\n',
        encoding="utf-8",
    )
    added, stale = CATALOGUES.update(folder, "pl")
    assert (added, stale) == (2, [])
    po = folder / "translations" / "pl" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8").replace(
        'msgid "Account name"\nmsgstr ""', 'msgid "Account name"\nmsgstr "Nazwa konta"'
    )
    po.write_text(text, encoding="utf-8")
    (folder / "__init__.py").write_text(
        'from connectors.i18n import N_\nLABEL = N_("Account name")\n', encoding="utf-8"
    )
    added, stale = CATALOGUES.update(folder, "pl")
    catalogue = read_po(po.open("rb"))
    assert added == 0 and stale == ['Where the "name" is: %(place)s']
    assert catalogue.get("Account name").string == "Nazwa konta"


GETTEXT_NAMES = {"_", "_l", "N_", "gettext", "ngettext", "lazy_gettext"}


def _called(node) -> str | None:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def test_no_translated_string_hides_in_another_translation_calls_arguments():
    """pybabel extracts the outer call only: `_("%(a)s", a=_("and"))` leaves "and" out of every
    catalogue, so merchants read it in English (seen on the Polish rules page)."""
    nested = []
    for path in sorted([*ROOT.glob("webapp/**/*.py"), *ROOT.glob("connectors/**/*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and _called(node) in GETTEXT_NAMES):
                continue
            for argument in [*node.args[1:], *(k.value for k in node.keywords)]:
                nested += [
                    f"{path.relative_to(ROOT)}:{inner.lineno}"
                    for inner in ast.walk(argument)
                    if isinstance(inner, ast.Call) and _called(inner) in GETTEXT_NAMES
                ]
    assert nested == []
