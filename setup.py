"""Packaging beside pyproject.toml: the apps, and the checkout's templates/, static/
and locale/ as kam/assets/ inside the wheel, so an installed KAM needs no checkout
(kam/settings/base.py finds them there). pyproject.toml's `packages.find` cannot map
a folder to another package name, hence this file."""

from setuptools import find_packages, setup

APPS = [
    "kam",
    "core",
    "portal",
    "catalog",
    "accounts",
    "offers",
    "contracts",
    "renewals",
    "planning",
    "insights",
    "home",
    "demo",
]
ASSETS = {f"kam.assets.{name}": name for name in ("templates", "static", "locale")}

setup(
    packages=find_packages(include=[p for app in APPS for p in (app, f"{app}.*")])
    + list(ASSETS),
    package_dir=ASSETS,
    package_data={package: ["**/*"] for package in ASSETS},
    exclude_package_data={package: ["**/*.po~", "**/.*"] for package in ASSETS},
)
