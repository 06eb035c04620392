"""E-mail addresses: normalised form, a syntax check (no DNS, no mail sent), disposable domains.

**Normalised** (``email_norm``): Unicode NFKC (a full-width ``＠`` becomes ``@``), ends trimmed,
lower-cased; blank or missing → None. Lower-casing the part before ``@`` is what every large
mail provider does in practice, though the standard lets a server tell cases apart. Nothing else
is rewritten (dots in Gmail addresses and ``+tags`` stay), so two leads are the same person by
e-mail only when their normalised addresses are equal.

**Valid** (``email_valid``) when the normalised address matches :data:`EMAIL_PATTERN`:

- exactly one ``@``, at most 254 characters in all;
- before it, 1–64 characters: letters, digits and ``!#$%&'*+/=?^_`{|}~-``, in dot-separated
  parts (no leading, trailing or double dot);
- after it, at least two labels separated by dots, each 1–63 letters, digits or hyphens, not
  starting or ending with a hyphen; the last label (the top-level domain) is 2–63 letters, or an
  IDNA ``xn--`` label.

So ``li@163.com`` is valid; ``li@163`` (no top-level domain), ``li@@163.com``, ``li @163.com``,
``li@163.com.`` and ``li.163.com`` are not. Addresses with non-ASCII characters (``张三@例子.中国``)
are invalid under this rule: write the domain in its ``xn--`` form.

**Disposable** (flag ``disposable_email``): a valid address whose domain, or a domain it is a
sub-domain of, is in :data:`DISPOSABLE_DOMAINS` — services that hand out throw-away inboxes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from northstar.leads.phones import normalise_text

__all__ = ["DISPOSABLE_DOMAINS", "EMAIL_PATTERN", "disposable", "email_facts", "normalise_email"]

_LOCAL_CHARS = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
EMAIL_PATTERN = (
    rf"(?=.{{3,254}}$)(?=[^@]{{1,64}}@){_LOCAL_CHARS}+(?:\.{_LOCAL_CHARS}+)*"
    rf"@(?:{_LABEL}\.)+(?:[a-z]{{2,63}}|xn--[a-z0-9-]{{1,59}})"
)

DISPOSABLE_DOMAINS = frozenset(
    {
        "mailinator.com",
        "guerrillamail.com",
        "guerrillamail.net",
        "sharklasers.com",
        "10minutemail.com",
        "temp-mail.org",
        "tempmail.com",
        "yopmail.com",
        "trashmail.com",
        "getnada.com",
        "dispostable.com",
        "maildrop.cc",
        "throwawaymail.com",
        "fakeinbox.com",
        "mintemail.com",
    }
)


def normalise_email(text: str) -> str | None:
    out = normalise_text(text).lower()
    return out or None


def email_facts(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(``email_norm``, ``email_valid``, disposable) for a column of raw addresses, aligned with it.

    Each distinct text is normalised once; the syntax check is one vectorised regex match.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    norm = _normalise_all(np.asarray(uniques, dtype=object))
    valid = norm.str.fullmatch(EMAIL_PATTERN).fillna(False).astype(bool)
    domains = norm[valid].str.rpartition("@")[2] if valid.any() else pd.Series([], dtype=object)
    throw = {d: disposable(d) for d in pd.unique(domains)}
    throwaway = pd.Series(False, index=norm.index, dtype=bool)
    throwaway[valid] = domains.map(throw).to_numpy(dtype=bool)
    norm_rows = _take(norm.to_numpy(dtype=object), codes, None)
    valid_rows = _take(valid.to_numpy(dtype=bool), codes, False)
    throwaway_rows = _take(throwaway.to_numpy(dtype=bool), codes, False)
    index = values.index
    return (
        pd.Series(norm_rows, index=index, dtype=object),
        pd.Series(valid_rows, index=index, dtype=bool),
        pd.Series(throwaway_rows, index=index, dtype=bool),
    )


def _normalise_all(texts: np.ndarray) -> pd.Series:
    """:func:`normalise_email` of each text (Arrow's trim and lower-case for ASCII texts)."""
    if len(texts) == 0:
        return pd.Series([], dtype=object)
    array = pa.array([str(t) for t in texts], pa.string())
    ascii_ = pc.string_is_ascii(array).to_numpy(zero_copy_only=False)
    out = pc.utf8_lower(pc.utf8_trim_whitespace(array)).to_numpy(zero_copy_only=False).astype(object)
    for i in np.flatnonzero(~ascii_):
        out[i] = normalise_email(texts[i])
    out[out == ""] = None
    return pd.Series(out, dtype=object)


def disposable(domain: str) -> bool:
    parts = domain.split(".")
    return any(".".join(parts[i:]) in DISPOSABLE_DOMAINS for i in range(len(parts) - 1))


def _take(values, codes, missing):  # type: ignore[no-untyped-def]
    if len(values) == 0:
        return np.full(len(codes), missing, dtype=values.dtype)
    out = values[np.maximum(codes, 0)]
    out[codes < 0] = missing
    return out
