"""The Streamlit console for SMB owners, tenant-scoped by row-level security."""
