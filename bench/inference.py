"""Inference throughput: ``model.predict`` in profond against a PyTorch loop under
``torch.inference_mode()``, samples per second (higher is better)."""

import numpy as np
from _harness import Case, Work
from _models import classification_data, profond_model, torch_model

SIZES = {"cnn": ((28, 28, 1), 256, 20), "mlp": ((784,), 1024, 20)}  # shape, batch, batches


def _profond(name):
    def factory():
        shape, batch, batches = SIZES[name]
        model = profond_model(name)
        x, _ = classification_data(batch * batches, shape)
        return Work(lambda: model.predict(x, batch_size=batch, verbose=0), items=len(x))
    return factory


def _torch(name):
    def factory():
        import torch

        shape, batch, batches = SIZES[name]
        model = torch_model(name).eval()
        x, _ = classification_data(batch * batches, shape)
        if len(shape) == 3:
            x = x.transpose(0, 3, 1, 2)
        x = torch.from_numpy(np.ascontiguousarray(x))

        def step():
            with torch.inference_mode():
                return [model(x[i:i + batch]).numpy() for i in range(0, len(x), batch)]

        return Work(step, items=len(x))
    return factory


profond_cnn, torch_cnn = _profond("cnn"), _torch("cnn")
profond_mlp, torch_mlp = _profond("mlp"), _torch("mlp")

CASES = {
    "cnn_predict": Case("CNN `predict` throughput, batch 256", {"profond": "profond_cnn",
                        "pytorch": "torch_cnn"}, goal="throughput ≥ 1.0×", unit="items/s",
                        calls=5),
    "mlp_predict": Case("MLP `predict` throughput, batch 1024", {"profond": "profond_mlp",
                        "pytorch": "torch_mlp"}, goal="throughput ≥ 1.0× (keep)",
                        unit="items/s", calls=10),
}
