"""Personal data out of the logs: phone numbers and identity-card numbers are masked before a log line is written.

`install_log_masking()` hooks the process's log-record factory, so every logger (kefu's, Ray Serve's, a library's)
is covered in every process that calls it: the Serve replicas call it when they start, and so does `python -m serving`.
"""

from __future__ import annotations

import logging
import re

# Identity numbers first (they are longer than phones): China's resident ID (17 digits and a check digit or X),
# Indonesia's NIK (16 digits), Thailand's citizen ID (13 digits, often 1-2345-67890-12-3).
_ID_CARD = re.compile(r"(?<![\dA-Za-z])(?:\d{17}[\dXx]|\d{16}|\d-?\d{4}-?\d{5}-?\d{2}-?\d)(?![\dA-Za-z])")
# Phones: mainland mobiles (optionally +86), international numbers written with +, and the national mobile forms of
# the SEA markets kefu serves (08… Indonesia, 01… Malaysia, 09… Philippines and Vietnam, 06/08/09… Thailand).
_PHONE = re.compile(
    r"(?<![\dA-Za-z])(?:"
    r"(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}"
    r"|\+\d{1,3}[ -]?\d{1,4}(?:[ -]?\d{2,4}){2,4}"
    r"|0[1-9]\d{1,2}[ -]?\d{3,4}[ -]?\d{3,5}"
    r")(?![\dA-Za-z])"
)
_KEEP = 4  # the last digits stay, so an agent reading a log can still tell two customers apart


def _mask(match: re.Match) -> str:
    text = match.group(0)
    total = sum(ch.isdigit() or ch in "Xx" for ch in text)
    out, seen = [], 0
    for ch in text:
        if ch.isdigit() or ch in "Xx":
            seen += 1
            out.append(ch if seen > total - _KEEP else "*")
        else:
            out.append(ch)
    return "".join(out)


def mask_pii(text: str) -> str:
    """`text` with identity-card and phone numbers masked but for their last four characters."""
    return _PHONE.sub(_mask, _ID_CARD.sub(_mask, text))


_installed = False


def install_log_masking() -> None:
    """Mask personal data in every log record this process creates from now on (idempotent)."""
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def masked_record(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed format string: leave the record for logging to report as it always has
            return record
        masked = mask_pii(message)
        if masked != message:
            record.msg, record.args = masked, None
        return record

    logging.setLogRecordFactory(masked_record)
    _installed = True
