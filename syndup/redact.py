"""`redact`: secrets in URLs (passwords, tokens) replaced by *** wherever syndup prints a URL."""

from __future__ import annotations

import re

# scheme://[user:]password@ : the authority runs to the first / (or space), its last @ ends the
# user info, so a password that holds an @ is hidden whole.
_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)(?:([^\s:/@?#]*):)?[^\s/?#]*@(?=[^\s@/?#]*(?:[/?#\s]|$))")
# ?password=..., &token=..., &api_key=... (any parameter named like a secret).
_PARAM = re.compile(r"(?i)([?&;][^=&;#\s]*(?:pass|pwd|secret|token|auth|key|sig|credential)[^=&;#\s]*=)[^&;#\s]*")


def redact(text: str) -> str:
    """`text` with the password (or lone user info) and secret query parameters of every URL in it as ***."""
    text = _USERINFO.sub(lambda m: f"{m.group(1)}{'' if m.group(2) is None else m.group(2) + ':'}***@", text)
    return _PARAM.sub(r"\1***", text)
