"""Find a per-app module (the periodic schedules) in INSTALLED_APPS order."""

from importlib import import_module

from django.apps import apps
from django.utils.module_loading import module_has_submodule


def app_submodules(name: str):
    """Yield the `name` submodule of every installed app that has one."""
    for app_config in apps.get_app_configs():
        if module_has_submodule(app_config.module, name):
            yield import_module(f"{app_config.name}.{name}")
