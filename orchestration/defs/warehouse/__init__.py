"""The warehouse domain: the resource that hands assets a PostgreSQL connection."""
