"""makemessages that also reads the Jinja2 page templates (core.jinja2).

Django turns its own templates into Python-like text before xgettext reads them;
that step knows Django's tags only. A Jinja2 template is read by Jinja2 itself
(`Environment.extract_translations`): each `_()`, `gettext()`, `ngettext()`,
`pgettext()` and `npgettext()` call
it finds becomes one call in a Python-like copy, on the same line, for xgettext
(xgettext reading the HTML as Python lost calls inside quoted attributes)."""

from functools import cached_property
from pathlib import PurePath

from django.core.management.commands import makemessages


class BuildFile(makemessages.BuildFile):
    @cached_property
    def is_jinja2(self) -> bool:
        return self.domain == "django" and "jinja2" in PurePath(self.path).parts

    def preprocess(self):
        if not self.is_jinja2:
            return super().preprocess()
        from django.template import engines

        with open(self.path, encoding="utf-8") as fp:
            source = fp.read()
        lines = [""] * (source.count("\n") + 1)
        env = engines["jinja2"].env
        for lineno, function, message in env.extract_translations(source):
            strings = message if isinstance(message, tuple) else (message,)
            args = ", ".join(repr(s) for s in strings if isinstance(s, str))
            # the call as xgettext knows it (Django's keywords: a context first)
            call = (
                function
                if function in ("ngettext", "pgettext", "npgettext")
                else "gettext"
            )
            plural = ", 1" if call in ("ngettext", "npgettext") else ""
            lines[lineno - 1] += f"{call}({args}{plural}); "
        with open(self.work_path, "w", encoding="utf-8") as fp:
            fp.write("\n".join(lines))


class Command(makemessages.Command):
    build_file_class = BuildFile
