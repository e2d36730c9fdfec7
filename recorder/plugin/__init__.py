"""The pytest plugin's parts, each a seam of its own: default cassette names (``naming``), what a
test's session is built from (``settings``: pyproject < marker < command line), and the
end-of-session summary (``stats``). The hooks and the fixture live in ``recorder.pytest_plugin``,
the entry point pytest loads."""
