"""Where the statistical models run: in this process (statsforecast's own process pool, ``n_jobs``), or on
a Dask cluster through statsforecast's Fugue backend (``ForecastConfig.engine = "dask"``).

Nothing here is a scheduler of Keel's own. statsforecast hands a panel to Fugue when a Fugue execution
engine is in context (``fugue.api.engine_context``): with a Dask client as that engine, the series are
partitioned by ``unique_id`` and fitted on the cluster's workers, and the result comes back as a pandas
frame. This module only opens the client, converts the frames at the boundary (polars in, polars out,
the same dtypes as the local path) and sorts the rows as the local path does, so the rest of the pipeline
cannot tell the engines apart; ``tests/forecasting/test_engines.py`` checks the forecasts agree.

``dask_address`` names a running cluster (``tcp://scheduler:8786``, a Kubernetes or cloud Dask); None
starts a local cluster once per process (one worker process per core), closed when the process exits.
LightGBM (mlforecast) stays local: it is one model over the whole panel, not one per series.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from distributed import Client

    from models_ml.forecasting.config import ForecastConfig

_clients: dict[str | None, Client] = {}
_lock = threading.Lock()


def dask_client(address: str | None) -> Client:
    """A client of the cluster at ``address``, or of a local cluster started once per process."""
    with _lock:
        client = _clients.get(address)
        if client is not None and client.status == "running":
            return client
        from distributed import Client, LocalCluster

        if address is None:
            workers = max(1, os.cpu_count() or 1)
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(cluster)
        else:
            client = Client(address)
        _clients[address] = client
        return client


@atexit.register
def close_clients() -> None:
    """Close every client this process opened (and the local cluster with its worker processes)."""
    with _lock:
        for client in _clients.values():
            cluster = client.cluster
            client.close()
            if cluster is not None:
                cluster.close()
        _clients.clear()


def run_statistical(
    config: ForecastConfig,
    model_input: pl.DataFrame,
    call: Callable[[Any], pl.DataFrame],
    sort: tuple[str, ...],
) -> pl.DataFrame:
    """``call(frame)`` (a statsforecast ``forecast`` or ``cross_validation`` over ``model_input``) on the
    configured engine, as a polars frame with the local path's dtypes, sorted by ``sort``."""
    if config.engine == "local":
        return call(model_input)
    import fugue.api as fa

    client = dask_client(config.dask_address)
    with fa.engine_context(client):
        result = call(model_input.to_pandas())
    frame = pl.from_pandas(fa.as_pandas(result))
    casts = []
    for name, dtype in frame.schema.items():
        if name in model_input.schema:
            casts.append(pl.col(name).cast(model_input.schema[name]))
        elif name == "cutoff":
            casts.append(pl.col(name).cast(model_input.schema["ds"]))
        elif dtype.is_float():
            casts.append(pl.col(name).cast(pl.Float64))
    return frame.with_columns(casts).sort(list(sort))
