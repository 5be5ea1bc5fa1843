"""Backward compatibility of JSON Schemas: list what a new schema breaks for data valid under the old.

A change is compatible when every payload valid under the old schema stays valid under the new
one (events already in the log can be replayed) and no property a consumer reads disappears.
Additive changes pass: a new optional property, a new enum value, a new event type. Breaking:
a removed property, a newly required property, a type changed or narrowed, a tightened
constraint, a removed enum value, ``additionalProperties`` tightened, a removed schema.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

Schema = Mapping[str, Any]

_TYPE_OF: Final = {bool: "boolean", int: "integer", float: "number", str: "string"}
_LOWER_BOUNDS: Final = ("minLength", "minItems", "minimum", "exclusiveMinimum", "minProperties")
_UPPER_BOUNDS: Final = ("maxLength", "maxItems", "maximum", "exclusiveMaximum", "maxProperties")
_EXACT: Final = ("pattern", "format", "multipleOf")


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Return the breaking changes from `old` to `new`, each a readable line; empty if compatible."""
    return _Comparison(old, new).compare(old, new, "$")


def catalog_breaks(old: Mapping[str, Schema], new: Mapping[str, Schema]) -> list[str]:
    """Compare two sets of named schemas: a removed name or a break in any schema is reported."""
    breaks = [
        f"{name}: schema removed (event type or version withdrawn)"
        for name in old
        if name not in new
    ]
    for name in old.keys() & new.keys():
        breaks.extend(f"{name}: {line}" for line in breaking_changes(old[name], new[name]))
    return sorted(breaks)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return _TYPE_OF.get(type(value), "string")


def _types(schema: Schema) -> set[str]:
    """Return the JSON types a (resolved, single-branch) schema admits; {"any"} if unconstrained."""
    if "type" in schema:
        kind = schema["type"]
        return {kind} if isinstance(kind, str) else set(kind)
    if "const" in schema:
        return {_json_type(schema["const"])}
    if "enum" in schema:
        return {_json_type(v) for v in schema["enum"]}
    if "properties" in schema or "additionalProperties" in schema:
        return {"object"}
    if "items" in schema:
        return {"array"}
    return {"any"}


def _accepts(types: set[str], kind: str) -> bool:
    return "any" in types or kind in types or (kind == "integer" and "number" in types)


def _values(schema: Schema) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    if "enum" in schema:
        return list(schema["enum"])
    return None


class _Comparison:
    """One comparison of two schema documents, each resolving `$ref` against its own root."""

    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.roots = (old_root, new_root)
        self.visiting: set[tuple[str | None, str | None]] = set()

    def resolve(self, schema: Schema, side: int) -> Schema:
        """Follow `$ref` (keeping sibling keywords) and collapse a one-element `allOf`."""
        seen = 0
        while "$ref" in schema or len(schema.get("allOf", ())) == 1:
            seen += 1
            if seen > 50:
                raise ValueError(f"$ref loop at {schema}")
            siblings = {k: v for k, v in schema.items() if k not in ("$ref", "allOf")}
            if "$ref" in schema:
                target = self.pointer(schema["$ref"], side)
            else:
                target = self.resolve(schema["allOf"][0], side)
            schema = {**target, **siblings}
        return schema

    def pointer(self, ref: str, side: int) -> Schema:
        """Return the schema a local JSON pointer names in one side's document."""
        if not ref.startswith("#"):
            raise ValueError(f"only local $ref are supported, not {ref!r}")
        node: Any = self.roots[side]
        for part in filter(None, ref[1:].split("/")):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        if not isinstance(node, Mapping):
            raise ValueError(f"$ref {ref!r} does not name a schema")
        return node

    def branches(self, schema: Schema, side: int) -> Iterator[Schema]:
        """Yield the alternatives of a schema (`anyOf`/`oneOf` flattened), resolved."""
        schema = self.resolve(schema, side)
        alternatives = schema.get("anyOf") or schema.get("oneOf")
        if not alternatives:
            yield schema
            return
        for alternative in alternatives:
            yield from self.branches(alternative, side)

    def compare(self, old: Schema, new: Schema, path: str) -> list[str]:
        """Return what `new` breaks of `old` at `path`."""
        key = (old.get("$ref"), new.get("$ref"))
        if key != (None, None):
            if key in self.visiting:
                return []  # a recursive definition already being compared further up
            self.visiting.add(key)
        try:
            return self._compare(old, new, path)
        finally:
            self.visiting.discard(key)

    def _compare(self, old: Schema, new: Schema, path: str) -> list[str]:
        olds, news = list(self.branches(old, 0)), list(self.branches(new, 1))
        new_types = set().union(*(_types(b) for b in news))
        if "any" in new_types:
            return []
        breaks: list[str] = []
        for branch in olds:
            kinds = _types(branch)
            lost = sorted(k for k in kinds if not _accepts(new_types, k))
            if lost:
                shown = ", ".join(sorted(new_types))
                breaks.append(
                    f"{path}: type narrowed: {', '.join(lost)} no longer accepted (now {shown})"
                )
                continue
            candidates = [b for b in news if any(_accepts(_types(b), k) for k in kinds)]
            found: list[list[str]] = [self._same_kind(branch, b, path) for b in candidates]
            if found and all(found):
                best: list[str] = min(found, key=len)
                breaks.extend(best)
        return breaks

    def _same_kind(self, old: Schema, new: Schema, path: str) -> list[str]:
        breaks = self._values(old, new, path) + self._bounds(old, new, path)
        kinds = _types(old) & _types(new)
        if "object" in kinds:
            breaks += self._object(old, new, path)
        if "array" in kinds and "items" in new:
            breaks += self.compare(old.get("items", {}), new["items"], f"{path}[]")
        if "array" in kinds and new.get("uniqueItems") and not old.get("uniqueItems"):
            breaks.append(f"{path}: items must now be unique")
        return breaks

    @staticmethod
    def _values(old: Schema, new: Schema, path: str) -> list[str]:
        old_values, new_values = _values(old), _values(new)
        if new_values is None:
            return []
        if old_values is None:
            return [f"{path}: type narrowed: now restricted to {new_values!r}"]
        removed = [v for v in old_values if v not in new_values]
        return [f"{path}: enum value removed: {v!r}" for v in removed]

    @staticmethod
    def _bounds(old: Schema, new: Schema, path: str) -> list[str]:
        breaks = []
        for word in _LOWER_BOUNDS:
            if word in new and (word not in old or new[word] > old[word]):
                breaks.append(
                    f"{path}: constraint tightened: {word} {old.get(word)} -> {new[word]}"
                )
        for word in _UPPER_BOUNDS:
            if word in new and (word not in old or new[word] < old[word]):
                breaks.append(
                    f"{path}: constraint tightened: {word} {old.get(word)} -> {new[word]}"
                )
        for word in _EXACT:
            if word in new and new[word] != old.get(word):
                breaks.append(
                    f"{path}: constraint changed: {word} {old.get(word)!r} -> {new[word]!r}"
                )
        return breaks

    def _object(self, old: Schema, new: Schema, path: str) -> list[str]:
        breaks = []
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        for name, schema in old_props.items():
            if name not in new_props:
                breaks.append(f"{path}: property {name!r} removed")
            else:
                breaks += self.compare(schema, new_props[name], f"{path}.{name}")
        old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
        for name in sorted(new_required - old_required):
            what = "newly required" if name in old_props else "added as required"
            breaks.append(f"{path}: property {name!r} {what}")
        old_extra = old.get("additionalProperties", True)
        new_extra = new.get("additionalProperties", True)
        if new_extra is False and old_extra is not False:
            breaks.append(
                f"{path}: additionalProperties tightened: unknown properties now rejected"
            )
        elif isinstance(new_extra, Mapping):
            if isinstance(old_extra, Mapping):
                breaks += self.compare(old_extra, new_extra, f"{path}{{*}}")
            elif old_extra is not False:
                breaks.append(
                    f"{path}: additionalProperties tightened: now constrained by a schema"
                )
        return breaks
