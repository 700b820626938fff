"""``tf.math``: the math ops under TensorFlow's names (re-exports; the code lives in
``profond.ops``).

    import profond as tf
    tf.math.reduce_sum(x, axis=1), tf.math.top_k(x, k=3), tf.math.cumsum(x, exclusive=True)
"""

from profond.activations import softplus, softsign
from profond.ops import (
    abs,
    acos,
    acosh,
    add,
    argmax,
    argmin,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cos,
    cosh,
    cumsum,
    divide,
    equal,
    erf,
    exp,
    floor,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    log1p,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    pow,
    reduce_all,
    reduce_any,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_std,
    reduce_sum,
    reduce_variance,
    round,
    sigmoid,
    sign,
    sin,
    sinh,
    softmax,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    truediv,
)
from profond.ops.cumulative import count_nonzero, cumprod, cumulative_logsumexp
from profond.ops.math import (
    add_n,
    ceil,
    expm1,
    floordiv,
    floormod,
    is_finite,
    is_inf,
    is_nan,
    is_non_decreasing,
    is_strictly_increasing,
    log_sigmoid,
    logical_xor,
    multiply_no_nan,
    polyval,
    reciprocal,
    reciprocal_no_nan,
    rsqrt,
    squared_difference,
    xdivy,
    xlog1py,
    xlogy,
    zero_fraction,
)
from profond.ops.norms import l2_normalize, reduce_euclidean_norm
from profond.ops.numpy_api import divide_no_nan
from profond.ops.numpy_more import angle, conj, erfc, imag, nextafter, real
from profond.ops.selection import (
    approx_max_k,
    approx_min_k,
    bincount,
    confusion_matrix,
    in_top_k,
    invert_permutation,
    segment_max,
    segment_mean,
    segment_min,
    segment_sum,
    top_k,
    unsorted_segment_max,
    unsorted_segment_mean,
    unsorted_segment_min,
    unsorted_segment_sqrt_n,
    unsorted_segment_sum,
)
from profond.ops.special import digamma, erfcinv, erfinv, lgamma, polygamma

mod = floormod
rint = round
accumulate_n = add_n
scalar_mul = multiply


__all__ = [
    "abs", "accumulate_n", "acos", "acosh", "add", "add_n", "angle", "approx_max_k",
    "approx_min_k", "argmax", "argmin", "asin", "asinh", "atan", "atan2", "atanh", "bincount",
    "ceil", "confusion_matrix", "conj", "cos", "cosh", "count_nonzero", "cumprod", "cumsum",
    "cumulative_logsumexp", "digamma", "divide", "divide_no_nan", "equal", "erf", "erfc",
    "erfcinv", "erfinv", "exp", "expm1", "floor", "floordiv", "floormod", "greater",
    "greater_equal", "imag", "in_top_k", "invert_permutation", "is_finite", "is_inf", "is_nan",
    "is_non_decreasing", "is_strictly_increasing", "l2_normalize", "less", "less_equal",
    "lgamma", "log", "log1p", "log_sigmoid", "log_softmax", "logical_and", "logical_not",
    "logical_or", "logical_xor", "maximum", "minimum", "mod", "multiply", "multiply_no_nan",
    "negative", "nextafter", "not_equal", "polygamma", "polyval", "pow", "real", "reciprocal",
    "reciprocal_no_nan", "reduce_all", "reduce_any", "reduce_euclidean_norm",
    "reduce_logsumexp", "reduce_max", "reduce_mean", "reduce_min", "reduce_prod", "reduce_std",
    "reduce_sum", "reduce_variance", "rint", "round", "rsqrt", "scalar_mul", "segment_max",
    "segment_mean", "segment_min", "segment_sum", "sigmoid", "sign", "sin", "sinh", "softmax",
    "softplus", "softsign", "sqrt", "square", "squared_difference", "subtract", "tan", "tanh",
    "top_k", "truediv", "unsorted_segment_max", "unsorted_segment_mean", "unsorted_segment_min",
    "unsorted_segment_sqrt_n", "unsorted_segment_sum", "xdivy", "xlog1py", "xlogy",
    "zero_fraction",
]

# Called on KerasTensors (functional API), these record a graph node: see ops/symbolic.py.
from profond.ops import symbolic as _symbolic  # noqa: E402

_symbolic.install(globals(), __all__, prefix="math.")


def __getattr__(name):
    """A TF name profond lacks says so (see ``profond._names``)."""
    from profond._names import missing_name

    raise missing_name(__name__, name)
