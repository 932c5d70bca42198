"""业务单 (business orders): one workflow for every business, one handler per business.

``workflow`` is the state machine (who may do what, in which status, with history, house locks and
safe concurrent approval). ``types`` holds one handler per business (what it validates, applies on
approval and shows as its lines). ``drafts`` edits a draft, ``staging`` turns fetched or imported
houses into order lines, ``jobs`` runs long work in the background with progress, ``documents``
builds the printables and ``queries`` the lists. Nothing here touches a request, flash or ``g``.
"""
