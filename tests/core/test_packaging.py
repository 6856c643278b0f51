"""The wheel carries every app of ours: an app missing from setup.py's list works
in the checkout and fails only once installed."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_installed_app_of_ours_is_packaged():
    tree = ast.parse((ROOT / "setup.py").read_text())
    packaged = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and node.targets[0].id == "APPS"
    )
    ours = [
        app.split(".")[0]
        for app in settings.INSTALLED_APPS
        if (ROOT / app.split(".")[0] / "__init__.py").exists()
    ]
    assert ours and set(ours) <= set(packaged)
    assert "kam" in packaged
