"""makemessages that also reads the Jinja2 page templates (core.jinja2).

Django turns its own templates into Python-like text before xgettext reads them;
that step knows Django's tags only. A Jinja2 template's text goes through `_()`,
`gettext()` and `ngettext()` calls, which xgettext reads as they are in its Python
mode: so files under a `jinja2/` folder are passed to it untouched."""

from functools import cached_property
from pathlib import PurePath

from django.core.management.commands import makemessages


class BuildFile(makemessages.BuildFile):
    @cached_property
    def is_templatized(self) -> bool:
        if "jinja2" in PurePath(self.path).parts:
            return False
        return super().is_templatized


class Command(makemessages.Command):
    build_file_class = BuildFile
