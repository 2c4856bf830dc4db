"""The four partner extracts: which records each holds and how each partner writes them.

One module per partner (``police``, ``probation``, ``health``, ``housing``) holds its vocabulary,
its column builder and its :class:`~hub.demo.synthetic.batch.FeedFormat`. Column names and order,
code values, encodings and date formats follow partner-extracts.md.
"""

from __future__ import annotations

from hub.demo.synthetic.batch import FeedFormat
from hub.demo.synthetic.feeds import health, housing, police, probation

FORMATS: dict[str, FeedFormat] = {
    "police": police.FORMAT,
    "probation": probation.FORMAT,
    "health": health.FORMAT,
    "housing": housing.FORMAT,
}
