"""The DPO report fits the window it is read in: nothing runs past a 1,400 px wide window."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from hub.cli import main

WINDOW_WIDTH = 1400
_WIDER_THAN_THE_WINDOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > width + 1)
    .map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}` +
                `${e.className && typeof e.className === 'string' ? '.' + e.className : ''}` +
                ` (right edge ${Math.round(e.getBoundingClientRect().right)} px)`);
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 10)};
}"""


def test_the_dpo_report_fits_a_1400_px_window(dpo_hub_file: Path, tmp_path: Path, browser) -> None:
    out = tmp_path / "dpo.html"
    result = CliRunner().invoke(main, ["report", "dpo", "--config", str(dpo_hub_file),
                                       "--since", "2024-01-01", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    page = browser.new_page(viewport={"width": WINDOW_WIDTH, "height": 900})
    try:
        page.goto(out.resolve().as_uri())
        layout = page.evaluate(_WIDER_THAN_THE_WINDOW)
    finally:
        page.close()
    assert layout["scroll"] <= layout["width"], layout["wide"]
    assert layout["wide"] == []
