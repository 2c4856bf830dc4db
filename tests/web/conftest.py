"""The web app served for real: a demo workspace, uvicorn on a loopback port, Debian's Chromium."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from web_support import Served, demo_context, make_demo, serving


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A demo workspace (one run, two releases) served on 127.0.0.1, idle sign-out after 3 s."""
    demo = tmp_path_factory.mktemp("web") / "demo"
    make_demo(demo)
    context = demo_context(demo, "config/hub.yaml", datetime.timedelta(seconds=3))
    with serving(context) as url:
        yield Served(url, context, context.audit, demo)
