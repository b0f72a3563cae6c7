"""The stripe source: its resources (settings) and, where one exists, its API connector."""
