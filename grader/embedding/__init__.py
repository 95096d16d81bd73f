"""Sentence embeddings from the pinned local model (never a hub download): the model files and the embedder
protocol (`model`), the backends as lazy registry entries (`backends`: `torch_backend`, `onnx`, `hashing`), and
the batch's vector table with its on-disk cache (`cache`)."""
