"""A party's package in the receiver's language: the report (and for units the preservation cover note)
rendered from Jinja2 templates, every sentence from the language's catalogue (``lang/<code>.yaml``).

Pages are self-contained: no script, no external resource, a Content-Security-Policy that forbids both,
every data value escaped (Jinja2 autoescaping), the marking at top and bottom.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import yaml
from markupsafe import Markup, escape

from graph_model.errors import InvalidArgument
from queries.disruption import words
from queries.disruption.actions import note_in

HERE = Path(__file__).parent
LANGUAGES_DIR = HERE / "lang"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"
STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222;
  padding: 0 1em; }
.tlp { display: inline-block; padding: .1em .6em; font-weight: bold; background: #000; white-space: nowrap; }
.tlp-CLEAR { color: #fff; } .tlp-GREEN { color: #33ff00; } .tlp-AMBER, .tlp-AMBER-STRICT { color: #ffc000; }
.tlp-RED { color: #ff2b2b; } .banner { margin: .3em 0; }
table { border-collapse: collapse; width: 100%; margin: .4em 0 1.2em; }
th, td { border: 1px solid #ccc; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } table.head th, h3 + table th { width: 14em; }
code { font-size: 90%; word-break: break-all; } ol.actions { margin: 0; padding-left: 1.3em; }
h3 { margin-top: 1.6em; border-top: 2px solid #333; padding-top: .6em; } small { color: #555; }
"""


def languages() -> list[str]:
    """The language codes with a catalogue."""
    return sorted(p.stem for p in LANGUAGES_DIR.glob("*.yaml"))


@cache
def catalogue(language: str) -> dict[str, str]:
    path = LANGUAGES_DIR / f"{language}.yaml"
    if not path.is_file():
        raise InvalidArgument(f"no package language {language!r}; known: {', '.join(languages())}")
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


_TEXT = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=False)
_PAGES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@cache
def _compiled(language: str, message_id: str) -> jinja2.Template:
    return _TEXT.from_string(catalogue(language)[message_id])


def translator(language: str) -> Callable[..., str]:
    """``t(id, **values)``: the catalogue's sentence ``id`` rendered with ``values`` (plain text)."""
    words = catalogue(language)

    def t(message_id: str, **values: Any) -> str:
        if message_id not in words:
            raise KeyError(f"package language {language!r} has no message {message_id!r}")
        return " ".join(_compiled(language, message_id).render(**values).split())

    return t


def tlp_badge(label: str) -> Markup:
    css = "tlp-" + str(label).replace("+", "-")
    return Markup(f'<span class="tlp {escape(css)}">TLP:{escape(label)}</span>')


def party_name(package: dict[str, Any], t: Callable[..., str]) -> str:
    party = package["party"]
    if party["own_unit"]:
        return t("party.own_unit", unit=package["requester"]["unit"])
    if party["kind"] == "law_enforcement":
        return t("party.unit", country=party["country"])
    return t(f"party.{party['kind']}", name=party["name"])


class Renderer:
    """Renders one party's package (the ``package.json`` dict) in its language."""

    def __init__(self, package: dict[str, Any]) -> None:
        self.p = package
        self.t = translator(package["language"])

    def fact(self, fact: dict[str, Any]) -> str:
        words = catalogue(self.p["language"])
        message = fact["id"] if fact["id"] in words else "fact.generic"
        return self.t(message, **fact["values"])

    def action(self, action: str, target: dict[str, Any] | None = None) -> str:
        """An action in words, worded for the receiving kind of party and the target's type where the
        catalogue has a wording (``action.<action>.<party kind>.<target type>``, then
        ``action.<action>.<party kind>``, then ``action.<action>``): a network operator takes an AS or an
        address block down by its routes, a host by its address."""
        words = catalogue(self.p["language"])
        general = f"action.{action}.{self.p['party']['kind']}"
        candidates = [f"{general}.{target['type']}"] if target else []
        for message in [*candidates, general]:
            if message in words:
                return self.t(message)
        return self.t(f"action.{action}")

    def why(self, why: dict[str, Any]) -> str:
        """A plan's why in the package's language, rendered from its message id and values by the planner's
        own renderer (``queries.disruption.words``, catalogues ``words.<code>.yaml``); ids of the package's
        catalogue (``why.outside_scope``) from there. A why that arrives as text only (a plan made before
        whys were data) is shown as such in English; other languages say that it exists only in English."""
        language = self.p["language"]
        message = why.get("id")
        values = why.get("values") or {}
        if isinstance(message, str) and message in words.message_ids(language):
            try:
                return words.render(message, values, language)
            except (jinja2.UndefinedError, KeyError):
                pass
        elif isinstance(message, str) and message != "why.text" and message in catalogue(language):
            return self.t(message, **values)
        return self.t("why.text", text=why.get("text") or "")

    def needs(self, text: str) -> str:
        """An action-table note ("a production order") in the package's language."""
        translated = note_in(text, self.p["language"])
        return (
            self.t("needs.text", text=translated) if translated is not None else self.t("needs.untranslated")
        )

    def notes(self) -> list[str]:
        seen: list[str] = []
        for request in self.p["requests"]:
            for note in request["notes"]:
                values = dict(note["values"])
                if "party" in values:
                    values["party"] = self.t(f"kind.{values['party']}")
                text = self.t(note["id"], **values)
                if text not in seen:
                    seen.append(text)
        if self.p["party"]["own_unit"]:
            seen.append(self.t("route.own_unit"))
        return seen

    def _common(self) -> dict[str, Any]:
        requests = self.p["requests"]
        urgent = any(r["urgency"] == "urgent" for r in requests)
        title_id = "title_unit" if self.p["unit"] else "title"
        return {
            "p": self.p,
            "t": self.t,
            "tlp": tlp_badge,
            "csp": Markup(CSP),
            "style": Markup(STYLE),
            "title": self.t(title_id, party=party_name(self.p, self.t)),
            "reply_by": min((r["reply_by"] for r in requests), default=self.p["created"][:10]),
            "urgency": "urgent" if urgent else "normal",
            "targets": {target["key"]: target for target in self.p["targets"]},
            "fact_text": self.fact,
            "action_text": self.action,
            "why": self.why,
            "needs_text": self.needs,
            "notes": self.notes(),
            "amounts": lambda totals: ", ".join(f"{v:,.8g} {k}" for k, v in sorted(totals.items())) or "0",
        }

    def report(self) -> str:
        return _PAGES.get_template("report.html.j2").render(**self._common())

    def cover_note(self, custodians: dict[str, str]) -> str:
        return _PAGES.get_template("cover_note.html.j2").render(**self._common(), custodians=custodians)

    def evidence_text(self, target: dict[str, Any]) -> str:
        """The observations of one target as plain text (an XARF report's evidence item)."""
        lines = [f"{target['kind']} / {target['type']}: {target['name']}"]
        lines += [self.t(r["id"], **r["values"]) for r in target.get("reasons") or ()]
        for fact in target["facts"]:
            when = f"{fact['first_seen'] or '?'} .. {fact['last_seen'] or '?'}"
            lines.append(
                f"- {self.fact(fact)} [{when}; {', '.join(fact['sources'])}; "
                f"{fact['confidence']}/100; TLP:{fact['tlp']}]"
            )
        return "\n".join(lines) + "\n"
