"""Names and addresses as pure functions of (seed, index), so nothing has to remember them.

Every name carries its index, which keeps it unique; the words around it only make it readable.
"""

from __future__ import annotations

import hashlib

_ADJECTIVES = (
    "dark",
    "silent",
    "black",
    "red",
    "ghost",
    "cold",
    "iron",
    "night",
    "shadow",
    "toxic",
    "frozen",
    "rapid",
    "hidden",
    "crypto",
    "zero",
    "lucky",
    "grim",
    "neon",
    "sly",
    "void",
    "wild",
    "deep",
    "rogue",
    "stealth",
)
_NOUNS = (
    "viper",
    "wolf",
    "raven",
    "spider",
    "fox",
    "hydra",
    "kraken",
    "jackal",
    "cobra",
    "falcon",
    "lynx",
    "mantis",
    "panther",
    "scorpion",
    "shark",
    "tiger",
    "bear",
    "hawk",
    "moth",
    "rat",
    "crow",
    "eel",
    "wasp",
    "orca",
)
_TLDS = ("com", "net", "top", "xyz", "ru", "su", "cc", "biz", "info", "online", "site", "io")
_COUNTRIES = ("RU", "UA", "BY", "KZ", "CN", "IR", "KP", "BR", "NG", "RO", "VN", "IN", "US", "NL", "DE")
COUNTRIES = _COUNTRIES
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _hash(seed: int, tag: str, index: int) -> int:
    digest = hashlib.blake2b(f"{seed}:{tag}:{index}".encode(), digest_size=16).digest()
    return int.from_bytes(digest, "big")


def _words(seed: int, tag: str, index: int) -> tuple[str, str]:
    h = _hash(seed, tag, index)
    return _ADJECTIVES[h % len(_ADJECTIVES)], _NOUNS[(h // 97) % len(_NOUNS)]


def handle(seed: int, index: int) -> str:
    adjective, noun = _words(seed, "handle", index)
    return f"{adjective}{noun}{index}"


def alias(seed: int, index: int) -> str:
    adjective, noun = _words(seed, "alias", index)
    return f"{noun}_{adjective}{index}"


def group(seed: int, index: int) -> str:
    adjective, noun = _words(seed, "group", index)
    return f"{adjective.title()}{noun.title()} Team {index}"


def forum(seed: int, index: int) -> str:
    adjective, noun = _words(seed, "forum", index)
    return f"{adjective.title()}{noun.title()} Board {index}"


def provider(seed: int, index: int, bulletproof: bool) -> str:
    adjective, noun = _words(seed, "provider", index)
    return f"{adjective.title()} {noun.title()} {'Bulletproof ' if bulletproof else ''}Hosting {index}"


def service(seed: int, index: int, kind: str) -> str:
    adjective, noun = _words(seed, kind, index)
    return f"{adjective.title()}{noun.title()} {kind.title()} {index}"


def malware(seed: int, index: int) -> str:
    adjective, noun = _words(seed, "malware", index)
    return f"{adjective.title()}{noun}Locker {index}"


def domain(seed: int, index: int) -> str:
    adjective, noun = _words(seed, "domain", index)
    return f"{adjective}-{noun}-{index}.{_TLDS[_hash(seed, 'tld', index) % len(_TLDS)]}"


def email(seed: int, index: int) -> str:
    adjective, noun = _words(seed, "email", index)
    return f"{adjective}.{noun}{index}@mail-{index % 7}.example"


def country(seed: int, tag: str, index: int) -> str:
    return _COUNTRIES[_hash(seed, f"country:{tag}", index) % len(_COUNTRIES)]


def ip(asn_index: int, host: int) -> str:
    """The ``host``-th address of the ``asn_index``-th AS: a 62,500-address block each, never shared."""
    return f"{31 + asn_index // 250}.{asn_index % 250}.{host // 250}.{host % 250 + 1}"


def asn(asn_index: int) -> str:
    return f"AS{200000 + asn_index}"


def btc_address(seed: int, index: int) -> str:
    """A bech32-looking (not checksummed) Bitcoin address."""
    h = _hash(seed, "wallet", index) << 64 | _hash(seed, "wallet2", index)
    chars = []
    for _ in range(38):
        h, r = divmod(h, 32)
        chars.append(_BECH32[r])
    return "bc1q" + "".join(chars)


def tx_id(seed: int, index: int) -> str:
    return hashlib.blake2b(f"{seed}:tx:{index}".encode(), digest_size=32).hexdigest()


def registrar(seed: int, index: int) -> str:
    adjective, noun = _words(seed, "registrar", index)
    return f"{adjective.title()} {noun.title()} Names {index}"


def transit(seed: int, index: int) -> str:
    adjective, noun = _words(seed, "transit", index)
    return f"{adjective.title()}{noun.title()} Transit {index}"


def transit_asn(index: int) -> str:
    return f"AS{100000 + index}"


def tld(seed: int, index: int) -> str:
    """The top-level domain of ``domain(seed, index)``."""
    return _TLDS[_hash(seed, "tld", index) % len(_TLDS)]


def tlds() -> tuple[str, ...]:
    return _TLDS


def abuse_email(organisation: str) -> str:
    """A made-up abuse address for an organisation (under .example, so it reaches no one)."""
    slug = "-".join("".join(c if c.isalnum() else " " for c in organisation.lower()).split())
    return f"abuse@{slug}.example"
