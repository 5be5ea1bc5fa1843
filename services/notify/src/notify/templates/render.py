"""Rendering of the Chinese templates: one file per template key, one block per channel part.

A template extends ``_base.j2`` and fills ``title`` (e-mail subject, robot and inbox title),
``text`` (e-mail and inbox body), ``sms`` and ``markdown`` (robot); ``sms`` and ``markdown`` have
defaults. A folder given as ``overrides`` wins over the built-in files; an override can extend
``builtin/<key>.j2`` and replace one block. The environment is sandboxed (templates may come from
operators), undefined names fail, and the render context holds the event payload and display names
only: never an address, a phone number or an ID number, and a rendered text that looks like one
is refused.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    Template,
    TemplateError,
)
from jinja2.runtime import new_context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import concat

from notify.domain.digest import DigestGroup, count
from notify.domain.model import Channel
from notify.templates.labels import FILTERS
from notify.templates.sms import sms_segments

BUILTIN: Final = Path(__file__).parent / "zh"
PARTS: Final = ("title", "text", "sms", "markdown")
DIGEST: Final = "_digest"
_LEAKS: Final = (
    # not inside a longer token: a case id (a UUID's hex) may hold eleven digits that start 13–19
    (
        "a mobile number",
        re.compile(r"(?<![\dA-Za-z])(?:\+?86)?1[3-9]\d{9}(?![\dA-Za-z])", re.ASCII),
    ),
    ("an ID number", re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])", re.ASCII)),
)


_DIGITS: Final = re.compile(r"\d{11}", re.ASCII)
"""Eleven digits in a row: what both leaks need, so a text without them skips their searches."""
_BOUND: Final = (types.MethodType, types.BuiltinMethodType)
"""What the sandbox's ``wrap_str_format`` looks at (a bound ``str.format``); data never is."""


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, remembering which attribute of which type is safe.

    Its ``is_safe_attribute`` depends on the object's type and the attribute's name only (a
    leading underscore, a function's, method's, type's, code's, frame's or generator's internals),
    so the answer is kept per (type, name): a render no longer checks every access anew.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._safe: dict[tuple[type, str], bool] = {}
        self._loaded: dict[str, Template] = {}

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.attribute`` as the sandbox reads it; a data attribute known safe at once.

        The sandbox returns such a value unchanged (safe by type and name, not a bound method
        whose ``str.format`` it would wrap); anything else takes its full path.
        """
        if self._safe.get((type(obj), attribute)):
            try:
                value = getattr(obj, attribute)
            except AttributeError:
                pass
            else:
                if not isinstance(value, _BOUND):
                    return value
        return super().getattr(obj, attribute)

    def _load_template(self, name: str, globals: Any) -> Template:
        """Jinja's load, kept in a plain dict (no reload): ``{% extends %}`` asks on every render."""
        if globals or self.auto_reload:
            return super()._load_template(name, globals)
        template = self._loaded.get(name)
        if template is None:
            template = self._loaded[name] = super()._load_template(name, globals)
        return template

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Return whether ``obj.attr`` may be read, decided once per type and name."""
        key = (type(obj), attr)
        safe = self._safe.get(key)
        if safe is None:
            safe = self._safe[key] = super().is_safe_attribute(obj, attr, value)
        return safe


class RenderError(ValueError):
    """A template is missing, fails to render, or its output is unfit for the channel."""


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message ready for a channel: a title (subject) and a body; ``segments`` for SMS."""

    channel: Channel
    title: str
    body: str
    segments: int = 0


@dataclass(frozen=True, slots=True)
class Limits:
    """Channel limits: subject length, SMS segments, robot markdown bytes (WeCom takes 4096)."""

    title_chars: int = 60
    sms_segments: int = 3
    markdown_bytes: int = 4096


class Renderer:
    """Renders template keys for channels with the event's data and display names."""

    def __init__(
        self,
        overrides: Path | None = None,
        *,
        sender: str = "县人大常委会代表工作平台",
        sms_signature: str = "【县人大】",
        app_url: str = "",
        limits: Limits | None = None,
    ) -> None:
        builtin = FileSystemLoader(BUILTIN)
        loaders: list[Any] = [builtin, PrefixLoader({"builtin": builtin})]
        if overrides is not None:
            loaders.insert(0, FileSystemLoader(overrides))
        self._env = _Sandbox(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # compiled once: the files are checked at start, not on every render
        )
        self._env.filters.update(FILTERS)
        self._globals = {"sender": sender, "app_url": app_url.rstrip("/")}
        self._signature = sms_signature
        self._compiled: dict[str, Template] = {}
        self._scope: dict[str, dict[str, Any]] = {}
        """Per template key: its globals (a ChainMap in jinja) and ours, flattened once."""
        self.limits = limits or Limits()

    def _template(self, key: str) -> Template:
        template = self._compiled.get(key)
        if template is None:  # the environment's cache is an LRU under a lock: kept here once
            template = self._compiled[key] = self._env.get_template(f"{key}.j2")
            self._scope[key] = {**template.globals, **self._globals}
        return template

    def _part(self, key: str, part: str, context: Mapping[str, Any]) -> str:
        try:
            text = self._template(key).render({**self._globals, **context, "part": part})
        except TemplateError as exc:
            raise RenderError(f"{key}/{part}: {type(exc).__name__}: {exc}") from exc
        return _checked(key, part, text)

    def _title_and(self, key: str, part: str, context: Mapping[str, Any]) -> tuple[str, str]:
        """Return the title and ``part`` of a template key from one render (one context).

        The template renders ``part``, then its own ``title`` block runs in the same context
        (what ``self.title()`` does), instead of a second render for the title. A template
        without its own title block, or any error, takes the two renders of ``_part``, which
        name the failing part exactly as before.
        """
        try:
            template = self._template(key)
            values = {**self._scope[key], **context, "part": part}  # what new_context would merge
            ctx = new_context(
                self._env, template.name, template.blocks, values, True, template.globals
            )
            body = concat(template.root_render_func(ctx))
            blocks = ctx.blocks.get("title")
            title = concat(blocks[0](ctx)) if blocks and "title" in template.blocks else None
        except Exception:  # the two renders below raise it again, named by part
            title = None
        if title is None:
            return self._part(key, "title", context), self._part(key, part, context)
        return _checked(key, "title", title), _checked(key, part, body)

    def render(self, key: str, channel: Channel, context: Mapping[str, Any]) -> Rendered:
        """Return the message of a template key for a channel; raise ``RenderError`` when unfit."""
        part = {Channel.sms: "sms", Channel.webhook: "markdown"}.get(channel, "text")
        title, body = self._title_and(key, part, context)
        if not title or "\n" in title or len(title) > self.limits.title_chars:
            raise RenderError(f"{key}/title: one line of 1 to {self.limits.title_chars} chars")
        if channel is Channel.sms:
            body = self._signature + body.replace("\n", "")
            segments = sms_segments(body)
            if segments > self.limits.sms_segments:
                raise RenderError(
                    f"{key}/sms: {segments} segments (at most {self.limits.sms_segments})"
                )
            return Rendered(channel, title, body, segments)
        if not body:
            raise RenderError(f"{key}/{part}: empty")
        if channel is Channel.webhook and len(body.encode()) > self.limits.markdown_bytes:
            raise RenderError(f"{key}/markdown: over {self.limits.markdown_bytes} bytes")
        return Rendered(channel, title, body)

    def render_digest(
        self,
        channel: Channel,
        groups: Sequence[DigestGroup],
        *,
        day: date,
        recipient_name: str,
    ) -> Rendered:
        """Return one day's digest for a recipient on a channel."""
        values = {"groups": groups, "total": count(groups), "day": day}
        return self.render(DIGEST, channel, {**values, "recipient_name": recipient_name})

    def templates(self) -> list[str]:
        """Return the template keys the loader can find (built-in and overrides)."""
        names = self._env.list_templates(filter_func=lambda n: n.endswith(".j2"))
        return sorted(
            {n.removesuffix(".j2") for n in names if "/" not in n and not n.startswith("_")}
        )


def _checked(key: str, part: str, text: str) -> str:
    """Return a rendered part with its lines' trailing blanks cut; refuse what looks personal."""
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    if _DIGITS.search(text) is None:
        return text
    for what, pattern in _LEAKS:
        if pattern.search(text):
            raise RenderError(f"{key}/{part}: the text looks like it holds {what}")
    return text


def context(
    data: Any,
    *,
    event_type: str,
    recipient_name: str,
    township_name: str | None = None,
    subject_title: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the render context of an event: the payload and display names, no addresses."""
    return {
        "event": data,
        "event_type": event_type,
        "recipient_name": recipient_name,
        "township_name": township_name or data.event_township(),
        "subject_title": subject_title,
        "subject_label": subject_title or data.event_subject(),
        **(extra or {}),
    }
