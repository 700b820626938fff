"""``profond playground``: train small networks on 2-D points, live, in the browser.

    from profond import playground
    playground.serve(port=8000)          # then open http://127.0.0.1:8000/

The page (``static/``) picks a data set, builds a network and shows, while profond trains it on
the server: the decision regions, the train and test loss curves, every hidden neuron's activation
map and ConvNetJS's transformed-space view. It needs the ``playground`` extra (Starlette,
uvicorn, websockets): ``pip install 'profond[playground]'``.
"""


def serve(host="127.0.0.1", port=8000, open_browser=True, token=None, allowed_hosts=()):
    """Start the playground's web server on ``host``:``port`` (and open a browser tab on it);
    return when it is stopped (Ctrl-C). Off loopback (``host="0.0.0.0"``) it warns and requires
    ``token`` (a fresh one, printed, when not given); ``allowed_hosts`` are ``Host`` names to
    serve besides ``localhost``."""
    try:
        from profond.playground.server import run
    except ImportError as error:
        raise ImportError(f"The playground needs Starlette and uvicorn ({error.name} is "
                          "missing): pip install 'profond[playground]'") from error
    run(host=host, port=port, open_browser=open_browser, token=token,
        allowed_hosts=allowed_hosts)


__all__ = ["serve"]
