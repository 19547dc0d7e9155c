"""Import every module of a package tree: listeners, subscribers and jobs register themselves by
living in their folder, so adding a flow never means editing a central list."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def import_all(package: str) -> list[ModuleType]:
    root = importlib.import_module(package)
    modules = [root]
    for info in sorted(pkgutil.walk_packages(root.__path__, prefix=package + "."), key=lambda i: i.name):
        modules.append(importlib.import_module(info.name))
    return modules
