"""Where a schema revision stands against the migrations this code carries."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

CURRENT = "current"
OLDER = "older"
NEWER = "newer"
UNKNOWN = "unknown"


def script_directory(migrations_dir: str | os.PathLike[str]) -> ScriptDirectory:
    # Imported here: Alembic is loaded by what backs up or restores, not by every web worker.
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(migrations_dir))


def head_revision(migrations_dir: str | os.PathLike[str]) -> str:
    """The single head of the migration chain (several heads are a merge still to be made)."""
    from alembic.util import CommandError

    heads = script_directory(migrations_dir).get_heads()
    if len(heads) != 1:
        raise CommandError(f"the migrations have {len(heads)} heads: {', '.join(heads)}")
    return heads[0]


def classify(migrations_dir: str | os.PathLike[str], revision: Optional[str]) -> str:
    """``current`` (the head), ``older`` (an ancestor of the head: upgrade after restoring),
    ``newer`` (not known here: written by a later version) or ``unknown`` (no revision recorded)."""
    if not revision:
        return UNKNOWN
    script = script_directory(migrations_dir)
    head = head_revision(migrations_dir)
    if revision == head:
        return CURRENT
    ancestors = {rev.revision for rev in script.iterate_revisions(head, "base")}
    return OLDER if revision in ancestors else NEWER
