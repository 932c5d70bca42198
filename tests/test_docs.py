"""The documentation speaks of the project alone and its links lead somewhere."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
#: Words of notes to a team of parallel editors, not of a guide to the project.
NOT_FOR_CONTRIBUTORS = re.compile(r"/work/|\bthe lead\b|\bworktree\b|do not commit|Several people edit",
                                  re.IGNORECASE)


def test_readme_links_lead_to_files() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = [t for t in LINK.findall(readme) if not t.startswith(("http://", "https://"))]
    assert "docs/CONTRIBUTING.md" in targets
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing, missing


def test_contributor_guide_is_about_the_project() -> None:
    guide = (ROOT / "docs" / "CONTRIBUTING.md").read_text(encoding="utf-8")
    for heading in ("## Layout", "## The tenant filter", "## Views", "### Adding a route",
                    "### Adding a report", "## Adding a business", "## Translations", "## Tests"):
        assert heading in guide, heading
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        found = NOT_FOR_CONTRIBUTORS.findall(path.read_text(encoding="utf-8"))
        assert not found, f"{path.name}: {found}"


def test_readme_says_how_to_change_the_ports() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "PORT=" in readme and "TRADE_PORT=" in readme
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "PORT ?=" in makefile and "TRADE_PORT ?=" in makefile  # what the README promises
