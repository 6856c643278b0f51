from django.utils.translation import gettext as _


class ApplicationError(Exception):
    """A business rule refused the operation; the message is shown to the user."""

    def __init__(self, message, *, extra=None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class ConflictError(ApplicationError):
    """The operation is refused because of the object's ties or state, not its input:
    the API answers 409 Conflict (e.g. a contact that offers still name)."""


def name_references(objects, *, limit: int = 3) -> str:
    """'offer OF-2026-00033-1 Seats, contract CT-2026-0001 and 2 more': what still
    refers to something, for a refusal's message."""
    objects = list(objects)
    names = ", ".join(f"{o._meta.verbose_name} {o}" for o in objects[:limit])
    if len(objects) <= limit:
        return names
    return _("%(names)s and %(count)d more") % {
        "names": names,
        "count": len(objects) - limit,
    }
