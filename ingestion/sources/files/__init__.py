"""Files: an owner's CSV and Excel exports (orders, order lines, customers, products, bills, invoices,
payments, staff hours, marketing spend), mapped to Keel's fields and loaded into ``raw_files.<kind>``.

- :mod:`.kinds`: the kinds and the fields Keel looks for in each (with the header names owners use).
- :mod:`.parsing`: reading the file (polars, fastexcel) and its values in local formats.
- :mod:`.mapping`: the proposed mapping of columns to fields, and the header signature it is saved under.
- :mod:`.upload`: preview, load through :mod:`ingestion.loader` (merge on the key, bad rows quarantined
  with their row numbers), saved mappings and the upload log in ``app.file_mappings``/``app.file_uploads``.
"""

from ingestion.sources.files.kinds import KINDS, Field, Kind
from ingestion.sources.files.mapping import MappingProposal, guess_kind, header_signature, propose_mapping
from ingestion.sources.files.parsing import FileReadError, RawTable, read_table

__all__ = [
    "KINDS",
    "Field",
    "FileReadError",
    "Kind",
    "MappingProposal",
    "RawTable",
    "guess_kind",
    "header_signature",
    "propose_mapping",
    "read_table",
]
