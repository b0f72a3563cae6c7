"""The two severities Keel gives expectations (imports great-expectations: suites only, never the console).

``ERROR`` (great-expectations' ``critical``): the check fails as an error and blocks the assets downstream.
``WARN`` (``warning``): reported and kept, nothing downstream stops.
"""

from great_expectations.expectations.metadata_types import FailureSeverity

ERROR = FailureSeverity.CRITICAL
WARN = FailureSeverity.WARNING
