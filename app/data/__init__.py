"""The console's one way into the warehouse, and ``keel forecast``'s too.

- :mod:`serving.readers` (below the console, shared with the HTTP API): every read a page or the CLI
  makes, as ``keel_app`` scoped to one tenant (row-level security returns that tenant's rows only, and
  each query also names ``app.current_tenant_id()``). Plain functions of a tenant id; no Streamlit, so
  the CLI and the API import them.
- :mod:`app.data.cached`: what the pages call. The same readers behind ``st.cache_data``, taking the
  signed-in user, so no page can pass a tenant id from a URL or a widget.

- :mod:`app.data.goals`: the Goals page's reads and writes through the owners' goal API
  (``coach.goals``), for the signed-in user, not cached (the owner changes goals on that page).

Pages only render what these return; no page opens a connection.
"""
