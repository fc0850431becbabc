"""mmengine formats a config's text with yapf every time ``Config.pretty_text`` is read: five
times when a Runner starts (its log, the message hub, the dumped config) and once more for every
checkpoint it saves, each a full yapf pass over one and the same text.
Here the formatting is remembered: the same unformatted text and style give the same formatted
text, so only the first read of a config formats it. A config changed in between has another
text, and is formatted anew."""
from __future__ import annotations

import collections
from typing import Any, Callable, Dict, Tuple

import mmengine.config.config as mmengine_config

_CACHE_SIZE = 16


def _frozen(value: Any) -> Any:
    """A hashable copy of a yapf style or keyword arguments (dicts and lists of plain values)."""
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple, set)):
        return tuple(_frozen(item) for item in value)
    return value


class RememberedFormatting:
    """``FormatCode(text, style_config=..., **kwargs)`` as yapf's, its results kept for the
    last few distinct calls (a call that raises is not kept)."""

    def __init__(self, format_code: Callable[..., Tuple[str, bool]],
                 size: int = _CACHE_SIZE) -> None:
        self.format_code = format_code
        self.size = size
        self.results: Dict[tuple, Tuple[str, bool]] = collections.OrderedDict()

    def __call__(self, unformatted_source: str, style_config: Any = None,
                 **kwargs: Any) -> Tuple[str, bool]:
        key = (unformatted_source, _frozen(style_config), _frozen(kwargs))
        if key in self.results:
            self.results.move_to_end(key)
            return self.results[key]
        result = self.format_code(unformatted_source, style_config=style_config, **kwargs)
        self.results[key] = result
        if len(self.results) > self.size:
            self.results.popitem(last=False)
        return result


def remember_config_formatting() -> None:
    """Install :class:`RememberedFormatting` where ``Config.pretty_text`` looks yapf up."""
    if not isinstance(mmengine_config.FormatCode, RememberedFormatting):
        mmengine_config.FormatCode = RememberedFormatting(mmengine_config.FormatCode)
