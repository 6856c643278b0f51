"""Glue between DRF and KAM: business-rule errors become 400 responses."""

from rest_framework.exceptions import ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

from kam.core.exceptions import ApplicationError


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        field = exc.extra.get("field") or "non_field_errors"
        exc = ValidationError({field: [exc.message]})
    return drf_exception_handler(exc, context)
