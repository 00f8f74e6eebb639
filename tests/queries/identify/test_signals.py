"""Each signal on hand-made cases, the decoys included: what counts as shared, and how specific it is."""

from __future__ import annotations

from queries.identify import signals as sig


def test_contacts_extracted_from_text_by_documented_patterns() -> None:
    text = (
        "pm me, jabber: Dark.Fox@xmpp.jp or mail dark.fox@protonmail.com, tg @dark_fox_1, "
        "tox " + "a1" * 38 + " pgp fingerprint 1A2B 3C4D 5E6F 7A8B 9C0D 1E2F 3A4B 5C6D 7E8F 9A0B"
    )
    assert sig.extract_contacts(text) == {
        "jabber_ids:dark.fox@xmpp.jp",
        "emails:dark.fox@protonmail.com",
        "telegram_handles:dark_fox_1",
        "tox_ids:" + "a1" * 38,
        "pgp_fingerprints:1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
    }


def test_a_jabber_id_is_not_also_an_email_and_plain_text_has_no_contacts() -> None:
    assert sig.extract_contacts("jabber: boss@exploit.im") == {"jabber_ids:boss@exploit.im"}
    assert sig.extract_contacts("selling rdp access, price in pm, 100% legit") == set()


def test_public_server_is_not_a_shared_contact() -> None:
    # Two people on the same public Jabber server: different identifiers, nothing shared.
    a = sig.extract_contacts("jabber: wolf@jabber.ru")
    b = sig.extract_contacts("jabber: raven@jabber.ru")
    assert a and b and not a & b


def test_handle_skeleton_undoes_case_separators_and_digit_letter_swaps() -> None:
    assert sig.handle_skeleton("D4rk_V1per12") == sig.handle_skeleton("dark.viper12") == "darkviper12"
    assert sig.handle_skeleton("s1lentf0x60") == "silentfox60"
    # Trailing digits are part of the name, not letters in disguise.
    assert sig.handle_skeleton("darkviper12") != sig.handle_skeleton("darkviper345")


def test_jaro_winkler_known_values() -> None:
    assert sig.jaro_winkler("abc", "abc") == 1.0
    assert round(sig.jaro_winkler("dwayne", "duane"), 2) == 0.84
    assert sig.jaro_winkler("abc", "xyz") == 0.0


def test_hour_profiles_compare_daily_rhythm() -> None:
    evening = [f"2024-01-{d:02d}T2{h}:10:00Z" for d in range(1, 8) for h in (0, 1)]
    also_evening = [f"2023-05-{d:02d}T2{h}:40:00Z" for d in range(10, 16) for h in (0, 1)]
    morning = [f"2024-01-{d:02d}T0{h}:10:00Z" for d in range(1, 8) for h in (7, 8)]
    a, b, c = sig.hour_of_week(evening), sig.hour_of_week(also_evening), sig.hour_of_week(morning)
    assert (sig.cosine(a, b) or 0) > 0.95
    similarity = sig.cosine(a, c)
    assert similarity is not None and similarity < 0.1
    assert sig.hour_of_week(evening[:2]) is None  # too few posts: no profile, no evidence


def test_style_separates_habits_from_common_words() -> None:
    texts = {
        "a": ["selling rdp access bro, no refunds xD", "fresh logs bro, no refunds xD"],
        "b": ["new rdp batch bro, no refunds xD", "stealer logs bro!! no refunds xD"],
        "c": ["selling rdp access. Regards, the vendor.", "fresh logs. Regards, the vendor."],
    }
    grams = {k: sig.trigrams(v) for k, v in texts.items()}
    df: dict[int, int] = {}
    for counted in grams.values():
        for g in counted:
            df[g] = df.get(g, 0) + 1
    vec = {k: sig.style_vector(g, df, len(grams)) for k, g in grams.items()}
    assert (sig.cosine(vec["a"], vec["b"]) or 0) > (sig.cosine(vec["a"], vec["c"]) or 0)


def test_specificity_and_bands_drop_popular_values() -> None:
    # An exchange deposit address forty handles list is no evidence; one two handles list is.
    holders = {"btc:deposit": 40, "btc:mine": 2, "btc:few": 7}
    rare, shared = sig.banded(holders, sig.RARE, sig.SHARED)
    assert rare == ["btc:mine"]
    assert shared == ["btc:few", "btc:mine"]
    assert sig.specificity(40) == 1 / 40
    assert "specificity 0.50" in sig.shared_detail("wallets", ["btc:mine"], holders)
