"""Every UI string is in the Polish, Czech and Slovak catalogues and translated, with the same
placeholders; a new string without translations fails here, not in front of a merchant."""
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
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
                    "-k", "N_", "--no-location", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
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
            if set(PLACEHOLDER.findall(text)) - wanted or (wanted - set(PLACEHOLDER.findall(text))
                                                             and not isinstance(message.id, tuple)):
                problems.append(("placeholders", message.id))
    assert not problems, problems[:10]


@pytest.mark.parametrize("po", sorted(ROOT.glob("connectors/*/translations/*/LC_MESSAGES/messages.po")),
                         ids=lambda p: f"{p.parts[-5]}-{p.parts[-3]}")
def test_connector_catalogues_translate_every_entry(po):
    catalogue = read_po(po.open("rb"))
    assert not [m.id for m in catalogue if m.id and not m.string]
