"""Text from data made safe for Streamlit's Markdown (captions, headers, labels, messages)."""

from __future__ import annotations

import re

# Every ASCII punctuation mark that Markdown or Streamlit's directives (:material/x:, :red[x],
# $math$) give a meaning; CommonMark lets any of them be escaped with a backslash.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=^&@\"'])")


def plain(text: object) -> str:
    """Text from data made safe for Markdown: every special character escaped, line breaks as
    spaces, so it shows literally (no link, image, heading, icon or autolinked address)."""
    one_line = re.sub(r"[\r\n]+", " ", str(text))
    return _MARKDOWN.sub(r"\\\1", one_line)
