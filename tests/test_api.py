"""The public API is exactly ``guidesrc.__all__``."""

from __future__ import annotations

import importlib
import pkgutil

import guidesrc


def test_public_api() -> None:
    public = {name for name in dir(guidesrc) if not name.startswith("_")}
    # sub-packages appear as attributes once imported; they are not part of the API
    modules = {name for name in public if type(getattr(guidesrc, name)).__name__ == "module"}
    assert public - modules == set(guidesrc.__all__) - {"__version__"}


def test_errors_form_one_hierarchy() -> None:
    from guidesrc import errors

    classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type)
        and issubclass(value, Exception)
        and value.__module__ == errors.__name__
    ]
    assert all(issubclass(cls, guidesrc.GuidesError) for cls in classes)
    for cls in classes:
        assert cls.__name__ in (errors.__doc__ or ""), f"{cls.__name__} missing from the tree"


def test_every_exception_lives_in_errors() -> None:
    """Outside guidesrc.errors only the exceptions its docstring names as not its own are
    defined (so callers catch only what errors.py lists)."""
    from guidesrc import errors

    elsewhere = set()
    for found in pkgutil.walk_packages(guidesrc.__path__, "guidesrc."):
        if found.name.endswith("__main__"):
            continue
        module = importlib.import_module(found.name)
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__ != errors.__name__
            ):
                elsewhere.add(f"{module.__name__.removeprefix('guidesrc.')}.{name}")
    assert elsewhere == {
        "importer.sheet_cells._Unreadable",
        "check.cachecodec.BadShape",
        "signing.NotEd25519",
        "faults.InjectedFault",
    }
    assert all(f"``{name}``" in (errors.__doc__ or "") for name in elsewhere)


def test_adapters_keep_the_delivery_errors() -> None:
    """Third-party adapters import the delivery errors from guidesrc.adapters, as before."""
    from guidesrc import adapters, errors

    assert adapters.DeliveryError is errors.DeliveryError
    assert adapters.TransientDeliveryError is errors.TransientDeliveryError
    assert adapters.PermanentDeliveryError is errors.PermanentDeliveryError
    assert issubclass(adapters.PermanentDeliveryError, guidesrc.GuidesError)
