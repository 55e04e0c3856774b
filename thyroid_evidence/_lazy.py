"""Lazy package namespaces: a name is imported from its submodule on first use.

Used by packages whose submodules pull in the scientific stack (statsmodels, scipy), so that
importing one light submodule (say, a tuple of allowed method names for a parameter check in
the build process) does not cost seconds of imports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: Mapping[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package (PEP 562).

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping of str to str
        Public name -> the module that defines it: a submodule relative to ``package``, or a
        full module path starting with ``thyroid_evidence.`` (a re-export from another
        package). A name that is also a submodule's name must be imported eagerly instead:
        once that submodule is imported, the package attribute is the module and
        ``__getattr__`` is not asked.
    namespace : mapping
        The package's ``globals()``, for ``__dir__``.

    Returns
    -------
    tuple of callable
        ``(__getattr__, __dir__)``; the first caches a looked-up name in the package.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        # a full path ("thyroid_evidence.study.series") re-exports from another package
        full = module if module.startswith("thyroid_evidence.") else f"{package}.{module}"
        value = getattr(importlib.import_module(full), name)
        importlib.import_module(package).__dict__[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
