"""Finding adapters and making them: the ``guidesrc.adapters`` entry-point group, the channels
of ``library.yaml`` checked against their adapters' settings and the deployment, and one adapter
per channel, each handed the configuration in force."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from guidesrc.adapters.base import Adapter
from guidesrc.check.schema_errors import diagnostics_from
from guidesrc.config_policy import channel_policy, resolved_refusal
from guidesrc.deployment import Deployment, load_deployment
from guidesrc.diagnostic_lines import located_lines
from guidesrc.diagnostics import Diagnostic, RuleId
from guidesrc.errors import ChannelError
from guidesrc.i18n import N_, _
from guidesrc.library import CONFIG_FILE, read_file, size_limit
from guidesrc.yamlio import decode

if TYPE_CHECKING:
    from guidesrc.model.library import ChannelConfig, LibraryConfig

ENTRY_POINT_GROUP = "guidesrc.adapters"


class Installed(Mapping[str, type[Adapter[Any]]]):
    """The installed adapters by type name (entry point name); each adapter's module is imported
    the first time its type is asked for, so a run imports the adapters its channels use (a
    publish to files never imports the HTTP client), and a broken package that no channel names
    stops nothing."""

    def __init__(self) -> None:
        self._points: dict[str, EntryPoint] = {}
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            self._points.setdefault(ep.name, ep)  # the first installed of a name, as before
        self._loaded: dict[str, type[Adapter[Any]]] = {}

    def __getitem__(self, name: str) -> type[Adapter[Any]]:
        found = self._loaded.get(name)
        if found is None:
            found = self._loaded[name] = _load(self._points[name])
        return found

    def __contains__(self, name: object) -> bool:
        return name in self._points

    def __iter__(self) -> Iterator[str]:
        return iter(self._points)

    def __len__(self) -> int:
        return len(self._points)


@cache
def adapter_types() -> Installed:
    """Every installed adapter by its type name (entry point name), loaded when asked for."""
    return Installed()


def _load(ep: EntryPoint) -> type[Adapter[Any]]:
    try:
        cls = ep.load()
    except Exception as exc:  # a broken third-party package must not look like our bug
        raise ChannelError(
            _("the adapter {name} ({value}) cannot be loaded: {reason}").format(
                name=ep.name, value=ep.value, reason=exc
            )
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise ChannelError(
            _("the adapter {name} ({value}) is not a guidesrc Adapter class").format(
                name=ep.name, value=ep.value
            )
        )
    return cls


def channel_problems(
    channels: dict[str, ChannelConfig], rel: str = "library.yaml"
) -> list[Diagnostic]:
    """What is wrong with the channels of ``library.yaml``: an adapter that is not installed,
    settings its adapter refuses, a secret, address or folder the deployment does not allow
    (:mod:`guidesrc.config_policy`; rule ``channel``; ``guides check`` and ``guides publish``)."""
    problems: list[Diagnostic] = []
    types = adapter_types()
    deployment = load_deployment()
    for name, channel in channels.items():
        here: tuple[str | int, ...] = ("channels", name)
        if channel.type not in types:
            problems.append(
                _type_problem(
                    rel,
                    here,
                    N_('no adapter named "{kind}" is installed'),
                    N_("use one of: {known}; or install the package that provides it"),
                    {"kind": channel.type, "known": ", ".join(sorted(types)) or "-"},
                )
            )
            continue
        try:
            kind = types[channel.type]
        except ChannelError as exc:  # installed, but its package is broken
            problems.append(
                _type_problem(
                    rel,
                    here,
                    N_('the adapter "{kind}" is installed but cannot be loaded: {reason}'),
                    N_("reinstall or upgrade the package that provides it, or remove the channel"),
                    {"kind": channel.type, "reason": str(exc.__cause__ or exc)},
                )
            )
            continue
        try:
            settings = kind.Settings.model_validate(channel.settings)
        except ValidationError as exc:
            for d in diagnostics_from(exc, rel, kind.Settings):
                problems.append(
                    dataclasses.replace(d, rule=RuleId.CHANNEL, path=(*here, "settings", *d.path))
                )
            continue
        problems += channel_policy(name, settings, rel, deployment)
    return problems


def _type_problem(
    rel: str, here: tuple[str | int, ...], message: str, hint: str, args: dict[str, str]
) -> Diagnostic:
    """A channel's ``type`` that names no adapter this installation can use."""
    return Diagnostic(
        RuleId.CHANNEL, "error", rel, path=(*here, "type"), message=message, hint=hint, args=args
    )


def make_adapter(root: Path, config: LibraryConfig, name: str) -> Adapter[Any]:
    """The adapter of the channel ``name`` of ``config`` (the configuration in force), handed
    that configuration; ChannelError when its adapter is not installed or refuses its settings
    (made outside a publish run: ``guides verify``, the kiosk)."""
    channel = config.channels[name]
    kind = adapter_types().get(channel.type)
    if kind is None:
        raise ChannelError(
            _('channel {channel}: no adapter named "{kind}" is installed').format(
                channel=name, kind=channel.type
            )
        )
    try:
        settings = kind.Settings.model_validate(channel.settings)
    except ValidationError as exc:
        raise ChannelError(
            _("channel {channel}: its settings are refused: {reason}").format(
                channel=name, reason=exc
            )
        ) from exc
    return kind(name, settings, root, config)


def make_adapters(
    root: Path, config: LibraryConfig, source: bytes | None = None
) -> dict[str, Adapter[Any]]:
    """An adapter per channel of ``config`` (the approved configuration: ``source`` is its
    ``library.yaml``; the working tree's when not given), each handed ``config``; ChannelError
    listing every problem (with its line in ``library.yaml``) before any adapter is made."""
    problems = channel_problems(config.channels) or _folder_problems(root, config)
    if problems:
        data = source if source is not None else read_file(root, CONFIG_FILE)
        raise ChannelError(
            located_lines(decode(data, CONFIG_FILE, size_limit(CONFIG_FILE)), problems)
        )
    return {name: make_adapter(root, config, name) for name in config.channels}


def _folder_problems(root: Path, config: LibraryConfig) -> list[Diagnostic]:
    """File channels' folders that lead into the tool state or out of the allowed roots once
    symbolic links are followed (checked where the library is: at publish time)."""
    deployment = load_deployment()
    problems = []
    for name, channel in config.channels.items():
        kind = adapter_types()[channel.type]
        if kind.files:
            problems += _folder_problem(root, name, str(channel.settings["path"]), deployment)
    return problems


def _folder_problem(root: Path, name: str, value: str, deployment: Deployment) -> list[Diagnostic]:
    refusal = resolved_refusal(root, value, deployment)
    if refusal is None:
        return []
    return [
        Diagnostic(
            RuleId.CHANNEL,
            "error",
            "library.yaml",
            ("channels", name, "settings", "path"),
            refusal,
            N_("a folder of .guides reached through a link is refused too; remove the link"),
            {"path": value},
        )
    ]
