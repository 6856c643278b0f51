from pathlib import Path

import polib
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "de" / "LC_MESSAGES"


def test_german_catalogue_is_complete_and_compiled():
    po = polib.pofile(str(LOCALE / "django.po"))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []
    mo = {(e.msgid, e.msgstr) for e in polib.mofile(str(LOCALE / "django.mo"))}
    assert {
        (e.msgid, e.msgstr) for e in po.translated_entries() if not e.msgid_plural
    } <= mo


def test_role_names_are_translated():
    from kam.core.roles import Role

    with translation.override("de"):
        assert str(Role.CUSTOMER_SERVICES.label) == "Kundenservice"
