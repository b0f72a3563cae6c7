"""What Keel serves to its clients: the reads the console (``app/``) and the HTTP API (``api/``) share.

- :mod:`serving.readers`: one tenant's rows, read as that tenant's ``keel_app`` login (row-level security
  returns that tenant's rows only, and each query also names ``app.current_tenant_id()``). Plain functions
  of a tenant id, no Streamlit and no web framework: the console caches them (``app.data.cached``), the API
  pages and serialises them, the CLI prints them. One query per question, whichever client asks it.
"""
