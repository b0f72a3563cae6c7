"""The quickbooks source: its resources (settings) and, where one exists, its API connector."""
