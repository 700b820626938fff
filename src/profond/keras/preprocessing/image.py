"""``keras.preprocessing.image``: re-exports the image helpers of ``profond.utils``."""

from profond.utils.image_utils import (  # noqa: F401
    array_to_img,
    img_to_array,
    load_img,
    save_img,
    smart_resize,
)

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]


def __getattr__(name):
    from profond._names import missing_name

    raise missing_name(__name__, name)
