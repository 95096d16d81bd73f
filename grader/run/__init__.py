"""Running a batch: the toolkit loaded once per process (`toolkit`), reading paths and the report cache around
the pure pipeline (`batch`, `result_cache`), and where the batch runs (`engines`: local or Dask)."""
