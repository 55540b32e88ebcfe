"""The public API is exactly ``guidesrc.__all__``."""

from __future__ import annotations

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
