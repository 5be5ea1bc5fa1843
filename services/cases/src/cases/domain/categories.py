"""The controlled list of case categories (主题): one name per theme, its aliases mapped onto it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from cases.domain.errors import invalid

DEFAULT_CATEGORIES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "交通出行": ("交通", "道路交通", "公共交通"),
        "城乡建设": ("城建", "住房城乡建设", "住房"),
        "农业农村": ("农业", "三农", "乡村振兴"),
        "教育": ("教育文化", "学校"),
        "医疗卫生": ("卫生健康", "医疗", "卫生"),
        "就业社保": ("社会保障", "社保", "就业"),
        "民政养老": ("民政", "养老"),
        "生态环境": ("环境保护", "环保", "环境"),
        "社会治安": ("治安", "公共安全", "平安建设"),
        "市场监管": ("食品安全", "市场"),
        "饮水水利": ("水利", "饮水安全", "饮水"),
        "民生": ("民生服务", "便民服务"),
        "其他": (),
    }
)
"""Themes as the county reports them, with the names people also write (configurable)."""


class Categories:
    """Maps a category as written onto its controlled name; refuses names not on the list."""

    def __init__(self, themes: Mapping[str, Sequence[str]] = DEFAULT_CATEGORIES) -> None:
        self._names: dict[str, str] = {}
        for name, aliases in themes.items():
            for written in (name, *aliases):
                key = written.strip()
                if not key:
                    raise ValueError(f"category {name!r}: empty name or alias")
                if self._names.get(key, name) != name:
                    raise ValueError(f"{key!r} names both {self._names[key]!r} and {name!r}")
                self._names[key] = name
        if not self._names:
            raise ValueError("the category list is empty")
        self.names = tuple(themes)

    def canonical(self, written: str) -> str | None:
        """Return the controlled name of a category as written, or None when it is unknown."""
        return self._names.get(written.strip())

    def require(self, written: str, loc: str = "category") -> str:
        """Return the controlled name, or raise ``InputError`` listing the allowed ones."""
        name = self.canonical(written)
        if name is None:
            allowed = "、".join(self.names)
            raise invalid(
                loc, f"unknown category {written.strip()!r}; one of {allowed}", "category"
            )
        return name

    def group(self, stored: str) -> str:
        """Return the row a stored category counts in (older free-text names mapped too)."""
        return self.canonical(stored) or stored
