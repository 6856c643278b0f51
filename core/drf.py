"""Glue between DRF and KAM: business-rule errors become 400 responses."""

from datetime import date

from django.db import models
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

from core.dates import in_range, out_of_range
from core.exceptions import ApplicationError, ConflictError


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def exception_handler(exc, context):
    if isinstance(exc, ConflictError):
        exc = Conflict(exc.message)
    elif isinstance(exc, ApplicationError):
        field = exc.extra.get("field") or "non_field_errors"
        exc = ValidationError({field: [exc.message]})
    return drf_exception_handler(exc, context)


# Dates the API takes (core.dates: the one range), also so that every date-time
# it returns is valid RFC 3339.
def _in_range(day: date) -> None:
    if not in_range(day):
        raise ValidationError(out_of_range(date.isoformat))


class DateField(serializers.DateField):
    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        _in_range(day)
        return day


class DateTimeField(serializers.DateTimeField):
    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        _in_range(moment.date())
        return moment


# The API's model serializers: dates and date-times within EARLIEST–LATEST. (No
# docstring: drf-spectacular would print it as every component's description.)
class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: DateField,
        models.DateTimeField: DateTimeField,
    }


def not_found(request, exception=None):
    """handler404: under /api/ a URL that names nothing (`/api/v1/tasks/1.5/`) is a
    JSON 404 like any other of the API's, not the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(_("Not found."))}, status=404)
    return page_not_found(request, exception)
