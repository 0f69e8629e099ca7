"""Authoring: how content enters and changes in the database — drafts, validation, publishing,
history, rollback, four eyes, retirement and course packages. ``lms import`` and the browser
editor are both clients of it."""
