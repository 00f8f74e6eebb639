"""Words a planner reads: verdicts and whys as data first (a message id and its values), then English.

Every sentence the planner's outputs carry is a :class:`Message`: an ``id`` naming what is said (e.g.
``plan.fragmentation``), the ``values`` it says it with (plain JSON: numbers, strings, lists), and the
English ``text`` rendered from the catalogue ``words.en.yaml`` beside this module (Jinja2 templates, one
per id). Other languages are catalogues ``words.<code>.yaml`` beside it with the same ids, rendered by the
same :func:`render` (takedown packages render a plan's whys in the receiver's language through it); the
English catalogue is the reference for what each id means and which values it carries.

Filters the templates use, in each language's conventions: ``num`` (an integer with thousands
separators, a fraction with three significant digits), ``pct`` (a share 0-1 as a percentage, never "0%"
for a positive share), ``plural`` (``n | plural("part", "parts")``), ``join`` (a list in words) and
``commas`` (items joined by commas, for a list that goes on: "1, 2, 3 and 4 smaller").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

CATALOGUE = Path(__file__).with_name("words.en.yaml")
HERE = CATALOGUE.parent
_SPACES = re.compile(r"[ \t\r\n]+")


@dataclass(frozen=True, slots=True)
class Message:
    """One sentence (or two) as data: ``id`` and ``values``, and ``text``, its English rendering."""

    id: str
    values: dict[str, Any] = field(default_factory=dict)
    text: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape every verdict and why takes: ``{"text", "id", "values"}``."""
        return {"text": self.text, "id": self.id, "values": self.values}

    @classmethod
    def from_dict(cls, data: Any) -> Message | None:
        """A message read back from its JSON (``None`` when ``data`` is not one)."""
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            return None
        values = data.get("values")
        return cls(
            str(data["id"]), dict(values) if isinstance(values, dict) else {}, str(data.get("text", ""))
        )


def say(message_id: str, **values: Any) -> Message:
    """The message ``message_id`` with ``values``, rendered to English.

    Examples
    --------
    >>> print(say("plan.stopped_no_links", unused=2, budget=5).text)  # doctest: +NORMALIZE_WHITESPACE
    Stopped after 3 of 5 picks: no link is left between the remaining entities, so 2 picks of the
    budget are left unused.
    """
    return Message(message_id, values, render(message_id, values))


def render(message_id: str, values: dict[str, Any], language: str = "en") -> str:
    """The message ``message_id`` with ``values`` as text in ``language`` (a ``words.<code>.yaml``).

    Raises ``KeyError`` for an id or language without a catalogue entry, ``jinja2.UndefinedError`` for
    values the template needs and does not get.

    Examples
    --------
    >>> render("plan.stopped_no_links", {"unused": 2, "budget": 5}, "fr")[:40]
    'Arrêt après 3 choix sur 5 : plus aucun l'
    """
    try:
        template = _environment(language).get_template(message_id)
    except jinja2.TemplateNotFound:
        raise KeyError(f"no message {message_id!r} in words.{language}.yaml") from None
    return _SPACES.sub(" ", template.render(**values)).strip()  # keeps no-break spaces (1\u202f204, 18\xa0%)


def languages() -> list[str]:
    """The language codes with a catalogue (``words.<code>.yaml``)."""
    return sorted(p.name.split(".")[1] for p in HERE.glob("words.*.yaml"))


def message_ids(language: str = "en") -> list[str]:
    """Every message id of the catalogue of ``language`` (entries starting with ``_`` are shared macros)."""
    return sorted(k for k in _catalogue(language) if not k.startswith("_"))


def num(value: Any) -> str:
    """A count with thousands separators, a fraction with three significant digits.

    Examples
    --------
    >>> num(1204), num(0.20914), num(646056.0), num(3.0)
    ('1,204', '0.209', '646,056', '3')
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if float(value).is_integer() and abs(value) >= 1 or value == 0:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def pct(share: Any) -> str:
    """A share (0-1) as a percentage: whole percents, one decimal below 10%, "<0.1%" for a sliver.

    Examples
    --------
    >>> pct(0.18), pct(0.0417), pct(0.0004), pct(0), pct(1)
    ('18%', '4.2%', '<0.1%', '0%', '100%')
    """
    if not isinstance(share, int | float) or isinstance(share, bool):
        return str(share)
    value = 100.0 * share
    if value == 0:
        return "0%"
    if 0 < value < 0.1:
        return "<0.1%"
    if value < 10 and not float(value).is_integer():
        return f"{value:.1f}%"
    return f"{value:.0f}%"


def plural(count: Any, one: str, many: str) -> str:
    """``one`` for a count of 1, else ``many``.

    Examples
    --------
    >>> plural(1, "part", "parts"), plural(14, "part", "parts")
    ('part', 'parts')
    """
    return one if count == 1 else many


def join(items: Any, last: str = "and") -> str:
    """Items as an English list: "a", "a and b", "a, b and c".

    Examples
    --------
    >>> join(["a", "b", "c"])
    'a, b and c'
    """
    words = [str(i) for i in items]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def num_fr(value: Any) -> str:
    """:func:`num` in French: a (narrow no-break) space between thousands, a decimal comma.

    Examples
    --------
    >>> num_fr(1204), num_fr(0.20914), num_fr(3.0)
    ('1\u202f204', '0,209', '3')
    """
    return num(value).replace(",", "\u202f").replace(".", ",")


def pct_fr(share: Any) -> str:
    """:func:`pct` in French: a decimal comma and a no-break space before the sign.

    Examples
    --------
    >>> pct_fr(0.0417), pct_fr(0.18)
    ('4,2\xa0%', '18\xa0%')
    """
    text = pct(share)
    return text.replace(".", ",").replace("%", "\xa0%") if text.endswith("%") else text


def join_fr(items: Any, last: str = "et") -> str:
    """Items as a French list: "a", "a et b", "a, b et c"."""
    return join(items, last)


FILTERS: dict[str, dict[str, Any]] = {
    "en": {"num": num, "pct": pct, "plural": plural, "join": join, "commas": ", ".join},
    "fr": {"num": num_fr, "pct": pct_fr, "plural": plural, "join": join_fr, "commas": ", ".join},
}


@cache
def _catalogue(language: str = "en") -> dict[str, str]:
    path = HERE / f"words.{language}.yaml"
    if not path.is_file():
        raise KeyError(f"no catalogue words.{language}.yaml; known: {', '.join(languages())}")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in raw.items()}


@cache
def _environment(language: str = "en") -> jinja2.Environment:
    """Templates by id; one may include another by id (a verdict includes the recovery sentence)."""
    env = jinja2.Environment(
        loader=jinja2.DictLoader(_catalogue(language)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )
    env.filters.update(FILTERS.get(language, FILTERS["en"]))
    return env
