"""The deployment file: what the machine that publishes allows the library's channels.

Secrets, database URLs and which environment variables a channel may read belong to the
deployment, not to the library (an editor writes the library; the administrator of the publishing
machine writes this file). Its path is in ``GUIDES_DEPLOYMENT``, outside the library, e.g.
``/etc/guidesrc/deployment.yaml``::

    output_roots:                 # absolute folders file channels may write into, besides the
      - /srv/guidesrc             # library's own .guides/<folder> (a site served from elsewhere)
    urls:                         # push addresses every http channel's base must start with
      - https://hall.example.gov.cn/api/
    channels:
      hall:                       # a channel name of library.yaml
        env: [HALL_PUSH_TOKEN]    # the environment variables it may read (token_env, secret_env)
        urls: [https://hall.example.gov.cn/api/v1]   # overrides the top-level urls for it

Without the file (zero set-up) a channel may read one variable only, ``GUIDES_TOKEN_<CHANNEL>``
(the channel name in capitals, ``-`` as ``_``: channel ``hall`` reads ``GUIDES_TOKEN_HALL``), any
push address is allowed (a change to it is reviewed: :mod:`guidesrc.config_changes`), and file
channels write under ``.guides/<folder>`` only. No ``GUIDES_*`` setting (``GUIDES_DATABASE_URL``,
``GUIDES_SIGNING_KEY`` …) is ever a token, here or in the library.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, ConfigDict, Field, field_validator

from guidesrc.errors import DeploymentError
from guidesrc.i18n import _
from guidesrc.yamlio import parse_bytes

DEPLOYMENT_ENV = "GUIDES_DEPLOYMENT"
TOKEN_PREFIX = "GUIDES_TOKEN_"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_BYTES = 256 * 1024


def token_variable(channel: str) -> str:
    """The one variable a channel may read without a deployment file: ``GUIDES_TOKEN_HALL``."""
    return TOKEN_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", channel).upper()


def is_guides_setting(name: str) -> bool:
    """A variable of guidesrc's own settings (never a channel's token)."""
    return name.upper().startswith("GUIDES_") and not name.upper().startswith(TOKEN_PREFIX)


def _env_names(names: list[str]) -> list[str]:
    for name in names:
        if not _ENV_NAME.match(name):
            raise ValueError(f"{name!r} is not an environment variable name")
        if is_guides_setting(name):
            raise ValueError(f"{name} is a guidesrc setting, never a channel's secret")
    return names


def _urls(urls: list[str]) -> list[str]:
    for url in urls:
        if not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", url):
            raise ValueError(f"{url!r} is not an http(s) address without ? or #")
    return urls


class ChannelAllowance(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    env: list[str] = Field(default_factory=list)
    urls: list[str] | None = None

    @field_validator("env")
    @classmethod
    def _check_env(cls, value: list[str]) -> list[str]:
        return _env_names(value)

    @field_validator("urls")
    @classmethod
    def _check_urls(cls, value: list[str] | None) -> list[str] | None:
        return _urls(value) if value is not None else value


class Deployment(BaseModel):
    """What the publishing machine allows (see the module's docstring)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    output_roots: list[str] = Field(default_factory=list)
    urls: list[str] | None = None
    channels: dict[str, ChannelAllowance] = Field(default_factory=dict)

    @field_validator("output_roots")
    @classmethod
    def _absolute(cls, value: list[str]) -> list[str]:
        for root in value:
            if not os.path.isabs(root):
                raise ValueError(f"{root!r} is not an absolute folder")
        return [os.path.normpath(root) for root in value]

    @field_validator("urls")
    @classmethod
    def _check_urls(cls, value: list[str] | None) -> list[str] | None:
        return _urls(value) if value is not None else value

    def env_allowed(self, channel: str) -> list[str]:
        found = self.channels.get(channel)
        return list(found.env) if found is not None and found.env else [token_variable(channel)]

    def urls_allowed(self, channel: str) -> list[str] | None:
        found = self.channels.get(channel)
        return found.urls if found is not None and found.urls is not None else self.urls


#: Without a deployment file.
ZERO_SETUP = Deployment()


def deployment_path() -> Path | None:
    value = os.environ.get(DEPLOYMENT_ENV, "").strip()
    return Path(value) if value else None


def load_deployment() -> Deployment:
    """The deployment file named by ``GUIDES_DEPLOYMENT``, or the zero set-up rules without it."""
    path = deployment_path()
    if path is None:
        return ZERO_SETUP

    try:
        data = path.read_bytes()[: MAX_BYTES + 1]
    except OSError as exc:
        raise DeploymentError(
            _("{env}={path}: cannot read the deployment file: {error}").format(
                env=DEPLOYMENT_ENV, path=path, error=exc.strerror
            )
        ) from exc
    try:
        if len(data) > MAX_BYTES:
            raise ValueError(f"larger than {MAX_BYTES} bytes")
        return Deployment.model_validate(parse_bytes(data) or {})
    except Exception as exc:  # YAML, validation or size: one message with the cause
        raise DeploymentError(
            _("{path}: the deployment file is not valid: {error}").format(path=path, error=exc)
        ) from exc


def identity() -> str:
    """What the check results depend on: the deployment file's path and bytes."""
    path = deployment_path()
    if path is None:
        return "no deployment file"
    try:
        return f"{path}\n{path.read_bytes().hex()}"
    except OSError:
        return f"{path}: unreadable"


def under(path: str, roots: list[str]) -> bool:
    """``path`` (absolute, normalised) is one of ``roots`` or inside one."""
    target = PurePosixPath(os.path.normpath(path))
    return any(target == PurePosixPath(r) or PurePosixPath(r) in target.parents for r in roots)
