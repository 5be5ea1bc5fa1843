"""The service skeleton: how every service runs, is wired, gives handlers context, reads callers.

A service keeps only what is its own (settings, tables, routers, jobs) and takes the rest here:

- ``__main__``: ``configured(load)`` and ``main(load, app=..., migrations=...)`` from ``process``;
- ``bootstrap``/``wiring``: ``Core`` (runtime + handlers' context), ``assemble`` → ``Service``
  from ``shape``;
- ``handlers/context.py``: subclasses of ``HandlerContext`` (built by ``Services.on(runtime, ...)``)
  and ``CallerBase`` from ``context``, with ``new_id``, ``replayed``, ``remember_creation``;
- ``entrypoints/api/deps.py``: ``caller_dependency`` and ``keyed`` from ``api``.
"""
