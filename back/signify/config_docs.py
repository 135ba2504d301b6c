"""The settings' documentation, generated from :data:`signify.config.VARIABLES`.

``python -m signify.config_docs`` rewrites ``.env.example`` and the
configuration table in the README; the tests fail when either differs
from what this module generates, so documentation cannot drift.
"""

from __future__ import annotations

import sys

from .config import REPO_ROOT, VARIABLES

ENV_EXAMPLE = REPO_ROOT / ".env.example"
README = REPO_ROOT / "README.md"
TABLE_START = "<!-- config-table:start -->"
TABLE_END = "<!-- config-table:end -->"


def env_example() -> str:
    """The text of ``.env.example``: every variable with its default and one line of meaning."""
    lines = ["# Signify server settings: every variable, with its default.", ""]
    for variable in VARIABLES:
        lines += [f"# {variable.meaning}", f"{variable.name}={variable.default}", ""]
    return "\n".join(lines)


def markdown_table() -> str:
    """The README's configuration table."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [f"| `{v.name}` | `{v.default}` | {v.meaning} |" for v in VARIABLES]
    return "\n".join(rows)


def readme_table(readme: str) -> str:
    """The table currently between the README's markers."""
    start, end = readme.index(TABLE_START) + len(TABLE_START), readme.index(TABLE_END)
    return readme[start:end].strip()


def write() -> None:
    """Regenerate ``.env.example`` and the README table in place."""
    ENV_EXAMPLE.write_text(env_example(), encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    start, end = readme.index(TABLE_START) + len(TABLE_START), readme.index(TABLE_END)
    README.write_text(f"{readme[:start]}\n{markdown_table()}\n{readme[end:]}", encoding="utf-8")


if __name__ == "__main__":
    write()
    sys.exit(0)
