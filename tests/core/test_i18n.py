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
    from core.roles import Role

    with translation.override("de"):
        assert str(Role.CUSTOMER_SERVICES.label) == "Kundenservice"


def test_every_message_in_the_code_is_in_the_catalogue():
    """makemessages cannot see a message inside an f-string: it drops it from the
    catalogue, and the German page shows it in English."""
    import ast

    root = LOCALE.parents[2]
    po = polib.pofile(str(LOCALE / "django.po"))
    known = {(e.msgctxt, e.msgid) for e in po}
    calls = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "pgettext",
             "pgettext_lazy"}  # fmt: skip
    missing = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts
        if parts[0] in {".venv", "tests", "bench", "build", "var"} or (
            "migrations" in parts
        ):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in calls:
                continue
            args, context = node.args, None
            if name.startswith("pgettext"):
                context, args = getattr(args[0], "value", None), args[1:]
            literal = args and isinstance(args[0], ast.Constant)
            if literal and (context, args[0].value) not in known:
                missing.append(f"{path.relative_to(root)}:{node.lineno}")
    assert missing == []


def test_every_message_in_the_jinja2_templates_is_in_the_catalogue():
    """The page templates' messages (core.jinja2) reach the catalogue through the
    project's makemessages, and read in German."""
    from django.template import engines

    env = engines["jinja2"].env
    po = polib.pofile(str(LOCALE / "django.po"))
    known = {(e.msgctxt, e.msgid): e for e in po}
    root = LOCALE.parents[2] / "templates" / "jinja2"
    found = []
    for path in root.rglob("*.html"):
        for _line, function, message in env.extract_translations(path.read_text()):
            strings = message if isinstance(message, tuple) else (message,)
            # pgettext and npgettext: the context first
            context, strings = (
                (strings[0], strings[1:]) if function.startswith(("pgettext", "npgettext"))
                else (None, strings)
            )  # fmt: skip
            if isinstance(strings[0], str):  # not _(variable)
                found.append((context, strings[0]))
    assert (None, "No accounts to show.") in found  # the account rows are there
    assert ("inbound mail: answers offer", "Answers") in found  # with its context
    missing = [m for m in found if m not in known or not known[m].translated()]
    assert missing == []
