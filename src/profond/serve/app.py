"""The Starlette app: TensorFlow Serving's REST routes over one profond model."""

import contextlib
import errno
import json
import socket

import numpy
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from profond import backend
from profond.autodiff import no_grad
from profond.serve.batching import Batcher

MAX_BODY_BYTES = 16 * 2**20
"""The largest request body read (a 400×784 float batch in JSON is about 3 MB)."""

_TF_DTYPES = {"float32": "DT_FLOAT", "float64": "DT_DOUBLE", "int32": "DT_INT32",
              "int64": "DT_INT64", "string": "DT_STRING", "bool": "DT_BOOL"}


class BadRequest(ValueError):
    """A request the server refuses, with the HTTP status to answer."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


class _Signature:
    """The model's inputs and outputs: names, shapes without the batch axis, dtypes."""

    def __init__(self, model):
        if not getattr(model, "inputs", None) or not getattr(model, "outputs", None):
            raise ValueError(f"profond serve: Expected a model with known inputs (built on an "
                             f"Input). Received: {type(model).__name__} {model.name!r}")
        self.inputs = [(t.name, tuple(t.shape[1:]), str(t.dtype)) for t in model.inputs]
        self.outputs = [(t.name, tuple(t.shape[1:]), str(t.dtype)) for t in model.outputs]

    def metadata(self, name):
        def spec(entries):
            return {n: {"dtype": _TF_DTYPES.get(d, "DT_INVALID"), "name": n,
                        "tensor_shape": {"dim": [{"size": "-1"}] + [
                            {"size": str(-1 if s is None else s)} for s in shape]}}
                    for n, shape, d in entries}
        return {"model_spec": {"name": name, "signature_name": "", "version": "1"},
                "metadata": {"signature_def": {"signature_def": {"serving_default": {
                    "inputs": spec(self.inputs), "outputs": spec(self.outputs),
                    "method_name": "tensorflow/serving/predict"}}}}}

    def to_array(self, value, index, rows=None):
        """One input's batch from JSON values, checked against the model's input."""
        name, shape, dtype = self.inputs[index]
        try:
            if dtype == "string":
                array = numpy.asarray(value, dtype=str)
            else:
                array = numpy.asarray(value, dtype=backend.floatx() if "float" in dtype
                                      else dtype)
        except (TypeError, ValueError, OverflowError):
            raise BadRequest(f"input {name!r}: Expected numbers in nested lists of shape "
                             f"(batch, {', '.join('?' if s is None else str(s) for s in shape)})"
                             ". Received: values that are not numbers, or rows of different "
                             "lengths") from None
        expected = "(batch, " + ", ".join("?" if s is None else str(s) for s in shape) + ")"
        if array.ndim != len(shape) + 1 or any(
                s is not None and s != a for s, a in zip(shape, array.shape[1:])):
            raise BadRequest(f"input {name!r}: Expected a shape {expected}. Received: shape "
                             f"{array.shape}")
        if len(array) == 0:
            raise BadRequest(f"input {name!r}: Expected at least one instance. Received: none")
        if rows is not None and len(array) != rows:
            raise BadRequest(f"Expected every input to have the same number of instances. "
                             f"Received: {rows} and {len(array)} (input {name!r})")
        return array

    def parse(self, body):
        """The list of input arrays, and whether the request used the row format."""
        if not isinstance(body, dict) or ("instances" in body) == ("inputs" in body):
            raise BadRequest("Expected a JSON object with either 'instances' (row format) or "
                             "'inputs' (columnar format). Received: "
                             + (f"keys {sorted(body)[:10]}" if isinstance(body, dict)
                                else type(body).__name__))
        if body.get("signature_name", "serving_default") != "serving_default":
            raise BadRequest("Expected signature_name 'serving_default' (the only signature). "
                             f"Received: {str(body['signature_name'])[:80]!r}")
        names = [n for n, _, _ in self.inputs]
        if "instances" in body:
            rows = body["instances"]
            if not isinstance(rows, list) or not rows:
                raise BadRequest("Expected 'instances' to be a non-empty list. Received: "
                                 f"{type(rows).__name__}")
            if all(isinstance(r, dict) for r in rows):
                for r in rows:
                    if sorted(r) != sorted(names):
                        raise BadRequest(f"Expected each instance to have the inputs {names}. "
                                         f"Received: {sorted(r)[:10]}")
                columns = [[r[n] for r in rows] for n in names]
            elif len(names) == 1:
                columns = [rows]
            else:
                raise BadRequest(f"This model has {len(names)} inputs {names}: Expected each "
                                 "instance to be an object keyed by input name")
            return [self.to_array(c, i) for i, c in enumerate(columns)], True
        given = body["inputs"]
        if isinstance(given, dict):
            if sorted(given) != sorted(names):
                raise BadRequest(f"Expected 'inputs' to have the keys {names}. Received: "
                                 f"{sorted(given)[:10]}")
            given = [given[n] for n in names]
        elif len(names) == 1:
            given = [given]
        else:
            raise BadRequest(f"This model has {len(names)} inputs {names}: Expected 'inputs' "
                             "to be an object keyed by input name")
        arrays = [self.to_array(given[0], 0)]
        arrays += [self.to_array(v, i, rows=len(arrays[0])) for i, v in enumerate(given) if i]
        return arrays, False

    def answer(self, outputs, row_format):
        names = [n for n, _, _ in self.outputs]
        if row_format:
            if len(names) == 1:
                return {"predictions": outputs[0].tolist()}
            return {"predictions": [{n: o[i].tolist() for n, o in zip(names, outputs)}
                                    for i in range(len(outputs[0]))]}
        if len(names) == 1:
            return {"outputs": outputs[0].tolist()}
        return {"outputs": {n: o.tolist() for n, o in zip(names, outputs)}}


def create_app(model, name="model", max_body_bytes=MAX_BODY_BYTES, max_batch_size=256,
               max_wait=0.002):
    """The Starlette app serving ``model`` under ``/v1/models/{name}``."""
    signature = _Signature(model)

    def predict(inputs):
        with no_grad():
            out = model(inputs if len(inputs) > 1 else inputs[0], training=False)
        out = out if isinstance(out, (list, tuple)) else [out]
        return [numpy.asarray(backend.to_numpy(o.data)) for o in out]

    batcher = Batcher(predict, max_batch_size=max_batch_size, max_wait=max_wait)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await batcher.start()
        yield
        await batcher.stop()

    def error(message, status=400):
        return JSONResponse({"error": message}, status_code=status)

    def check_name(request):
        given = request.path_params["name"]
        if given != name:
            raise BadRequest(f"Servable not found for request: Latest({given[:80]}). This "
                             f"server serves the model {name!r}", status=404)

    async def read_json(request):
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_body_bytes):
            raise BadRequest(f"Expected a body of at most {max_body_bytes} bytes. Received: "
                             f"content-length {declared[:20]}", status=413)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body_bytes:
                raise BadRequest(f"Expected a body of at most {max_body_bytes} bytes. Received: "
                                 "more", status=413)
            chunks.append(chunk)
        try:
            return json.loads(b"".join(chunks))
        except (UnicodeDecodeError, json.JSONDecodeError) as problem:
            raise BadRequest(f"Expected a JSON body. Received: invalid JSON ({problem})") \
                from None

    async def status(request):
        try:
            check_name(request)
        except BadRequest as bad:
            return error(str(bad), bad.status)
        return JSONResponse({"model_version_status": [{
            "version": "1", "state": "AVAILABLE",
            "status": {"error_code": "OK", "error_message": ""}}]})

    async def metadata(request):
        try:
            check_name(request)
        except BadRequest as bad:
            return error(str(bad), bad.status)
        return JSONResponse(signature.metadata(name))

    async def predict_route(request):
        try:
            check_name(request)
            if request.path_params["verb"] != "predict":
                raise BadRequest(f"Expected the verb ':predict'. Received: "
                                 f"':{request.path_params['verb'][:40]}'", status=404)
            inputs, row_format = signature.parse(await read_json(request))
        except BadRequest as bad:
            return error(str(bad), bad.status)
        try:
            outputs = await batcher.submit(inputs)
        except Exception as problem:  # the model refused the batch
            return error(f"The model could not predict: {type(problem).__name__}: "
                         f"{str(problem)[:500]}", 500)
        return JSONResponse(signature.answer(outputs, row_format))

    routes = [
        Route("/v1/models/{name}", status, methods=["GET"]),
        Route("/v1/models/{name}/versions/{version:int}", status, methods=["GET"]),
        Route("/v1/models/{name}/metadata", metadata, methods=["GET"]),
        Route("/v1/models/{name}/versions/{version:int}/metadata", metadata, methods=["GET"]),
        Route("/v1/models/{name}:{verb}", predict_route, methods=["POST"]),
        Route("/v1/models/{name}/versions/{version:int}:{verb}", predict_route,
              methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.batcher = batcher
    return app


def bind(host, port):
    """A listening socket on (host, port), or a clear error when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as problem:
        sock.close()
        if problem.errno == errno.EADDRINUSE:
            raise OSError(problem.errno, f"profond serve: the port {port} on {host} is already "
                          "in use (another server?). Choose another with --port.") from None
        raise
    sock.listen(128)
    return sock


def serve(model, host="127.0.0.1", port=8501, name=None, max_body_bytes=MAX_BODY_BYTES,
          max_batch_size=256, max_wait=0.002, log_level="info"):
    """Serve ``model`` (a ``Model`` or a model file's path) until interrupted."""
    import uvicorn

    if isinstance(model, str):
        from profond.saving import load_model

        name = name or _stem(model)
        model = load_model(model)
    app = create_app(model, name=name or model.name, max_body_bytes=max_body_bytes,
                     max_batch_size=max_batch_size, max_wait=max_wait)
    sock = bind(host, port)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"profond serve: listening on {host}: anyone who reaches this address can use "
              "the model (no authentication).")
    print(f"Serving {name or model.name!r} at http://{host}:{port}/v1/models/"
          f"{name or model.name}:predict")
    config = uvicorn.Config(app, log_level=log_level, limit_concurrency=1024)
    uvicorn.Server(config).run(sockets=[sock])


def _stem(path):
    import os

    base = os.path.basename(path)
    return base.split(".")[0] or "model"
